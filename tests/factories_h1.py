"""Builders for the delivery tests: people who can be reached by e-mail and SMS."""

from banli.bodies.models import Membership
from banli.notices import kinds
from banli.notices.services import notify

from .factories import make_user


def reachable(body, *roles, email="", phone="", **kw):
    """A person of `body` with an e-mail address and a phone on their membership."""
    user = make_user(body, *(roles or ("staff",)), **kw)
    if email:
        user.email = email
        user.save(update_fields=["email"])
    if phone:
        Membership.objects.filter(user=user, body=body).update(phone=phone)
    return user


def tell(users, body, text="请于三日内完成答复。", url="/items/1/", by=None):
    """One plain notice to each of `users`, as any app's notify call writes it."""
    return notify(users, kinds.NOTE, body=body, url=url, params={"text": text}, by=by)
