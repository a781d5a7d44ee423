"""Supervision: key items and their supervising leaders (重点督办)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from banli.core.models import LabelledChoices
from banli.items.models import Item


class KeyItem(LabelledChoices):
    """A key item chosen for the year (重点督办件), with its supervising leader (督办领导) and
    the government leader who lead-handles it (领办), if any."""

    item = models.OneToOneField(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="key_item"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervising leader"),
        on_delete=models.PROTECT,
        related_name="supervised_items",
    )
    lead_handler = models.CharField(_("leader who lead-handles"), max_length=60, blank=True)
    note = models.TextField(_("note"), blank=True)
    marked_at = models.DateTimeField(_("marked"))

    class Meta:
        verbose_name = _("key item")
        verbose_name_plural = _("key items")
        ordering = ["-year", "item"]

    def __str__(self) -> str:
        return str(self.item)
