from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "banli.assessment"
    label = "assessment"
    verbose_name = _("Third-party evaluation")

    def ready(self) -> None:
        from . import desk, notices, panels  # noqa: F401
