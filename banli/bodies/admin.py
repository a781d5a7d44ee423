"""The configuration of bodies in the admin. Rules, units, members, memberships and accounts
are saved through `banli.bodies.services`, so every change is one history entry with the old
and new values, whoever makes it; none of them is deleted here (each is closed with its
`active` flag), so what an account or a unit did stays attributable."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from banli.core.errors import DomainError

from . import services
from .forms import ListField, changed_values
from .models import (
    Body,
    BodyRules,
    Category,
    Member,
    Membership,
    Role,
    Session,
    Term,
    Unit,
    default_refusal_grounds,
    default_result_classes,
)


def _verbose(model, name: str):
    return model._meta.get_field(name).verbose_name


class BodyRulesForm(forms.ModelForm):
    result_classes = ListField(
        commas=True,
        initial=default_result_classes,
        label=_verbose(BodyRules, "result_classes"),
        help_text=_("The codes in order, separated by commas: A, B, C or 甲, 乙, 丙."),
    )
    refusal_grounds = ListField(
        required=False,
        initial=default_refusal_grounds,
        label=_verbose(BodyRules, "refusal_grounds"),
        help_text=_("One ground per line. CPPCC bodies need at least one."),
    )

    class Meta:
        model = BodyRules
        fields = ["body", *services.RULES_FIELDS]


class MembershipForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_verbose(Membership, "roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Membership
        fields = ["user", "body", *services.MEMBERSHIP_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A membership stays in its body and with its user: a move is a new membership.
        if self.instance.pk:
            for name in ("user", "body"):
                if name in self.fields:
                    self.fields[name].disabled = True


class ThroughServices(admin.ModelAdmin):
    """Saved through a service; a service's refusal is shown as a message, never a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_inline_forms(self, formset, save) -> None:
        """Save each changed form of `formset` with `save(form)`, and note what was saved
        where the admin's change message expects `formset.save()` to have put it."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.forms:
            if not form.has_changed():
                continue
            if form.instance.pk is None:
                # As the formset's own save does: the parent may have been created just now.
                setattr(form.instance, formset.fk.name, formset.instance)
                formset.new_objects.append(save(form))
            else:
                formset.changed_objects.append((save(form), form.changed_data))


class MembershipInline(admin.StackedInline):
    model = Membership
    form = MembershipForm
    extra = 0
    can_delete = False
    raw_id_fields = ["member", "unit"]


def _save_membership(request, form):
    return services.save_membership(
        form.instance, by=request.user, **changed_values(form, services.MEMBERSHIP_FIELDS)
    )


class RulesInline(admin.StackedInline):
    model = BodyRules
    form = BodyRulesForm
    can_delete = False


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    # Items keep naming their category: one is renamed, never deleted.
    can_delete = False


@admin.register(Body)
class BodyAdmin(ThroughServices):
    list_display = ["code", "name", "body_type", "level"]
    list_filter = ["body_type", "level"]
    search_fields = ["code", "name"]
    inlines = [RulesInline, CategoryInline]

    def has_delete_permission(self, request, obj=None):
        # A body's configuration history is filed under it.
        return False

    def save_formset(self, request, form, formset, change):
        if formset.model is Category:

            def save_category(category_form):
                values = changed_values(category_form, services.CATEGORY_FIELDS)
                return services.save_category(category_form.instance, by=request.user, **values)

            return self.save_inline_forms(formset, save_category)
        if formset.model is not BodyRules:
            return super().save_formset(request, form, formset, change)

        def save(rules_form):
            values = changed_values(rules_form, services.RULES_FIELDS)
            return services.change_rules(form.instance, by=request.user, **values)

        self.save_inline_forms(formset, save)


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["body", "number", "starts_on", "ends_on"]
    list_filter = ["body"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["name", "term", "number", "period", "year", "opens_on", "closes_on"]
    list_filter = ["term__body", "period", "year"]


class RecordedAdmin(ThroughServices):
    """A body's record saved by `service(obj, by=..., **changed values)`; its body is fixed
    once created, and it is closed with `active`, not deleted."""

    fields_recorded: tuple[str, ...] = ()

    def service(self, obj, *, by, **values):
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        fixed = ["body"] if obj is not None else []
        return [*super().get_readonly_fields(request, obj), *fixed]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        self.service(obj, by=request.user, **changed_values(form, self.fields_recorded))


@admin.register(Member)
class MemberAdmin(RecordedAdmin):
    list_display = ["name", "body", "member_type", "delegation", "party", "sector", "active"]
    list_filter = ["body", "member_type", "active"]
    search_fields = ["name", "delegation", "party", "sector"]
    fields_recorded = services.MEMBER_FIELDS

    def service(self, obj, *, by, **values):
        return services.save_member(obj, by=by, **values)


@admin.register(Unit)
class UnitAdmin(RecordedAdmin):
    list_display = ["name", "body", "parent", "contact_name", "contact_phone", "active"]
    list_filter = ["body", "active"]
    search_fields = ["name"]
    fields_recorded = services.UNIT_FIELDS

    def service(self, obj, *, by, **values):
        return services.save_unit(obj, by=by, **values)


@admin.register(Membership)
class MembershipAdmin(ThroughServices):
    form = MembershipForm
    list_display = ["user", "body", "roles", "unit", "member", "active"]
    list_filter = ["body", "active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["member", "unit"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        _save_membership(request, form)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class BanliUserAdmin(ThroughServices, UserAdmin):
    """Users with their memberships (body, roles, unit, member) on the same page.

    An account is never deleted: the history names who acted (its `actor` is protected), so
    an account that should no longer sign in is made inactive, and that change is recorded."""

    inlines = [MembershipInline]
    list_display = ["username", "first_name", "bodies", "is_active"]
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__body")

    @admin.display(description=_("bodies and roles"))
    def bodies(self, obj):
        return "; ".join(f"{m.body}: {', '.join(m.roles)}" for m in obj.memberships.all()) or "—"

    def has_delete_permission(self, request, obj=None):
        return False

    def delete_view(self, request, object_id, extra_context=None):
        self.message_user(
            request,
            _(
                "Accounts are not deleted, so the history keeps naming who did what. "
                "Untick “active” to close this account."
            ),
            messages.WARNING,
        )
        return HttpResponseRedirect(
            reverse(
                f"admin:{User._meta.app_label}_{User._meta.model_name}_change", args=[object_id]
            )
        )

    def save_model(self, request, obj, form, change):
        # A new account is created here (its password set by the form); a change is saved
        # with its groups and permissions in save_related, as one recorded change.
        if not change:
            services.save_account(obj, by=request.user)

    def save_related(self, request, form, formsets, change):
        if change:
            fields = services.ACCOUNT_FIELDS + services.ACCOUNT_RELATIONS
            services.save_account(form.instance, by=request.user, **changed_values(form, fields))
        else:
            form.save_m2m()
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is Membership:
            self.save_inline_forms(formset, lambda f: _save_membership(request, f))
        else:
            super().save_formset(request, form, formset, change)
