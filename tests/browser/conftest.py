"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live
server (which needs the `transactional_db` semantics: the data is committed so the server's
thread sees it).

Chromium is never downloaded: `make test` installs Debian's package where it is missing
(BANLI_CHROMIUM names another binary). A missing browser fails the tests with a clear message;
BANLI_SKIP_BROWSER=1 skips them.

The pages are served with banli's Content-Security-Policy enforced (never report-only), and a
test fails when Chromium refuses anything under it in any page it opened — an inline style
attribute, an inline script, a script from elsewhere: on an intranet a refused style is a page
without its spacing, and nobody would report it.
"""

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("BANLI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "pw-banli-2026"  # tests.factories.make_user
TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1280, "height": 900}
# What Chromium writes to the console when it refuses something under the policy.
CSP_CONSOLE_MARKERS = (
    "Content Security Policy",
    "Refused to apply inline style",
    "Refused to execute",
    "Refused to load",
)
# Injected by Playwright into every page before the page's own scripts (the policy does not
# apply to it). It reports each violation to the test at once, so that one just before a
# navigation is not lost with the page.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__banliCspViolation([event.effectiveDirective, event.blockedURI || "inline",
    (event.sourceFile || document.URL) + ":" + event.lineNumber, event.sample].join(" "));
}, true);
"""


def _unavailable(reason: str):
    pytest.fail(
        f"{reason} The browser tests need Debian's Chromium: run `make browser` (or "
        "`apt-get install chromium`), or set BANLI_SKIP_BROWSER=1 to skip them.",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module."""
    if os.environ.get("BANLI_SKIP_BROWSER") == "1":
        pytest.skip("BANLI_SKIP_BROWSER=1")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"No Chromium at {CHROMIUM}.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The Python package `playwright` is not installed.")
    # Playwright's sync API keeps an asyncio loop running in the test thread; Django then
    # refuses the test's own database queries (SynchronousOnlyOperation) although nothing
    # here is asynchronous. Allowed only while the browser runs, so other tests keep the check.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            _check_the_watch(chromium)
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class CspViolations:
    """What Chromium refused under the Content-Security-Policy in the browser contexts it
    watches: the console's messages and the pages' securitypolicyviolation events (two ways,
    so that a change in the console's wording does not make the check blind)."""

    def __init__(self):
        self.console: list[str] = []
        self.events: list[str] = []

    def watch(self, context) -> None:
        context.expose_function("__banliCspViolation", self._on_event)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._on_console)

    def _on_event(self, text: str) -> None:
        self.events.append(text)

    def _on_console(self, message) -> None:
        if any(marker in message.text for marker in CSP_CONSOLE_MARKERS):
            self.console.append(f"{message.text} ({message.location.get('url', '')})")

    def report(self, limit: int = 20) -> str:
        lines = [f"- event: {text}" for text in self.events]
        lines += [f"- console: {text}" for text in self.console]
        more = [f"… and {len(lines) - limit} more"] if len(lines) > limit else []
        return "\n".join(lines[:limit] + more)


def _check_the_watch(chromium) -> None:
    """A page with an inline style under banli's own policy must be caught both ways, or a
    clean run of the browser tests proves nothing."""
    from django.conf import settings

    from banli.core.middleware import content_security_policy

    policy = content_security_policy(settings.BANLI_CSP)
    context = chromium.new_context()
    try:
        watch = CspViolations()
        watch.watch(context)
        page = context.new_page()
        page.route(
            "http://csp-canary.test/",
            lambda route: route.fulfill(
                status=200,
                headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
                body='<!DOCTYPE html><p style="color: red">inline</p>',
            ),
        )
        page.goto("http://csp-canary.test/")
        page.evaluate("0")  # lets Playwright hand over the events still on their way
    finally:
        context.close()
    blind = [
        name for name, seen in (("console", watch.console), ("events", watch.events)) if not seen
    ]
    if blind:
        pytest.fail(
            f"An inline style under the policy {policy!r} was not reported through "
            f"{' and '.join(blind)}: the check for Content-Security-Policy violations is blind.",
            pytrace=False,
        )


class Visits:
    """Opens pages as a given user: each user gets a browser context of their own (cookies,
    session) in the given language, logged in through the login page."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts: list = []
        self.csp = CspViolations()

    def new_page(self, language: str = "en", viewport=None):
        context = self.browser.new_context(viewport=viewport or VIEWPORT)
        self.csp.watch(context)
        # The UI will be translated to Chinese (the default language): the tests read English.
        context.add_cookies([{"name": "django_language", "value": language, "url": self.base_url}])
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context.new_page()

    def login(self, user, language: str = "en", viewport=None):
        """A page logged in as `user`, on the start page the login leads to."""
        page = self.new_page(language, viewport)
        page.goto(self.url("/login/"))
        form = page.locator("main form:has(#id_password)")
        form.locator("#id_username").fill(user.username)
        form.locator("#id_password").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    def url(self, path: str) -> str:
        return self.base_url + path

    def assert_no_csp_violation(self):
        from playwright.sync_api import Error

        for context in self.contexts:
            for page in context.pages:
                # A page that closed or crashed has nothing more to say.
                with contextlib.suppress(Error):
                    page.evaluate("0")  # lets Playwright hand over the events still on their way
        assert not (self.csp.events or self.csp.console), (
            "Chromium refused content under the Content-Security-Policy (move inline styles "
            "and scripts into banli's static files):\n" + self.csp.report()
        )

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def visits(browser, live_server, settings):
    # Report-only would let the browser apply what the policy refuses: enforce it whatever the
    # environment says (BANLI_CSP_REPORT_ONLY).
    settings.BANLI_CSP_REPORT_ONLY = False
    opened = Visits(browser, live_server.url)
    yield opened
    opened.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that used the browser fails when a page it opened broke the policy (checked
    after the test's own assertions, which say more when they fail)."""
    result = yield
    visits = item.funcargs.get("visits")
    if visits is not None:
        visits.assert_no_csp_violation()
    return result


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/screenshots/ (git-ignored)."""

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def world(transactional_db):
    """tests.factories.World, committed for the live server's thread to read."""
    from ..factories import World

    return World()


@pytest.fixture
def other_world(transactional_db):
    from ..factories import World

    return World()
