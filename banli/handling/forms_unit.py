"""The handling unit's forms: one per action a unit takes on its assignment, and the reply
editor. They check what the browser sent; the services decide what is allowed."""

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from banli.core import clock
from banli.core.errors import ValidationFailed
from banli.core.uploads import allowed_extensions, check_upload

from . import case
from .models import Assignment, ContactMethod, ContactStage
from .workflow import AssignmentState, extension_limit

# The usual wording of each result class (docs/domain.md §6.2); a body's own codes without a known
# meaning are shown bare. 甲/乙/丙 are the same three classes under other names.
CLASS_MEANINGS = {
    "A": _("solved or basically solved, adopted"),
    "B": _("being solved or included in a plan"),
    "C": _("to be solved later as conditions allow, or kept for reference"),
    "D": _("kept for reference"),
    "甲": _("solved or basically solved, adopted"),
    "乙": _("being solved or included in a plan"),
    "丙": _("to be solved later as conditions allow, or kept for reference"),
}


def class_label(code: str) -> str:
    meaning = CLASS_MEANINGS.get(code)
    return f"{code} — {meaning}" if meaning else code


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class AssignmentForm(forms.Form):
    """A form about one assignment; `auto_id` keeps ids unique when a page shows the same
    form for several assignments, while the field names stay what the action view reads."""

    def __init__(self, *args, assignment: Assignment, **kwargs):
        kwargs.setdefault("auto_id", f"id_a{assignment.pk}_%s")
        super().__init__(*args, **kwargs)
        self.assignment = assignment


class DisputeForm(AssignmentForm):
    reason = forms.CharField(
        label=_("Why is the item not for your unit?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Name the unit that should handle it, if you know it."),
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class HandlerForm(AssignmentForm):
    handler = UserChoiceField(label=_("Handler"), queryset=get_user_model().objects.none())
    phone = forms.CharField(
        label=_("Handler's phone"),
        max_length=30,
        required=False,
        help_text=_("Empty: the phone in the handler's profile."),
    )

    def __init__(self, *args, assignment: Assignment, **kwargs):
        super().__init__(*args, assignment=assignment, **kwargs)
        people = get_user_model().objects.filter(
            memberships__unit=assignment.unit, memberships__active=True, is_active=True
        )
        self.fields["handler"].queryset = people.order_by("last_name", "first_name", "username")
        if assignment.handler_id:
            self.fields["handler"].initial = assignment.handler_id
            self.fields["phone"].initial = assignment.handler_phone


class ContactForm(AssignmentForm):
    """A contact with the proposer (三见面)."""

    stage = forms.ChoiceField(label=_("Stage"), choices=ContactStage.choices)
    method = forms.ChoiceField(label=_("Method"), choices=ContactMethod.choices)
    on = forms.DateField(label=_("Date"), widget=DateInput())
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, assignment: Assignment, **kwargs):
        super().__init__(*args, assignment=assignment, **kwargs)
        self.fields["on"].initial = clock.today()
        done = {contact.stage for contact in case.contacts(assignment)}
        # Offer the first of the three meetings not yet logged.
        self.fields["stage"].initial = next(
            (stage for stage in ContactStage.values if stage not in done), ContactStage.DURING
        )


class ExtensionForm(AssignmentForm):
    until = forms.DateField(label=_("New due date"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, assignment: Assignment, **kwargs):
        super().__init__(*args, assignment=assignment, **kwargs)
        # The latest date the rules the assignment was made under allow (the service checks).
        limit = extension_limit(assignment)
        self.fields["until"].help_text = _(
            "The current due date is %(date)s; the latest date allowed is %(limit)s."
        ) % {"date": assignment.due_on.isoformat(), "limit": limit.isoformat()}
        self.fields["until"].widget.attrs["max"] = limit.isoformat()


class SignForm(AssignmentForm):
    """签发: the leader confirms having read the draft before it is sent, once and for good."""

    confirm = forms.BooleanField(
        label=_(
            "I have read the draft, its result class and its attachments: sign it and send it "
            "to the proposers."
        ),
        error_messages={"required": _("Tick the box to confirm: a signed reply cannot change.")},
    )


class ReturnDraftForm(AssignmentForm):
    """The leader sends the draft back to the handler with a note instead of signing it."""

    note = forms.CharField(
        label=_("What should the handler change?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what the handler should change in the draft.")},
    )


class OpinionForm(AssignmentForm):
    """A co-handling unit's written opinion to the lead units (协办意见)."""

    text = forms.CharField(
        label=_("Opinion for the lead unit"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ClassSelect(forms.RadioSelect):
    """Radio buttons for the result class; the class that needs a planned date is marked so
    the page can show the date field only when it is chosen."""

    def __init__(self, *args, planned_class: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.planned_class = planned_class

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) == self.planned_class:
            option["attrs"]["data-planned"] = "1"
        return option


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once, each checked by type, content and size before anything is saved."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        cleaned = []
        for upload in uploads:
            upload = super().clean(upload, initial)
            if not upload:
                continue
            try:
                check_upload(upload)
            except ValidationFailed as refused:
                raise ValidationError(f"{upload.name}: {refused}") from refused
            cleaned.append(upload)
        return cleaned


class ReplyForm(AssignmentForm):
    """The reply letter (答复函) with its result class; the leader signs it afterwards."""

    result_class = forms.ChoiceField(label=_("Result class"))
    text = forms.CharField(
        label=_("Reply letter"), max_length=50000, widget=forms.Textarea(attrs={"rows": 16})
    )
    planned_on = forms.DateField(label=_("Planned completion"), required=False, widget=DateInput())
    is_public = forms.BooleanField(label=_("The reply may be published"), required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, assignment: Assignment, **kwargs):
        super().__init__(*args, assignment=assignment, **kwargs)
        rules = assignment.item.body.rules
        self.planned_class = rules.planned_class
        field = self.fields["result_class"]
        field.choices = [(code, class_label(code)) for code in rules.result_classes]
        field.widget = ClassSelect(choices=field.choices, planned_class=rules.planned_class)
        self.fields["planned_on"].help_text = _(
            "Required for class %(cls)s: when the matter will be solved."
        ) % {"cls": rules.planned_class}
        tomorrow = clock.today() + dt.timedelta(days=1)
        self.fields["planned_on"].widget.attrs["min"] = tomorrow.isoformat()
        self.fields["attachments"].help_text = _("Allowed: %(types)s.") % {
            "types": allowed_extensions()
        }

    def clean(self):
        data = super().clean()
        # The service refuses both too; asking here puts the message next to the date field.
        needs_date = data.get("result_class") == self.planned_class
        planned, today = data.get("planned_on"), clock.today()
        if needs_date and not planned and "planned_on" not in self.errors:
            self.add_error(
                "planned_on",
                _("Class %(cls)s needs the planned completion date.") % {"cls": self.planned_class},
            )
        elif needs_date and planned and planned <= today:
            self.add_error(
                "planned_on",
                _("The planned completion date must lie in the future, after %(date)s.")
                % {"date": today.isoformat()},
            )
        return data

    def draft_kwargs(self) -> dict:
        """The arguments of services.save_reply_draft, the uploaded files included."""
        data = self.cleaned_data
        return {
            "text": data["text"],
            "result_class": data["result_class"],
            "planned_on": data.get("planned_on"),
            "is_public": data.get("is_public", False),
            "contact_name": data.get("contact_name", ""),
            "contact_phone": data.get("contact_phone", ""),
            "files": data.get("attachments") or [],
        }


# The forms of the actions that need input; the others are a single button.
ACTION_FORMS: dict[str, type[AssignmentForm]] = {
    "dispute": DisputeForm,
    "name_handler": HandlerForm,
    "log_contact": ContactForm,
    "request_extension": ExtensionForm,
    "send_opinion": OpinionForm,
    "sign_reply": SignForm,
    "return_draft": ReturnDraftForm,
}


LISTED_STATES = ["handling", "rehandling", "replied", "opinion_sent"]


class UnitItemsFilter(forms.Form):
    """The filters of the unit's list of items in hand."""

    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), *[(s, AssignmentState(s).label) for s in LISTED_STATES]],
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
