"""The proposer's evaluation of a reply (评价): the sent replies first, then the ratings.

The lead proposer's evaluation counts in the figures and decides what happens next; a
confirmed co-signer may add theirs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from banli.bodies.access import current_membership
from banli.core import clock
from banli.core.web import run
from banli.items.permissions import item_roles
from banli.items.views.access import readable_item
from banli.items.workflow import ITEM_WORKFLOW, ItemState

from .. import services
from ..forms_staff import EvaluationForm
from ..models import AssignmentRole, Evaluation
from ..panels_staff import sent_replies
from ..workflow import AssignmentState


def _evaluator_member(request, item, roles):
    """The member the user evaluates as; 403 for anyone but the item's proposers."""
    if "lead_proposer" in roles:
        ITEM_WORKFLOW.check("evaluate_close", item.state, roles)
        return item.proposer
    ITEM_WORKFLOW.check("cosigner_evaluate", item.state, roles)
    member_id = current_membership(request.user).member_id
    if not item.cosigners.filter(member_id=member_id, confirmed_at__isnull=False).exists():
        raise PermissionDenied
    return current_membership(request.user).member


def _outcome_message(item, *, lead: bool) -> str:
    item.refresh_from_db()
    if not lead:
        return _("Your evaluation was recorded with the item.")
    if item.state == ItemState.REHANDLING:
        due = (
            item.assignments.filter(role=AssignmentRole.LEAD, state=AssignmentState.REHANDLING)
            .order_by("due_on")
            .values_list("due_on", flat=True)
            .first()
        )
        return _("Thank you. The units will handle the item again and reply by %(date)s.") % {
            "date": due.isoformat() if due else "—"
        }
    return _("Thank you. The item is closed.")


@login_required
def evaluate(request, pk):
    item = readable_item(request, pk)
    roles = item_roles(request.user, item)
    member = _evaluator_member(request, item, roles)
    lead = "lead_proposer" in roles
    replies = sent_replies(item, latest_round=True)
    round_ = replies[0].round if replies else item.reply_round
    mine = Evaluation.objects.filter(item=item, round=round_, member=member).first()
    form = EvaluationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and mine is None and form.is_valid():
        done = run(
            request,
            services.evaluate,
            item,
            by=request.user,
            attitude=form.cleaned_data["attitude"],
            result=form.cleaned_data["result"],
            comment=form.cleaned_data["comment"],
            form=form,
        )
        if done:
            messages.success(request, _outcome_message(item, lead=lead))
            return redirect("items:detail", item.pk)
    context = {
        "item": item,
        "form": form,
        "replies": replies,
        "round": round_,
        "lead": lead,
        "mine": mine,
        "final": round_ >= 2,
        "rehandle_months": item.body.rules.rehandle_months,
        "today": clock.today(),
    }
    return render(request, "handling/eval_form.html", context)


@login_required
def notices_read(request):
    """Mark the proposer's notices as read, then back to the start page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    count = run(request, services.mark_notices_read, by=request.user)
    if count:
        messages.success(request, _("Notices marked as read."))
    return redirect("items:mine")
