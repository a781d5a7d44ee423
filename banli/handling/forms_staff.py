"""Forms of the staff's handling pages (assignment, disputes, extensions, the deadline board)
and of the proposer's evaluation. They check the shape of the input; the services check the
rules again."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Unit
from banli.core.widgets import RecordChoiceField

from .models import AssignmentRole, Rating


def _body_units(body):
    return Unit.objects.filter(body=body, active=True).select_related("parent")


def unit_groups(units) -> list[tuple[str, list[Unit]]]:
    """Units grouped under their parent unit, top-level units first, then each parent's
    departments in the order of the hierarchy (a government before its bureaus' offices)."""
    by_pk = {u.pk: u for u in units}
    groups: dict[int | None, list[Unit]] = {}
    for unit in units:
        groups.setdefault(unit.parent_id, []).append(unit)

    def depth(pk: int | None) -> int:
        level, seen = 0, set()
        while pk is not None and pk not in seen:
            seen.add(pk)
            parent = by_pk.get(pk)
            pk = parent.parent_id if parent else None
            level += 1
        return level

    def label(pk: int | None) -> str:
        if pk is None:
            return str(_("Top-level units"))
        parent = by_pk.get(pk) or groups[pk][0].parent
        return parent.name

    def pinyin(pk: int | None) -> str:
        if pk is None:
            return ""
        parent = by_pk.get(pk) or groups[pk][0].parent
        return parent.sort_key if parent else ""

    # Groups by the parent's name in pinyin (banli.core.names), as the units within each.
    ordered = sorted(groups, key=lambda pk: (depth(pk), pinyin(pk), label(pk)))
    return [(label(pk), groups[pk]) for pk in ordered]


class AssignForm(forms.Form):
    """交办: one or more lead units (主办; several means 分办), any co-handling units (协办)."""

    lead_units = forms.TypedMultipleChoiceField(
        label=_("Lead units"),
        coerce=int,
        error_messages={"required": _("Choose at least one lead unit.")},
    )
    co_units = forms.TypedMultipleChoiceField(
        label=_("Co-handling units"), coerce=int, required=False
    )
    complex = forms.BooleanField(
        label=_("Complex item (wide-ranging or hard to handle)"), required=False
    )

    def __init__(self, data=None, *, body):
        super().__init__(data)
        self.body = body
        self.units = list(_body_units(body))
        choices = [(u.pk, u.name) for u in self.units]
        self.fields["lead_units"].choices = choices
        self.fields["co_units"].choices = choices

    def clean(self):
        data = super().clean()
        by_pk = {u.pk: u for u in self.units}
        lead, co = data.get("lead_units") or [], data.get("co_units") or []
        twice = [by_pk[pk].name for pk in co if pk in lead]
        if twice:
            self.add_error(
                "co_units",
                _("A unit can be given the item only once: %(units)s.")
                % {"units": "、".join(twice)},
            )
        data["lead"] = [by_pk[pk] for pk in lead]
        data["co"] = [by_pk[pk] for pk in co]
        return data

    def _selected(self, name) -> set[str]:
        value = self[name].value() or []
        return {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}

    def chosen(self, name: str) -> list[Unit]:
        """The units ticked in `name`, valid or not as a whole (for the live preview)."""
        selected = self._selected(name)
        return [u for u in self.units if str(u.pk) in selected]

    def rows(self) -> list[tuple[str, list[dict]]]:
        """The units grouped by parent, each with whether it is ticked as lead or co."""
        lead, co = self._selected("lead_units"), self._selected("co_units")
        return [
            (
                label,
                [{"unit": u, "lead": str(u.pk) in lead, "co": str(u.pk) in co} for u in members],
            )
            for label, members in unit_groups(self.units)
        ]


class ReassignForm(forms.Form):
    to_unit = forms.ModelChoiceField(
        label=_("Give it to"), queryset=Unit.objects.none(), empty_label=_("Choose a unit")
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
    )

    def __init__(self, data=None, *, body, disputing: Unit, taken=(), auto_id="id_%s"):
        super().__init__(data, auto_id=auto_id)
        # Only units not already on the item (`taken`: the units of its current assignments).
        excluded = {disputing.pk, *taken}
        self.fields["to_unit"].queryset = _body_units(body).exclude(pk__in=excluded)


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the assignment stays"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        error_messages={"required": _("Please give a reason.")},
    )


class ExtensionDecisionForm(forms.Form):
    APPROVE, REFUSE = "approve", "refuse"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve")), (REFUSE, _("Refuse"))],
        error_messages={"required": _("Approve or refuse the request.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
    )
    # Staff may grant less time than asked (docs/domain.md §5.6); the service checks the range.
    until = forms.DateField(
        label=_("Grant until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, extension=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.extension = extension
        if extension is not None:
            current = extension.assignment.due_on
            asked = extension.requested_due_on
            field = self.fields["until"]
            field.initial = asked
            field.widget.attrs["max"] = asked.isoformat()
            field.widget.attrs["min"] = (current + dt.timedelta(days=1)).isoformat()
            field.help_text = _(
                "Empty: the date asked for. A shorter extension: a date after %(current)s "
                "and up to %(asked)s."
            ) % {"current": current.isoformat(), "asked": asked.isoformat()}

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REFUSE and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the request is refused; the unit will read it."))
        until, extension = data.get("until"), self.extension
        if data.get("decision") == self.APPROVE and until and extension is not None:
            # The service refuses it too; asking here puts the message next to the date.
            if until <= extension.assignment.due_on:
                self.add_error(
                    "until",
                    _("The new due date must be later than the current one (%(date)s).")
                    % {"date": extension.assignment.due_on.isoformat()},
                )
            elif until > extension.requested_due_on:
                self.add_error(
                    "until",
                    _("The unit asked for %(date)s; a later date cannot be granted.")
                    % {"date": extension.requested_due_on.isoformat()},
                )
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE


class BoardFilterForm(forms.Form):
    unit = RecordChoiceField(label=_("Unit"), empty_label=_("All units"))

    def __init__(self, data=None, *, body):
        super().__init__(data)
        # By name: the label is the unit's own name, so neither the parent nor the body is
        # joined for the hundreds of units of a large body.
        self.body = body
        self.fields["unit"].set_queryset(
            Unit.objects.filter(body=body, active=True).order_by("sort_key", "id")
        )

    @property
    def chosen_unit(self) -> Unit | None:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("unit"):
            return Unit.objects.get(pk=self.cleaned_data["unit"], body=self.body)
        return None


class EvaluationForm(forms.Form):
    """评价: the contact and attitude, and the result, each 满意 / 基本满意 / 不满意. With
    several lead units (分办) the proposer rates each unit's reply (`replies`), so only the
    unit they are not satisfied with handles the item again."""

    attitude = forms.ChoiceField(
        label=_("Contact and attitude of the unit"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    result = forms.ChoiceField(
        label=_("Result of the handling"), choices=Rating.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, data=None, *, replies=()):
        super().__init__(data)
        self.by_unit = len(replies) > 1
        self.unit_rows: list[dict] = []
        if not self.by_unit:
            return
        del self.fields["attitude"], self.fields["result"]
        for reply in replies:
            key = reply.assignment_id
            self.fields[f"attitude_{key}"] = forms.ChoiceField(
                label=_("Contact and attitude of the unit"),
                choices=Rating.choices,
                widget=forms.RadioSelect,
            )
            self.fields[f"result_{key}"] = forms.ChoiceField(
                label=_("Result of the handling"), choices=Rating.choices, widget=forms.RadioSelect
            )
            self.unit_rows.append(
                {
                    "unit": reply.assignment.unit,
                    "attitude": self[f"attitude_{key}"],
                    "result": self[f"result_{key}"],
                }
            )

    def clean(self):
        data = super().clean()
        # The service refuses it too; asking here puts the message next to the comment.
        ratings = [data.get(name) for name in self.fields if name != "comment"]
        if Rating.UNSATISFIED in ratings and not (data.get("comment") or "").strip():
            self.add_error(
                "comment",
                _("Say why you are not satisfied: the unit and the staff read your reason."),
            )
        return data

    @property
    def rating_fields(self):
        """The radio groups in page order (the comment comes last, apart)."""
        return [self[name] for name in self.fields if name != "comment"]

    def evaluate_kwargs(self) -> dict:
        """The arguments of services.evaluate."""
        data = self.cleaned_data
        if not self.by_unit:
            return {
                "attitude": data["attitude"],
                "result": data["result"],
                "comment": data["comment"],
            }
        parts = {
            int(name.removeprefix("result_")): (data[f"attitude_{name[7:]}"], data[name])
            for name in self.fields
            if name.startswith("result_")
        }
        return {"parts": parts, "comment": data["comment"]}


# Steering after assignment (banli.handling.steering) ------------------------------------------


def _reason_field(label=None):
    return forms.CharField(
        label=label or _("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
        error_messages={"required": _("Please give a reason.")},
    )


class AddUnitForm(forms.Form):
    """Give an assigned item to one more unit: a lead unit (分办) or a co-handling unit."""

    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        empty_label=_("Choose a unit"),
        error_messages={"required": _("Choose a unit.")},
    )
    role = forms.ChoiceField(label=_("As"), choices=(), widget=forms.RadioSelect)
    reason = _reason_field()

    def __init__(self, data=None, *, body, taken=(), auto_id="id_%s"):
        super().__init__(data, auto_id=auto_id, initial={"role": AssignmentRole.LEAD})
        self.fields["unit"].queryset = _body_units(body).exclude(pk__in=list(taken))
        self.fields["role"].choices = AssignmentRole.choices


class WithdrawForm(forms.Form):
    """Withdraw a unit's assignment (撤回), saying why."""

    reason = _reason_field(_("Why the assignment is withdrawn"))


class DueDateForm(forms.Form):
    """Move an assignment's due date, saying why."""

    due_on = forms.DateField(
        label=_("New due date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter the new due date.")},
    )
    reason = _reason_field(_("Why the due date changes"))
