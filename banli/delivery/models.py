"""The outbox (发件箱): one `Delivery` per notice and channel besides the site (e-mail, SMS),
written in the transaction of the notice; the person's own channels (`DeliverySettings`);
and the claims of the worker's periodic runs (`ScheduledRun`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Body
from banli.notices.models import Notice

# The values as plain strings, for code that stores or compares them.
EMAIL, SMS = "email", "sms"
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class Channel(models.TextChoices):
    EMAIL = EMAIL, _("E-mail")
    SMS = SMS, _("SMS")


class State(models.TextChoices):
    PENDING = PENDING, _("Waiting")
    SENDING = SENDING, _("Sending")
    SENT = SENT, _("Sent")
    FAILED = FAILED, _("Failed")


class Delivery(models.Model):
    """One notice to send on one channel. The address is copied when queued, so a later
    change of a person's e-mail or phone neither loses nor redirects what was already sent.
    Sent at most once: only the worker that claimed the row (`claim`) sends it."""

    notice = models.ForeignKey(
        Notice, verbose_name=_("notice"), on_delete=models.PROTECT, related_name="deliveries"
    )
    # The notice's body, copied so the outbox page reads one body's rows by an index.
    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    # A token per claim: the worker marks as sent only the rows of its own claim.
    claim = models.CharField(_("claim"), max_length=40, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued"))

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], name="delivery_once_per_channel")
        ]
        indexes = [
            # The runner's "due" query reads only the waiting rows, the earliest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="delivery_due",
                condition=Q(state="pending"),
            ),
            # Claims left behind by a worker that died (the lease sweep).
            models.Index(
                fields=["claimed_at"], name="delivery_sending", condition=Q(state="sending")
            ),
            # The outbox page: a body's rows newest first, by state, channel or both.
            models.Index(fields=["body", "created_at", "id"], name="delivery_outbox"),
            models.Index(
                fields=["body", "state", "created_at", "id"], name="delivery_outbox_state"
            ),
            models.Index(
                fields=["body", "channel", "created_at", "id"], name="delivery_outbox_channel"
            ),
            models.Index(
                fields=["body", "channel", "state", "created_at", "id"],
                name="delivery_outbox_both",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address} ({self.state})"


class DeliverySettings(models.Model):
    """A person's own channels (送达设置). The site's inbox is always on; e-mail and SMS are
    the person's choice, and quiet hours (Beijing time) hold e-mail and SMS until they end.
    Without a row: e-mail when the account has an address, SMS when a phone is known."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="delivery_settings",
    )
    email_enabled = models.BooleanField(_("by e-mail"), default=True)
    sms_enabled = models.BooleanField(_("by SMS"), default=False)
    phone = models.CharField(_("mobile phone for SMS"), max_length=30, blank=True)
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery settings")
        verbose_name_plural = _("delivery settings")

    def __str__(self) -> str:
        return str(self.user)


class ScheduledRun(models.Model):
    """When a periodic job (banli.core.schedule) runs next. A scheduler enqueues a run only
    after moving `next_run_at` on with a conditional UPDATE, so two workers never both
    enqueue the same run."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_worker = models.CharField(_("last worker"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
