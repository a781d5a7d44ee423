"""Handling: assignments to units, disputes, extensions, contacts, opinions, replies,
evaluations and class changes (notices are the notices app's)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from banli.bodies.models import Body, Member, Unit
from banli.core.actors import ActorKind
from banli.core.models import LabelledChoices
from banli.items.models import Item

from .workflow import OPEN_LEAD_STATES, OPEN_STATES, AssignmentState


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    CO = "co", _("Co-handling unit")


class Assignment(LabelledChoices):
    """An item given to one unit to handle (交办): as a lead unit (主办/分办), which replies,
    or as a co-handling unit (协办), which sends its opinion to the lead units."""

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="assignments"
    )
    # The item's body, which never changes, kept beside it: the deadline board reads one
    # body's open lead assignments by due date from one index instead of joining every open
    # assignment of the province to the body's items (123 ms for a body of 100,000 items).
    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    role = models.CharField(
        pgettext_lazy("assignment", "role"), max_length=4, choices=AssignmentRole.choices
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=AssignmentState.choices,
        default=AssignmentState.PENDING,
    )
    assigned_on = models.DateField(_("assigned"))
    due_on = models.DateField(_("due"))
    dispute_due_on = models.DateField(_("dispute by"))
    # The body's rules in force when the assignment was made (docs/domain.md §5.5): the
    # deadlines are computed from these, so a later change of the rules moves none of them.
    due_months = models.PositiveSmallIntegerField(
        _("months to reply"), help_text=_("As the body's rules were at the assignment.")
    )
    max_months = models.PositiveSmallIntegerField(
        _("latest reply with an extension (months)"),
        help_text=_("As the body's rules were at the assignment."),
    )
    dispute_working_days = models.PositiveSmallIntegerField(
        _("working days to dispute"), help_text=_("As the body's rules were at the assignment.")
    )
    dispute_due_estimated = models.BooleanField(
        _("dispute date estimated"),
        default=False,
        help_text=_("Counted Monday to Friday over days the official calendar does not know yet."),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handler_phone = models.CharField(_("handler's phone"), max_length=30, blank=True)
    accepted_on = models.DateField(pgettext_lazy("assignment", "accepted"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["item", "role", "id"]
        indexes = [
            # The unit inbox: a unit's pending assignments by dispute deadline, paged by keys.
            models.Index(
                fields=["unit", "state", "dispute_due_on", "id"], name="assignment_unit_inbox"
            ),
            models.Index(fields=["state", "due_on"]),
            models.Index(fields=["item", "role", "state"]),
            # The deadline board: a body's open lead assignments by due date, paged by keys
            # and counted by date ranges from the index alone.
            models.Index(
                fields=["body", "due_on", "id"],
                condition=models.Q(role=AssignmentRole.LEAD, state__in=OPEN_LEAD_STATES),
                name="assignment_open_lead_due",
            ),
            # The deadline scans (banli.reminders): a body's open co-handling assignments by
            # the due date of their opinion, and its assignments not yet accepted by the end
            # of their dispute window.
            models.Index(
                fields=["body", "due_on", "id"],
                condition=models.Q(role=AssignmentRole.CO, state__in=OPEN_LEAD_STATES),
                name="assignment_open_co_due",
            ),
            models.Index(
                fields=["body", "dispute_due_on", "id"],
                condition=models.Q(state=AssignmentState.PENDING),
                name="assignment_pending_dispute",
            ),
        ]

    def save(self, *args, **kwargs):
        if self.body_id is None and self.item_id is not None:
            self.body_id = self.item.body_id
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.item.display_number} → {self.unit}"

    @property
    def is_lead(self) -> bool:
        return self.role == AssignmentRole.LEAD

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class DecisionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Extension(LabelledChoices):
    """A unit's request for more time (延期申请), decided by the body's staff."""

    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("assignment"),
        on_delete=models.PROTECT,
        related_name="extensions",
    )
    requested_due_on = models.DateField(_("new due date"))
    previous_due_on = models.DateField(_("previous due date"))
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("decision"), max_length=10, choices=DecisionState.choices, default=DecisionState.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)
    # The due date an approval gave: the date asked for, or a shorter one the staff chose.
    granted_due_on = models.DateField(_("due date granted"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at"]
        indexes = [
            # The requests waiting for a decision are few in a province's millions: the
            # queues read them from here and join each to its assignment, instead of
            # reading every assignment of the body.
            models.Index(
                fields=["requested_at", "id"],
                name="extension_pending",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment} → {self.requested_due_on}"


class ContactMethod(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    PHONE = "phone", _("Phone")
    SITE_VISIT = "site_visit", _("Site visit")
    ONLINE = "online", _("Online")


class ContactStage(models.TextChoices):
    BEFORE = "before", _("Before drafting")
    DURING = "during", _("During handling")
    AFTER = "after", _("After the reply")


class Contact(LabelledChoices):
    """A contact with the proposer (三见面: before drafting, during handling, after replying)."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="contacts"
    )
    stage = models.CharField(_("stage"), max_length=8, choices=ContactStage.choices)
    method = models.CharField(_("method"), max_length=12, choices=ContactMethod.choices)
    contacted_on = models.DateField(_("date"))
    notes = models.TextField(_("notes"), blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact with the proposer")
        verbose_name_plural = _("contacts with the proposer")
        ordering = ["contacted_on", "id"]

    def __str__(self) -> str:
        return f"{self.contacted_on} {self.get_method_display()}"


class CoHandlingOpinion(LabelledChoices):
    """A co-handling unit's written opinion to the lead unit (协办意见); never to the proposer."""

    assignment = models.OneToOneField(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="opinion"
    )
    text = models.TextField(_("opinion"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("co-handling opinion")
        verbose_name_plural = _("co-handling opinions")

    def __str__(self) -> str:
        return str(self.assignment)


class Reply(LabelledChoices):
    """A lead unit's reply (答复函): drafted by the handler, signed by the unit leader (签发)."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="replies"
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    text = models.TextField(_("text"))
    result_class = models.CharField(_("result class"), max_length=8)
    planned_on = models.DateField(_("planned completion"), null=True, blank=True)
    is_public = models.BooleanField(_("public"), default=False)
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drafted_at = models.DateTimeField(_("drafted"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    replied_on = models.DateField(_("reply date"), null=True, blank=True)
    # Kept when the reply is signed, and never changed afterwards (docs/domain.md §5.7): the
    # due date then in force, and whether the reply met it. 按期答复率 is counted from these.
    due_on = models.DateField(_("due when signed"), null=True, blank=True)
    on_time = models.BooleanField(_("on time"), null=True, blank=True)
    # The proposers' evaluation window of this reply's round (docs/domain.md §7.2).
    evaluation_due_on = models.DateField(_("evaluation due"), null=True, blank=True)
    # The unit leader's last sending back of the draft to the handler, with the note the
    # handler reads (the history keeps every one).
    returned_at = models.DateTimeField(_("sent back"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent back by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_note = models.TextField(_("note from the unit leader"), blank=True)
    # The day the staff published a public reply (docs/domain.md §3: within 20 working
    # days of the reply); the reminders tell the staff of the ones still waiting.
    published_on = models.DateField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["round", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "round"], name="reply_per_round")
        ]
        # The deadline scans (banli.reminders) read the few replies each rule is about, not
        # every reply of a province: drafts waiting for signing, planned completions, and
        # public replies not yet published.
        indexes = [
            models.Index(
                fields=["drafted_at", "id"],
                condition=models.Q(signed_at__isnull=True),
                name="reply_awaiting_signature",
            ),
            models.Index(
                fields=["planned_on", "id"],
                condition=models.Q(planned_on__isnull=False, signed_at__isnull=False),
                name="reply_planned",
            ),
            models.Index(
                fields=["replied_on", "id"],
                condition=models.Q(
                    is_public=True, published_on__isnull=True, signed_at__isnull=False
                ),
                name="reply_to_publish",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} ({self.round})"

    @property
    def is_sent(self) -> bool:
        return self.signed_at is not None

    @property
    def awaits_revision(self) -> bool:
        """Sent back by the unit leader and not saved again by the handler since (saving
        the draft clears `returned_at`; the note stays)."""
        return not self.is_sent and self.returned_at is not None


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Evaluation(LabelledChoices):
    """A proposer's evaluation of the handling (评价): the contact and attitude, and the result.

    On a joint item the lead proposer's evaluation counts in the figures (`counts`). `reply`
    is the lead unit's reply it rates: with several lead units (分办) the proposer may rate
    each, one row per reply, so satisfaction by unit is counted from rows; empty when one
    evaluation covered the whole item. On an item merged into another (并案) the row belongs
    to the merged item and rates the lead item's reply (分别答复)."""

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="evaluations"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    reply = models.ForeignKey(
        "Reply",
        verbose_name=_("reply rated"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    member = models.ForeignKey(Member, verbose_name=_("evaluated by"), on_delete=models.PROTECT)
    attitude = models.CharField(_("contact and attitude"), max_length=20, choices=Rating.choices)
    result = models.CharField(_("result"), max_length=20, choices=Rating.choices)
    comment = models.TextField(_("comment"), blank=True)
    counts = models.BooleanField(_("counts in the figures"), default=False)
    evaluated_at = models.DateTimeField(_("evaluated"))

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["round", "evaluated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "round", "member", "reply"], name="evaluation_once_per_reply"
            ),
            models.UniqueConstraint(
                fields=["item", "round", "member"],
                condition=models.Q(reply__isnull=True),
                name="evaluation_once_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_result_display()}"


class ClassChangeSource(models.TextChoices):
    REPLY = "reply", _("Reply")
    FOLLOW_UP = "follow_up", _("Follow-up round")
    IMPORT = "import", _("Import")
    CORRECTION = "correction", _("Correction")


class ResultClassChange(LabelledChoices):
    """Each dated change of an item's result class (办理结果分类), the first one included
    (docs/domain.md §6.4): who made it, why, and what caused it — a reply, a follow-up round
    (回头看), an import or a staff correction. Follow-up conversions are counted from these."""

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="class_changes"
    )
    from_class = models.CharField(_("from"), max_length=8, blank=True)
    to_class = models.CharField(_("to"), max_length=8)
    changed_on = models.DateField(_("date"))
    source = models.CharField(
        _("source"), max_length=20, choices=ClassChangeSource.choices, default="reply"
    )
    reason = models.TextField(_("reason"), blank=True)
    reply = models.ForeignKey(
        Reply, verbose_name=_("reply"), null=True, blank=True, on_delete=models.PROTECT
    )
    # The follow-up round (or import batch) that caused the change, as its app names it; the
    # supervision app links its rounds here.
    round_ref = models.CharField(_("follow-up round"), max_length=64, blank=True)
    # Who changed it, as the history names actors (banli.core.actors).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_kind = models.CharField(
        _("kind of actor"), max_length=8, choices=ActorKind.choices, default=ActorKind.USER
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("result class change")
        verbose_name_plural = _("result class changes")
        ordering = ["changed_on", "id"]
        indexes = [models.Index(fields=["item", "changed_on"])]

    def __str__(self) -> str:
        return f"{self.from_class or '-'} → {self.to_class} ({self.changed_on})"
