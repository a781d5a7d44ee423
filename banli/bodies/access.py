"""Who a user is in a body: the profile and the roles held there."""

from .models import Body, Profile


def profile_of(user) -> Profile | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def body_roles(user, body: Body | int) -> set[str]:
    """The roles `user` holds in `body`; empty for a user of another body."""
    profile = profile_of(user)
    body_id = body if isinstance(body, int) else body.pk
    if profile is None or profile.body_id != body_id:
        return set()
    return set(profile.roles)
