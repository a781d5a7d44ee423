"""Forms of the supervision pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from banli.items.forms import AttachmentsField, ModelMultipleChoiceField
from banli.items.models import Item

from .models import ActivityKind
from .words import word


def supervisors_of(body):
    """The body's supervising leaders (督办领导): active users holding the supervisor role."""
    users = (
        get_user_model()
        # One filter call, so both conditions hold for the same membership. The roles are a
        # JSON list of codes; the quotes make the match exact.
        .objects.filter(
            is_active=True,
            memberships__body=body,
            memberships__active=True,
            memberships__roles__icontains='"supervisor"',
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    return users


class LeaderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class MarkKeyForm(forms.Form):
    """重点督办: the supervising leader, the government leader who lead-handles it (领办)."""

    supervisor = LeaderChoiceField(
        label=_("Supervising leader"),
        queryset=get_user_model().objects.none(),
        empty_label=_("Choose a leader"),
    )
    lead_handler = forms.CharField(
        label=_("Leader who lead-handles it"),
        required=False,
        max_length=60,
        help_text=_("For example the vice-mayor in charge; leave empty if none."),
    )
    committee = forms.CharField(
        label=_("Supervising committee"),
        required=False,
        max_length=60,
        help_text=_("The committee that follows the item; leave empty if none."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
    )

    def __init__(self, data=None, *, body, auto_id="id_%s"):
        super().__init__(data, auto_id=auto_id)
        self.fields["supervisor"].queryset = supervisors_of(body)
        in_body_words(self, body)


def in_body_words(form, body) -> None:
    """The lead-handling leader and the committee are named as the body names them (领办 at
    a congress, 包案督办 at a CPPCC: banli.supervision.words)."""
    form.fields["lead_handler"].label = word("lead_handler", body=body)
    form.fields["lead_handler"].help_text = word("lead_handler_help", body=body)
    form.fields["committee"].label = word("committee", body=body)


class KeyItemFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, data=None, *, years):
        super().__init__(data)
        self.fields["year"].choices = [("", _("All years")), *[(y, y) for y in years]]

    @property
    def chosen_year(self) -> int | None:
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("year")
        return None


class UnmarkKeyForm(forms.Form):
    """取消重点督办: why the item is no longer a key item."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        error_messages={"required": _("Please give a reason.")},
    )


class ChangeLeaderForm(forms.Form):
    """Another supervising leader (lead-handling leader, committee) for a key item, and why."""

    supervisor = LeaderChoiceField(
        label=_("Supervising leader"),
        queryset=get_user_model().objects.none(),
        empty_label=_("Choose a leader"),
    )
    lead_handler = forms.CharField(
        label=_("Leader who lead-handles it"),
        required=False,
        max_length=60,
        help_text=_("For example the vice-mayor in charge; leave empty if none."),
    )
    committee = forms.CharField(
        label=_("Supervising committee"),
        required=False,
        max_length=60,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        error_messages={"required": _("Please give a reason.")},
    )

    def __init__(self, data=None, *, body, key, auto_id="id_%s"):
        initial = {
            "supervisor": key.supervisor_id,
            "lead_handler": key.lead_handler,
            "committee": key.committee,
        }
        super().__init__(data, auto_id=auto_id, initial=initial)
        self.fields["supervisor"].queryset = supervisors_of(body)
        in_body_words(self, body)


class KeyItemChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_number} {obj.title}".strip()


class ActivityForm(forms.Form):
    """督办活动: what was held, when, by whom, on which key items, with its files."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    items = KeyItemChoiceField(
        label=_("Key items"),
        queryset=Item.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one key item.")},
    )
    participants = forms.CharField(
        label=_("Participants"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        help_text=_("Leaders, committee members, units and deputies or members who took part."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was found, said and asked of the units."),
    )
    files = AttachmentsField(label=_("Files"))

    def __init__(self, data=None, files=None, *, key_items, initial=None):
        super().__init__(data, files, initial=initial)
        self.fields["items"].queryset = key_items


class WithdrawActivityForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        error_messages={"required": _("Please give a reason.")},
    )


class ActivityFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, data=None, *, years):
        super().__init__(data)
        self.fields["year"].choices = [(y, y) for y in years]
        self.fields["kind"].choices = [("", _("All kinds")), *ActivityKind.choices]

    def chosen(self, name):
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get(name) or None
        return None


class UnitChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class ChaseForm(forms.Form):
    """催办: which of the item's units to remind, and what to tell them."""

    units = UnitChoiceField(
        label=_("Units to remind"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one unit.")},
    )
    note = forms.CharField(
        label=_("Note to the units"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
    )

    def __init__(self, data=None, *, units, initial=None):
        super().__init__(data, initial=initial)
        self.fields["units"].queryset = units
