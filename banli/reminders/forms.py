"""Forms of the reminders pages."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RULE_CHOICES

# Days typed as "30, 7, 1", with Chinese commas or spaces just as well.
_SEPARATORS = re.compile(r"[\s,，、;；]+")


class RuleForm(forms.Form):
    """One rule of the body: on or off, and its days."""

    enabled = forms.BooleanField(label=_("On"), required=False)
    days = forms.CharField(
        label=_("Days"),
        required=False,
        max_length=60,
        help_text=_("For example 30, 7, 1."),
    )

    def clean_days(self) -> list[int]:
        text = self.cleaned_data.get("days", "").strip()
        parts = [part for part in _SEPARATORS.split(text) if part]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(_("Give the days as whole numbers, e.g. 30, 7, 1."))
        return [int(part) for part in parts]


class SentFilterForm(forms.Form):
    rule = forms.ChoiceField(
        label=_("Rule"), required=False, choices=[("", _("All rules")), *RULE_CHOICES]
    )

    @property
    def chosen_rule(self) -> str:
        return self.cleaned_data.get("rule", "") if self.is_valid() else ""


class PublishForm(forms.Form):
    published_on = forms.DateField(
        label=_("Published on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for today."),
    )
