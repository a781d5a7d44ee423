"""Forms of the proposer's and the staff's pages: writing an item, and the small forms of
the review actions (a reason, a category, the lead item of a merge)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import (
    INDIVIDUAL_TYPES,
    Body,
    Category,
    Member,
    Session,
    SessionPeriod,
    Unit,
)
from banli.core.errors import ValidationFailed
from banli.core.uploads import allowed_extensions, check_upload

from .models import ForwardingKind, Item, Kind
from .services import KINDS_OF, MAX_SOURCE_NOTE, MAX_TITLE, refusal_grounds

# How many co-signer choices the select shows before the user searches (a national congress
# has thousands of deputies; the search box finds the rest).
COSIGNER_OPTIONS = 200


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once, each checked by type, content and size before anything is
    stored, so a bad file refuses the whole form and leaves nothing behind."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned, errors = [], []
        for upload in files:
            upload = super().clean(upload, initial)
            if not upload:
                continue
            try:
                check_upload(upload)
            except ValidationFailed as refused:
                errors.append(f"{upload.name}: {refused}")
            cleaned.append(upload)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, refusing ids beyond a 64-bit integer as invalid choices (its `__in`
    lookup would pass them to the database driver, which raises)."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk))
            except ValueError:
                continue  # not a number: the parent reports it
            if not -(2**63) <= number < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


def ids(values) -> list[int]:
    """The values that can be record ids; the rest are dropped."""
    numbers = (str(v).strip() for v in values)
    return [int(v) for v in numbers if v.isascii() and v.isdigit() and len(v) < 19]


def cosigner_candidates(body: Body):
    """Who may be invited to co-sign: the body's active individual deputies or members."""
    return Member.objects.filter(body=body, active=True, member_type__in=INDIVIDUAL_TYPES)


def kind_choices(body: Body) -> list[tuple[str, str]]:
    """The kinds this body takes; motions only while a plenary session exists to raise them."""
    kinds = KINDS_OF.get(body.body_type, set())
    has_plenary = Session.objects.filter(term__body=body, period=SessionPeriod.PLENARY).exists()
    return [
        (value, label)
        for value, label in Kind.choices
        if value in kinds and (value != Kind.MOTION or has_plenary)
    ]


class DraftFields(forms.Form):
    """The fields a proposer writes, shared by the write and the edit page."""

    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 20}))
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("— let the staff choose —"),
    )
    is_public = forms.BooleanField(
        label=_("The item and its reply may be published"), required=False
    )
    cosigners = ModelMultipleChoiceField(
        label=_("Invite co-signers"),
        queryset=Member.objects.none(),
        required=False,
        help_text=_("Each co-signer confirms in person before the item can be submitted."),
    )
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, body: Body, exclude_members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.body = body
        self.fields["attachments"].help_text = _("Allowed: %(types)s.") % {
            "types": allowed_extensions()
        }
        self.fields["category"].queryset = Category.objects.filter(body=body)
        self.fields["cosigners"].queryset = cosigner_candidates(body).exclude(
            pk__in=list(exclude_members)
        )

    def draft_arguments(self) -> dict:
        """What the write and revise services take from this form."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "text": data["text"],
            "category": data["category"],
            "is_public": data["is_public"],
            "cosigners": data["cosigners"],
            "files": data["attachments"],
        }

    def cosigner_options(self) -> list[tuple[Member, bool]]:
        """(member, selected) for the select: the chosen ones first, then the first others."""
        queryset = self.fields["cosigners"].queryset
        selected = list(queryset.filter(pk__in=ids(self["cosigners"].value() or [])))
        rest = queryset.exclude(pk__in=[m.pk for m in selected])[:COSIGNER_OPTIONS]
        return [(m, True) for m in selected] + [(m, False) for m in rest]


class ItemCreateForm(DraftFields):
    """Write an item (起草); staff may enter one for a proposer (代录入), saying where it
    comes from."""

    field_order = ["proposer", "source_note", "kind", "session", "title", "text", "category"]

    kind = forms.ChoiceField(label=_("Kind"))
    session = forms.ModelChoiceField(
        label=_("Session"), queryset=Session.objects.none(), empty_label=None
    )
    proposer = forms.ModelChoiceField(
        label=_("Lead proposer"),
        queryset=Member.objects.none(),
        required=False,
        help_text=_("Staff only: the deputy, member or group this item is entered for."),
    )
    source_note = forms.CharField(
        label=_("Source"),
        max_length=MAX_SOURCE_NOTE,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("from the paper original")}),
        help_text=_(
            "When entering an item for someone else: where it comes from, e.g. the paper "
            "original. The item's history shows it."
        ),
    )

    def __init__(self, *args, body: Body, own_member: Member | None, is_staff: bool, **kwargs):
        exclude = [own_member.pk] if own_member and not is_staff else []
        super().__init__(*args, body=body, exclude_members=exclude, **kwargs)
        self.own_member = own_member
        self.fields["kind"].choices = kind_choices(body)
        sessions = Session.objects.filter(term__body=body)
        self.fields["session"].queryset = sessions
        latest = sessions.first()
        if latest is not None:
            self.fields["session"].initial = latest.pk
        # A motion needs a delegation or many deputies; most items are not motions.
        usual = [value for value, _label in self.fields["kind"].choices if value != Kind.MOTION]
        if usual:
            self.fields["kind"].initial = usual[0]
        if is_staff:
            self.fields["proposer"].queryset = Member.objects.filter(body=body, active=True)
            self.fields["proposer"].required = own_member is None
            self.fields["proposer"].empty_label = _("— choose —")
            if own_member is not None:
                self.fields["proposer"].empty_label = _("— myself (%(name)s) —") % {
                    "name": own_member
                }
        else:
            del self.fields["proposer"]
            del self.fields["source_note"]

    def lead(self) -> Member | None:
        return self.cleaned_data.get("proposer") or self.own_member

    def item_arguments(self) -> dict:
        """What `services.write_item` takes from this form."""
        data = self.cleaned_data
        return {
            **self.draft_arguments(),
            "session": data["session"],
            "kind": data["kind"],
            "proposer": data.get("proposer") or None,
            "source_note": data.get("source_note", ""),
        }

    def clean(self):
        data = super().clean()
        session, kind = data.get("session"), data.get("kind")
        # Representative Law art. 18: a motion is raised during a session; a draft for the
        # between-sessions period could never be submitted.
        if kind == Kind.MOTION and session and session.period != SessionPeriod.PLENARY:
            self.add_error("session", _("Motions can only be raised for a plenary session."))
        lead = self.lead()
        if lead is not None and lead in (data.get("cosigners") or []):
            self.add_error("cosigners", _("The lead proposer cannot co-sign their own item."))
        chosen = data.get("proposer")
        on_behalf = chosen is not None and chosen != self.own_member
        if on_behalf and not (data.get("source_note") or "").strip():
            self.add_error(
                "source_note",
                _("Say where the item comes from, e.g. the paper original."),
            )
        return data


class ItemEditForm(DraftFields):
    """Revise a draft or a returned item; invite more co-signers; add attachments."""

    def __init__(self, *args, item: Item, **kwargs):
        invited = list(item.cosigners.values_list("member_id", flat=True))
        super().__init__(
            *args,
            body=item.body,
            exclude_members=[item.proposer_id, *invited],
            initial={
                "title": item.title,
                "text": item.text,
                "category": item.category_id,
                "is_public": item.is_public,
            },
            **kwargs,
        )
        self.fields["cosigners"].label = _("Invite more co-signers")


class ReasonForm(forms.Form):
    """A reason the proposer is told: required to return or reject, optional otherwise."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "short"}),
        required=False,
    )

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class AcceptForm(forms.Form):
    """Accept (立案): the category it is counted under, and whether it may be published."""

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        error_messages={"required": _("Choose a category before accepting.")},
    )
    is_public = forms.BooleanField(label=_("Public"), required=False)

    def __init__(self, *args, item: Item, **kwargs):
        kwargs.setdefault("initial", {"category": item.category_id, "is_public": item.is_public})
        super().__init__(*args, **kwargs)
        categories = Category.objects.filter(body_id=item.body_id)
        self.fields["category"].queryset = categories
        # Mirrors the service's rule so the form says so before it is sent.
        self.fields["category"].required = categories.exists()


class MergeForm(forms.Form):
    """Merge (并案): the lead item, one of this body's items; the service checks the rest."""

    into = forms.ModelChoiceField(
        label=_("Lead item"),
        queryset=Item.objects.none(),
        error_messages={"required": _("Choose the item to merge into.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        required=False,
    )

    def __init__(self, *args, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = Item.objects.for_body(item.body).exclude(pk=item.pk)


class RefusalForm(forms.Form):
    """Not accepting a CPPCC proposal (不予立案): one of the body's grounds, and the
    explanation the proposer is told."""

    ground = forms.ChoiceField(
        label=_("Ground"),
        error_messages={"required": _("Choose one of the body's grounds for not accepting it.")},
    )
    reason = forms.CharField(
        label=_("Explanation for the proposer"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "short"}),
    )

    def __init__(self, *args, grounds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = [("", _("— choose —"))] + [(g, g) for g in grounds]


class ForwardForm(forms.Form):
    """Forward a proposal that was not accepted: as 社情民意, or to a unit for reference."""

    kind = forms.ChoiceField(label=_("Forward"), choices=ForwardingKind.choices)
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("For a letter to a unit."),
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        required=False,
    )

    def __init__(self, *args, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(body_id=item.body_id, active=True)

    def clean(self):
        data = super().clean()
        if data.get("kind") == ForwardingKind.LETTER_TO_UNIT and not data.get("unit"):
            self.add_error("unit", _("Choose the unit the letter goes to."))
        return data


class AmendForm(forms.Form):
    """Correct an accepted item (更正): its title, text and category, and why."""

    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        error_messages={"required": _("Choose a category.")},
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        error_messages={"required": _("Please give a reason.")},
    )

    def __init__(self, *args, item: Item, **kwargs):
        kwargs.setdefault(
            "initial", {"title": item.title, "text": item.text, "category": item.category_id}
        )
        super().__init__(*args, **kwargs)
        categories = Category.objects.filter(body_id=item.body_id)
        self.fields["category"].queryset = categories
        self.fields["category"].required = categories.exists()
        if self.fields["category"].required:
            self.fields["category"].empty_label = None  # an accepted item keeps a category


# The workflow actions that take input, and the form each needs (the rest are one button).
REASON_REQUIRED = {"return", "reject"}
REASON_OPTIONAL = {"withdraw", "decline_cosign", "convert"}


# Every action that action_form gives a form.
ACTIONS_WITH_FORMS = REASON_REQUIRED | REASON_OPTIONAL | {"reject", "forward", "accept", "merge"}
ACTIONS_WITH_FORMS |= {"amend"}


def takes_input(action: str) -> bool:
    """Whether `action` has a form (action_form answers not None), without building it."""
    return action in ACTIONS_WITH_FORMS


def action_form(action: str, item: Item, data=None, *, auto_id: str | bool = "id_%s"):
    """The form of `action` on `item`, or None when the action is a single button."""
    if action == "reject":
        grounds = refusal_grounds(item.body)
        if grounds:
            return RefusalForm(data, grounds=grounds, auto_id=auto_id)
    if action == "forward":
        return ForwardForm(data, item=item, auto_id=auto_id)
    if action in REASON_REQUIRED or action in REASON_OPTIONAL:
        return ReasonForm(data, required=action in REASON_REQUIRED, auto_id=auto_id)
    if action == "accept":
        return AcceptForm(data, item=item, auto_id=auto_id)
    if action == "merge":
        return MergeForm(data, item=item, auto_id=auto_id)
    if action == "amend":
        return AmendForm(data, item=item, auto_id=auto_id)
    return None
