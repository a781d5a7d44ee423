"""What each reminder says (提醒通知): one notice kind per rule, in the office's words. The
supervising leader of an overdue key item hears through the supervision app's own kind
(`key.overdue`), the escalation its wording was written for."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from banli.core.workflow import register_label
from banli.notices.kinds import Kind, register

from . import rules

KINDS = {
    rules.ACCEPT: "reminder.accept",
    rules.REPLY_DUE: "reminder.reply_due",
    rules.REPLY_OVERDUE: "reminder.reply_overdue",
    rules.OPINION_DUE: "reminder.opinion_due",
    rules.OPINION_OVERDUE: "reminder.opinion_overdue",
    rules.PLANNED_PASSED: "reminder.planned_passed",
    rules.UNSIGNED: "reminder.unsigned",
    rules.EVALUATION_DUE: "reminder.evaluation_due",
    rules.DISCLOSURE_DUE: "reminder.disclosure_due",
}

register(
    Kind(
        KINDS[rules.ACCEPT],
        _("Reminder: accept the assignment"),
        _(
            "%(item)s, assigned to %(unit)s, is not accepted yet; it can be disputed only "
            "until %(due_on)s."
        ),
    ),
    Kind(
        KINDS[rules.REPLY_DUE],
        _("Reminder: reply due"),
        _("The reply of %(unit)s to %(item)s is due by %(due_on)s."),
    ),
    Kind(
        KINDS[rules.REPLY_OVERDUE],
        _("Reminder: reply overdue"),
        _("The reply of %(unit)s to %(item)s was due on %(due_on)s and is overdue."),
    ),
    Kind(
        KINDS[rules.OPINION_DUE],
        _("Reminder: co-handling opinion due"),
        _("The co-handling opinion of %(unit)s on %(item)s is due by %(due_on)s."),
    ),
    Kind(
        KINDS[rules.OPINION_OVERDUE],
        _("Reminder: co-handling opinion overdue"),
        _("The co-handling opinion of %(unit)s on %(item)s was due on %(due_on)s and is overdue."),
    ),
    Kind(
        KINDS[rules.PLANNED_PASSED],
        _("Reminder: planned completion passed"),
        _(
            "%(unit)s planned to complete %(item)s (class %(result_class)s) by %(due_on)s; "
            "please report how it stands."
        ),
    ),
    Kind(
        KINDS[rules.UNSIGNED],
        _("Reminder: reply to sign"),
        _("The draft reply of %(unit)s to %(item)s has waited for signature since %(drafted_on)s."),
    ),
    Kind(
        KINDS[rules.EVALUATION_DUE],
        _("Reminder: evaluate the reply"),
        _("Please evaluate the reply to %(item)s by %(due_on)s."),
        # The CPPCC's proposers and the congress's deputies are asked in their own words.
        by_body_type={
            "congress": pgettext_lazy(
                "congress", "Deputy, please evaluate the reply to %(item)s by %(due_on)s."
            ),
            "cppcc": pgettext_lazy(
                "cppcc", "Proposer, please evaluate the reply to %(item)s by %(due_on)s."
            ),
        },
    ),
    Kind(
        KINDS[rules.DISCLOSURE_DUE],
        _("Reminder: publish the reply"),
        _(
            "The public reply of %(unit)s to %(item)s, sent on %(replied_on)s, is not published "
            "yet; it is to be published by %(due_on)s."
        ),
    ),
)

# The item's timeline names each reminder as the system's step (系统提醒).
for _code, _label in {
    rules.ACCEPT: _("reminder: accept the assignment"),
    rules.REPLY_DUE: _("reminder: reply due"),
    rules.REPLY_OVERDUE: _("reminder: reply overdue"),
    rules.OPINION_DUE: _("reminder: co-handling opinion due"),
    rules.OPINION_OVERDUE: _("reminder: co-handling opinion overdue"),
    rules.PLANNED_PASSED: _("reminder: planned completion passed"),
    rules.UNSIGNED: _("reminder: reply to sign"),
    rules.EVALUATION_DUE: _("reminder: evaluate the reply"),
    rules.DISCLOSURE_DUE: _("reminder: publish the reply"),
}.items():
    register_label(f"reminder.{_code}", _label)
register_label("reminders.rule_change", _("changed a reminder rule"))
