"""Bodies (机关), their terms and sessions, rules, categories, people, units and roles."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from banli.core.models import LabelledChoices
from banli.core.names import MAX_KEY, sort_key


class BodyType(models.TextChoices):
    CONGRESS = "congress", _("People's congress")
    CPPCC = "cppcc", _("Political consultative conference")


class Level(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township")


class Body(LabelledChoices):
    """One people's congress (人大) or one CPPCC (政协) at one level (机关)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    body_type = models.CharField(_("type"), max_length=10, choices=BodyType.choices)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent body"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("body")
        verbose_name_plural = _("bodies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_congress(self) -> bool:
        return self.body_type == BodyType.CONGRESS

    @property
    def rules(self) -> "BodyRules":
        """The body's settings; documented defaults when none were saved."""
        try:
            return self.rule_set
        except BodyRules.DoesNotExist:
            return BodyRules(body=self)


def default_result_classes() -> list[str]:
    return ["A", "B", "C"]


# The ten grounds on which the national CPPCC rules refuse a proposal (不予立案), in the
# rules' own words; a body edits its own list.
NATIONAL_REFUSAL_GROUNDS = [
    "涉及党和国家秘密的",
    "涉及国家法律法规禁止事项的",
    "涉及党内人事安排等党的内部事务的",
    "涉及民主党派、工商联内部事务的",
    "属于司法诉讼或者仲裁范围的",
    "属于学术研究探讨的",
    "涉及提案人个人及其亲属等私人事务的",
    "为企业和产品作宣传推介的",
    "指名道姓检举、控告的",
    "内容空泛、没有具体建议的",
]


def default_refusal_grounds() -> list[str]:
    return list(NATIONAL_REFUSAL_GROUNDS)


class BodyRules(models.Model):
    """A body's handling rules (办理规则), with the defaults of the Representative Law and
    the CPPCC proposal rules. Places differ; each body edits its own."""

    body = models.OneToOneField(
        Body, verbose_name=_("body"), on_delete=models.CASCADE, related_name="rule_set"
    )
    # Representative Law art. 49: motions need a delegation or at least 10 deputies (30 at the
    # national congress, 5 at township level).
    motion_min_signers = models.PositiveSmallIntegerField(
        _("deputies needed for a joint motion"),
        null=True,
        blank=True,
        help_text=_("Empty: 30 national, 5 township, 10 otherwise."),
    )
    # Representative Law art. 51: reply within three months of assignment, six at most.
    reply_months = models.PositiveSmallIntegerField(_("reply due (months)"), default=3)
    complex_reply_months = models.PositiveSmallIntegerField(
        _("reply due for a complex item (months)"), default=6
    )
    max_reply_months = models.PositiveSmallIntegerField(
        _("latest reply with an extension (months)"), default=6
    )
    co_opinion_months = models.PositiveSmallIntegerField(
        _("co-handling opinion due (months)"), default=1
    )
    dispute_working_days = models.PositiveSmallIntegerField(
        _("working days to dispute an assignment"), default=5
    )
    rehandle_months = models.PositiveSmallIntegerField(_("re-handling due (months)"), default=1)
    evaluation_months = models.PositiveSmallIntegerField(_("evaluation window (months)"), default=1)
    disclosure_working_days = models.PositiveSmallIntegerField(
        _("working days to publish a public reply"), default=20
    )
    result_classes = models.JSONField(
        _("result classes"),
        default=default_result_classes,
        help_text=_('Codes in order, e.g. ["A", "B", "C"] or ["A", "B", "C", "D"].'),
    )
    planned_class = models.CharField(
        _("class that needs a planned completion date"), max_length=8, default="B"
    )
    # 三见面 (docs/domain.md §6.1): a reply is signed only after the unit met the proposer.
    contact_before_signing = models.BooleanField(
        _("a contact with the proposer before signing"),
        default=True,
        help_text=_(
            "A unit leader signs a reply only after the unit has logged at least one contact "
            "with the proposer."
        ),
    )
    # How a number reads in each series: plenary items and between-sessions items are
    # numbered apart, and the office tells them apart when they are shown.
    plenary_number_format = models.CharField(
        _("number format during the session"),
        max_length=40,
        default="第{number}号",
        help_text=_("{number} stands for the number, e.g. 第{number}号."),
    )
    interim_number_format = models.CharField(
        _("number format between sessions"),
        max_length=40,
        default="闭会第{number}号",
        help_text=_("{number} stands for the number, e.g. 闭会第{number}号."),
    )
    refusal_grounds = models.JSONField(
        _("grounds for not accepting a proposal"),
        default=default_refusal_grounds,
        blank=True,
        help_text=_("CPPCC bodies: the grounds staff choose from when a proposal is refused."),
    )
    # Security (docs/authentication.md): who must log in with a second factor,
    # and how long a session may sit idle. Office accounts see other people's phone numbers
    # and the government's non-public replies, hence the shorter timeout.
    require_2fa = models.BooleanField(
        _("require two-factor authentication"),
        default=True,
        help_text=_(
            "Staff, unit leaders and administrators log in with a code from an "
            "authenticator app; everyone else may choose to."
        ),
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("idle timeout for office accounts (minutes)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Staff, unit, supervision, audit and evaluation accounts are logged out after "
            "this long without using the site."
        ),
    )
    proposer_idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("idle timeout for deputies and members (minutes)"),
        default=120,
        validators=[MinValueValidator(1)],
    )

    class Meta:
        verbose_name = _("handling rules")
        verbose_name_plural = _("handling rules")

    def __str__(self) -> str:
        return str(self.body)

    # Months and working days that must be at least one (a zero would make a deadline fall on
    # the day of assignment).
    POSITIVE_FIELDS = (
        "reply_months",
        "complex_reply_months",
        "max_reply_months",
        "co_opinion_months",
        "dispute_working_days",
        "rehandle_months",
        "evaluation_months",
        "disclosure_working_days",
    )

    def clean(self) -> None:
        """The settings hold together (docs/domain.md, deadlines and result classes): the
        planned-date class is one of the body's classes, the periods are positive and ordered,
        and a CPPCC body has grounds to refuse a proposal with."""
        from django.core.exceptions import ValidationError

        errors: dict[str, list] = {}

        def refuse(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        classes = self.result_classes
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            refuse("result_classes", _("Give the result classes as a list of codes."))
            classes = []
        elif not classes:
            refuse("result_classes", _("A body needs at least one result class."))
        else:
            if any(not c.strip() for c in classes):
                refuse("result_classes", _("A result class cannot be empty."))
            if any(len(c) > 8 for c in classes):
                refuse("result_classes", _("A result class has at most 8 characters."))
            if len(set(classes)) != len(classes):
                refuse("result_classes", _("Each result class is listed once."))
        # A 甲/乙/丙 body names 乙 here: the class that means "planned" must exist.
        if classes and self.planned_class not in classes:
            refuse(
                "planned_class",
                _(
                    "The class that needs a planned completion date must be one of the result "
                    "classes (%(classes)s)."
                )
                % {"classes": ", ".join(classes)},
            )

        months = {}
        for name in self.POSITIVE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, int) and value < 1:
                refuse(name, _("Must be at least 1."))
            elif isinstance(value, int):
                months[name] = value
        reply = months.get("reply_months")
        complex_ = months.get("complex_reply_months")
        latest = months.get("max_reply_months")
        co_opinion = months.get("co_opinion_months")
        # Representative Law art. 51: three months, six for a complex item, six at most with
        # an extension; a body may lengthen them but not reverse their order.
        if reply and complex_ and complex_ < reply:
            refuse(
                "complex_reply_months",
                _("A complex item cannot be due sooner than an ordinary one (%(n)s months).")
                % {"n": reply},
            )
        if latest and max(reply or 0, complex_ or 0) > latest:
            refuse(
                "max_reply_months",
                _("The latest reply cannot be due sooner than any other reply (%(n)s months).")
                % {"n": max(reply or 0, complex_ or 0)},
            )
        if reply and co_opinion and co_opinion > reply:
            refuse(
                "co_opinion_months",
                _("The co-handling opinion must be due no later than the reply (%(n)s months).")
                % {"n": reply},
            )

        for name in ("plenary_number_format", "interim_number_format"):
            pattern = getattr(self, name)
            try:
                readable = "{number}" in pattern and pattern.format(number=1)
            except (KeyError, IndexError, ValueError):
                readable = False
            if not readable:
                refuse(name, _("Write {number} where the number goes, e.g. 第{number}号."))

        grounds = self.refusal_grounds
        if not isinstance(grounds, list) or not all(isinstance(g, str) for g in grounds):
            refuse("refusal_grounds", _("Give the grounds as a list, one per line."))
        elif any(not g.strip() for g in grounds):
            refuse("refusal_grounds", _("A ground cannot be empty."))
        elif not grounds and self._body_type() == BodyType.CPPCC:
            # CPPCC proposal rules: a refused proposal is told on which ground (不予立案理由).
            refuse(
                "refusal_grounds",
                _("A CPPCC body needs at least one ground for not accepting a proposal."),
            )
        if errors:
            raise ValidationError(errors)

    def _body_type(self) -> str:
        # The admin validates the rules of a body that is being created, before it has a key.
        if self.body_id is None and not self._meta.get_field("body").is_cached(self):
            return ""
        return self.body.body_type

    def motion_threshold(self) -> int:
        if self.motion_min_signers:
            return self.motion_min_signers
        level = self.body.level
        if level == Level.NATIONAL:
            return 30
        if level == Level.TOWNSHIP:
            return 5
        return 10


class Term(models.Model):
    """A term of the body (届), e.g. the 17th."""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.CASCADE, related_name="terms"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["body", "-number"]
        constraints = [models.UniqueConstraint(fields=["body", "number"], name="term_unique")]

    def __str__(self) -> str:
        return _("%(body)s, term %(number)s") % {"body": self.body, "number": self.number}


class SessionPeriod(models.TextChoices):
    PLENARY = "plenary", _("During the session")
    INTERIM = "interim", _("Between sessions")


class Session(models.Model):
    """A session of a term (次会议), or the between-sessions period after it (闭会期间).

    Items are numbered per session and kind."""

    term = models.ForeignKey(
        Term, verbose_name=_("term"), on_delete=models.CASCADE, related_name="sessions"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    period = models.CharField(
        _("period"), max_length=8, choices=SessionPeriod.choices, default=SessionPeriod.PLENARY
    )
    name = models.CharField(_("name"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"))
    opens_on = models.DateField(_("opens"), null=True, blank=True)
    closes_on = models.DateField(_("closes"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-year", "-number", "period"]
        constraints = [
            models.UniqueConstraint(fields=["term", "number", "period"], name="session_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def body(self) -> Body:
        return self.term.body


class Category(models.Model):
    """A body's category of items (分类), e.g. 经济发展类."""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["body", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["body", "name"], name="category_unique")]

    def __str__(self) -> str:
        return self.name


class MemberType(models.TextChoices):
    DEPUTY = "deputy", _("Deputy")
    CPPCC_MEMBER = "cppcc_member", _("CPPCC member")
    DELEGATION = "delegation", _("Delegation")
    PRESIDIUM = "presidium", _("Presidium")
    PARTY = "party", _("Participating party")
    COMMITTEE = "committee", _("Special committee")
    SECTOR = "sector", _("Sector")
    ORGANISATION = "organisation", _("People's organisation")


INDIVIDUAL_TYPES = {MemberType.DEPUTY, MemberType.CPPCC_MEMBER}


class Member(LabelledChoices):
    """Someone who may propose (提出人): a deputy (代表) or CPPCC member (委员), or a group
    that proposes in its own name (代表团, 民主党派, 专委会, 界别…)."""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.CASCADE, related_name="members"
    )
    member_type = models.CharField(_("type"), max_length=16, choices=MemberType.choices)
    name = models.CharField(_("name"), max_length=60)
    delegation = models.CharField(_("delegation"), max_length=60, blank=True)
    party = models.CharField(_("party"), max_length=60, blank=True)
    sector = models.CharField(_("sector"), max_length=60, blank=True)
    employer = models.CharField(_("employer and post"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # The name's pinyin (banli.core.names): lists and pickers sort by it, not by code point.
    sort_key = models.CharField(
        _("sort key"), max_length=MAX_KEY, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = _("deputy or member")
        verbose_name_plural = _("deputies and members")
        ordering = ["body", "sort_key", "id"]
        indexes = [
            # Searching items by a proposer's name looks the name up exactly.
            models.Index(fields=["body", "name"]),
            models.Index(fields=["body", "sort_key", "id"], name="member_body_sort"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.sort_key = sort_key(self.name, person=self.member_type in INDIVIDUAL_TYPES)
        _with_sort_key(kwargs, ("name", "member_type"))
        super().save(*args, **kwargs)

    @property
    def is_individual(self) -> bool:
        return self.member_type in INDIVIDUAL_TYPES


class Unit(LabelledChoices):
    """A handling unit (承办单位): a government, a department, a court, a state company…"""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.CASCADE, related_name="units"
    )
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # The name's pinyin (banli.core.names): lists and pickers sort by it, not by code point.
    sort_key = models.CharField(
        _("sort key"), max_length=MAX_KEY, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = _("handling unit")
        verbose_name_plural = _("handling units")
        ordering = ["body", "sort_key", "id"]
        constraints = [models.UniqueConstraint(fields=["body", "name"], name="unit_unique")]
        indexes = [models.Index(fields=["body", "sort_key", "id"], name="unit_body_sort")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.sort_key = sort_key(self.name)
        _with_sort_key(kwargs, ("name",))
        super().save(*args, **kwargs)


def _with_sort_key(kwargs: dict, sources: tuple[str, ...]) -> None:
    """A save of only some fields writes the sort key too when one it is made of is among
    them."""
    fields = kwargs.get("update_fields")
    if fields is not None and set(fields) & set(sources):
        kwargs["update_fields"] = [*fields, "sort_key"]


class Role(models.TextChoices):
    """The roles of docs/domain.md §1.5."""

    PROPOSER = "proposer", _("Proposer")
    STAFF = "staff", _("Body staff")
    UNIT_COORDINATOR = "unit_coordinator", _("Unit coordinator")
    UNIT_HANDLER = "unit_handler", _("Unit handler")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    SUPERVISOR = "supervisor", _("Supervising leader")
    EVALUATOR = "evaluator", _("Third-party evaluator")
    AUDITOR = "auditor", _("Auditor")
    # Manages the body's users, memberships, units, members, categories and rules in banli's
    # own pages, for this body alone (机关管理员); the platform's superuser keeps the rest.
    BODY_ADMIN = "body_admin", _("Body administrator")


UNIT_ROLES = {Role.UNIT_COORDINATOR, Role.UNIT_HANDLER, Role.UNIT_LEADER}
# Roles that read every record of their body.
BODY_WIDE_READERS = {Role.STAFF, Role.AUDITOR, Role.SUPERVISOR}


class Membership(LabelledChoices):
    """A user's place in one body (任职): the roles held there and the unit or member the
    user acts for. A person may belong to several bodies (a deputy of both the city and the
    province congress; provincial staff who oversee a city body), one membership each; what
    they may read and do in a body comes from that body's membership alone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="memberships"
    )
    roles = models.JSONField(_("roles"), default=list, help_text=_("Role codes."))
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT
    )
    member = models.OneToOneField(
        Member,
        verbose_name=_("deputy or member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="membership",
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "body"], name="membership_once_per_body")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.body}"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if not isinstance(self.roles, list) or not all(isinstance(r, str) for r in self.roles):
            raise ValidationError({"roles": _("Give the roles as a list of role codes.")})
        unknown = [r for r in self.roles if r not in Role.values]
        if unknown:
            errors["roles"] = _("Unknown roles: %(roles)s") % {
                "roles": ", ".join(map(str, unknown))
            }
        if self.unit_id and self.unit.body_id != self.body_id:
            errors["unit"] = _("The unit belongs to another body.")
        if self.member_id and self.member.body_id != self.body_id:
            errors["member"] = _("The deputy or member belongs to another body.")
        if set(self.roles) & UNIT_ROLES and not self.unit_id:
            errors["unit"] = _("A unit role needs the unit.")
        if Role.PROPOSER in self.roles and not self.member_id:
            errors["member"] = _("The proposer role needs the deputy or member it acts for.")
        if errors:
            raise ValidationError(errors)
