from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "banli.desk"
    label = "desk"
    verbose_name = _("Start page")

    def ready(self) -> None:
        from . import sections  # noqa: F401
