"""Forms of the supervision pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


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
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
    )

    def __init__(self, data=None, *, body, auto_id="id_%s"):
        super().__init__(data, auto_id=auto_id)
        self.fields["supervisor"].queryset = supervisors_of(body)


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
    """Another supervising leader (and lead-handling leader) for a key item, and why."""

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
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        error_messages={"required": _("Please give a reason.")},
    )

    def __init__(self, data=None, *, body, key, auto_id="id_%s"):
        initial = {"supervisor": key.supervisor_id, "lead_handler": key.lead_handler}
        super().__init__(data, auto_id=auto_id, initial=initial)
        self.fields["supervisor"].queryset = supervisors_of(body)
