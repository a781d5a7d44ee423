"""Showing due dates: `{% load banli_dates %}`, then
`{{ a.dispute_due_on|due_mark:a.dispute_due_estimated }}`.

A date counted in working days over a year whose official calendar is not yet known was
counted Monday to Friday (docs/domain.md §5.3); every page that shows or previews such a date
says so, next to it."""

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from banli.core import clock

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


@register.filter
def ago(value: dt.datetime | dt.date | None, now: dt.datetime | None = None) -> str:
    """How long ago, as an office says it: 刚刚, 5分钟前, 3小时前, 18天前, 2个月前, 1年前
    (just now, 3 hours ago…). One unit, the largest that fits; a time in the future (a
    clock a little ahead) is "just now". Reads `core.clock`, so a frozen day gives the same
    words in the demo and the tests."""
    if not value:
        return ""
    now = now or clock.now()
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0, 0), tzinfo=now.tzinfo)
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return _("just now")
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", minutes) % {"n": minutes}
    if days < 1:
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    if days < 31:
        return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}
    if days < 365:
        months = days // 30
        return ngettext("%(n)d month ago", "%(n)d months ago", months) % {"n": months}
    years = days // 365
    return ngettext("%(n)d year ago", "%(n)d years ago", years) % {"n": years}
