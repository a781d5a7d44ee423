"""What every app's views share: running a use case from a POST, paging."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from .errors import DomainError


def run(request, use_case: Callable[..., Any], *args, success: str = "", form=None, **kwargs):
    """Call a service; on a refusal show its message (on the form when there is one).

    Returns the service's result, or None when it refused."""
    try:
        result = use_case(*args, **kwargs)
    except DomainError as error:
        if form is not None:
            form.add_error(None, str(error))
        else:
            messages.error(request, str(error))
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
