"""The body administration pages (机关管理): a body's own administrator manages its users and
memberships, its units, deputies and members, categories and rules, and reads the history of
those changes, for that body alone; the platform's superuser keeps the admin site.

Each page works in the current body and needs the `body_admin` role there (403 otherwise).
Records are fetched through the body's own querysets, so another body's record is a 404, and
every change goes through `banli.bodies.services`, which records it with its old and new
values. A change made here is also a security event (an administrator's action), as a change
in the admin site is."""

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

# The one page of bodies that needs accounts: a new or forgotten password is the accounts'
# one-time password (see the layering contract in pyproject.toml).
from banli.accounts.services import issue_temporary_password
from banli.core.models import HistoryEntry, SecurityEventKind
from banli.core.security import record_security_event
from banli.core.web import page_of, run

from . import forms, services
from .access import current_membership
from .models import Body, BodyRules, Category, Member, Membership, MemberType, Role, Unit

# ---------------------------------------------------------------------------------------------
# Access


def body_admin_page(view):
    """The page of the current body's administrator: the view receives the body."""

    @login_required
    @wraps(view)
    def page(request, *args, **kwargs):
        membership = current_membership(request.user)
        if membership is None or Role.BODY_ADMIN not in membership.roles:
            raise PermissionDenied
        return view(request, membership.body, *args, **kwargs)

    return page


def _memberships(body: Body):
    return Membership.objects.filter(body=body).select_related("user", "unit", "member")


def _change(request, body: Body, action: str, use_case, *args, form=None, success="", **kwargs):
    """Run a configuration use case; on success note it in the security log."""
    result = run(request, use_case, *args, form=form, success=success, **kwargs)
    if result:
        target = result if hasattr(result, "_meta") else None
        record_security_event(
            SecurityEventKind.ADMIN_ACTION,
            request=request,
            body=body,
            action=action,
            model=target._meta.label_lower if target is not None else "",
            object_id=str(target.pk) if target is not None else "",
            object=str(target) if target is not None else "",
        )
    return result


def _is_on(value) -> bool:
    return value in ("1", "true", "on")


# ---------------------------------------------------------------------------------------------
# Overview


@body_admin_page
def overview(request, body):
    """What the body is made of, and the latest changes to it."""
    counts = {
        "users": Membership.objects.filter(body=body, active=True).count(),
        "units": Unit.objects.filter(body=body, active=True).count(),
        "members": Member.objects.filter(body=body, active=True).count(),
        "categories": Category.objects.filter(body=body).count(),
    }
    roles = _role_counts(body)
    return render(
        request,
        "bodies/overview.html",
        {
            "body": body,
            "counts": counts,
            "roles": roles,
            "rules": _rules_summary(body.rules),
            "recent": describe(_history(body).order_by("-at", "-id")[:8]),
        },
    )


# What the overview shows of the rules; the rules page has them all.
SUMMARY_RULES = (
    "reply_months",
    "complex_reply_months",
    "result_classes",
    "require_2fa",
    "idle_timeout_minutes",
)


def _rules_summary(rules: BodyRules) -> list[tuple[str, str]]:
    return [
        (
            _field_label(BodyRules, name),
            _readable(BodyRules, name, getattr(rules, name), _Names([])),
        )
        for name in SUMMARY_RULES
    ]


def _role_counts(body: Body) -> list[tuple[str, int]]:
    """How many active memberships hold each role, in the roles' order."""
    held: dict[str, int] = {}
    for roles in Membership.objects.filter(body=body, active=True).values_list("roles", flat=True):
        for role in roles:
            held[role] = held.get(role, 0) + 1
    return [(label, held[value]) for value, label in Role.choices if held.get(value)]


# ---------------------------------------------------------------------------------------------
# Users and memberships


@body_admin_page
def users(request, body):
    """The body's memberships: who holds which roles, for which unit or member."""
    search = forms.SearchForm(request.GET)
    memberships = _memberships(body).order_by("-active", "user__username")
    if term := search.term():
        memberships = memberships.filter(
            Q(user__username__icontains=term)
            | Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
            | Q(phone__icontains=term)
            | Q(unit__name__icontains=term)
            | Q(member__name__icontains=term)
        )
    role = request.GET.get("role", "")
    if role in Role.values:
        # The roles are a JSON list, whose text holds each code in quotes; no code is part
        # of another, so the quoted code matches that role alone (on SQLite and PostgreSQL).
        memberships = memberships.filter(roles__icontains=f'"{role}"')
    page = page_of(request, memberships, count=True)
    for m in page.object_list:
        m.role_labels = _role_labels(m.roles)
    return render(
        request,
        "bodies/users.html",
        {"body": body, "search": search, "role": role, "roles": Role.choices, "page": page},
    )


def _role_labels(roles) -> list[str]:
    labels = dict(Role.choices)
    return [str(labels.get(r, r)) for r in roles]


def _issued(request, body, membership, password):
    return render(
        request,
        "bodies/password_issued.html",
        {"body": body, "membership": membership, "password": password},
    )


@body_admin_page
def user_add(request, body):
    """Open an account for someone of the body, with a one-time password shown once."""
    form = forms.NewAccountForm(request.POST or None, body=body)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        membership = _change(
            request,
            body,
            "account.create",
            services.create_account,
            body,
            by=request.user,
            **values,
            form=form,
        )
        if membership:
            password = run(request, issue_temporary_password, request, membership.user)
            messages.success(
                request,
                _("The account %(username)s was opened.") % {"username": membership.user.username},
            )
            if password:
                return _issued(request, body, membership, password)
            return redirect("bodies:membership", membership.pk)
    return render(
        request,
        "bodies/form.html",
        {
            "body": body,
            "form": form,
            "title": _("New account"),
            "intro": _(
                "The account gets a one-time password, shown once on the next page; the "
                "person chooses their own at the first login."
            ),
            "submit": _("Open the account"),
            "back": "bodies:users",
        },
    )


@body_admin_page
def user_grant(request, body):
    """Give an account that exists already (someone of another body) a place in this one."""
    form = forms.ExistingAccountForm(request.POST or None, body=body)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        values.pop("username")
        membership = _change(
            request,
            body,
            "membership.create",
            services.grant_membership,
            form.account,
            body,
            by=request.user,
            **values,
            form=form,
            success=_("The membership was granted."),
        )
        if membership:
            return redirect("bodies:membership", membership.pk)
    return render(
        request,
        "bodies/form.html",
        {
            "body": body,
            "form": form,
            "title": _("Add an existing account"),
            "intro": _(
                "For someone who already has an account in banli, for example in another "
                "body: they keep one login and switch between their bodies."
            ),
            "submit": _("Grant the membership"),
            "back": "bodies:users",
        },
    )


@body_admin_page
def membership(request, body, pk):
    """One membership: its roles, unit, member and phone; the account's name; a new password."""
    membership = get_object_or_404(_memberships(body), pk=pk)
    account = membership.user
    manages = services.manages_account(request.user, account)
    form = forms.MembershipForm(
        request.POST if request.method == "POST" else None, body=body, instance=membership
    )
    if request.method == "POST" and form.is_valid():
        saved = _change(
            request,
            body,
            "membership.change",
            services.change_membership,
            membership,
            by=request.user,
            **form.changed(),
            form=form,
            success=_("The membership was saved."),
        )
        if saved:
            return redirect("bodies:membership", membership.pk)
    return render(
        request,
        "bodies/membership.html",
        {
            "body": body,
            "membership": membership,
            "account": account,
            "form": form,
            "manages": manages,
            "name_form": forms.AccountNameForm(instance=account) if manages else None,
            "password_form": forms.PasswordIssueForm() if manages else None,
            "role_labels": _role_labels(membership.roles),
            "history": describe(_history_of(membership, account)),
        },
    )


@require_POST
@body_admin_page
def account_name(request, body, pk):
    membership = get_object_or_404(_memberships(body), pk=pk)
    form = forms.AccountNameForm(request.POST, instance=membership.user)
    if form.is_valid():
        _change(
            request,
            body,
            "account.change",
            services.save_account,
            membership.user,
            by=request.user,
            **form.changed(),
            success=_("The account was saved."),
        )
    else:
        messages.error(request, _("The name or e-mail address is not valid."))
    return redirect("bodies:membership", membership.pk)


@require_POST
@body_admin_page
def account_password(request, body, pk):
    """A one-time password for a user who forgot theirs, shown once."""
    membership = get_object_or_404(_memberships(body), pk=pk)
    form = forms.PasswordIssueForm(request.POST)
    reset = form.is_valid() and form.cleaned_data["reset_two_factor"]
    password = run(
        request,
        issue_temporary_password,
        request,
        membership.user,
        reset_two_factor=reset,
    )
    if not password:
        return redirect("bodies:membership", membership.pk)
    return _issued(request, body, membership, password)


@require_POST
@body_admin_page
def membership_active(request, body, pk):
    membership = get_object_or_404(_memberships(body), pk=pk)
    active = _is_on(request.POST.get("active"))
    _change(
        request,
        body,
        "membership.change",
        services.change_membership,
        membership,
        by=request.user,
        active=active,
        success=_("The membership is active again.") if active else _("The membership ended."),
    )
    return redirect("bodies:users")


# ---------------------------------------------------------------------------------------------
# Units, members, categories


def _record_list(request, body, queryset, template, search_fields, **context):
    search = forms.SearchForm(request.GET)
    if term := search.term():
        condition = Q()
        for name in search_fields:
            condition |= Q(**{f"{name}__icontains": term})
        queryset = queryset.filter(condition)
    return render(
        request,
        template,
        {"body": body, "search": search, "page": page_of(request, queryset, count=True), **context},
    )


def _record_form(request, body, *, form, save, action, title, back, success, record=None):
    """Add or edit a unit, member or category through `save(record, by=..., **values)`."""
    if request.method == "POST" and form.is_valid():
        values = form.changed() if record.pk else form.values()
        saved = _change(
            request,
            body,
            action,
            save,
            record,
            by=request.user,
            **values,
            form=form,
            success=success,
        )
        if saved:
            return redirect(back)
    return render(
        request,
        "bodies/form.html",
        {"body": body, "form": form, "title": title, "back": back, "record": record},
    )


@body_admin_page
def units(request, body):
    queryset = (
        Unit.objects.filter(body=body)
        .select_related("parent")
        .annotate(people=Count("membership", filter=Q(membership__active=True)))
        .order_by("-active", "sort_key", "id")
    )
    return _record_list(
        request, body, queryset, "bodies/units.html", ("name", "contact_name", "contact_phone")
    )


@body_admin_page
def unit_edit(request, body, pk=None):
    unit = get_object_or_404(Unit, pk=pk, body=body) if pk else Unit(body=body)
    form = forms.UnitForm(
        request.POST if request.method == "POST" else None, body=body, instance=unit
    )
    return _record_form(
        request,
        body,
        form=form,
        save=services.save_unit,
        action="unit.change" if unit.pk else "unit.create",
        title=unit.name if unit.pk else _("New unit"),
        back="bodies:units",
        success=_("The unit was saved."),
        record=unit,
    )


def _set_active(request, body, model, pk, *, action, save, messages, back):
    """Deactivate a record (it is never deleted) or make it active again; `messages` holds
    the (active again, no longer active) success texts, with %(name)s."""
    record = get_object_or_404(model, pk=pk, body=body)
    active = _is_on(request.POST.get("active"))
    success = messages[0] if active else messages[1]
    _change(
        request,
        body,
        action,
        save,
        record,
        by=request.user,
        active=active,
        success=success % {"name": record},
    )
    return redirect(back)


@require_POST
@body_admin_page
def unit_active(request, body, pk):
    return _set_active(
        request,
        body,
        Unit,
        pk,
        action="unit.change",
        save=services.save_unit,
        messages=(
            _("%(name)s is open again."),
            _("%(name)s was closed: it gets no new assignments."),
        ),
        back="bodies:units",
    )


MEMBER_TYPE_LABELS = dict(MemberType.choices)


@body_admin_page
def members(request, body):
    queryset = Member.objects.filter(body=body).order_by("-active", "sort_key", "id")
    member_type = request.GET.get("type", "")
    if member_type in MemberType.values:
        queryset = queryset.filter(member_type=member_type)
    return _record_list(
        request,
        body,
        queryset,
        "bodies/members.html",
        ("name", "delegation", "party", "sector", "employer", "phone"),
        member_type=member_type,
        member_types=MemberType.choices,
    )


@body_admin_page
def member_edit(request, body, pk=None):
    member = get_object_or_404(Member, pk=pk, body=body) if pk else Member(body=body)
    form = forms.MemberForm(request.POST if request.method == "POST" else None, instance=member)
    return _record_form(
        request,
        body,
        form=form,
        save=services.save_member,
        action="member.change" if member.pk else "member.create",
        title=member.name if member.pk else _("New deputy or member"),
        back="bodies:members",
        success=_("The deputy or member was saved."),
        record=member,
    )


@require_POST
@body_admin_page
def member_active(request, body, pk):
    return _set_active(
        request,
        body,
        Member,
        pk,
        action="member.change",
        save=services.save_member,
        messages=(_("%(name)s is active again."), _("%(name)s is no longer active.")),
        back="bodies:members",
    )


@body_admin_page
def categories(request, body):
    """The categories in their order, with a form to add one."""
    form = forms.CategoryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        saved = _change(
            request,
            body,
            "category.create",
            services.save_category,
            Category(body=body),
            by=request.user,
            **form.values(),
            form=form,
            success=_("The category was added."),
        )
        if saved:
            return redirect("bodies:categories")
    return render(
        request,
        "bodies/categories.html",
        {"body": body, "categories": list(Category.objects.filter(body=body)), "form": form},
    )


@body_admin_page
def category_edit(request, body, pk):
    category = get_object_or_404(Category, pk=pk, body=body)
    form = forms.CategoryForm(request.POST if request.method == "POST" else None, instance=category)
    return _record_form(
        request,
        body,
        form=form,
        save=services.save_category,
        action="category.change",
        title=category.name,
        back="bodies:categories",
        success=_("The category was renamed."),
        record=category,
    )


@require_POST
@body_admin_page
def category_move(request, body, pk):
    category = get_object_or_404(Category, pk=pk, body=body)
    step = -1 if request.POST.get("direction") == "up" else 1
    if run(request, services.move_category, category, by=request.user, step=step):
        record_security_event(
            SecurityEventKind.ADMIN_ACTION,
            request=request,
            body=body,
            action="category.reorder",
            model="bodies.category",
            object_id=str(category.pk),
            object=str(category),
        )
    return redirect("bodies:categories")


# ---------------------------------------------------------------------------------------------
# Rules


@body_admin_page
def rules(request, body):
    """The body's handling rules, checked together (BodyRules.clean); a refusal is shown next
    to the field it is about."""
    current = body.rules
    form = forms.RulesForm(
        request.POST if request.method == "POST" else None, body=body, instance=current
    )
    if request.method == "POST" and form.is_valid():
        saved = _change(
            request,
            body,
            "rules.change",
            services.change_rules,
            body,
            by=request.user,
            **form.changed(),
            form=form,
            success=_("The rules were saved."),
        )
        if saved:
            return redirect("bodies:rules")
    return render(request, "bodies/rules.html", {"body": body, "form": form})


# ---------------------------------------------------------------------------------------------
# History


# What each configuration entry says, as the history page shows it.
ACTIONS = {
    "membership.create": gettext_lazy("Membership granted"),
    "membership.change": gettext_lazy("Membership changed"),
    "account.create": gettext_lazy("Account opened"),
    "account.change": gettext_lazy("Account changed"),
    "unit.create": gettext_lazy("Unit added"),
    "unit.change": gettext_lazy("Unit changed"),
    "member.create": gettext_lazy("Deputy or member added"),
    "member.change": gettext_lazy("Deputy or member changed"),
    "category.create": gettext_lazy("Category added"),
    "category.change": gettext_lazy("Category changed"),
    "category.reorder": gettext_lazy("Categories reordered"),
    "rules.change": gettext_lazy("Rules changed"),
}


def _history(body: Body):
    """The body's configuration entries, and those of the accounts of its people."""
    accounts = Membership.objects.filter(body=body).values("user_id")
    return (
        HistoryEntry.objects.filter(action__in=list(ACTIONS))
        .filter(
            Q(root_type=ContentType.objects.get_for_model(Body), root_id=body.pk)
            | Q(
                target_type=ContentType.objects.get_for_model(get_user_model()),
                target_id__in=accounts,
            )
        )
        .select_related("actor", "target_type")
    )


def _history_of(membership: Membership, account):
    entries = HistoryEntry.objects.filter(
        Q(
            target_type=ContentType.objects.get_for_model(Membership),
            target_id=membership.pk,
        )
        | Q(target_type=ContentType.objects.get_for_model(get_user_model()), target_id=account.pk)
    ).filter(action__in=list(ACTIONS))
    return entries.select_related("actor", "target_type").order_by("-at", "-id")[:20]


@body_admin_page
def history(request, body):
    entries = _history(body)
    action = request.GET.get("action", "")
    if action in ACTIONS:
        entries = entries.filter(action=action)
    page = page_of(request, entries.order_by("-at", "-id"), per_page=30)
    return render(
        request,
        "bodies/history.html",
        {
            "body": body,
            "page": page,
            "entries": describe(page.object_list),
            "action": action,
            "actions": list(ACTIONS.items()),
        },
    )


def _field_label(model, name: str) -> str:
    if model is Body and name == "order":
        return _("Order of the categories")
    try:
        return capfirst(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field since removed keeps its stored name
        return name


# Fields that hold the key of another record of the body, and the model it names.
RELATED = {(Membership, "unit"): Unit, (Membership, "member"): Member, (Unit, "parent"): Unit}


class _Names:
    """The names of the records a page of entries mentions, read in one query per model."""

    def __init__(self, entries: list[HistoryEntry]):
        wanted: dict[Any, set[int]] = {}
        for entry in entries:
            model = entry.target_type.model_class()
            wanted.setdefault(model, set()).add(entry.target_id)
            for side in ("before", "after"):
                for name, value in (entry.data or {}).get(side, {}).items():
                    related = RELATED.get((model, name))
                    if related is not None and isinstance(value, int):
                        wanted.setdefault(related, set()).add(value)
        self.names: dict[tuple[Any, int], str] = {}
        for model, ids in wanted.items():
            if model is None or model in (Body, BodyRules):
                continue
            queryset = model._default_manager.all()
            if model is Membership:
                queryset = queryset.select_related("user")
            for pk, record in queryset.in_bulk(list(ids)).items():
                self.names[(model, pk)] = _name_of(record)

    def __call__(self, model, pk) -> str:
        return self.names.get((model, pk), f"#{pk}")


def _name_of(record) -> str:
    user = record.user if isinstance(record, Membership) else record
    if isinstance(user, get_user_model()):
        return user.get_full_name() or user.get_username()
    return str(record)


def _readable(model, name: str, value, names: _Names) -> str:
    """A stored value as the history page shows it: a unit or member by its name, a role by
    its label, a list joined, a flag as yes or no."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "roles" and isinstance(value, list):
        return ", ".join(_role_labels(value))
    related = RELATED.get((model, name))
    if related is not None and isinstance(value, int):
        return names(related, value)
    if model is Member and name == "member_type":
        return str(MEMBER_TYPE_LABELS.get(value, value))
    if isinstance(value, list):
        return (" / " if name == "refusal_grounds" else ", ").join(str(v) for v in value)
    return str(value)


def describe(entries) -> list[dict]:
    """Entries as the history page shows them: what happened to what, by whom, and each
    changed field with its old and new value, readably."""
    entries = list(entries)
    names = _Names(entries)
    described = []
    for entry in entries:
        model = entry.target_type.model_class()
        before = (entry.data or {}).get("before", {})
        after = (entry.data or {}).get("after", {})
        created = entry.action.endswith(".create")
        if created:
            # A new record: what it was given, not every empty field.
            after = {name: value for name, value in after.items() if value not in ("", [], None)}
        described.append(
            {
                "entry": entry,
                "action": ACTIONS.get(entry.action, entry.action),
                "target": "" if model in (None, Body, BodyRules) else names(model, entry.target_id),
                "created": created,
                "changes": [
                    {
                        "field": _field_label(model, name) if model else name,
                        "before": _readable(model, name, before.get(name), names),
                        "after": _readable(model, name, value, names),
                    }
                    for name, value in after.items()
                ],
            }
        )
    return described
