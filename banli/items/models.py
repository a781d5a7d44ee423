"""Items (议案、建议、提案), their co-signers, and the queries every list asks."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from banli.bodies import terms
from banli.bodies.access import current_membership
from banli.bodies.models import (
    BODY_WIDE_READERS,
    UNIT_ROLES,
    Body,
    Category,
    Member,
    Session,
)
from banli.core.models import LabelledChoices

from .workflow import PUBLISHABLE, ItemState


class Kind(models.TextChoices):
    MOTION = "motion", _("Motion")
    SUGGESTION = "suggestion", _("Suggestion")
    PROPOSAL = "proposal", _("Proposal")


class Closure(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")
    NOT_EVALUATED = "not_evaluated", _("Not evaluated")


# Never submitted: a draft, or one withdrawn before it reached the office.
_PRIVATE_DRAFT = Q(state__in=(ItemState.DRAFT, ItemState.WITHDRAWN), submitted_at__isnull=True)


# What `visible_to` reads of an item for the office (state, publicity, submission, entry by
# staff): carried by the list indexes so that counting a list reads the index alone.
VISIBILITY_COLUMNS = ["state", "is_public", "submitted_at", "entered_by_staff"]


class ItemQuerySet(models.QuerySet):
    def for_body(self, body: Body) -> "ItemQuerySet":
        return self.filter(body=body)

    def in_states(self, *states: str) -> "ItemQuerySet":
        return self.filter(state__in=states)

    # Deadlines are the handling app's: it keeps `Item.next_due_on` up to date whenever an
    # assignment is made, changes state or gets a new due date, so these are column filters.
    def overdue(self, today: dt.date) -> "ItemQuerySet":
        """Items with a lead unit whose reply is past its due date (逾期)."""
        return self.filter(next_due_on__lt=today)

    def due_within(self, today: dt.date, days: int) -> "ItemQuerySet":
        """Items whose earliest open reply falls due in the next `days` days (临期)."""
        return self.filter(next_due_on__gte=today, next_due_on__lte=today + dt.timedelta(days=days))

    # The states in which a unit still holds its assignment: a unit reassigned away after a
    # dispute (or withdrawn) reads the item no more. Listed, not excluded, so that a state
    # added later is private until someone decides otherwise.
    HELD_ASSIGNMENT_STATES = (
        "pending",
        "disputed",
        "handling",
        "replied",
        "opinion_sent",
        "rehandling",
        # A co-handling assignment closed with its item: the unit still reads what it held.
        "closed",
    )

    def private_drafts(self) -> "ItemQuerySet":
        """Drafts never submitted (a draft, or one withdrawn before submission): only their
        lead proposer and confirmed co-signers read them (docs/domain.md)."""
        return self.filter(_PRIVATE_DRAFT)

    def visible_to(self, user) -> "ItemQuerySet":
        """What `user` may read, always within the body the user is working in now.

        - the body's staff, leaders and auditors: every item but another person's private
          draft (the staff also read the drafts they entered for a proposer, 代录入);
        - a proposer: the items they lead or confirmed co-signing, and the lead items their
          own items were merged into (并案: each proposer gets the reply); an invitation not
          yet confirmed gives no access (the invitation has its own page);
        - a unit's people: the items of assignments the unit still holds;
        - third-party evaluators: accepted items;
        - everyone of the body: public items once accepted.

        Each condition is the item's own columns or an uncorrelated `pk IN (subquery)` on an
        indexed column, so the database answers it in one query without per-row checks."""
        profile = current_membership(user)
        if profile is None:
            return self.none()
        roles = set(profile.roles)
        items = self.model._default_manager
        condition = Q(is_public=True, state__in=PUBLISHABLE)
        if roles & BODY_WIDE_READERS:
            condition |= ~_PRIVATE_DRAFT
            if "staff" in roles:
                # 代录入: the drafts staff entered for a proposer are the staff's to see; the
                # drafts proposers wrote themselves are not.
                condition |= _PRIVATE_DRAFT & Q(entered_by_staff=True)
        if profile.member_id:
            member = profile.member_id
            confirmed = CoSigner.objects.filter(member_id=member, confirmed_at__isnull=False)
            condition |= Q(proposer_id=member)
            condition |= Q(pk__in=confirmed.values("item_id"))
            condition |= Q(
                pk__in=items.filter(proposer_id=member, merged_into__isnull=False).values(
                    "merged_into_id"
                )
            )
            condition |= Q(
                pk__in=items.filter(
                    pk__in=confirmed.values("item_id"), merged_into__isnull=False
                ).values("merged_into_id")
            )
        if profile.unit_id and roles & UNIT_ROLES:
            held = items.filter(
                assignments__unit_id=profile.unit_id,
                assignments__state__in=self.HELD_ASSIGNMENT_STATES,
            )
            condition |= Q(pk__in=held.values("pk"))
        if roles & {"evaluator"}:
            condition |= Q(state__in=PUBLISHABLE)
        return self.filter(condition, body_id=profile.body_id)


class Item(LabelledChoices):
    """A motion (议案), suggestion (建议) or proposal (提案): the case file of one request.

    Only the services in `banli.items.services` and `banli.handling.services` change `state`.
    """

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.PROTECT)
    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    # The number as the body prints it (第12号 / 闭会第12号), fixed when it is given: the format
    # in force then, so lists show it without reading the body's rules.
    number_label = models.CharField(_("number as printed"), max_length=60, blank=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    proposer = models.ForeignKey(
        Member, verbose_name=_("lead proposer"), on_delete=models.PROTECT, related_name="items"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ItemState.choices, default=ItemState.DRAFT
    )
    is_complex = models.BooleanField(_("complex"), default=False)
    is_public = models.BooleanField(_("public"), default=False)
    is_cross_year = models.BooleanField(_("cross-year"), default=False)
    converted_from_motion = models.BooleanField(_("converted from a motion"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_items",
    )
    reply_round = models.PositiveSmallIntegerField(_("reply round"), default=1)
    result_class = models.CharField(_("result class"), max_length=8, blank=True)
    closure = models.CharField(_("closure"), max_length=20, choices=Closure.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    created_at = models.DateTimeField(_("created"))
    # 代录入: staff entered the item for its proposer (from a paper original); only such
    # drafts may staff edit and submit (docs/domain.md).
    entered_by_staff = models.BooleanField(_("entered by staff"), default=False)
    source_note = models.CharField(_("source"), max_length=200, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted"), null=True, blank=True)
    assigned_on = models.DateField(_("assigned"), null=True, blank=True)
    replied_on = models.DateField(_("replied"), null=True, blank=True)
    evaluation_due_on = models.DateField(_("evaluation due"), null=True, blank=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    # The earliest due date of the open lead assignments' replies, kept by the handling
    # services (the items app knows no assignments); empty when no reply is awaited.
    next_due_on = models.DateField(_("next reply due"), null=True, blank=True, editable=False)
    search_text = models.TextField(_("search index"), blank=True, editable=False)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "session", "kind", "number"], name="item_number_unique"
            )
        ]
        # The lists filter by body and one of kind, state, session, category and sort by one
        # of the keys in items.filters.SORTS, always with the id last: each index below is
        # a filter followed by a sort key, so a page (banli.core.paging) is read from the
        # index where the previous one ended (docs/architecture.md, "Lists").
        #
        # The indexes a list is counted through also carry the columns of the office's
        # visibility condition (`ItemQuerySet.visible_to`) and the state: the bounded count
        # and the facets by state then read the index alone (PostgreSQL's index-only scan),
        # not up to 10,001 rows of the table (16 ms -> 5 ms for a session's suggestions in
        # a body of 100,000 items). SQLite has no INCLUDE and leaves it out.
        indexes = [
            models.Index(
                fields=["body", "state", "created_at", "id"], name="item_body_state_created"
            ),
            # The cross-year items (跨年度) of a body among its tens of thousands: the
            # follow-up's list pages them newest first by id from this index alone, its
            # open/solved filter and its years read the included columns (PostgreSQL).
            models.Index(
                fields=["body", "id"],
                include=["session", "result_class"],
                condition=models.Q(is_cross_year=True),
                name="item_cross_year_by_id",
            ),
            models.Index(
                fields=["body", "session", "kind"],
                include=VISIBILITY_COLUMNS,
                name="item_body_session_kind",
            ),
            models.Index(fields=["body", "category"]),
            models.Index(
                fields=["body", "created_at", "id"],
                include=VISIBILITY_COLUMNS,
                name="item_body_created_cover",
            ),
            models.Index(
                fields=["body", "kind", "created_at", "id"],
                include=VISIBILITY_COLUMNS,
                name="item_body_kind_created_cover",
            ),
            models.Index(fields=["body", "title", "id"], name="item_body_title"),
            models.Index(fields=["proposer"]),
            # Searching by number (第81号) looks it up within the body (items.search).
            models.Index(fields=["body", "number"], name="item_body_number"),
            models.Index(fields=["body", "next_due_on", "id"], name="item_body_due"),
            # The deadline board's replies waiting for evaluation, by evaluation deadline.
            models.Index(
                fields=["body", "evaluation_due_on", "id"],
                condition=Q(state=ItemState.REPLIED),
                name="item_replied_evaluation_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.title}"

    def get_state_display(self) -> str:
        """The state in the item's words: 已立案 for a proposal, 已受理 for a suggestion
        (banli.bodies.terms); the kind tells the body's type, so no query."""
        default = LabelledChoices._get_FIELD_display(self, self._meta.get_field("state"))
        return str(terms.state_label(self.state, default, kind=self.kind))

    @property
    def display_number(self) -> str:
        """第69号-style reference; unnumbered items show their record id."""
        if self.number is None:
            return f"#{self.pk}"
        return self.number_label or format_number(self.body.rules, self.session, self.number)

    def signers(self) -> list[Member]:
        """The lead proposer first, then each co-signer who confirmed (领衔 + 附议)."""
        rest = [c.member for c in self.cosigners.all() if c.confirmed_at is not None]
        return [self.proposer, *rest]


def format_number(rules, session: Session, number: int) -> str:
    """How `number` reads in the body's series for `session` (plenary or between sessions)."""
    from banli.bodies.models import SessionPeriod

    if session.period == SessionPeriod.INTERIM:
        pattern = rules.interim_number_format
    else:
        pattern = rules.plenary_number_format
    if "{number}" not in (pattern or ""):
        return _("No. %(number)s") % {"number": number}
    return pattern.replace("{number}", str(number))


class CoSigner(LabelledChoices):
    """A co-signer of a joint item (附议人), invited by the lead and confirming in person."""

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="cosigners"
    )
    member = models.ForeignKey(Member, verbose_name=_("co-signer"), on_delete=models.PROTECT)
    invited_at = models.DateTimeField(_("invited"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)

    class Meta:
        verbose_name = _("co-signer")
        verbose_name_plural = _("co-signers")
        ordering = ["invited_at", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="cosigner_unique")]

    def __str__(self) -> str:
        return str(self.member)

    @property
    def status(self) -> str:
        if self.confirmed_at:
            return "confirmed"
        if self.declined_at:
            return "declined"
        return "pending"


class Refusal(LabelledChoices):
    """Why an item was not accepted (不予立案 / 不予受理), as the proposer is told it: for a
    CPPCC proposal one of the body's grounds (不予立案理由), and the staff's explanation."""

    item = models.OneToOneField(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="refusal"
    )
    ground = models.CharField(_("ground"), max_length=200, blank=True)
    explanation = models.TextField(_("explanation"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        verbose_name = _("refusal")
        verbose_name_plural = _("refusals")

    def __str__(self) -> str:
        return f"{self.item}: {self.ground or self.explanation[:40]}"


class ForwardingKind(models.TextChoices):
    SOCIAL_OPINION = "social_opinion", _("As social conditions and public opinion (社情民意)")
    LETTER_TO_UNIT = "letter_to_unit", _("As a letter to a unit for reference")


class Forwarding(LabelledChoices):
    """A proposal that was not accepted, passed on (转社情民意 / 转有关部门参考): kept with the
    item so the proposer sees where it went."""

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="forwardings"
    )
    kind = models.CharField(_("forwarded as"), max_length=16, choices=ForwardingKind.choices)
    unit = models.ForeignKey(
        "bodies.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.TextField(_("note"), blank=True)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("forwarded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    forwarded_at = models.DateTimeField(_("forwarded"))

    class Meta:
        verbose_name = _("forwarding")
        verbose_name_plural = _("forwardings")
        ordering = ["forwarded_at", "id"]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_kind_display()}"
