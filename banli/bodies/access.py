"""Who a user is in a body: their memberships, the body they are working in now, and the
roles held there.

A user may belong to several bodies. Pages work in the *current* body (chosen with the body
switcher, kept in the session; the first membership otherwise); services decide with the
membership in the body of the record acted on, whatever body the page was opened in."""

from .models import Body, Membership

# Set on the user object by `CurrentBodyMiddleware` for the length of one request.
CURRENT_BODY_ATTR = "_banli_current_body_id"
_CACHE_ATTR = "_banli_memberships"


def memberships_of(user) -> list[Membership]:
    """The user's active memberships, oldest first (read once per request and cached)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, active=True)
            # The body's rules too: every request reads them (the idle timeout, numbering).
            .select_related("body__rule_set", "unit", "member")
            .order_by("id")
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user) -> None:
    """Drop the cached memberships (after a service changed them)."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def membership_in(user, body: Body | int | None) -> Membership | None:
    """The user's membership in `body`, or None for a user of another body."""
    if body is None:
        return None
    body_id = body if isinstance(body, int) else body.pk
    return next((m for m in memberships_of(user) if m.body_id == body_id), None)


def current_membership(user) -> Membership | None:
    """The membership of the body the user is working in now."""
    memberships = memberships_of(user)
    if not memberships:
        return None
    chosen = getattr(user, CURRENT_BODY_ATTR, None)
    return next((m for m in memberships if m.body_id == chosen), memberships[0])


def body_roles(user, body: Body | int) -> set[str]:
    """The roles `user` holds in `body`; empty for a user of another body."""
    membership = membership_in(user, body)
    return set(membership.roles) if membership is not None else set()
