"""The proposer's evaluation of a reply (评价): the sent replies first, then the ratings.

The lead proposer's evaluation counts in the figures and decides what happens next; a
confirmed co-signer may add theirs; the proposer of an item merged into another evaluates
the lead item's reply for their own item (分别答复). Who may evaluate what, and until when,
is the service's question (`services.evaluation_turn`): this view only shows its answer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from banli.core import clock
from banli.core.errors import DeadlinePassed, DomainError, NotAllowed
from banli.items.views.access import readable_item
from banli.items.workflow import ItemState

from .. import services
from ..forms_staff import EvaluationForm
from ..models import AssignmentRole, Evaluation
from ..panels_staff import sent_replies
from ..workflow import AssignmentState


def _outcome_message(item, turn: services.EvaluationTurn) -> str:
    item.refresh_from_db()
    if turn.relation.startswith("merged_"):
        return _("Your evaluation was recorded with your item.")
    if not turn.decides:
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


def _evaluated(item, member) -> list[Evaluation]:
    """The member's evaluation rows of the last round they evaluated on the item."""
    rows = list(
        Evaluation.objects.filter(item=item, member=member)
        .select_related("reply__assignment__unit")
        .order_by("-round", "id")
    )
    return [e for e in rows if e.round == rows[0].round] if rows else []


@login_required
def evaluate(request, pk):
    item = readable_item(request, pk)
    member = services.evaluator(item, request.user)
    relation = services.proposer_relation(item, member)
    turn, mine, refusal = None, [], ""
    try:
        # Not a proposer of the item (403) or nothing to evaluate now (409): the refusal
        # goes to the error page.
        turn = services.evaluation_turn(item, member)
    except services.AlreadyEvaluated as done:
        mine = _evaluated(item, member)
        if request.method == "POST":
            messages.info(request, str(done))
            return redirect("items:detail", item.pk)
    except DeadlinePassed as passed:
        # Too late: the page still shows the replies, with the reason instead of the form.
        refusal = str(passed)
    handled = item.merged_into if relation and relation.startswith("merged_") else item
    assert handled is not None
    sent = sent_replies(handled, latest_round=turn is None)
    if turn is not None:
        shown = {r.pk: r for r in sent}
        replies, round_ = [shown[r.pk] for r in turn.replies], turn.round
    else:
        replies = sent
        round_ = mine[0].round if mine else (sent[0].round if sent else handled.reply_round)
    bound = request.POST if request.method == "POST" and turn is not None else None
    form = EvaluationForm(bound, replies=replies if turn is not None else ())
    if bound is not None and form.is_valid():
        try:
            services.evaluate(item, by=request.user, **form.evaluate_kwargs())
        except services.AlreadyEvaluated as twice:
            # A second request that passed the check above while the first was saving.
            messages.info(request, str(twice))
            return redirect("items:detail", item.pk)
        except NotAllowed:
            raise
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            assert turn is not None
            messages.success(request, _outcome_message(item, turn))
            return redirect("items:detail", item.pk)
    context = {
        "item": item,
        "handled": handled,
        "form": form,
        "replies": replies,
        "round": round_,
        "turn": turn,
        "lead": relation == "lead",
        "merged": handled.pk != item.pk,
        "mine": mine,
        "refusal": refusal,
        "final": round_ >= 2,
        "rehandle_months": item.body.rules.rehandle_months,
        "today": clock.today(),
    }
    return render(request, "handling/eval_form.html", context)
