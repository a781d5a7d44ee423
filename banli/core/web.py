"""What every app's views share: running a use case from a POST, showing its refusal, paging
(by keys, `banli.core.paging`)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.utils.translation import gettext as _

from . import paging
from .errors import DomainError, ValidationFailed


def show_refusal(request, error: DomainError, *, form=None, field: str | None = None) -> bool:
    """Show a service's refusal where the user reads it: the one adapter from a DomainError
    to a page (the API answers the same error as JSON, with its status code).

    A refusal of the input (ValidationFailed) goes on the form when there is one, next to
    `field` (above the fields when None), and the view shows the form again; a refusal that
    names its fields itself (an `errors` mapping of field -> messages) goes next to each of
    them, above the fields for one the form does not have. Any other
    refusal (not allowed, no longer possible, changed meanwhile) is about the page rather
    than what was typed: a message, shown on whichever page comes next. Returns whether the
    refusal went on the form."""
    if form is not None and isinstance(error, ValidationFailed):
        errors = getattr(error, "errors", None)
        if field is None and isinstance(errors, dict):
            for name, problems in errors.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            form.add_error(field, str(error))
        return True
    messages.error(request, str(error))
    return False


def run(
    request,
    use_case: Callable[..., Any],
    *args,
    success: str = "",
    form=None,
    field: str | None = None,
    **kwargs,
):
    """Call a service; on a refusal show it (see `show_refusal`).

    Returns the service's result, or None when it refused."""
    try:
        result = use_case(*args, **kwargs)
    except DomainError as error:
        show_refusal(request, error, form=form, field=field)
        return None
    if success:
        messages.success(request, success)
    return result if result is not None else True


def page_url(request, param: str = paging.PARAM):
    """A function building the link to another page of the list of `request`: the same
    query string with the cursor `param` replaced (removed for the first page)."""

    def url(token: str | None) -> str:
        params = request.GET.copy()
        params.pop("page", None)
        if token:
            params[param] = token
        else:
            params.pop(param, None)
        query = params.urlencode()
        return f"{request.path}?{query}" if query else request.path

    return url


def page_of(
    request,
    queryset,
    per_page: int = 25,
    *,
    param: str = paging.PARAM,
    count: bool | int = False,
) -> paging.KeysetPage:
    """The requested page of `queryset`, paged by its ordering's keys (`banli.core.paging`):
    the cursor in `param` says where the page starts; a malformed or stale cursor gives the
    first page. `count` adds a bounded count ("10,000+")."""
    return paging.keyset_page(
        queryset,
        request.GET.get(param),
        per_page=per_page,
        url=page_url(request, param),
        count=count,
    )


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def not_found_message() -> str:
    return _("The page you asked for does not exist.")
