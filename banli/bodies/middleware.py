"""The body a user works in for this request (the body switcher's choice)."""

from .access import CURRENT_BODY_ATTR

SESSION_KEY = "banli_body"


class CurrentBodyMiddleware:
    """Marks the user with the body chosen with the body switcher (kept in the session);
    `access.current_membership` falls back to the first membership if the user no longer
    belongs to it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            chosen = request.session.get(SESSION_KEY)
            if isinstance(chosen, int):
                setattr(user, CURRENT_BODY_ATTR, chosen)
        return self.get_response(request)
