"""Before the load: each endpoint answered once over HTTP (it must give its expected status,
not a redirect to the login), a role's start page found by following its GET /, the body of
the POST read from the form the page renders; and the SQL queries one request runs.

Queries are counted in the runner's own process with Django's test Client and
CaptureQueriesContext, against the same database, settings and session as the server: the
server runs with DEBUG off and no counting middleware, so the figures it serves under load
are not disturbed by the measurement."""

from __future__ import annotations

import http.client
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

# Headers of a request that came through the TLS-terminating proxy of a deployment
# (BANLI_BEHIND_PROXY=1): the server then runs exactly as in production.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


class EndpointRefused(RuntimeError):
    pass


def headers_for(base_url: str, session, *, post: bool = False) -> dict[str, str]:
    headers = {**PROXY_HEADERS, "Cookie": session.cookie, "User-Agent": "banli-bench"}
    if post:
        # Over HTTPS Django's CSRF check wants a same-origin Referer.
        host = urlsplit(base_url).netloc
        headers["Referer"] = f"https://{host}/"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return headers


def fetch(base_url: str, method: str, path: str, headers: dict, body: str | None = None):
    """(status, headers, text) of one request, redirects not followed."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    try:
        connection.request(method, path, body=body.encode() if body else None, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        # The headers as a case-insensitive mapping (haproxy sends them in lower case).
        return response.status, response.headers, text
    finally:
        connection.close()


class _FormParser(HTMLParser):
    """The fields of the POST form that holds `marker` (a field name), as a browser would
    send them untouched: inputs and textareas with their values, selects with their
    selected (or first) option, checked boxes only."""

    def __init__(self, marker: str):
        super().__init__()
        self.marker = marker
        self.forms: list[list[tuple[str, str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._select_multiple = False
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._fields = []
        if self._fields is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in {"file", "submit", "button", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self._fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_multiple, self._options = name, "multiple" in a, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if self._fields is None:
            return
        if tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected]
            if not chosen and not self._select_multiple and self._options:
                chosen = [self._options[0][0]]
            self._fields.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._fields.append((self._textarea, self._text.strip("\n")))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._fields)
            self._fields = None


def form_body(html: str, values: dict[str, str], marker: str = "title") -> str:
    parser = _FormParser(marker)
    parser.feed(html)
    form = next((f for f in parser.forms if any(n == marker for n, _ in f)), None)
    if form is None:
        raise EndpointRefused(f"no POST form with a {marker!r} field on the page")
    fields = [(n, v) for n, v in form if n not in values]
    fields.extend(values.items())
    return urlencode(fields)


def is_login_redirect(status: int, headers: dict) -> bool:
    location = headers.get("Location", "")
    return status in {301, 302, 303, 307, 308} and "/login/" in location


def prepare(base_url: str, endpoint, ctx, session) -> dict:
    """The request wrk will repeat: {"method", "path", "headers", "body"}; raises
    EndpointRefused if the endpoint does not answer as expected."""
    path = endpoint.path(ctx)
    get_headers = headers_for(base_url, session)
    if endpoint.follow:
        status, headers, _text = fetch(base_url, "GET", path, get_headers)
        if is_login_redirect(status, headers):
            raise EndpointRefused(f"{endpoint.name}: {path} sent the session to the login")
        if 300 <= status < 400:
            path = urlsplit(headers["Location"]).path or "/"
            query = urlsplit(headers["Location"]).query
            path = f"{path}?{query}" if query else path
        ctx.start_paths[endpoint.role] = path
    body = None
    headers = get_headers
    if endpoint.method == "POST":
        status, response_headers, text = fetch(base_url, "GET", path, get_headers)
        if status != 200:
            raise EndpointRefused(f"{endpoint.name}: GET {path} answered {status}")
        body = form_body(text, endpoint.form_values(ctx) if endpoint.form_values else {})
        headers = headers_for(base_url, session, post=True)
    status, response_headers, text = fetch(base_url, endpoint.method, path, headers, body)
    if status != endpoint.expect or is_login_redirect(status, response_headers):
        where = response_headers.get("Location", "")
        raise EndpointRefused(
            f"{endpoint.name}: {endpoint.method} {path} answered {status} {where}".strip()
            + f" (expected {endpoint.expect})"
        )
    # A draft was saved: the answer leads to the new item, not back to the form.
    location = response_headers.get("Location", "")
    if endpoint.method == "POST" and endpoint.expect == 302 and "/items/" not in location:
        raise EndpointRefused(
            f"{endpoint.name}: POST {path} led to {response_headers.get('Location')!r}, "
            "not to an item"
        )
    return {"method": endpoint.method, "path": path, "headers": headers, "body": body}


def count_queries(request: dict, session, host: str) -> int:
    """The SQL queries of one request (the second of two: the first warms what a worker
    keeps between requests), in this process, through Django's test Client."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=host, headers={"x-forwarded-proto": "https"})
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    client.cookies[settings.CSRF_COOKIE_NAME] = session.csrf_secret
    method = request["method"].lower()
    kwargs = {}
    if request["body"] is not None:
        kwargs = {
            "data": request["body"],
            "content_type": "application/x-www-form-urlencoded",
            "headers": {"referer": f"https://{host}/"},
        }
    getattr(client, method)(request["path"], **kwargs)
    with CaptureQueriesContext(connection) as queries:
        getattr(client, method)(request["path"], **kwargs)
    return len(queries.captured_queries)
