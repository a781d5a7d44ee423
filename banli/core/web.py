"""What every app's views share: running a use case from a POST, showing its refusal, paging."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.utils.translation import gettext as _

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


def page_of(request, queryset, per_page: int = 25):
    """The requested page; a malformed or out-of-range page number gives the nearest page."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def not_found_message() -> str:
    return _("The page you asked for does not exist.")
