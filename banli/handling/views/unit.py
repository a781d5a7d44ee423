"""The handling unit's pages (承办单位): the coordinator's inbox of new assignments, the unit's
items in hand, the reply editor, the leader's signing queue, and one POST endpoint for every
step a unit takes on an assignment.

A user sees only the assignments of their own unit in their own body; what they may do on
each is what the assignment workflow table offers their roles."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banli.bodies.access import current_membership, membership_in
from banli.bodies.models import UNIT_ROLES, Membership
from banli.core import clock
from banli.core.errors import DomainError, InvalidTransition, NotAllowed
from banli.core.models import Attachment, HistoryEntry
from banli.core.uploads import case_files
from banli.core.web import page_of

from .. import case, services
from ..access import HELD_STATES
from ..forms_unit import (
    ACTION_FORMS,
    LISTED_STATES,
    ReplyForm,
    ReturnDraftForm,
    SignForm,
    UnitItemsFilter,
    class_label,
)
from ..models import (
    Assignment,
    AssignmentRole,
    CoHandlingOpinion,
    Contact,
    ContactStage,
    DecisionState,
    Evaluation,
    Extension,
    Rating,
    Reply,
)
from ..workflow import (
    ASSIGNMENT_WORKFLOW,
    GONE_STATES,
    WORKING,
    AssignmentState,
    extension_limit,
)

A = AssignmentState

# action -> (the service call, the message on success)
ACTIONS = {
    "accept": (
        lambda a, by, d: services.accept_assignment(a, by=by),
        gettext_lazy("The assignment is accepted; the item is now in your unit's hands."),
    ),
    "dispute": (
        lambda a, by, d: services.dispute(a, by=by, reason=d["reason"]),
        gettext_lazy("The dispute is sent to the staff, who will reassign or keep the item."),
    ),
    "name_handler": (
        lambda a, by, d: services.name_handler(a, by=by, handler=d["handler"], phone=d["phone"]),
        gettext_lazy("The handler is named."),
    ),
    "log_contact": (
        lambda a, by, d: services.log_contact(
            a, by=by, stage=d["stage"], method=d["method"], on=d["on"], notes=d["notes"]
        ),
        gettext_lazy("The contact with the proposer is logged."),
    ),
    "request_extension": (
        lambda a, by, d: services.request_extension(a, by=by, until=d["until"], reason=d["reason"]),
        gettext_lazy("The extension request is sent to the staff."),
    ),
    "send_opinion": (
        lambda a, by, d: services.send_opinion(a, by=by, text=d["text"]),
        gettext_lazy("The opinion is sent to the lead unit."),
    ),
    "sign_reply": (
        lambda a, by, d: services.sign_reply(a, by=by),
        gettext_lazy("The reply is signed and sent to the proposers."),
    ),
    "return_draft": (
        lambda a, by, d: services.return_reply_draft(a, by=by, note=d["note"]),
        gettext_lazy("The draft was sent back to the handler with your note."),
    ),
}
# Steps shown on the unit's pages: the actions above and the reply editor.
UNIT_STEPS = {*ACTIONS, "draft_reply"}
# The table offers the same steps to lead and co-handling units; the services refuse those
# that do not fit the unit's part (only lead units reply; only co-handling units give an opinion).
NOT_FOR = {
    AssignmentRole.LEAD: {"send_opinion"},
    AssignmentRole.CO: {"draft_reply", "sign_reply", "return_draft"},
}
# Recently replied assignments stay on the unit's list this long.
RECENT_DAYS = 30


def unit_profile(request, audience: frozenset[str] | None = None) -> Membership:
    """The profile of a user who acts for a unit (with one of `audience`'s roles), or 403."""
    profile = current_membership(request.user)
    roles = set(profile.roles) & UNIT_ROLES if profile is not None else set()
    if not roles or profile is None or profile.unit_id is None:
        raise PermissionDenied
    if audience is not None and not roles & audience:
        raise PermissionDenied
    return profile


def unit_assignments(profile: Membership):
    """The assignments the user's unit holds in the user's body (not those reassigned away)."""
    # The assignment's own body (its item's): no join to the body's items to check it.
    return Assignment.objects.filter(
        unit_id=profile.unit_id, body_id=profile.body_id, state__in=HELD_STATES
    )


def unit_assignment(request, pk) -> Assignment:
    """The user's unit's assignment, or 404: another unit's or another body's assignment
    answers like one that does not exist (docs/architecture.md, the 404 policy)."""
    profile = unit_profile(request)
    mine = unit_assignments(profile).select_related("item__body", "unit", "handler")
    try:
        return mine.get(pk=int(pk))
    except (Assignment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def offered_actions(user, assignment: Assignment) -> list:
    """The steps the workflow table offers this user on the assignment now, in table order."""
    roles = services.assignment_roles(user, assignment)
    # With the assignment: a row's guard leaves out what would be refused (a dispute after
    # its window, an extension with no time left to give).
    return [
        t
        for t in ASSIGNMENT_WORKFLOW.available(assignment.state, roles, assignment)
        if t.action in UNIT_STEPS and t.action not in NOT_FOR[assignment.role]
    ]


def current_draft(assignment: Assignment) -> Reply | None:
    """The unsigned reply of the item's current round, if the unit has drafted one."""
    return assignment.replies.filter(
        round=assignment.item.reply_round, signed_at__isnull=True
    ).first()


def action_forms(
    user,
    assignment: Assignment,
    *,
    only=None,
    draft=None,
    waiting_extension=None,
    linked: str | None = None,
    contacts=None,
) -> list[dict]:
    """The buttons and forms for what the user may do on the assignment (see `offered_actions`).

    A step that would certainly be refused is left out: signing without a draft (or, with
    `contacts` given, before the contact the body's rules ask for), sending back a draft
    already sent back, a second extension request while one waits. With `linked` (the
    address to come back to), a step with a form is a link to the form's own page instead
    of a form (lists: no form per row)."""
    shown: list[dict] = []
    offered = offered_actions(user, assignment)
    can_sign = draft is not None and any(t.action == "sign_reply" for t in offered)
    for transition in offered:
        action = transition.action
        if only is not None and action not in only:
            continue
        if action in {"sign_reply", "return_draft"} and draft is None:
            continue
        if action == "sign_reply" and contacts is not None and not may_sign(assignment, contacts):
            continue
        if action == "return_draft" and draft.awaits_revision:
            continue
        if action == "request_extension" and waiting_extension is not None:
            continue
        entry = {"action": action, "label": transition.label}
        if action == "draft_reply":
            entry["link"] = reverse("handling:reply", args=[assignment.pk])
            entry["label"] = _("Edit the reply") if draft else _("Write the reply")
        else:
            entry["url"] = reverse("handling:assignment_action", args=[assignment.pk, action])
            if action in ACTION_FORMS and linked is not None:
                entry["link"] = f"{entry['url']}?{urlencode({'next': linked})}"
            elif action in ACTION_FORMS:
                entry["form"] = ACTION_FORMS[action](assignment=assignment)
        # The main step is signing when there is a draft to sign, else accepting or writing.
        entry["primary"] = action in {"accept", "sign_reply"} or (
            action == "draft_reply" and not can_sign
        )
        entry["danger"] = action == "dispute"
        # A co-handling unit's one deliverable is its opinion: show its form unfolded.
        entry["open"] = action == "send_opinion"
        shown.append(entry)
    return shown


def may_sign(assignment: Assignment, contacts) -> bool:
    """Whether the body's rule on contacts before signing is met (the service decides)."""
    return bool(contacts) or not assignment.item.body.rules.contact_before_signing


def signing_facts(drafts) -> None:
    """What the leader reads before signing each draft (on `draft.facts`): the contacts
    logged with the proposer and the 三见面 stages done, every co-handling unit's opinion or
    that it has not arrived, whether the body's rules let it be signed yet, and the forms to
    sign (with confirmation) or to send it back. Two queries for the whole page."""
    assignments = {d.assignment_id: d.assignment for d in drafts}
    contacts: dict[int, list[Contact]] = {pk: [] for pk in assignments}
    for contact in Contact.objects.filter(assignment_id__in=assignments).select_related(
        "logged_by"
    ):
        contacts[contact.assignment_id].append(contact)
    items = {a.item_id for a in assignments.values()}
    co: dict[int, list[Assignment]] = {pk: [] for pk in items}
    for other in (
        Assignment.objects.filter(item_id__in=items, role=AssignmentRole.CO)
        .exclude(state__in=GONE_STATES)
        .select_related("unit", "opinion", "opinion__sent_by")
        .order_by("assigned_on", "id")
    ):
        other.opinion_sent = getattr(other, "opinion", None)
        co[other.item_id].append(other)
    for draft in drafts:
        assignment = draft.assignment
        logged = contacts[assignment.pk]
        done = {c.stage for c in logged}
        units = co[assignment.item_id]
        draft.facts = {
            "contacts": logged,
            "stages": [(label, stage in done) for stage, label in ContactStage.choices],
            "co": units,
            "missing": [u for u in units if u.opinion_sent is None],
            "missing_names": "、".join(u.unit.name for u in units if u.opinion_sent is None),
            "may_sign": may_sign(assignment, logged),
            "sign_form": SignForm(assignment=assignment),
            "return_form": ReturnDraftForm(assignment=assignment),
        }


def _download_url(attachment: Attachment) -> str | None:
    """Where the item pages serve an attachment to those who may read the case file."""
    try:
        return reverse("items:attachment", args=[attachment.pk])
    except NoReverseMatch:
        return None


def attachments_by_reply(replies, *, root=None) -> dict[int, list[Attachment]]:
    """Each reply's attachments, each with `url` for downloading it; with `root` (the
    replies' item), from the case file's files read once for the page."""
    ids = [r.pk for r in replies]
    found: dict[int, list[Attachment]] = {pk: [] for pk in ids}
    if ids:
        ct = ContentType.objects.get_for_model(Reply)
        candidates = (
            case_files(root)
            if root is not None
            else Attachment.objects.filter(target_type=ct, target_id__in=ids)
        )
        for attachment in candidates:
            if attachment.target_type_id == ct.pk and attachment.target_id in found:
                attachment.url = _download_url(attachment)
                found[attachment.target_id].append(attachment)
    return found


def co_opinions(item):
    """The co-handling units' opinions on the item, for its lead units (协办意见)."""
    return CoHandlingOpinion.objects.filter(
        assignment__item=item, assignment__role=AssignmentRole.CO
    ).select_related("assignment__unit", "sent_by")


def workspace(user, assignment: Assignment) -> dict:
    """Everything a unit sees and does about one assignment: the unit panel's content."""
    # The item's replies, extensions, opinions and files are read once for the item and
    # shared with the other panels of its page (banli.handling.case).
    item = assignment.item
    replies = [r for r in case.replies(item) if r.assignment_id == assignment.pk]
    round_ = item.reply_round
    draft = next((r for r in replies if r.round == round_ and not r.is_sent), None)
    # Newest first, as the unit reads them.
    extensions = sorted(
        (e for e in case.extensions(item) if e.assignment_id == assignment.pk),
        key=lambda e: (e.requested_at, e.pk),
        reverse=True,
    )
    waiting = next((e for e in extensions if e.state == DecisionState.PENDING), None)
    files = attachments_by_reply(replies, root=item)
    for reply in replies:
        reply.files = files[reply.pk]
        reply.class_label = class_label(reply.result_class)
    opinions = case.opinions(item)
    contacts = case.contacts(assignment)
    return {
        "assignment": assignment,
        "actions": action_forms(
            user, assignment, draft=draft, waiting_extension=waiting, contacts=contacts
        ),
        "contacts": contacts,
        "needs_contact": draft is not None and not may_sign(assignment, contacts),
        "extension_limit": extension_limit(assignment),
        "dissatisfied": _dissatisfied(assignment),
        "sent": [r for r in replies if r.is_sent],
        "draft": draft,
        "waiting_extension": waiting,
        "extensions": extensions,
        "opinions": [o for o in opinions if o.assignment.role == AssignmentRole.CO]
        if assignment.is_lead
        else [],
        "own_opinion": next((o for o in opinions if o.assignment_id == assignment.pk), None),
    }


def _dissatisfied(assignment: Assignment) -> list[Evaluation]:
    """The proposers' 不满意 evaluations a lead unit handles the item again on, with their
    reasons: those of its own reply, or of the whole item."""
    if not assignment.is_lead or assignment.item.reply_round < 2:
        return []
    unsatisfied = Q(result=Rating.UNSATISFIED) | Q(attitude=Rating.UNSATISFIED)
    return list(
        Evaluation.objects.filter(unsatisfied, item_id=assignment.item_id)
        .filter(Q(reply__isnull=True) | Q(reply__assignment_id=assignment.pk))
        .select_related("member")
        .order_by("round", "evaluated_at", "id")
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# As every list: 25 rows, paged by keys.
INBOX_PER_PAGE = 25


@login_required
def inbox(request):
    """The coordinator's start page: new assignments to accept or dispute, the unit's disputes
    awaiting the staff, and its extension requests awaiting a decision."""
    profile = unit_profile(request, ASSIGNMENT_WORKFLOW["accept"].roles)
    mine = unit_assignments(profile).select_related("item__body", "item__session", "item__proposer")
    pending = mine.filter(state=A.PENDING).defer("item__text", "item__search_text")
    page = page_of(request, pending.order_by("dispute_due_on", "id"), INBOX_PER_PAGE, count=True)
    here = request.get_full_path()
    rows = [
        {
            "assignment": a,
            "actions": action_forms(request.user, a, only={"accept", "dispute"}, linked=here),
        }
        for a in page.object_list
    ]
    # The disputes and extension requests waiting for the staff are paged too: a unit with
    # a long history must not get all of them on its start page.
    disputed = page_of(
        request,
        mine.filter(state=A.DISPUTED)
        .defer("item__text", "item__search_text")
        .order_by("dispute_due_on", "id"),
        INBOX_PER_PAGE,
        param="disputed_cursor",
    )
    reasons = {
        entry.target_id: entry
        for entry in HistoryEntry.objects.filter(
            target_type=ContentType.objects.get_for_model(Assignment),
            target_id__in=[a.pk for a in disputed],
            action="assignment.dispute",
        ).order_by("at", "id")
    }
    for assignment in disputed:
        assignment.dispute_entry = reasons.get(assignment.pk)
    # The unit's conditions on the joined assignment itself (not `assignment IN (…)`), so
    # the unit's index leads: with the subquery PostgreSQL hashed every body's assignments.
    extensions = (
        Extension.objects.filter(
            assignment__unit_id=profile.unit_id,
            assignment__body_id=profile.body_id,
            assignment__state__in=HELD_STATES,
            state=DecisionState.PENDING,
        )
        .select_related("assignment__item", "requested_by")
        .defer("assignment__item__text", "assignment__item__search_text")
        .order_by("requested_at", "id")
    )
    context = {
        "unit": profile.unit,
        "page": page,
        "rows": rows,
        "disputed": disputed,
        "extensions": page_of(request, extensions, INBOX_PER_PAGE, param="extensions_cursor"),
        "today": clock.today(),
    }
    return render(request, "handling/unit_inbox.html", context)


@login_required
def unit_items(request):
    """The unit's items in hand, overdue first, with those replied in the last month."""
    profile = unit_profile(request)
    form = UnitItemsFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = clock.today()
    since = today - dt.timedelta(days=RECENT_DAYS)
    recent_reply = Exists(Reply.objects.filter(assignment=OuterRef("pk"), replied_on__gte=since))
    recent_opinion = Exists(
        CoHandlingOpinion.objects.filter(assignment=OuterRef("pk"), sent_at__date__gte=since)
    )
    waiting_draft = Exists(
        Reply.objects.filter(
            assignment=OuterRef("pk"),
            round=OuterRef("item__reply_round"),
            signed_at__isnull=True,
        )
    )
    listed = unit_assignments(profile).filter(
        Q(state__in=WORKING)
        | Q(recent_reply, state=A.REPLIED)
        | Q(recent_opinion, state=A.OPINION_SENT)
    )
    # One query for the counts above the list (a unit holds few assignments at a time).
    figures = listed.aggregate(
        overdue=Count("pk", filter=Q(state__in=WORKING, due_on__lt=today)),
        **{state: Count("pk", filter=Q(state=state)) for state in LISTED_STATES},
    )
    counts = {state: figures[state] for state in LISTED_STATES}
    overdue = figures["overdue"]
    if filters.get("state"):
        listed = listed.filter(state=filters["state"])
    if filters.get("mine"):
        listed = listed.filter(handler=request.user)
    listed = (
        listed.annotate(
            closed_rank=Case(
                When(state__in=WORKING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            has_draft=waiting_draft,
        )
        .select_related("item__session", "item__proposer", "handler")
        .defer("item__text", "item__search_text")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Reply.objects.filter(signed_at__isnull=False)
                .defer("text")
                .order_by("-round"),
                to_attr="signed_replies",
            )
        )
        .order_by("closed_rank", "due_on", "id")
    )
    page = page_of(request, listed)
    for assignment in page.object_list:
        assignment.working = assignment.state in WORKING
        signed = assignment.signed_replies
        assignment.last_reply = signed[0] if signed and assignment.state == A.REPLIED else None
    context = {
        "unit": profile.unit,
        "form": form,
        "page": page,
        "counts": [(A(state).label, n) for state, n in counts.items() if n],
        "overdue": overdue,
        "today": today,
    }
    return render(request, "handling/unit_items.html", context)


SIGNING_PER_PAGE = 10


@login_required
def signing(request):
    """The unit leader's queue: drafted replies of the current round, waiting to be signed."""
    profile = unit_profile(request, ASSIGNMENT_WORKFLOW["sign_reply"].roles)
    # The unit's conditions on the joined assignment itself, not `assignment IN (the unit's
    # held assignments)`: that enumerated every assignment the unit ever held (16,000 over
    # ten years, 123 ms) where the working ones are read from the (unit, state) index.
    waiting = (
        Reply.objects.filter(
            assignment__unit_id=profile.unit_id,
            assignment__body_id=profile.body_id,
            assignment__state__in=WORKING,  # held states, so the unit still holds these
            signed_at__isnull=True,
            round=F("assignment__item__reply_round"),
        )
        .select_related(
            "assignment__item__body__rule_set",
            "assignment__handler",
            "drafted_by",
            "returned_by",
        )
        .defer("assignment__item__text", "assignment__item__search_text")
        .order_by("assignment__due_on", "id")
    )
    # Paged by keys: each draft is shown whole, for the leader to read before signing, so a
    # unit with hundreds waiting must not get them on one page (1.5 MB of HTML).
    page = page_of(request, waiting, SIGNING_PER_PAGE, count=True)
    drafts = list(page.object_list)
    files = attachments_by_reply(drafts)
    signing_facts(drafts)
    for draft in drafts:
        draft.files = files[draft.pk]
        draft.class_label = class_label(draft.result_class)
        steps = action_forms(
            request.user,
            draft.assignment,
            only={"sign_reply", "draft_reply", "return_draft"},
            draft=draft,
            contacts=draft.facts["contacts"],
        )
        # Signing and sending back are the page's own forms (with the facts beside them).
        draft.actions = [e for e in steps if e["action"] == "draft_reply"]
        draft.can_sign = any(e["action"] == "sign_reply" for e in steps)
        draft.can_return = any(e["action"] == "return_draft" for e in steps)
    context = {"unit": profile.unit, "drafts": drafts, "page": page, "today": clock.today()}
    return render(request, "handling/unit_signing.html", context)


@login_required
def assignment_action(request, pk, action):
    """POST: take one step on the assignment, then go back where the user came from. GET, for
    a step with a form: the form alone on its page (what a list links to instead of
    rendering one form per row; it works without JavaScript)."""
    if action not in ACTIONS:
        raise Http404
    form_class = ACTION_FORMS.get(action)
    if request.method != "POST" and not (request.method == "GET" and form_class):
        return HttpResponseNotAllowed(["POST"])
    assignment = unit_assignment(request, pk)
    if not ASSIGNMENT_WORKFLOW[action].roles & services.assignment_roles(request.user, assignment):
        raise PermissionDenied
    if request.method == "GET":
        back = _safe_next(request, reverse("items:detail", args=[assignment.item_id]))
        if action not in {t.action for t in offered_actions(request.user, assignment)}:
            messages.error(request, _("This step is not open on this assignment now."))
            return redirect(back)
        return _action_page(
            request, assignment, action, form_class(assignment=assignment), back, status=200
        )
    use_case, success = ACTIONS[action]
    form = form_class(request.POST, assignment=assignment) if form_class else None
    back = _safe_next(request, reverse("items:detail", args=[assignment.item_id]))
    if form is not None and not form.is_valid():
        return _action_page(request, assignment, action, form, back, status=400)
    try:
        use_case(assignment, request.user, form.cleaned_data if form is not None else {})
    except NotAllowed:
        raise
    except DomainError as refused:
        if form is None:
            messages.error(request, str(refused))
            return redirect(back)
        assignment.refresh_from_db()
        form.add_error(None, str(refused))
        return _action_page(request, assignment, action, form, back, status=refused.status_code)
    messages.success(request, str(success))
    return redirect(back)


def _action_page(request, assignment, action, form, back, *, status):
    """The form again, with what was wrong, for a step taken from a list or the item page."""
    context = {
        "assignment": assignment,
        "item": assignment.item,
        "label": ASSIGNMENT_WORKFLOW[action].label,
        "danger": action == "dispute",
        "form": form,
        "url": reverse("handling:assignment_action", args=[assignment.pk, action]),
        "next": back,
        "today": clock.today(),
    }
    return render(request, "handling/unit_action.html", context, status=status)


def _initial_reply(assignment: Assignment, draft: Reply | None, user) -> dict:
    if draft is not None:
        return {
            "text": draft.text,
            "result_class": draft.result_class,
            "planned_on": draft.planned_on,
            "is_public": draft.is_public,
            "contact_name": draft.contact_name,
            "contact_phone": draft.contact_phone,
        }
    handler = assignment.handler or user
    profile = membership_in(handler, assignment.item.body_id)
    return {
        "contact_name": handler.get_full_name() or handler.username,
        "contact_phone": assignment.handler_phone or getattr(profile, "phone", ""),
    }


@login_required
def reply(request, pk):
    """The reply editor (答复函): the letter, its result class and attachments, beside the
    co-handling units' opinions and the contacts with the proposer."""
    assignment = unit_assignment(request, pk)
    if not assignment.is_lead:
        raise InvalidTransition(
            _("A co-handling unit sends its opinion to the lead unit; only lead units reply.")
        )
    item = assignment.item
    draft = current_draft(assignment)
    status = 200
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES, assignment=assignment)
        if form.is_valid():
            try:
                services.save_reply_draft(assignment, by=request.user, **form.draft_kwargs())
            except NotAllowed:
                raise
            except DomainError as refused:
                assignment.refresh_from_db()
                form.add_error(None, str(refused))
                status = refused.status_code
            else:
                messages.success(
                    request, _("The reply is saved. It is sent when the unit leader signs it.")
                )
                return redirect("handling:reply", pk=assignment.pk)
        else:
            status = 400
    else:
        form = ReplyForm(
            initial=_initial_reply(assignment, draft, request.user), assignment=assignment
        )
    offered = {t.action for t in offered_actions(request.user, assignment)}
    if draft is not None:
        draft.assignment = assignment
        signing_facts([draft])
    sent = [r for r in assignment.replies.select_related("signed_by") if r.is_sent]
    files = attachments_by_reply([r for r in [draft, *sent] if r is not None])
    for r in [draft, *sent]:
        if r is not None:
            r.files = files[r.pk]
            r.class_label = class_label(r.result_class)
    context = {
        "item": item,
        "assignment": assignment,
        "form": form,
        "draft": draft,
        "sent": sent,
        "editable": "draft_reply" in offered,
        "can_sign": "sign_reply" in offered and draft is not None,
        "can_return": "return_draft" in offered and draft is not None and not draft.awaits_revision,
        "opinions": co_opinions(item),
        "contacts": assignment.contacts.select_related("logged_by"),
        "evaluations": Evaluation.objects.filter(item=item).select_related("member"),
        "today": clock.today(),
    }
    return render(request, "handling/unit_reply.html", context, status=status)
