"""Reminders pages: the body's reminder rules (提醒规则), the reminders sent (已发提醒) and the
public replies waiting to be published (待公开答复)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from banli.bodies.access import current_membership
from banli.bodies.models import BODY_WIDE_READERS, Role
from banli.core.web import page_of, run
from banli.handling import services as handling
from banli.handling.models import Reply

from . import rules as rule_table
from . import services
from .forms import PublishForm, RuleForm, SentFilterForm

STAFF, BODY_ADMIN = str(Role.STAFF), str(Role.BODY_ADMIN)
RULE_READERS = frozenset({STAFF, BODY_ADMIN})
SENT_READERS = frozenset({*map(str, BODY_WIDE_READERS), BODY_ADMIN})


def _membership(request, allowed: frozenset):
    """The current membership when it holds one of `allowed` (403 otherwise)."""
    profile = current_membership(request.user)
    if profile is None or not set(profile.roles) & allowed:
        raise PermissionDenied
    return profile


def _days_text(days) -> str:
    """30、7、1 in Chinese, "30, 7, 1" in English."""
    return pgettext("list separator", ", ").join(str(day) for day in days)


def _rules_page(request, profile, failed: tuple[str, RuleForm] | None = None):
    body = profile.body
    editable = services.may_change_rules(request.user, body)
    rows = []
    for setting in services.settings_of(body):
        code = setting.rule.code
        if failed and failed[0] == code:
            form = failed[1]
        else:
            initial = {"enabled": setting.enabled, "days": ", ".join(map(str, setting.days))}
            form = RuleForm(initial=initial, prefix=code.replace(".", "-"))
        rows.append(
            {
                "setting": setting,
                "form": form,
                "default_text": _days_text(setting.rule.default_days),
                "days_text": _days_text(setting.days),
            }
        )
    context = {"rows": rows, "editable": editable}
    return render(request, "reminders/rules.html", context, status=400 if failed else 200)


@login_required
def rules(request):
    """Every rule with its default and the body's setting; the administrator changes them."""
    return _rules_page(request, _membership(request, RULE_READERS))


@login_required
@require_POST
def change_rule(request, code):
    profile = _membership(request, RULE_READERS)
    rule = rule_table.get(code)
    if rule is None:
        raise Http404
    if not services.may_change_rules(request.user, profile.body):
        raise PermissionDenied
    form = RuleForm(request.POST, prefix=code.replace(".", "-"))
    if form.is_valid():
        done = run(
            request,
            services.change_rule,
            profile.body,
            code,
            by=request.user,
            enabled=form.cleaned_data["enabled"],
            days=form.cleaned_data["days"],
            form=form,
            field="days",
        )
        if done:
            messages.success(request, _("The rule “%(rule)s” is saved.") % {"rule": rule.label})
            return redirect("reminders:rules")
    return _rules_page(request, profile, failed=(code, form))


@login_required
def sent(request):
    """The reminders sent in the body, newest first, by rule."""
    profile = _membership(request, SENT_READERS)
    form = SentFilterForm(request.GET or None)
    rows = services.sent_in(profile.body, form.chosen_rule)
    page = page_of(request, rows, per_page=50, count=True)
    ids = {user_id for row in page.object_list for user_id in row.recipients}
    people = {
        user.pk: user.get_full_name() or user.username
        for user in get_user_model()
        .objects.filter(pk__in=ids)
        .only("username", "first_name", "last_name")
    }
    for row in page.object_list:
        row.told = [people.get(user_id, "—") for user_id in row.recipients]
    context = {
        "form": form,
        "page": page,
        "labels": {c: r.label for c, r in rule_table.RULES.items()},
    }
    return render(request, "reminders/sent.html", context)


@login_required
def disclosure(request):
    """The staff's list of public replies not yet published, the oldest first."""
    profile = _membership(request, frozenset({STAFF}))
    page = page_of(request, services.to_publish(profile.body), per_page=50, count=True)
    return render(request, "reminders/disclosure.html", {"page": page, "form": PublishForm()})


@login_required
@require_POST
def publish(request, pk):
    profile = _membership(request, frozenset({STAFF}))
    reply = (
        Reply.objects.filter(pk=pk, assignment__body_id=profile.body_id)
        .select_related("assignment__item", "assignment__unit")
        .first()
    )
    if reply is None:
        raise Http404
    form = PublishForm(request.POST)
    if form.is_valid():
        done = run(
            request,
            handling.mark_reply_published,
            reply,
            by=request.user,
            on=form.cleaned_data["published_on"],
        )
        if done:
            messages.success(
                request,
                _("The reply of %(unit)s to %(item)s is recorded as published.")
                % {
                    "unit": reply.assignment.unit.name,
                    "item": reply.assignment.item.display_number,
                },
            )
    else:
        messages.error(request, _("Give the day of publication as a date."))
    return redirect("reminders:disclosure")
