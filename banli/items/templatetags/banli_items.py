"""Template helpers for items: state badges, due-date countdowns, history labels."""

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from banli.core import clock
from banli.core.workflow import label_for, state_label
from banli.items.lists import bars, cells, columns

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return str(label_for(action))


@register.filter
def to_state_label(entry) -> str:
    return str(state_label(entry.action, entry.to_state))


@register.simple_tag
def state_badge(obj):
    return format_html('<span class="badge state-{}">{}</span>', obj.state, obj.get_state_display())


@register.simple_tag
def due_badge(due_on: dt.date | None):
    """A countdown: overdue in red, due within 30 days in amber."""
    if not due_on:
        return ""
    days = (due_on - clock.today()).days
    if days < 0:
        text = ngettext("%(n)d day overdue", "%(n)d days overdue", -days) % {"n": -days}
        css = "overdue"
    elif days == 0:
        text, css = _("due today"), "overdue"
    else:
        text = ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
        css = "soon" if days <= 30 else ""
    return format_html('<span class="badge {}" title="{}">{}</span>', css, due_on.isoformat(), text)


@register.simple_tag(takes_context=True)
def list_columns(context, leading=False):
    """The columns other apps add to item lists (`banli.items.lists`), as this request
    draws them: `leading=True` the ones before the number (a row's checkbox)."""
    return columns(context.get("request"), leading=leading)


@register.simple_tag
def column_value(row, column):
    """One registered column's content for `row`, without its table cell (cards)."""
    return column.cell(row)


@register.simple_tag(takes_context=True)
def list_bar(context):
    """The bars other apps draw above a list (`banli.items.lists.register_bar`)."""
    request = context.get("request")
    return bars(request) if request is not None else ""


@register.simple_tag
def column_cells(item, columns_):
    """The cells the registered columns add to `item`'s row."""
    return cells(item, columns_)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (for sorting and paging)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode()
