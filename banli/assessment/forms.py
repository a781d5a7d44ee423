"""Forms of the third-party evaluation pages."""

import re
import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from banli.bodies.models import Unit
from banli.core import clock
from banli.core.widgets import RecordChoiceField
from banli.items.models import Item

from .services import ASSESSABLE_STATES, MAX_ITEMS

# Numbers as the office writes them in a list: 12, 15、第20号 38
_NUMBERS = re.compile(r"\d{1,9}")


def evaluators_of(body):
    """The body's third-party evaluators: active users holding the evaluator role."""
    return (
        get_user_model()
        # One filter call, so both conditions hold for the same membership; the quotes make
        # the match of the JSON list's code exact.
        .objects.filter(
            is_active=True,
            memberships__body=body,
            memberships__active=True,
            memberships__roles__icontains='"evaluator"',
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


def numbered_items(body, year: int, text: str) -> tuple[list[int], list[str]]:
    """The ids of the body's items of `year` with the numbers written in `text`, and what is
    wrong with the others (no such item; two items of the year share the number, as a
    plenary and a between-sessions one can)."""
    numbers = list(
        dict.fromkeys(int(n) for n in _NUMBERS.findall(unicodedata.normalize("NFKC", text)))
    )
    if not numbers:
        return [], []
    if len(numbers) > MAX_ITEMS:
        return [], [str(_("Paste at most %(count)s numbers.") % {"count": MAX_ITEMS})]
    rows = Item.objects.filter(
        body=body, session__year=year, number__in=numbers, state__in=ASSESSABLE_STATES
    ).values_list("number", "pk")
    found: dict[int, list[int]] = {}
    for number, pk in rows:
        found.setdefault(number, []).append(pk)
    missing = [str(n) for n in numbers if n not in found]
    twice = [str(n) for n in numbers if len(found.get(n, [])) > 1]
    problems = []
    if missing:
        problems.append(
            ngettext(
                "No item of %(year)s has the number %(numbers)s.",
                "No items of %(year)s have the numbers %(numbers)s.",
                len(missing),
            )
            % {"year": year, "numbers": "、".join(missing)}
        )
    if twice:
        problems.append(
            str(_("Several items of %(year)s have the number %(numbers)s; tick the one meant."))
            % {"year": year, "numbers": "、".join(twice)}
        )
    ids = [found[n][0] for n in numbers if len(found.get(n, [])) == 1]
    return ids, problems


def _checked_ids(data) -> list[int]:
    ids = []
    for value in data.getlist("items") if hasattr(data, "getlist") else []:
        if str(value).isdigit() and 0 < int(value) < 2**63:
            ids.append(int(value))
    return list(dict.fromkeys(ids))[: MAX_ITEMS + 1]


class CandidateFilterForm(forms.Form):
    """Which of the body's items the commission form offers: a year, key items only, a lead
    unit, a number."""

    year = forms.IntegerField(label=_("Year"), required=False, min_value=1949, max_value=9999)
    key = forms.BooleanField(label=_("Key items only"), required=False)
    unit = RecordChoiceField(label=_("Unit"), empty_label=_("Any"))
    q = forms.CharField(label=_("Number or words"), required=False, max_length=100)

    def __init__(self, data=None, *, body, year: int | None = None):
        # Its own ids: the commission form beside it has a year field too.
        super().__init__(data, auto_id="filter-%s", initial={"year": year})
        self.fields["unit"].set_queryset(
            Unit.objects.filter(body=body, active=True).order_by("sort_key", "id")
        )

    def chosen(self, name, default=None):
        if self.is_bound and self.is_valid():
            value = self.cleaned_data.get(name)
            return default if value in (None, "") else value
        return default


class CommissionForm(forms.Form):
    """委托第三方评估: the evaluator, a title, the year evaluated, the due date, and the items
    ticked in the list or their numbers pasted."""

    evaluator = PersonChoiceField(
        label=_("Evaluator"),
        queryset=get_user_model().objects.none(),
        empty_label=_("Choose an evaluator"),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    year = forms.IntegerField(label=_("Year evaluated"), min_value=1949, max_value=9999)
    due_on = forms.DateField(label=_("Scores due"), widget=forms.DateInput(attrs={"type": "date"}))
    numbers = forms.CharField(
        label=_("Item numbers"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        help_text=_("Numbers of the year's items, e.g. 12, 15, 38; or tick them below."),
    )

    def __init__(self, data=None, *, body, year: int):
        super().__init__(data, initial={"year": year})
        self.body = body
        self.fields["evaluator"].queryset = evaluators_of(body)
        self.item_ids: list[int] = []

    def clean(self):
        cleaned = super().clean()
        ids = _checked_ids(self.data)
        year = cleaned.get("year")
        if year is not None:
            pasted, problems = numbered_items(self.body, year, cleaned.get("numbers") or "")
            for problem in problems:
                self.add_error("numbers", problem)
            ids = list(dict.fromkeys([*ids, *pasted]))
        if not ids and not self.errors:
            raise forms.ValidationError(_("Tick at least one item or give its number."))
        self.item_ids = ids
        return cleaned


class AddItemsForm(forms.Form):
    numbers = forms.CharField(
        label=_("Item numbers"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        help_text=_("Numbers of the year's items, e.g. 12, 15, 38."),
        error_messages={"required": _("Give the numbers of the items to add.")},
    )

    def __init__(self, data=None, *, assessment):
        super().__init__(data)
        self.assessment = assessment
        self.item_ids: list[int] = []

    def clean_numbers(self):
        text = self.cleaned_data["numbers"]
        ids, problems = numbered_items(self.assessment.body, self.assessment.year, text)
        if problems:
            raise forms.ValidationError(problems)
        if not ids:
            raise forms.ValidationError(_("Give the numbers of the items to add."))
        self.item_ids = ids
        return text


def score_field(name: str) -> str:
    return f"c{name}"


class ScoreForm(forms.Form):
    """The evaluator's points on each criterion (0 up to its weight) and the conclusion."""

    conclusion = forms.CharField(
        label=_("Conclusion"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Please write a conclusion.")},
    )

    def __init__(self, data=None, *, criteria, entry=None):
        initial = {}
        if entry is not None and entry.is_scored:
            initial["conclusion"] = entry.conclusion
            initial.update({score_field(s.criterion_id): s.points for s in entry.scores.all()})
        super().__init__(data, initial=initial)
        fields = {}
        for criterion in criteria:
            fields[score_field(criterion.pk)] = forms.DecimalField(
                label=_("%(name)s (0–%(weight)s)")
                % {"name": criterion.name, "weight": criterion.weight},
                min_value=0,
                max_value=criterion.weight,
                max_digits=4,
                decimal_places=1,
                help_text=criterion.description,
                widget=forms.NumberInput(attrs={"step": "0.1", "min": 0, "max": criterion.weight}),
            )
        # The criteria first, the conclusion after them.
        conclusion = self.fields.pop("conclusion")
        self.fields.update(fields)
        self.fields["conclusion"] = conclusion
        self.criteria = list(criteria)

    def scores(self) -> dict[int, object]:
        return {c.pk: self.cleaned_data.get(score_field(c.pk)) for c in self.criteria}


class CriterionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    name = forms.CharField(label=_("Criterion"), max_length=60, required=False)
    weight = forms.IntegerField(
        label=_("Weight (points)"), min_value=1, max_value=100, required=False
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def row(self) -> dict | None:
        """The row for the service; None for a row left empty (an extra row, or a criterion
        whose name was cleared: it is no longer used)."""
        data = self.cleaned_data
        if not (data.get("name") or "").strip():
            return None
        return {
            "id": data.get("id"),
            "name": data.get("name") or "",
            "weight": data.get("weight"),
            "description": data.get("description") or "",
        }


CriteriaFormSet = forms.formset_factory(CriterionForm, extra=2, max_num=20, absolute_max=30)


def current_year() -> int:
    return clock.today().year
