from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandlingConfig(AppConfig):
    name = "banli.handling"
    label = "handling"
    verbose_name = _("Handling")

    def ready(self) -> None:
        # The panels this app adds to an item's page, its item-list column and filter, and its
        # sections of the proposer's start page.
        from banli.core.uploads import register_target_check

        from . import lists, notices, panels_staff, panels_unit, start_page  # noqa: F401
        from .access import may_see_reply_files
        from .models import Reply

        register_target_check(Reply, may_see_reply_files)

        from banli.core.calendar import on_calendar_change

        from .services import recompute_dispute_deadlines

        on_calendar_change(recompute_dispute_deadlines)
