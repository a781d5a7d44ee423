"""The one way a notice is written (`notify`) and read (`mark_read`, `mark_all_read`)."""

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from banli.core import clock
from banli.core.actors import user_of
from banli.core.errors import NotAllowed

from . import channels, kinds
from .models import Notice


def _user_id(recipient) -> int | None:
    return recipient if isinstance(recipient, int) else getattr(recipient, "pk", None)


def item_params(item) -> dict:
    """How a notice names an item: its number as printed and its title, fixed when sent."""
    number = item.display_number if item.number is not None else ""
    return {
        "item": {"title": item.title, "number": number},
        "title": {"title": item.title},
        "number": number,
    }


def notify(
    recipients: Iterable,
    kind: str,
    *,
    body,
    item=None,
    url: str = "",
    params: dict | None = None,
    by=None,
    collapse: bool = False,
) -> list[Notice]:
    """Tell each recipient (users or user ids) once, in the caller's transaction. The person
    who acted is not told of their own step. With `collapse`, a recipient who still has an
    unread notice of this kind about the same page is not told again (a draft saved five
    times waits once for signing). Every registered delivery channel gets the new notices in
    the same transaction (`channels`)."""
    if kinds.get(kind) is None:
        raise ValueError(f"unknown notice kind {kind!r}")
    actor = user_of(by)
    skip = {actor.pk} if actor is not None else set()
    wanted = []
    for recipient in recipients:
        user_id = _user_id(recipient)
        if user_id is not None and user_id not in skip and user_id not in wanted:
            wanted.append(user_id)
    if collapse and wanted:
        waiting = Notice.objects.filter(
            recipient_id__in=wanted, body=body, kind=kind, url=url, read_at__isnull=True
        ).values_list("recipient_id", flat=True)
        already = set(waiting)
        wanted = [user_id for user_id in wanted if user_id not in already]
    if not wanted:
        return []
    values = {"body_type": body.body_type}
    if item is not None:
        values.update(item_params(item))
    values.update(params or {})
    now = clock.now()
    rows = Notice.objects.bulk_create(
        Notice(
            recipient_id=user_id,
            body=body,
            kind=kind,
            params=values,
            url=url,
            item_id=getattr(item, "pk", None),
            created_at=now,
        )
        for user_id in wanted
    )
    channels.deliver(rows)
    return rows


def mine(user, body_id: int):
    return Notice.objects.filter(recipient=user, body_id=body_id)


def unread_count(user, body_id: int) -> int:
    return Notice.objects.filter(recipient=user, body_id=body_id, read_at__isnull=True).count()


@transaction.atomic
def mark_read(notice: Notice, *, by) -> Notice:
    """The reader has seen one notice (已读). Only the reader may; not a step of any case,
    so no history entry."""
    user = user_of(by)
    if user is None or notice.recipient_id != user.pk:
        raise NotAllowed(_("This notice is not yours."))
    if notice.read_at is None:
        notice.read_at = clock.now()
        notice.save(update_fields=["read_at"])
    return notice


@transaction.atomic
def mark_all_read(*, by, body_id: int, kind: str = "", ids: Sequence[int] | None = None) -> int:
    """Mark the reader's unread notices of the body as read: all, those of one kind, or the
    given ones (the page the reader is looking at)."""
    user = user_of(by)
    if user is None:
        raise NotAllowed(_("Only a signed-in person has notices."))
    rows = mine(user, body_id).filter(read_at__isnull=True)
    if kind:
        rows = rows.filter(kind=kind)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=clock.now())
