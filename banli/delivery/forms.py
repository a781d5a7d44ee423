"""The delivery pages' forms: a person's own channels, and the outbox's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel, State


class SettingsForm(forms.Form):
    email_enabled = forms.BooleanField(label=_("Tell me by e-mail"), required=False)
    sms_enabled = forms.BooleanField(label=_("Tell me by SMS"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone for SMS"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    quiet_from = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        help_text=_("Beijing time. E-mail and SMS due in the quiet hours wait until they end."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_until = forms.TimeField(
        label=_("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class OutboxFilterForm(forms.Form):
    """The outbox's filters; an unknown value is no filter (never an error page)."""

    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any")), *State.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices]
    )

    def value(self, name: str) -> str:
        return self.cleaned_data.get(name, "") if self.is_valid() else ""
