"""The batch pages: the selection kept across a list's pages, the page that chooses the step
for the selected records, and the progress and results of a batch."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from banli.handling.services import planned_due_dates
from banli.items.models import Item

from . import runs, selection
from .actions import ACTIONS, count_ready, for_list, step_label
from .lists import bar_context


def _spec(key: str) -> selection.BatchList:
    spec = selection.LISTS.get(key)
    if spec is None:
        raise Http404
    return spec


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_POST
@login_required
def select(request, key):
    """Tick and untick rows of one page of the list (or the whole page, or clear all)."""
    spec = _spec(key)
    profile = spec.profile_or_403(request)
    op = request.POST.get("op", "update")
    if op not in ("update", "page", "clear"):
        op = "update"
    within = selection.update(
        request,
        spec,
        profile,
        shown=request.POST.getlist("shown"),
        picked=request.POST.getlist("pick"),
        op=op,
    )
    context = bar_context(request, spec, profile)
    context["cut"] = not within
    if request.headers.get("HX-Request"):
        return render(request, "batch/_bar.html", context)
    if not within:
        messages.warning(request, _("At most %(limit)s records can be selected.") % context)
    return redirect(_safe_next(request, reverse(spec.view)))


def _records(spec, request, profile, ids):
    """The selected records in the order they were picked (those still in scope)."""
    scope = spec.scope(request, profile).filter(pk__in=ids)
    if spec.rows == "assignment":
        scope = scope.select_related("item", "unit")
    else:
        scope = scope.select_related("session", "body__rule_set")
    found = {r.pk: r for r in scope}
    return [found[pk] for pk in ids if pk in found]


def _forms(spec, profile, *, bound=None, data=None):
    forms = {}
    for action in for_list(spec.key):
        given = data if bound == action.name else None
        forms[action.name] = action.form(given, body=profile.body)
    return forms


@login_required
def start(request, key):
    """成批办理: the selected records, and for each step the list offers, how many of them can
    take it now and its form. The step runs on each record through its own service."""
    spec = _spec(key)
    profile = spec.profile_or_403(request)
    ids = selection.selected(request, spec, profile)
    chosen = request.POST.get("action", "") if request.method == "POST" else ""
    forms = _forms(spec, profile, bound=chosen, data=request.POST)
    if request.method == "POST":
        action = ACTIONS.get(chosen)
        if action is None or spec.key not in action.lists:
            raise Http404
        form = forms[chosen]
        if not ids:
            messages.error(request, _("Nothing is selected."))
            return redirect("batch:start", spec.key)
        if form.is_valid():
            run_id = runs.start(request, spec, profile, action, form.params(), ids)
            return redirect("batch:run", run_id)
    scope = spec.scope(request, profile)
    # The due dates an assignment made today would carry, under the body's rules.
    assigns = any(a.name == "assign" for a in for_list(spec.key))
    offered = [
        {
            "action": action,
            "label": step_label(action, profile.body),
            "form": forms[action.name],
            "ready": count_ready(action, scope, ids) if ids else 0,
        }
        for action in for_list(spec.key)
    ]
    context = {
        "spec": spec,
        "count": len(ids),
        "records": _records(spec, request, profile, ids),
        "offered": offered,
        "chosen": chosen,
        "dates": planned_due_dates(Item(body=profile.body), complex=False) if assigns else None,
        "complex_dates": planned_due_dates(Item(body=profile.body), complex=True)
        if assigns
        else None,
        "rules": profile.body.rules,
        "chunk": runs.CHUNK,
    }
    return render(request, "batch/start.html", context)


def _run_or_404(request, run_id):
    # The run says which list it belongs to; the user must still act on that list.
    run = request.session.get(runs.RUNS, {}).get(run_id)
    if run is None:
        raise Http404
    spec = _spec(run["list"])
    profile = spec.profile_or_403(request)
    if runs.get(request, run_id, profile) is None:
        raise Http404
    return run, spec, profile


def _run_context(request, run_id, run, spec, profile) -> dict:
    total = len(run["ids"])
    handled = len(run["results"])
    context = {
        "run_id": run_id,
        "run": run,
        "spec": spec,
        "action": ACTIONS[run["action"]],
        "label": step_label(ACTIONS[run["action"]], profile.body),
        "total": total,
        "handled": handled,
        "finished": handled >= total,
        "tally": runs.tally(run),
    }
    if context["finished"]:
        reported = [int(pk) for pk, (outcome, _m) in run["results"].items() if outcome != "done"]
        records = {r.pk: r for r in _records(spec, request, profile, reported)}
        context["reported"] = [
            {
                "pk": int(pk),
                "record": records.get(int(pk)),
                "outcome": outcome,
                "message": message,
            }
            for pk, (outcome, message) in run["results"].items()
            if outcome != "done"
        ]
    return context


@login_required
def run(request, run_id):
    """The batch's progress; the page asks for each next chunk itself (htmx) until done."""
    found, spec, profile = _run_or_404(request, run_id)
    return render(request, "batch/run.html", _run_context(request, run_id, found, spec, profile))


@require_POST
@login_required
def step(request, run_id):
    """Take the step on the next chunk of records; answer the progress (htmx) or the page."""
    found, spec, profile = _run_or_404(request, run_id)
    found = runs.step(request, run_id, found, spec, profile)
    if request.headers.get("HX-Request"):
        context = _run_context(request, run_id, found, spec, profile)
        return render(request, "batch/_progress.html", context)
    return redirect("batch:run", run_id)
