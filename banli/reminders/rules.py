"""The kinds of reminder (提醒规则) and their defaults, as a code table: what each is about,
when it fires and whom it tells. A body keeps only its overrides (`ReminderRule`); a rule
without a row works with the defaults here."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Timing:
    # Steps counted back from a deadline: 30, 7 and 1 days before a reply is due.
    BEFORE = "before"
    # Steps counted on from the day a wait began: a draft unsigned for 3 working days.
    AFTER = "after"
    # Once, when the deadline has passed (逾期).
    PASSED = "passed"


@dataclass(frozen=True)
class RuleKind:
    code: str
    label: Promise
    # When it fires and whom it tells, for the rules page.
    description: Promise
    timing: str
    working_days: bool = False
    default_days: tuple[int, ...] = ()
    # The largest step a body may set (a reminder 90 days ahead is the longest that helps).
    max_days: int = 0

    @property
    def has_days(self) -> bool:
        return self.timing != Timing.PASSED


ACCEPT = "assignment.accept"
REPLY_DUE = "reply.due"
REPLY_OVERDUE = "reply.overdue"
OPINION_DUE = "opinion.due"
OPINION_OVERDUE = "opinion.overdue"
PLANNED_PASSED = "planned.passed"
UNSIGNED = "reply.unsigned"
EVALUATION_DUE = "evaluation.due"
DISCLOSURE_DUE = "disclosure.due"

RULES: dict[str, RuleKind] = {
    rule.code: rule
    for rule in (
        RuleKind(
            ACCEPT,
            _("New assignment not yet accepted"),
            _(
                "Working days before the time to dispute an assignment ends, to the unit's "
                "coordinators (its leaders when it has none)."
            ),
            Timing.BEFORE,
            working_days=True,
            default_days=(1,),
            max_days=10,
        ),
        RuleKind(
            REPLY_DUE,
            _("Reply due"),
            _("Days before a lead unit's reply is due, to its coordinators, leaders and handler."),
            Timing.BEFORE,
            default_days=(30, 7, 1),
            max_days=90,
        ),
        RuleKind(
            REPLY_OVERDUE,
            _("Reply overdue"),
            _(
                "Once per due date when a reply is overdue, to the unit's leaders and the staff, "
                "and to the supervising leader of a key item."
            ),
            Timing.PASSED,
        ),
        RuleKind(
            OPINION_DUE,
            _("Co-handling opinion due"),
            _("Days before a co-handling unit's opinion is due, to that unit."),
            Timing.BEFORE,
            default_days=(7,),
            max_days=30,
        ),
        RuleKind(
            OPINION_OVERDUE,
            _("Co-handling opinion overdue"),
            _("Once per due date when a co-handling opinion is overdue, to that unit."),
            Timing.PASSED,
        ),
        RuleKind(
            PLANNED_PASSED,
            _("Planned completion passed"),
            _(
                "Once when the planned completion date of an item still in the planned class "
                "(B) has passed, to the lead unit and the staff."
            ),
            Timing.PASSED,
        ),
        RuleKind(
            UNSIGNED,
            _("Reply waiting for signature"),
            _("Working days a draft reply has waited for signing, to the unit's leaders."),
            Timing.AFTER,
            working_days=True,
            default_days=(3,),
            max_days=30,
        ),
        RuleKind(
            EVALUATION_DUE,
            _("Evaluation due"),
            _(
                "Days before the proposers' time to evaluate a reply ends, to the proposers "
                "who have not evaluated it."
            ),
            Timing.BEFORE,
            default_days=(7,),
            max_days=30,
        ),
        RuleKind(
            DISCLOSURE_DUE,
            _("Public reply not yet published"),
            _(
                "Working days after a public reply was sent while it is not published, to the "
                "staff."
            ),
            Timing.AFTER,
            working_days=True,
            default_days=(15,),
            max_days=60,
        ),
    )
}


def get(code: str) -> RuleKind | None:
    return RULES.get(code)
