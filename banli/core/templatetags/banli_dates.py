"""Showing due dates: `{% load banli_dates %}`, then
`{{ a.dispute_due_on|due_mark:a.dispute_due_estimated }}`.

A date counted in working days over a year whose official calendar is not yet known was
counted Monday to Friday (docs/domain.md §5.3); every page that shows or previews such a date
says so, next to it."""

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def estimate_note(year: int) -> str:
    return _("(estimated: official calendar for %(year)s not yet published)") % {"year": year}


@register.filter
def due_mark(value: dt.date | None, estimated: bool = False):
    """The date as Y-m-d and, when it was counted on the Monday-to-Friday fallback, the
    marker that says it may still move."""
    if not value:
        return ""
    if not estimated:
        return value.isoformat()
    return format_html(
        '{} <span class="badge estimated" title="{}">{}</span>',
        value.isoformat(),
        _("Counted Monday to Friday; it moves when the official calendar is entered."),
        estimate_note(value.year),
    )
