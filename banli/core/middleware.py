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
