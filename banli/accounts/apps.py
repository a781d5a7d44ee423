from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Logging in and staying safe: lockout, two-factor authentication, passwords, sessions."""

    name = "banli.accounts"
    verbose_name = _("Accounts and security")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        # Every way in (the login page, the admin, a test's force_login) starts the session's
        # clock and lists it among the user's open sessions.
        user_logged_in.connect(_started, dispatch_uid="banli.accounts.start_session")


def _started(sender, request, user, **kwargs) -> None:
    from .services import start_session

    if request is not None and hasattr(request, "session"):
        start_session(request, user)
