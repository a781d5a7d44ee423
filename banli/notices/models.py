"""What a person is told (通知): one row per reader, written in the same transaction as the
step that caused it, read in the reader's language when it is shown or delivered."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Body


class Notice(models.Model):
    """A notice to one person in one body (通知). The text is not stored: the kind names a
    message and `params` fill it, so a unit leader reads a notice in Chinese and an
    English-speaking reader in English whatever the language of the person who acted, and a
    later delivery channel (e-mail, SMS) renders the same notice in the reader's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("details"), default=dict, blank=True)
    # Where the work is done: a path of this site, never an outside address.
    url = models.CharField(_("link"), max_length=300, blank=True)
    # The item the notice is about, for grouping and for a reader who may no longer open it;
    # an id rather than a key so this app stays below items (docs/architecture.md).
    item_id = models.BigIntegerField(_("item"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The notices page: a reader's notices in a body, newest first, paged by keys.
            models.Index(fields=["recipient", "body", "created_at", "id"], name="notice_page"),
            models.Index(
                fields=["recipient", "body", "kind", "created_at", "id"], name="notice_kind_page"
            ),
            # The header's unread count on every page reads only the unread rows.
            models.Index(
                fields=["recipient", "body"],
                name="notice_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def message(self) -> str:
        """The notice in the active language."""
        from .kinds import render

        return render(self)

    @property
    def kind_label(self) -> str:
        from .kinds import label

        return label(self.kind)
