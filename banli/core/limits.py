"""How much a request may send: refused from its stated length before its body is read, and a
body without a stated length is counted as it is read and refused once past the limit."""

import tempfile

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.handlers.wsgi import LimitedStream
from django.shortcuts import render
from django.utils.translation import gettext as _

CHUNK = 64 * 1024
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _refusal(request, message: str, status: int):
    return render(request, "error.html", {"message": message, "status": status}, status=status)


def too_large(request):
    mb = settings.REQUEST_MAX_BYTES // (1024 * 1024)
    return _refusal(
        request,
        _(
            "The request is too large: at most %(mb)s MB can be sent at once, files included. "
            "Send fewer or smaller files."
        )
        % {"mb": mb},
        413,
    )


class RequestSizeLimitMiddleware:
    """Early in the chain: nothing before it reads the body (the form is parsed only when
    the CSRF check or the view asks for it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_MAX_BYTES
        stated = request.META.get("CONTENT_LENGTH")
        if stated:
            try:
                length = int(stated)
            except ValueError:
                length = 0  # Django reads no body for a length it cannot parse
            if length > limit:
                return too_large(request)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and (
            "wsgi.input" in request.META  # under ASGI the server has read the body already
        ):
            refused = self._read_chunked(request, limit)
            if refused is not None:
                return refused
        response = self.get_response(request)
        body = getattr(request, "_banli_body", None)
        if body is not None:
            body.close()  # the view is done with the body once it has answered
        return response

    def _read_chunked(self, request, limit):
        """A chunked body states no length, and Django reads no body without one. Where the
        server marks the input as terminated (gunicorn, mod_wsgi), read it through a count
        that stops one byte past the limit, and hand the body on with its length; elsewhere
        reading could wait forever, so the request is refused."""
        source = request.META["wsgi.input"]
        if not request.META.get("wsgi.input_terminated"):
            return _refusal(
                request,
                _("The request did not state its length, so it was refused."),
                411,
            )
        body = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed after the view
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        read = 0
        while chunk := source.read(min(CHUNK, limit + 1 - read)):
            read += len(chunk)
            if read > limit:
                body.close()
                return too_large(request)
            body.write(chunk)
        body.seek(0)
        request.META["CONTENT_LENGTH"] = str(read)
        # Django's WSGIRequest reads the body from this stream (made when the request was).
        request._stream = LimitedStream(body, read)
        request._banli_body = body
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Parse a form here, ahead of the CSRF check that would parse it anyway, so that
        Django's own limits (fields' size, number of files) answer with a page that says
        which, instead of a bare 400."""
        if request.method != "POST" or request.content_type not in FORMS:
            return None
        try:
            request.POST  # noqa: B018 - parsing is the point
            request.FILES  # noqa: B018
        except TooManyFilesSent:
            return _refusal(
                request,
                _("Too many files at once: at most %(count)s can be sent.")
                % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FILES},
                413,
            )
        except RequestDataTooBig:
            return _refusal(request, _("The form is too large to be accepted."), 413)
        return None
