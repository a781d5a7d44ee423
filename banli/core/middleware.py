"""A refusal from a service that a view did not handle becomes a page in the site's style,
with the translated message and the right status — never a traceback."""

from django.shortcuts import render

from .errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
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
