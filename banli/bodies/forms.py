"""Forms of a body's configuration: the admin's and the body administration pages'.

The page forms only read the input: labels, help texts and widgets come from the models, the
choices from the body being administered (never another body's units or members), and the
whole record is validated by the service, whose refusals (`InvalidSettings`) come back next
to the fields."""

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.forms.models import fields_for_model, model_to_dict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Body, BodyRules, Category, Member, Membership, Role, Unit


class ListField(forms.CharField):
    """A list of short texts edited as text: one per line, or also separated by commas.

    A JSON list typed by hand is easy to break ("A", "B" without brackets); the office edits
    "A, B, C" or one refusal ground per line, and the model keeps the list."""

    def __init__(self, *, commas: bool = False, **kwargs):
        self.commas = commas
        kwargs.setdefault(
            "widget", forms.TextInput if commas else forms.Textarea(attrs={"rows": 10})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return (", " if self.commas else "\n").join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, (list, tuple)):
            return [str(v).strip() for v in value if str(v).strip()]
        text = super().to_python(value)
        # Chinese commas and the enumeration comma count as separators between class codes.
        separators = r"[\n,，、;；]+" if self.commas else r"\n+"
        return [part.strip() for part in re.split(separators, text) if part.strip()]


def changed_values(form, fields) -> dict:
    """The values the form changed, for a service that records old and new."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in fields}


def _verbose(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


def result_classes_field() -> ListField:
    return ListField(
        commas=True,
        label=_verbose(BodyRules, "result_classes"),
        help_text=_("The codes in order, separated by commas: A, B, C or 甲, 乙, 丙."),
    )


def refusal_grounds_field() -> ListField:
    return ListField(
        required=False,
        label=_verbose(BodyRules, "refusal_grounds"),
        help_text=_("One ground per line. CPPCC bodies need at least one."),
    )


def roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_verbose(Membership, "roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )


class RecordForm(forms.Form):
    """A form with some of a model's fields; `initial` from the record being edited."""

    model: Any = None
    field_names: tuple[str, ...] = ()

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = model_to_dict(instance, fields=self.field_names)
        self.instance = instance
        super().__init__(*args, **kwargs)
        model_fields = fields_for_model(self.model, fields=self.field_names)
        for name in self.field_names:
            if name not in self.fields and model_fields.get(name) is not None:
                self.fields[name] = model_fields[name]
        # The declared order, whichever fields came from the model.
        self.order_fields(self.field_names)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.field_names}

    def changed(self) -> dict:
        return changed_values(self, self.field_names)


# ---------------------------------------------------------------------------------------------
# The body administration pages


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def term(self) -> str:
        return self.cleaned_data["q"].strip() if self.is_valid() else ""


class MembershipFields(RecordForm):
    """Roles, unit, member and phone in a body: only that body's units and the members
    nobody else acts for are offered."""

    model = Membership
    field_names: tuple[str, ...] = ("roles", "unit", "member", "phone", "active")
    roles = roles_field()

    def __init__(self, *args, body: Body, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["unit"].queryset = Unit.objects.filter(body=body)
        free = Member.objects.filter(body=body, membership__isnull=True)
        if instance is not None and instance.member_id:
            free = free | Member.objects.filter(pk=instance.member_id)
        self.fields["member"].queryset = free.order_by("sort_key", "id")


class MembershipForm(MembershipFields):
    """A stored membership's roles, unit, member, phone and whether it is active."""


class NewAccountForm(MembershipFields):
    """A new account and its membership in the body (开通账号)."""

    field_names = ("username", "first_name", "email", "roles", "unit", "member", "phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user_fields = fields_for_model(get_user_model(), fields=["username", "first_name", "email"])
        self.fields["username"] = user_fields["username"]
        self.fields["first_name"] = user_fields["first_name"]
        self.fields["first_name"].label = _("Name")
        self.fields["first_name"].required = True
        self.fields["email"] = user_fields["email"]
        self.order_fields(self.field_names)


class ExistingAccountForm(MembershipFields):
    """A membership in the body for an account that exists already (someone of another body,
    such as provincial staff who oversee a city's work)."""

    field_names = ("username", "roles", "unit", "member", "phone")
    username = forms.CharField(label=_("Username of the account"), max_length=150)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        account = get_user_model().objects.filter(username=username, is_active=True).first()
        if account is None:
            raise forms.ValidationError(_("There is no active account with this username."))
        self.account = account
        return username


class AccountNameForm(RecordForm):
    """How an account of the body is named and reached. A Chinese name is written whole, as
    the name (the account's first name), as the demo and the import keep it."""

    field_names = ("first_name", "email")

    def __init__(self, *args, **kwargs):
        self.model = get_user_model()
        super().__init__(*args, **kwargs)
        self.fields["first_name"].label = _("Name")


class PasswordIssueForm(forms.Form):
    reset_two_factor = forms.BooleanField(
        label=_("Also remove the second factor (a lost phone)"), required=False
    )


class UnitForm(RecordForm):
    model = Unit
    field_names = services.UNIT_FIELDS

    def __init__(self, *args, body: Body, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Unit.objects.filter(body=body)
        instance = self.instance
        if instance is not None and instance.pk:
            parents = parents.exclude(pk=instance.pk)
        self.fields["parent"].queryset = parents


class MemberForm(RecordForm):
    model = Member
    field_names = services.MEMBER_FIELDS


class CategoryForm(RecordForm):
    model = Category
    field_names = ("name",)


class RulesForm(RecordForm):
    model = BodyRules
    field_names = services.RULES_FIELDS

    def __init__(self, *args, body: Body, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result_classes"] = result_classes_field()
        self.fields["refusal_grounds"] = refusal_grounds_field()
        if body.is_congress:
            # Grounds for not accepting are the CPPCC proposal rules' (不予立案); a congress
            # does not refuse on them.
            self.field_names = tuple(n for n in self.field_names if n != "refusal_grounds")
            del self.fields["refusal_grounds"]
        self.order_fields(self.field_names)
