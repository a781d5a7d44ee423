from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Body, BodyRules, Category, Member, Membership, Session, Term, Unit


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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "body", "roles", "unit", "member"]
    list_filter = ["body"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["member", "unit"]


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    can_delete = False
    raw_id_fields = ["member", "unit"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class BanliUserAdmin(UserAdmin):
    """Users with their memberships (body, roles, unit, member) on the same page."""

    inlines = [MembershipInline]
    list_display = ["username", "first_name", "bodies", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__body")

    @admin.display(description=_("bodies and roles"))
    def bodies(self, obj):
        return "; ".join(f"{m.body}: {', '.join(m.roles)}" for m in obj.memberships.all()) or "—"
