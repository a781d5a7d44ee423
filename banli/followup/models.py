"""Follow-up rounds (回头看): the yearly look back at the B and C items of a year, with the
units' progress reports and the class changes staff confirm (docs/domain.md §6.5, §8.4)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from banli.bodies.models import Body, Unit
from banli.core.models import LabelledChoices
from banli.handling.models import ResultClassChange
from banli.items.models import Item


class RoundState(models.TextChoices):
    # In the round's own words: a round is under way or finished (进行中/已结束), never
    # 办结, which is an item's.
    OPEN = "open", pgettext_lazy("follow-up round", "Open")
    CLOSED = "closed", pgettext_lazy("follow-up round", "Closed")


class FollowUpRound(LabelledChoices):
    """A follow-up round (回头看) of a body: the items of `year` still of a class below the
    first, and earlier cross-year items still unsolved, reviewed from `opened_on` on."""

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("year reviewed"))
    title = models.CharField(_("title"), max_length=200)
    opened_on = models.DateField(_("opened"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("progress reports due"))
    state = models.CharField(
        _("state"), max_length=8, choices=RoundState.choices, default=RoundState.OPEN
    )
    closed_on = models.DateField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up round")
        verbose_name_plural = _("follow-up rounds")
        ordering = ["-opened_on", "-id"]
        # The rounds list of a body, newest first (paged by keys).
        indexes = [models.Index(fields=["body", "opened_on", "id"], name="followup_round_body")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == RoundState.OPEN

    @property
    def ref(self) -> str:
        """How the class changes of this round name it (ResultClassChange.round_ref)."""
        return f"followup:{self.pk}"


class RoundItem(models.Model):
    """One item reviewed in a round: its class when the round opened and, once staff
    confirmed a change, the class it became (the dated change row is `change`)."""

    round = models.ForeignKey(
        FollowUpRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="entries"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="followup_entries"
    )
    class_at_opening = models.CharField(_("class at opening"), max_length=8)
    class_confirmed = models.CharField(_("class confirmed"), max_length=8, blank=True)
    confirmed_on = models.DateField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    change = models.OneToOneField(
        ResultClassChange,
        verbose_name=_("class change"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("item in a follow-up round")
        verbose_name_plural = _("items in follow-up rounds")
        ordering = ["round", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "item"], name="followup_round_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.item_id}"

    @property
    def is_confirmed(self) -> bool:
        return bool(self.class_confirmed)


class ProgressReport(models.Model):
    """A unit's report on an item's progress in a round (进展情况). Append-only: a unit may
    report again before staff confirm, and every report is kept."""

    entry = models.ForeignKey(
        RoundItem,
        verbose_name=_("item in the round"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    text = models.TextField(_("progress"))
    proposed_class = models.CharField(_("class proposed"), max_length=8, blank=True)
    reported_on = models.DateField(_("reported"))
    reported_at = models.DateTimeField(_("reported at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["entry", "reported_at", "id"]
        indexes = [
            models.Index(fields=["entry", "reported_at", "id"], name="followup_report_entry")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.reported_on}"
