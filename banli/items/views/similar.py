"""Similar items beside a draft (相似事项): while a proposer types the title and text, the
items of this and earlier years on the same subject that they may read, so they see what was
already asked and how it was answered (an htmx request on each pause in typing)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from banli.bodies.access import current_membership
from banli.bodies.models import BODY_WIDE_READERS
from banli.core import clock
from banli.core.web import int_or_none

from .. import search
from ..models import Item
from ..workflow import PUBLISHABLE

SIMILAR_SHOWN = 8
# What one request reads of what was typed: the title's length and the start of the text.
TITLE_CHARS = 200
TEXT_CHARS = 2000


def similar_to(user, title: str, text: str, *, exclude: int | None = None) -> list[Item]:
    """The items `user` may read (Item.objects.visible_to: never another person's draft,
    another body's item or a non-public one they have no part in) that were accepted or went
    further, of this or an earlier year, most like `title` and `text`, best first."""
    profile = current_membership(user)
    if profile is None:
        return []
    readable = Item.objects.visible_to(user).filter(
        state__in=PUBLISHABLE, session__year__lte=clock.today().year
    )
    if exclude is not None:
        readable = readable.exclude(pk=exclude)
    narrow = not set(profile.roles) & BODY_WIDE_READERS
    ids = search.similar_items(readable, title, text, SIMILAR_SHOWN, narrow=narrow)
    rows = (
        Item.objects.filter(pk__in=ids)
        .select_related("body__rule_set", "session")
        .defer("text", "search_text")
    )
    found = {item.pk: item for item in rows}
    return [found[pk] for pk in ids if pk in found]


@require_http_methods(["GET", "POST"])
@login_required
def similar_items(request):
    """The partial beside the write and revise forms (items/_similar.html). The form posts
    what was typed (a text is too long for an address); a GET with the same fields answers
    the same, changes nothing either way."""
    data = request.POST if request.method == "POST" else request.GET
    title = data.get("title", "")[:TITLE_CHARS]
    text = data.get("text", "")[:TEXT_CHARS]
    exclude = int_or_none(data.get("item"))
    typed = bool(title.strip() or text.strip())
    similar = similar_to(request.user, title, text, exclude=exclude) if typed else []
    return render(request, "items/_similar.html", {"similar": similar, "typed": typed})
