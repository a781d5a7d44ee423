"""Forms of the follow-up pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from banli.core import clock


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class OpenRoundForm(forms.Form):
    """回头看: the year reviewed, a title and when the units' reports are due."""

    year = forms.IntegerField(label=_("Year reviewed"), min_value=1949, max_value=2999)
    title = forms.CharField(label=_("Title"), max_length=200)
    due_on = forms.DateField(label=_("Progress reports due"), widget=DateInput())

    def __init__(self, data=None, **kwargs):
        today = clock.today()
        kwargs.setdefault(
            "initial",
            {
                "year": today.year - 1,
                "title": _("Follow-up of %(year)s") % {"year": today.year - 1},
            },
        )
        super().__init__(data, **kwargs)


class ReportForm(forms.Form):
    """A unit's progress report on one item."""

    text = forms.CharField(
        label=_("Progress"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say how the item has progressed.")},
    )
    proposed_class = forms.ChoiceField(label=_("Class proposed"), required=False)

    def __init__(self, data=None, *, classes, prefix=None):
        super().__init__(data, prefix=prefix)
        self.fields["proposed_class"].choices = [("", _("No proposal")), *((c, c) for c in classes)]


class ConfirmForm(forms.Form):
    """Staff confirm an item's better class in the round."""

    to_class = forms.ChoiceField(label=_("New class"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        error_messages={"required": _("Please give a reason.")},
    )
    on = forms.DateField(label=_("Date of the change"), required=False, widget=DateInput())

    def __init__(self, data=None, *, classes, prefix=None):
        super().__init__(data, prefix=prefix)
        self.fields["to_class"].choices = [(c, c) for c in classes]


class CrossYearFilter(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("open", _("Not yet solved")), ("solved", _("Solved")), ("all", _("All"))],
    )
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, data=None, *, years):
        super().__init__(data)
        self.fields["year"].choices = [("", _("All years")), *[(y, y) for y in years]]

    def value(self, name, default=None):
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get(name) or default
        return default
