"""The item-level workflow actions, one POST view for all: submit, withdraw, co-sign, and the
staff's review (receive, return, reject, merge, convert, accept, forward a proposal that was
not accepted). Plus the co-signers' live answers on the item page."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from banli.bodies.terms import action_label, term
from banli.core.errors import DomainError
from banli.core.web import show_refusal

from .. import services
from ..forms import action_form
from ..models import CoSigner, Item
from ..panels import cosigners_polling
from ..permissions import item_roles
from ..workflow import ITEM_WORKFLOW
from .access import readable_item


@dataclass(frozen=True)
class Action:
    use_case: Callable
    success: object  # may use %(number)s, the item's number once the action is done
    # The field a refusal of the input belongs next to (None: above the form).
    field: str | None = None


ACTIONS = {
    "submit": Action(services.submit, _("The item was submitted.")),
    "withdraw": Action(services.withdraw, _("The item was withdrawn.")),
    "confirm_cosign": Action(services.confirm_cosign, _("You confirmed co-signing this item.")),
    "decline_cosign": Action(services.decline_cosign, _("You declined to co-sign this item.")),
    "receive": Action(services.receive, _("The review has started.")),
    "return": Action(
        services.return_for_revision,
        _("The item was returned to the proposer for revision."),
        field="reason",
    ),
    "reject": Action(
        services.reject,
        _("The item was not accepted; the proposer sees the reason."),
        field="reason",
    ),
    "merge": Action(services.merge, _("The item was merged."), field="into"),
    "convert": Action(
        services.convert_to_suggestion,
        _("The motion will be handled as a suggestion."),
    ),
    "accept": Action(services.accept, _("The item was accepted as %(number)s."), field="category"),
    "forward": Action(
        services.forward_refused, _("The proposal was forwarded; the proposer sees where.")
    ),
    "amend": Action(services.amend_item, _("The correction was recorded with its reason.")),
}


# Messages in the item's own words (banli.bodies.terms: 已立案 / 已受理 / 已列为议案).
TERMED = {"accept": "accepted_as", "reject": "rejected_done"}


def _next(request) -> str:
    """The page the form was posted from (the review queue, the start page), if it is ours."""
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _back(request, item: Item):
    return redirect(_next(request) or reverse("items:detail", args=[item.pk]))


@require_http_methods(["GET", "POST"])
@login_required
def item_action(request, pk, action):
    """Take one workflow action; a refusal is shown as a message, or next to the field.

    A GET shows the form of an action that takes input, on its own page: lists (the review
    queue) link to it rather than render a form for every row."""
    if action not in ACTIONS:
        raise Http404
    # An invitee answers from the invitation, before reading the case file.
    item = readable_item(request, pk, invited=action in {"confirm_cosign", "decline_cosign"})
    transition = ITEM_WORKFLOW[action]
    # Roles the row names, less those its guards refuse on this item (staff on a deputy's
    # own draft); the state is the service's to judge, with a message.
    if not transition.roles_for(item_roles(request.user, item), item):
        raise PermissionDenied
    if request.method == "GET":
        form = action_form(action, item)
        if form is None:  # a step without input is a button: it is only ever posted
            return HttpResponseNotAllowed(["POST"])
        return _form_page(request, item, action, form)
    form = action_form(action, item, request.POST)
    if form is not None and not form.is_valid():
        return _form_page(request, item, action, form)
    spec = ACTIONS[action]
    kwargs = form.cleaned_data if form is not None else {}
    try:
        spec.use_case(item, by=request.user, **kwargs)
    except DomainError as refused:
        if show_refusal(request, refused, form=form, field=spec.field):
            return _form_page(request, item, action, form)
        return _back(request, item)
    item.refresh_from_db()
    success = term(TERMED[action], item=item) if action in TERMED else spec.success
    messages.success(request, str(success) % {"number": item.display_number})
    return _back(request, item)


def _form_page(request, item: Item, action: str, form):
    """The action's form again, with what was wrong next to the field."""
    context = {
        "item": item,
        "action": {
            "action": action,
            "label": action_label(action, ITEM_WORKFLOW[action].label, item=item),
            "form": form,
        },
        "next": _next(request),
    }
    return render(request, "items/action.html", context)


@require_GET
@login_required
def cosigner_status(request, pk):
    """The co-signers' answers, polled by the item page while some are still pending."""
    item = readable_item(
        request,
        pk,
        queryset=Item.objects.prefetch_related(
            Prefetch("cosigners", queryset=CoSigner.objects.select_related("member"))
        ),
    )
    context = {"item": item, "polling": cosigners_polling(item)}
    return render(request, "items/_cosigners.html", context)
