"""Third-party evaluation pages: the staff's commissions, criteria and results, and the
evaluator's own commissions and scoring pages.

An evaluator reads what they are to judge on the scoring page of their own commission, not
on the item page: a third party is no body-wide reader."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from banli.bodies.access import current_membership
from banli.core import clock
from banli.core.errors import DomainError
from banli.core.web import page_of, run
from banli.handling.models import Assignment, AssignmentRole, Reply
from banli.handling.workflow import GONE_STATES
from banli.items.models import Item
from banli.items.search import parse_number, search_items

from . import services
from .forms import (
    AddItemsForm,
    CandidateFilterForm,
    CommissionForm,
    CriteriaFormSet,
    ScoreForm,
    current_year,
)
from .models import AssessedItem, Assessment, AssessmentState, Level
from .results import lead_units, one_decimal, submitted_in, unit_averages

# Who reads the body's evaluations and their results; only the staff commission them.
READERS = frozenset({"staff", "auditor"})
CRITERIA_EDITORS = frozenset({"staff", "body_admin"})
CANDIDATES_PER_PAGE = 50


def _profile(request, allowed):
    profile = current_membership(request.user)
    if profile is None or not set(profile.roles) & allowed:
        raise PermissionDenied
    return profile


def _roles(profile) -> set[str]:
    return set(profile.roles)


def _body_assessment(profile, pk) -> Assessment:
    return get_object_or_404(
        Assessment.objects.select_related("evaluator", "created_by"), pk=pk, body=profile.body
    )


@login_required
def assessment_list(request):
    """The body's evaluations, newest first, with how many of their items are scored."""
    profile = _profile(request, READERS)
    rows = (
        Assessment.objects.filter(body=profile.body)
        .select_related("evaluator")
        .annotate(
            item_count=Count("entries"),
            scored_count=Count("entries", filter=Q(entries__scored_at__isnull=False)),
        )
        .order_by("-created_at", "-id")
    )
    context = {
        "page": page_of(request, rows, count=True),
        "can_act": "staff" in _roles(profile),
        "today": clock.today(),
    }
    return render(request, "assessment/list.html", context)


def _candidates(body, form: CandidateFilterForm, year: int):
    items = (
        Item.objects.for_body(body)
        .filter(state__in=services.ASSESSABLE_STATES, session__year=year)
        .defer("text", "search_text")
        .select_related("proposer", "session")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(role=AssignmentRole.LEAD)
                .exclude(state__in=GONE_STATES)
                .select_related("unit")
                .order_by("id"),
                to_attr="lead_assignments",
            )
        )
    )
    if form.chosen("key"):
        # The supervision app's key-item record, by its relation's name (this app sits
        # beside supervision and does not import it).
        items = items.filter(key_item__isnull=False)
    unit = form.chosen("unit")
    if unit:
        items = items.filter(
            pk__in=Assignment.objects.filter(unit_id=unit)
            .exclude(state__in=GONE_STATES)
            .values("item_id")
        )
    query = (form.chosen("q") or "").strip()
    if query:
        number = parse_number(query)
        if number is not None:
            what, value = number
            items = items.filter(number=value) if what == "number" else items.filter(pk=value)
        else:
            items = search_items(items, query)
    return items.order_by("-created_at", "-id")


@require_http_methods(["GET", "POST"])
@login_required
def new(request):
    """委托第三方评估: choose the evaluator, the title, the due date and the items."""
    profile = _profile(request, {"staff"})
    body = profile.body
    filters = CandidateFilterForm(request.GET or None, body=body, year=current_year())
    year = filters.chosen("year", current_year())
    form = CommissionForm(request.POST if request.method == "POST" else None, body=body, year=year)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assessment = run(
            request,
            services.commission,
            body,
            by=request.user,
            evaluator=data["evaluator"],
            items=form.item_ids,
            title=data["title"],
            due_on=data["due_on"],
            year=data["year"],
            form=form,
        )
        if assessment:
            messages.success(
                request,
                _("The evaluation was commissioned; %(name)s has been told.")
                % {"name": data["evaluator"].get_full_name() or data["evaluator"].username},
            )
            return redirect("assessment:detail", assessment.pk)
    checked = set()
    if request.method == "POST":
        checked = {v for v in request.POST.getlist("items") if v.isdigit()}
    context = {
        "form": form,
        "filters": filters,
        "year": year,
        "page": page_of(request, _candidates(body, filters, year), CANDIDATES_PER_PAGE, count=True),
        "checked": checked,
    }
    return render(request, "assessment/new.html", context)


def _entries(assessment):
    return (
        assessment.entries.select_related("item", "item__session")
        .prefetch_related("scores", lead_units())
        .order_by("id")
    )


@login_required
def detail(request, pk):
    """One evaluation: its items with their scores, totals and conclusions, and each lead
    unit's average."""
    profile = _profile(request, READERS)
    assessment = _body_assessment(profile, pk)
    entries = list(_entries(assessment))
    criteria = services.active_criteria(assessment.body_id)
    scored = [e for e in entries if e.is_scored]
    context = {
        "assessment": assessment,
        "entries": entries,
        "criteria": criteria,
        "scored": len(scored),
        "average": one_decimal(sum(e.total for e in scored) / len(scored)) if scored else None,
        "units": unit_averages(assessment.entries.all()),
        "can_act": "staff" in _roles(profile) and assessment.is_open,
        "add_form": AddItemsForm(assessment=assessment),
    }
    return render(request, "assessment/detail.html", context)


@require_POST
@login_required
def add_items(request, pk):
    profile = _profile(request, {"staff"})
    assessment = _body_assessment(profile, pk)
    form = AddItemsForm(request.POST, assessment=assessment)
    if form.is_valid():
        added = run(request, services.add_items, assessment, by=request.user, items=form.item_ids)
        if added:
            messages.success(request, _("%(count)s items added.") % {"count": len(added)})
    else:
        for problem in form.errors.get("numbers", []):
            messages.error(request, problem)
    return redirect("assessment:detail", assessment.pk)


@require_POST
@login_required
def remove_item(request, pk, entry):
    profile = _profile(request, {"staff"})
    assessment = _body_assessment(profile, pk)
    row = get_object_or_404(
        AssessedItem.objects.select_related("item"), pk=entry, assessment=assessment
    )
    run(
        request,
        services.remove_item,
        row,
        by=request.user,
        success=_("%(item)s was taken out of the evaluation.") % {"item": row.item.display_number},
    )
    return redirect("assessment:detail", assessment.pk)


@require_http_methods(["GET", "POST"])
@login_required
def criteria(request):
    """评估指标: the body's criteria and their weights (points, 100 in all)."""
    profile = _profile(request, CRITERIA_EDITORS)
    body = profile.body
    current = services.active_criteria(body)
    shown = current or [
        {"name": _(name), "weight": weight, "description": _(note)}
        for name, weight, note in services.DEFAULT_CRITERIA
    ]
    initial = [
        {"id": c.pk, "name": c.name, "weight": c.weight, "description": c.description}
        if not isinstance(c, dict)
        else c
        for c in shown
    ]
    formset = CriteriaFormSet(
        request.POST if request.method == "POST" else None, initial=initial, prefix="c"
    )
    refusal = ""
    if request.method == "POST" and formset.is_valid():
        rows = [row for form in formset if (row := form.row()) is not None]
        try:
            services.save_criteria(body, by=request.user, rows=rows)
        except DomainError as error:
            # About the whole set (the weights' sum, a name twice): shown above the rows.
            refusal = str(error)
        else:
            messages.success(request, _("The criteria were saved."))
            return redirect("assessment:criteria")
    context = {
        "formset": formset,
        "refusal": refusal,
        "saved": bool(current),
        "total": sum(c.weight for c in current) if current else 100,
    }
    return render(request, "assessment/criteria.html", context)


@login_required
def results(request):
    """Results of the year's submitted evaluations: each item's total and each lead unit's
    average over the items it lead-handles."""
    profile = _profile(request, READERS)
    body = profile.body
    years = list(
        Assessment.objects.filter(body=body, state=AssessmentState.SUBMITTED)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    year = _year_param(request.GET.get("year"), years[0] if years else current_year())
    entries = submitted_in(body, year)
    rows = (
        entries.select_related("item", "assessment")
        .prefetch_related(lead_units())
        .order_by("-total", "id")
    )
    summary = entries.aggregate(count=Count("id"))
    by_level = dict(entries.values_list("level").annotate(n=Count("id")).order_by())
    context = {
        "year": year,
        "years": years,
        "units": unit_averages(entries),
        "page": page_of(request, rows),
        "count": summary["count"],
        "levels": [
            {"level": value, "label": label, "n": by_level.get(value, 0)}
            for value, label in Level.choices
        ],
    }
    return render(request, "assessment/results.html", context)


def _year_param(value, default: int) -> int:
    if value and str(value).isdigit() and 1949 <= int(value) <= 9999:
        return int(value)
    return default


# The evaluator's pages.


def _evaluator_assessment(request, pk) -> Assessment:
    """The evaluator's own commission in the current body; another's answers 404."""
    profile = _profile(request, {"evaluator"})
    return get_object_or_404(
        Assessment.objects.select_related("body"),
        pk=pk,
        body=profile.body,
        evaluator=request.user,
    )


@login_required
def mine(request):
    """The evaluator's commissions, open ones first."""
    profile = _profile(request, {"evaluator"})
    rows = (
        Assessment.objects.filter(body=profile.body, evaluator=request.user)
        .annotate(
            item_count=Count("entries"),
            scored_count=Count("entries", filter=Q(entries__scored_at__isnull=False)),
        )
        .order_by("-created_at", "-id")
    )
    return render(
        request, "assessment/mine.html", {"page": page_of(request, rows), "today": clock.today()}
    )


@login_required
def work(request, pk):
    """One of the evaluator's commissions: its items, which are scored, and the submission."""
    assessment = _evaluator_assessment(request, pk)
    entries = list(_entries(assessment))
    context = {
        "assessment": assessment,
        "entries": entries,
        "waiting": sum(1 for e in entries if not e.is_scored),
        "today": clock.today(),
    }
    return render(request, "assessment/work.html", context)


def _case(item):
    """What the evaluator judges an item by: its current lead units with their signed
    replies (text, class, planned date, on time) and how often each met the proposer."""
    signed = Reply.objects.filter(signed_at__isnull=False).order_by("round", "id")
    return list(
        Assignment.objects.filter(item=item)
        .exclude(state__in=GONE_STATES)
        .select_related("unit")
        .annotate(contact_count=Count("contacts"))
        .prefetch_related(Prefetch("replies", queryset=signed, to_attr="signed_replies"))
        .order_by("role", "id")
    )


@require_http_methods(["GET", "POST"])
@login_required
def score(request, pk, entry):
    """Score one item of the evaluator's commission on every criterion, with a conclusion."""
    assessment = _evaluator_assessment(request, pk)
    row = get_object_or_404(
        AssessedItem.objects.select_related(
            "item", "item__session", "item__proposer"
        ).prefetch_related("scores"),
        pk=entry,
        assessment=assessment,
    )
    criteria_list = services.active_criteria(assessment.body_id)
    form = ScoreForm(
        request.POST if request.method == "POST" else None, criteria=criteria_list, entry=row
    )
    if request.method == "POST" and form.is_valid():
        done = run(
            request,
            services.score_item,
            row,
            by=request.user,
            scores=form.scores(),
            conclusion=form.cleaned_data["conclusion"],
            form=form,
        )
        if done:
            messages.success(
                request,
                _("%(item)s scored %(total)s.")
                % {"item": row.item.display_number, "total": done.total},
            )
            following = (
                assessment.entries.filter(scored_at__isnull=True, id__gt=row.pk)
                .order_by("id")
                .values_list("pk", flat=True)
                .first()
            )
            if following:
                return redirect("assessment:score", assessment.pk, following)
            return redirect("assessment:work", assessment.pk)
    assignments = _case(row.item)
    context = {
        "assessment": assessment,
        "entry": row,
        "item": row.item,
        "form": form,
        "leads": [a for a in assignments if a.role == AssignmentRole.LEAD],
        "cos": [a for a in assignments if a.role != AssignmentRole.LEAD],
    }
    return render(request, "assessment/score.html", context)


@require_POST
@login_required
def submit(request, pk):
    assessment = _evaluator_assessment(request, pk)
    run(
        request,
        services.submit,
        assessment,
        by=request.user,
        success=_("The scores were submitted; the office has been told."),
    )
    return redirect("assessment:work", assessment.pk)
