from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "banli.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from . import notices, panels, services  # noqa: F401
