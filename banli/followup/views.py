"""Follow-up pages (回头看, 跨年度): the rounds and opening one, a round with its items, the
staff's confirmation of a class, a unit's items in the rounds with its report form, and the
cross-year items across sessions.

Staff, supervising leaders and auditors read the rounds and the cross-year items; the staff
act; a unit reads and reports only the items it leads. Records of another body are 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from banli.bodies.access import current_membership
from banli.bodies.models import UNIT_ROLES, Session
from banli.core import clock
from banli.core.web import int_or_none, page_of, run
from banli.handling.models import Assignment, AssignmentRole, ResultClassChange
from banli.handling.workflow import GONE_STATES
from banli.items.models import Item

from . import services
from .forms import ConfirmForm, CrossYearFilter, OpenRoundForm, ReportForm
from .models import FollowUpRound, ProgressReport, RoundItem

READERS = frozenset({"staff", "supervisor", "auditor"})


def _profile(request, roles=READERS):
    profile = current_membership(request.user)
    if profile is None or not set(profile.roles) & set(roles):
        raise PermissionDenied
    return profile


def _unit_profile(request):
    profile = current_membership(request.user)
    if profile is None or not profile.unit_id or not set(profile.roles) & UNIT_ROLES:
        raise PermissionDenied
    return profile


def _round(profile, pk) -> FollowUpRound:
    found = FollowUpRound.objects.filter(body_id=profile.body_id, pk=pk).first()
    if found is None:
        raise Http404
    return found


def _better(classes: list[str], current: str) -> list[str]:
    if current not in classes:
        return []
    return classes[: classes.index(current)]


def _entries(queryset, *, unit_id=None):
    """Round items with their item, its current lead units and the reports (newest first),
    each read in one query for the page."""
    leads = (
        Assignment.objects.filter(role=AssignmentRole.LEAD)
        .exclude(state__in=GONE_STATES)
        .select_related("unit")
        .order_by("id")
    )
    reports = ProgressReport.objects.select_related("unit", "by").order_by("-reported_at", "-id")
    if unit_id is not None:
        reports = reports.filter(unit_id=unit_id)
    return queryset.select_related(
        "item", "item__session", "round", "confirmed_by"
    ).prefetch_related(
        Prefetch("item__assignments", queryset=leads, to_attr="lead_units"),
        Prefetch("reports", queryset=reports, to_attr="reports_newest"),
    )


@login_required
def rounds(request):
    """The body's follow-up rounds, newest first."""
    profile = _profile(request)
    found = (
        FollowUpRound.objects.filter(body_id=profile.body_id)
        .annotate(
            items=Count("entries"),
            confirmed=Count("entries", filter=~Q(entries__class_confirmed="")),
        )
        .order_by("-opened_on", "-id")
    )
    context = {"page": page_of(request, found), "can_act": "staff" in profile.roles}
    return render(request, "followup/rounds.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def open_round(request):
    """Open a round: the form, then the count of items it takes, then the round."""
    profile = _profile(request, {"staff"})
    body = profile.body
    form = OpenRoundForm(request.POST if request.method == "POST" else None)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm") == "1":
            round_ = run(
                request,
                services.open_round,
                body,
                year=data["year"],
                by=request.user,
                title=data["title"],
                due_on=data["due_on"],
                form=form,
            )
            if round_:
                messages.success(
                    request,
                    _("The round is open with %(count)s items; their units are told.")
                    % {"count": round_.entries.count()},
                )
                return redirect("followup:round", round_.pk)
        else:
            preview = services.candidates(body, data["year"], with_rule=True).count()
    return render(request, "followup/open_round.html", {"form": form, "preview": preview})


@login_required
def round_detail(request, pk):
    """A round: the summary sentence, its items with their units, class at opening, the
    latest report, and for the staff a form to confirm a better class."""
    profile = current_membership(request.user)
    if profile is None:
        raise Http404
    round_ = _round(profile, pk)
    if not set(profile.roles) & READERS:
        raise PermissionDenied
    can_act = "staff" in profile.roles and round_.is_open
    entries = _entries(RoundItem.objects.filter(round=round_)).order_by("id")
    page = page_of(request, entries, count=True)
    classes = profile.body.rules.result_classes
    for entry in page.object_list:
        entry.latest = entry.reports_newest[0] if entry.reports_newest else None
        if can_act and not entry.is_confirmed:
            better = _better(classes, entry.item.result_class)
            if better:
                entry.form = ConfirmForm(classes=better, prefix=f"c{entry.pk}")
    context = {
        "round": round_,
        "summary": services.summary(round_),
        "page": page,
        "can_act": can_act,
        "can_close": can_act,
    }
    return render(request, "followup/round.html", context)


def _entry_in_body(profile, pk) -> RoundItem:
    found = (
        RoundItem.objects.filter(round__body_id=profile.body_id, pk=pk)
        .select_related("round", "item", "item__session")
        .first()
    )
    if found is None:
        raise Http404
    return found


@require_POST
@login_required
def confirm(request, pk):
    """Staff confirm an item's new class; errors come back on the item's own form page."""
    profile = current_membership(request.user)
    if profile is None:
        raise Http404
    entry = _entry_in_body(profile, pk)
    if "staff" not in profile.roles:
        raise PermissionDenied
    better = _better(profile.body.rules.result_classes, entry.item.result_class)
    form = ConfirmForm(request.POST, classes=better, prefix=f"c{entry.pk}")
    if form.is_valid():
        done = run(
            request,
            services.confirm_class,
            entry,
            by=request.user,
            to_class=form.cleaned_data["to_class"],
            reason=form.cleaned_data["reason"],
            on=form.cleaned_data["on"],
            form=form,
        )
        if done:
            messages.success(
                request,
                _("%(item)s is now class %(cls)s.")
                % {"item": entry.item.display_number, "cls": form.cleaned_data["to_class"]},
            )
            return redirect("followup:round", entry.round_id)
        if not form.errors:
            return redirect("followup:round", entry.round_id)
    context = {
        "entry": entry,
        "form": form,
        "title": _("Confirm the class"),
        "action": reverse("followup:confirm", args=[entry.pk]),
        "back": reverse("followup:round", args=[entry.round_id]),
    }
    return render(request, "followup/entry_form.html", context, status=400)


@require_POST
@login_required
def close(request, pk):
    profile = current_membership(request.user)
    if profile is None:
        raise Http404
    round_ = _round(profile, pk)
    if "staff" not in profile.roles:
        raise PermissionDenied
    run(request, services.close_round, round_, by=request.user, success=_("The round is closed."))
    return redirect("followup:round", round_.pk)


def _unit_entries(profile):
    return services.unit_entries(profile.body_id, profile.unit_id)


@login_required
def unit_items(request):
    """The unit's items in the follow-up rounds (newest round first), each with its reports
    and, while the round is open and the class unconfirmed, the report form."""
    profile = _unit_profile(request)
    mine = _unit_entries(profile)
    rounds_of_unit = FollowUpRound.objects.filter(pk__in=mine.values("round_id")).order_by(
        "-opened_on", "-id"
    )
    chosen = int_or_none(request.GET.get("round"))
    if chosen is not None:
        mine = mine.filter(round_id=chosen)
    entries = _entries(mine, unit_id=profile.unit_id).order_by("-round_id", "id")
    page = page_of(request, entries, count=True)
    classes = profile.body.rules.result_classes
    for entry in page.object_list:
        if entry.round.is_open and not entry.is_confirmed:
            entry.form = ReportForm(classes=classes, prefix=f"r{entry.pk}")
    context = {"page": page, "rounds": list(rounds_of_unit), "chosen": chosen}
    return render(request, "followup/unit_items.html", context)


@require_POST
@login_required
def report(request, pk):
    """A unit reports an item's progress; errors come back on the item's own form page."""
    profile = _unit_profile(request)
    entry = _unit_entries(profile).filter(pk=pk).select_related("round", "item").first()
    if entry is None:
        raise Http404
    back = f"{reverse('followup:unit_items')}?round={entry.round_id}"
    form = ReportForm(
        request.POST, classes=profile.body.rules.result_classes, prefix=f"r{entry.pk}"
    )
    if form.is_valid():
        done = run(
            request,
            services.report_progress,
            entry,
            by=request.user,
            text=form.cleaned_data["text"],
            proposed_class=form.cleaned_data["proposed_class"],
            form=form,
            success=_("Your report on %(item)s is sent to the staff.")
            % {"item": entry.item.display_number},
        )
        if done or not form.errors:
            return redirect(f"{back}#entry-{entry.pk}")
    context = {
        "entry": entry,
        "form": form,
        "title": _("Report the progress"),
        "action": reverse("followup:report", args=[entry.pk]),
        "back": back,
    }
    return render(request, "followup/entry_form.html", context, status=400)


@login_required
def cross_year(request):
    """跨年度: the body's cross-year items across sessions, each with its history of classes;
    unsolved by default (solved: the first class)."""
    profile = _profile(request)
    body = profile.body
    top = body.rules.result_classes[0]
    found = Item.objects.for_body(body).filter(is_cross_year=True)
    # The body's own sessions that hold one: a few rows, not a join of every session.
    years = (
        Session.objects.filter(term__body=body, pk__in=found.values("session_id"))
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    form = CrossYearFilter(request.GET or None, years=list(years))
    status = form.value("status", "open")
    if status == "open":
        found = found.exclude(result_class=top)
    elif status == "solved":
        found = found.filter(result_class=top)
    year = form.value("year")
    if year:
        found = found.filter(session__year=year)
    changes = ResultClassChange.objects.order_by("changed_on", "id")
    reviewed = RoundItem.objects.filter(class_confirmed="", round__state="closed").select_related(
        "round"
    )
    leads = (
        Assignment.objects.filter(role=AssignmentRole.LEAD)
        .exclude(state__in=GONE_STATES)
        .select_related("unit")
        .order_by("id")
    )
    items = (
        found.defer("text", "search_text")
        .select_related("session")
        .prefetch_related(
            Prefetch("class_changes", queryset=changes, to_attr="changes"),
            Prefetch("followup_entries", queryset=reviewed, to_attr="kept"),
            Prefetch("assignments", queryset=leads, to_attr="lead_units"),
        )
        # Newest first by id: later sessions' items have later ids, and the order is the
        # partial index's, so a page costs 25 rows however many items are cross-year
        # (ordered by the session's year it sorted every one of them: 150 ms for 25,000).
        .order_by("-id")
    )
    page = page_of(request, items, count=True)
    for item in page.object_list:
        item.class_history = class_history(item)
        item.solved = item.result_class == top
    context = {"form": form, "page": page, "today": clock.today()}
    return render(request, "followup/cross_year.html", context)


def class_history(item) -> list[tuple[int, str]]:
    """(year, class) steps of an item: each dated change, and each closed round that left
    the class as it was ("2023 B → 2024 B → 2025 A"), in date order."""
    steps = [(c.changed_on, 0, c.to_class) for c in item.changes]
    steps += [(e.round.closed_on or e.round.opened_on, 1, e.class_at_opening) for e in item.kept]
    return [(day.year, cls) for day, _order, cls in sorted(steps)]
