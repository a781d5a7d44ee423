import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "banli.reminders"
    label = "reminders"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        from banli.core import schedule

        from . import notices  # noqa: F401  (registers the notice kinds and history labels)
        from .tasks import scan_deadlines

        schedule.register("reminders.scan", every=dt.timedelta(hours=1), task=scan_deadlines)
