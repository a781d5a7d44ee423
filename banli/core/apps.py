from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "banli.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # The security log listens to Django's own signals: recording that someone logged in
        # (or failed to, or an admin changed something) changes no domain state.
        from django.contrib.admin.models import LogEntry
        from django.contrib.auth import signals as auth
        from django.db.models.signals import post_save

        from . import security

        auth.user_logged_in.connect(security.on_logged_in, dispatch_uid="banli-security-login")
        auth.user_logged_out.connect(security.on_logged_out, dispatch_uid="banli-security-logout")
        auth.user_login_failed.connect(
            security.on_login_failed, dispatch_uid="banli-security-login-failed"
        )
        post_save.connect(
            security.on_admin_log_entry, sender=LogEntry, dispatch_uid="banli-security-admin"
        )
