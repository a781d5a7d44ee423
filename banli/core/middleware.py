"""The middleware banli adds to Django's: refusals as pages, the language, the security headers
and the request the security log reads its address from."""

from django.conf import settings
from django.shortcuts import render

from .errors import DomainError
from .models import SecurityEventKind
from .security import record_security_event, serving


class DomainErrorMiddleware:
    """A refusal from a service that a view did not handle becomes a page in the site's style,
    with the translated message and the right status — never a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            if exception.status_code == 403:
                record_security_event(
                    SecurityEventKind.PERMISSION_DENIED,
                    request=request,
                    reason=str(exception),
                    error=type(exception).__name__,
                )
            return render(
                request,
                "error.html",
                {"message": str(exception), "status": exception.status_code},
                status=exception.status_code,
            )
        return None


class SiteLanguageFirstMiddleware:
    """The site speaks Simplified Chinese unless the user chose otherwise (the language
    switch sets a cookie). A browser's Accept-Language header is not a choice: an intranet
    machine set up in English would otherwise show a Chinese body's staff an English site."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


def content_security_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}".strip() for name, values in directives.items())


class SecurityHeadersMiddleware:
    """The headers Django's SecurityMiddleware does not send, on every response that is not a
    static file (WhiteNoise answers those before this runs):

    - Content-Security-Policy (settings.BANLI_CSP): no inline script or style, nothing from
      another origin; Content-Security-Policy-Report-Only with BANLI_CSP_REPORT_ONLY=1.
    - Permissions-Policy (settings.BANLI_PERMISSIONS_POLICY): no camera, microphone, place…
    - Cache-Control: no-store, private — pages show names, phone numbers and replies that are
      not public; neither the browser's cache nor a proxy may keep them. A view that sets its
      own Cache-Control (a public page one day) keeps it.
    - Cross-Origin-Resource-Policy: same-origin, so other sites cannot embed banli's answers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        csp = content_security_policy(settings.BANLI_CSP)
        if csp:
            header = (
                "Content-Security-Policy-Report-Only"
                if settings.BANLI_CSP_REPORT_ONLY
                else "Content-Security-Policy"
            )
            response.headers.setdefault(header, csp)
        if settings.BANLI_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.BANLI_PERMISSIONS_POLICY)
        response.headers.setdefault("Cache-Control", "no-store, private")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class SecurityContextMiddleware:
    """Makes the request available to security events recorded without one at hand (the
    admin's change log is written from a signal)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with serving(request):
            return self.get_response(request)
