"""Supervision: key items and their supervising leaders (重点督办), and the supervision
activities held on them (督办活动)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Body
from banli.core.models import LabelledChoices
from banli.items.models import Item


class KeyItem(LabelledChoices):
    """A key item chosen for the year (重点督办件), with its supervising leader (督办领导),
    the leader who lead-handles it (领办, a government leader, at a congress) or the chair
    who owns it (包案督办, at a CPPCC), and the committee that supervises it (督办专委会 /
    督办委室)."""

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
    # Free text: the vice-mayor or CPPCC vice-chair is often not a user of the site.
    lead_handler = models.CharField(_("leader who lead-handles"), max_length=60, blank=True)
    # A database default too: the benchmark's bulk writer inserts key items by raw SQL.
    committee = models.CharField(
        _("supervising committee"), max_length=60, blank=True, default="", db_default=""
    )
    note = models.TextField(_("note"), blank=True)
    marked_at = models.DateTimeField(_("marked"))

    class Meta:
        verbose_name = _("key item")
        verbose_name_plural = _("key items")
        ordering = ["-year", "item"]

    def __str__(self) -> str:
        return str(self.item)


class ActivityKind(models.TextChoices):
    """The kinds of supervision activity the seeds count (docs/domain.md §5)."""

    MEETING = "meeting", _("Supervision meeting")
    SITE_VISIT = "site_visit", _("Site visit")
    REPORT_HEARD = "report_heard", _("Report heard")
    WRITTEN_OPINION = "written_opinion", _("Written supervision opinion")
    INSTRUCTION = "instruction", _("Leader's instruction")


class ActivityQuerySet(models.QuerySet):
    def current(self):
        """The activities that count: not withdrawn as recorded by mistake."""
        return self.filter(withdrawn_at__isnull=True)


class SupervisionActivity(LabelledChoices):
    """A supervision activity (督办活动): a meeting, a site visit, a report heard, a written
    opinion or a leader's instruction (批示), on one or several key items. Kept even when an
    item is later removed from the key items: it happened. One recorded by mistake is
    withdrawn with a reason, never deleted."""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    participants = models.TextField(_("participants"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    items = models.ManyToManyField(
        Item, verbose_name=_("items"), related_name="supervision_activities"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision activity")
        verbose_name_plural = _("supervision activities")
        ordering = ["-held_on", "-id"]
        indexes = [
            # The year's list (newest first, keyset on held_on, id) and its count by kind.
            models.Index(fields=["body", "held_on", "id"], name="supervision_activity_year"),
        ]

    def __str__(self) -> str:
        return self.title
