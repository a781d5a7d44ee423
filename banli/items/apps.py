from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ItemsConfig(AppConfig):
    name = "banli.items"
    label = "items"
    verbose_name = _("Items")

    def ready(self) -> None:
        # The proposer's and the staff's action panels on the item page.
        from . import notices, panels  # noqa: F401
