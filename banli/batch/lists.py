"""What this app adds to the lists of the apps below it (banli.items.lists): a checkbox
per row, drawn by a cell function (no template per row), and the "N selected" bar."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from banli.items.lists import ListColumn, register_bar, register_column

from . import selection
from .actions import for_list

FORM_ID = "batch-select"
PICK = (
    '<input type="checkbox" class="batch-pick" name="pick" value="{}" form="' + FORM_ID + '"'
    ' aria-label="{}"{}><input type="hidden" name="shown" value="{}" form="' + FORM_ID + '">'
)


def _list_of(request):
    """The batch list `request` shows and the user's membership, or (None, None)."""
    match = getattr(request, "resolver_match", None)
    spec = selection.BY_VIEW.get(getattr(match, "view_name", ""))
    profile = spec.profile(request) if spec is not None else None
    return (spec, profile) if profile is not None else (None, None)


def _pick_cell(request):
    spec, profile = _list_of(request)
    if spec is None:
        return None
    chosen = set(selection.selected(request, spec, profile))
    of_assignment = spec.rows == "assignment"

    def cell(row) -> str:
        title = row.item.title if of_assignment else row.title
        return format_html(PICK, row.pk, title, " checked" if row.pk in chosen else "", row.pk)

    return cell


def bar(request) -> str:
    spec, profile = _list_of(request)
    if spec is None:
        return ""
    return render_to_string("batch/_bar.html", bar_context(request, spec, profile), request=request)


def bar_context(request, spec, profile) -> dict:
    ids = selection.selected(request, spec, profile)
    back = request.POST.get("next") if request.method == "POST" else request.get_full_path()
    return {
        "list": spec.key,
        "count": len(ids),
        "limit": selection.LIMIT,
        "form_id": FORM_ID,
        "next": back or reverse(spec.view),
        "actions": for_list(spec.key),
    }


register_column(
    ListColumn(
        header=_("Select"),
        cell=lambda row: "",
        css="cell-check",
        leading=True,
        for_request=_pick_cell,
    )
)
register_bar(bar)
