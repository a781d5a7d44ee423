"""The navigation each role sees, and the page each role starts on."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from banli.bodies import terms
from banli.bodies.access import current_membership, memberships_of
from banli.notices.services import unread_count

# (role, url name, label) in the order shown, after the start page (TODAY).
NAV = [
    ("proposer", "items:mine", _("My items")),
    ("proposer", "items:create", _("Write an item")),
    ("staff", "items:review", _("Review")),
    ("staff", "handling:disputes", _("Disputes")),
    ("staff", "handling:extensions", _("Extensions")),
    ("staff", "handling:board", _("Deadlines")),
    ("staff", "supervision:key_items", _("Key items")),
    ("staff", "followup:rounds", _("Follow-up")),
    ("staff", "assessment:list", _("Third-party evaluation")),
    ("unit_coordinator", "handling:inbox", _("New assignments")),
    ("unit_coordinator", "handling:unit_items", _("Our items")),
    ("unit_coordinator", "followup:unit_items", _("Follow-up")),
    ("unit_handler", "handling:unit_items", _("Our items")),
    ("unit_leader", "handling:signing", _("To sign")),
    ("unit_leader", "handling:unit_items", _("Our items")),
    ("unit_leader", "followup:unit_items", _("Follow-up")),
    # Leaders and auditors read these lists and do not act on them: a leader the rows of the
    # key items they supervise, an auditor every row of the body.
    ("supervisor", "supervision:mine", _("Under my supervision")),
    ("supervisor", "supervision:activities", _("Supervision activities")),
    ("supervisor", "followup:rounds", _("Follow-up")),
    ("supervisor", "handling:board", _("Deadlines")),
    ("supervisor", "handling:disputes", _("Disputes")),
    ("supervisor", "handling:extensions", _("Extensions")),
    ("auditor", "handling:board", _("Deadlines")),
    ("auditor", "supervision:key_items", _("Key items")),
    ("auditor", "followup:rounds", _("Follow-up")),
    ("auditor", "handling:disputes", _("Disputes")),
    ("auditor", "handling:extensions", _("Extensions")),
    # A body's administrator manages its people and settings (机关管理); the rest of the
    # administration pages are reached from the overview.
    ("body_admin", "bodies:overview", _("Body administration")),
    ("body_admin", "bodies:users", _("Users")),
    ("body_admin", "reminders:rules", _("Reminder rules")),
    ("body_admin", "delivery:outbox", _("Outbox")),
    # A third-party evaluator (第三方评估) works only on the items commissioned to them.
    ("evaluator", "assessment:mine", _("My evaluations")),
]
TODAY = ("home", pgettext_lazy("start page", "Today"))
SEARCH = ("items:list", _("Search"))
# Entries named in the body's words (banli.bodies.terms): a deputy's menu never says 提案,
# a CPPCC member's only 提案.
NAV_TERMS = {"items:mine": "my_items", "items:create": "write_item"}


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def links_for(user) -> list[dict]:
    profile = current_membership(user)
    if profile is None:
        return []
    # Everyone starts the day on the start page (工作台, banli.desk), then the role's pages.
    seen, links = {TODAY[0]}, [{"name": TODAY[0], "url": reverse(TODAY[0]), "label": TODAY[1]}]
    for role, name, label in NAV:
        if role in profile.roles and name not in seen and (url := _url(name)):
            seen.add(name)
            if name in NAV_TERMS:
                label = terms.term(NAV_TERMS[name], body=profile.body)
            links.append({"name": name, "url": url, "label": label})
    if url := _url(SEARCH[0]):
        links.append({"name": SEARCH[0], "url": url, "label": SEARCH[1]})
    return links


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"terms": terms.Terms()}
    links = links_for(user)
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    for link in links:
        link["active"] = link["name"] == current
    memberships = memberships_of(user)
    profile = current_membership(user)
    return {
        "nav_links": links,
        "profile": profile,
        "unread_notices": unread_count(user, profile.body_id) if profile else 0,
        "terms": terms.Terms(body=profile.body if profile else None),
        "other_memberships": [m for m in memberships if m != profile],
    }
