"""The evaluator's section of the start page (工作台): their open commissions (第三方评估),
each with the items still to score and its due date. An evaluator has nothing else to do in
banli, so without this section their start page was empty."""

from django.db.models import Count, Q

from banli.bodies.models import Role
from banli.core import desk

from .models import Assessment, AssessmentState

SHOWN = 5


@desk.register
def open_commissions(request, membership):
    if Role.EVALUATOR not in membership.roles:
        return None
    rows = list(
        Assessment.objects.filter(
            body_id=membership.body_id, evaluator=request.user, state=AssessmentState.OPEN
        )
        .annotate(
            total=Count("entries"),
            to_score=Count("entries", filter=Q(entries__scored_at__isnull=True)),
        )
        .order_by("due_on", "id")[:SHOWN]
    )
    return {
        "template": "assessment/_desk.html",
        "order": 15,
        "context": {"rows": rows},
    }
