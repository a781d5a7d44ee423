from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BatchConfig(AppConfig):
    name = "banli.batch"
    label = "batch"
    verbose_name = _("Batch work")

    def ready(self) -> None:
        # The checkbox column and the "N selected" bar this app adds to the item list, the
        # review queue and the unit's inbox.
        from . import lists  # noqa: F401
