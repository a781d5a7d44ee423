"""The domain's errors. Every message is translated and safe to show to the user."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A use case refused: the message says why, in the user's language."""

    default_message = _("The action could not be completed.")
    status_code = 400

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    """The actor may not do this."""

    default_message = _("You are not allowed to do this.")
    status_code = 403


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action."""

    default_message = _("This action is not possible in the current state.")
    status_code = 409


class ValidationFailed(DomainError):
    """The input breaks a rule of the body (a threshold, a date, a missing reason)."""

    default_message = _("The input is not valid.")


class DeadlinePassed(DomainError):
    """A time limit has run out."""

    default_message = _("The time limit for this action has passed.")
    status_code = 409
