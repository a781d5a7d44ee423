"""The notices' section of the start page (工作台): the unread count and the latest notices,
each linked to where its work is done."""

from banli.core import desk

from . import services

SHOWN = 8


@desk.register
def latest_notices(request, membership):
    mine = services.mine(request.user, membership.body_id)
    return {
        "template": "notices/_desk.html",
        "order": 5,
        "slot": desk.ASIDE,
        "context": {
            "notices": list(mine.order_by("-created_at", "-id")[:SHOWN]),
            "unread": services.unread_count(request.user, membership.body_id),
        },
    }
