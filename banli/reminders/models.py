"""Reminders (提醒): a body's settings of the reminder rules, and the log of every reminder
sent, which is also what makes each one fire once."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Body
from banli.items.models import Item

from .rules import RULES

RULE_CHOICES = [(rule.code, rule.label) for rule in RULES.values()]


class ReminderRule(models.Model):
    """A body's own setting of one rule (no row: the rule's defaults, `rules.RULES`)."""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="reminder_rules"
    )
    code = models.CharField(_("rule"), max_length=40, choices=RULE_CHOICES)
    enabled = models.BooleanField(_("on"), default=True)
    # The steps: days (or working days) before the deadline, or since the wait began.
    days = models.JSONField(_("days"), default=list, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        constraints = [
            models.UniqueConstraint(fields=["body", "code"], name="reminder_rule_per_body")
        ]

    def __str__(self) -> str:
        return f"{self.body_id}: {self.code}"


class ReminderSent(models.Model):
    """One reminder sent (已提醒): which rule, about what (an assignment, a reply, an item),
    the date it is about and the step (30, 7 or 1 days before; 0 when a deadline passed).

    The unique constraint is what makes a rule fire once: the row is inserted in the same
    transaction as the notices it sends, so a second scan, or a second worker scanning at
    the same moment, fails to insert it and sends nothing."""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(_("rule"), max_length=40, choices=RULE_CHOICES)
    subject_type = models.CharField(_("about"), max_length=40)
    subject_id = models.BigIntegerField(_("record"))
    due_on = models.DateField(
        _("date"), help_text=_("The deadline the reminder is about, or the day the wait began.")
    )
    step = models.SmallIntegerField(_("step"), default=0)
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    # Who was told, as user ids (a handful per reminder).
    recipients = models.JSONField(_("told"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id", "due_on", "step"],
                name="reminder_once",
            )
        ]
        indexes = [
            # The reminders page: a body's reminders newest first, all or one rule's.
            models.Index(fields=["body", "sent_at", "id"], name="reminder_sent_page"),
            models.Index(fields=["body", "rule", "sent_at", "id"], name="reminder_sent_rule_page"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_type}:{self.subject_id} {self.due_on} ({self.step})"
