from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandlingConfig(AppConfig):
    name = "banli.handling"
    label = "handling"
    verbose_name = _("Handling")

    def ready(self) -> None:
        # The panels this app adds to an item's page.
        from . import panels_staff, panels_unit  # noqa: F401
