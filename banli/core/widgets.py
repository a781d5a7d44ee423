"""Choices of one record among hundreds, drawn without a template or an object per option.

Django renders each <option> of a Select through the form renderer's templates, and a
ModelChoiceField makes a model instance for each: a body's 771 units in a filter took about
a third of the deadline board's time, and as much of the item list's. `options_html` draws
the same markup in one pass over (value, label) pairs, escaped; `RecordChoiceField` takes
its choices as (id, name) rows straight from the database."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .web import int_or_none


def options_html(choices, chosen) -> SafeString:
    """The <option> elements of `choices` ((value, label) pairs), with `chosen` (a value or
    a collection of values) selected."""
    if isinstance(chosen, list | tuple | set | frozenset):
        selected = {"" if v is None else str(v) for v in chosen}
    else:
        selected = {"" if chosen is None else str(chosen)}
    parts = []
    for raw, label in choices:
        value = str(raw)
        mark = " selected" if value in selected else ""
        parts.append(f'<option value="{escape(value)}"{mark}>{escape(str(label))}</option>')
    return mark_safe("".join(parts))  # noqa: S308 (every value and label escaped above)


class PlainSelect(forms.Select):
    """A single-choice <select> whose options are drawn by `options_html`."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        value = self.format_value(value)
        chosen = value[0] if value else ""
        return format_html(
            "<select{}>{}</select>", flatatt(final), options_html(self.choices, chosen)
        )


class RecordChoiceField(forms.TypedChoiceField):
    """One record of `queryset` by id (an int, or None when none is chosen), offered by
    `label_field`: the rows are read as (id, label) pairs, never as model instances."""

    widget = PlainSelect

    def __init__(self, *, queryset=None, label_field: str = "name", empty_label="---------", **kw):
        kw.setdefault("required", False)
        super().__init__(coerce=int, empty_value=None, **kw)
        self.label_field = label_field
        self.empty_label = empty_label
        if queryset is not None:
            self.set_queryset(queryset)

    def set_queryset(self, queryset) -> None:
        # Read when drawn, not when the form is made: a page that builds the form but does
        # not show this field (a proposer's own list) never reads the body's units.
        self.queryset = queryset
        self.choices = self._rows

    def _rows(self):
        return [("", self.empty_label), *self.queryset.values_list("pk", self.label_field)]

    def valid_value(self, value) -> bool:
        # One indexed lookup instead of reading every choice. Beyond a 64-bit key no record
        # exists (and the database would refuse the number).
        number = int_or_none(value)
        return (
            number is not None and 0 < number < 2**63 and self.queryset.filter(pk=number).exists()
        )
