"""Who hears of a third-party evaluation: the evaluator of the commission given to them, the
body's staff of the scores handed in."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from banli.notices import recipients
from banli.notices.kinds import Kind, register
from banli.notices.services import notify

COMMISSIONED = "assessment.commissioned"
SUBMITTED = "assessment.submitted"

register(
    Kind(
        COMMISSIONED,
        _("Third-party evaluation"),
        _("Please evaluate the items of “%(title)s” (%(count)s in all) by %(due_on)s."),
    ),
    Kind(
        SUBMITTED,
        _("Evaluation submitted"),
        _("%(evaluator)s submitted the scores of “%(title)s”."),
    ),
)


def commissioned(assessment, *, by) -> None:
    notify(
        [assessment.evaluator_id],
        COMMISSIONED,
        body=assessment.body,
        url=reverse("assessment:work", args=[assessment.pk]),
        params={
            "title": assessment.title,
            "count": assessment.entries.count(),
            "due_on": assessment.due_on.isoformat(),
        },
        by=by,
    )


def submitted(assessment, *, by) -> None:
    evaluator = assessment.evaluator
    notify(
        recipients.with_role(assessment.body_id, "staff"),
        SUBMITTED,
        body=assessment.body,
        url=reverse("assessment:detail", args=[assessment.pk]),
        params={
            "title": assessment.title,
            "evaluator": evaluator.get_full_name() or evaluator.username,
        },
        by=by,
    )
