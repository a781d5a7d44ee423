from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Body, BodyRules, Category, Member, Profile, Session, Term, Unit


class RulesInline(admin.StackedInline):
    model = BodyRules
    can_delete = False


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "body_type", "level"]
    list_filter = ["body_type", "level"]
    search_fields = ["code", "name"]
    inlines = [RulesInline, CategoryInline]


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["body", "number", "starts_on", "ends_on"]
    list_filter = ["body"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["name", "term", "number", "period", "year", "opens_on", "closes_on"]
    list_filter = ["term__body", "period", "year"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "body", "member_type", "delegation", "party", "sector"]
    list_filter = ["body", "member_type"]
    search_fields = ["name", "delegation", "party", "sector"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "body", "parent", "contact_name", "contact_phone", "active"]
    list_filter = ["body", "active"]
    search_fields = ["name"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "body", "roles", "unit", "member"]
    list_filter = ["body"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["member", "unit"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    raw_id_fields = ["member", "unit"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class BanliUserAdmin(UserAdmin):
    """Users with their body, roles, unit and member on the same page."""

    inlines = [ProfileInline]
    list_display = ["username", "first_name", "profile_body", "profile_roles", "is_active"]
    list_select_related = ["profile__body"]

    @admin.display(description=_("body"))
    def profile_body(self, obj):
        return getattr(getattr(obj, "profile", None), "body", "—")

    @admin.display(description=_("roles"))
    def profile_roles(self, obj):
        return ", ".join(getattr(getattr(obj, "profile", None), "roles", []) or [])
