from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from banli.core.models import HistoryEntry

from .models import CoSigner, Item


class CoSignerInline(admin.TabularInline):
    model = CoSigner
    extra = 0
    can_delete = False
    readonly_fields = ["member", "invited_at", "confirmed_at", "declined_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    """Items are read here; every change goes through the services, so the admin is read-only
    and shows the item's history."""

    list_display = ["display_number", "title", "body", "kind", "state", "proposer", "created_at"]
    list_filter = ["body", "kind", "state", "session"]
    search_fields = ["title", "proposer__name"]
    inlines = [CoSignerInline]
    readonly_fields = ["history"]
    list_select_related = ["body", "proposer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("history"))
    def history(self, obj):
        from django.utils.html import format_html_join

        entries = HistoryEntry.objects.filter(
            root_type=ContentType.objects.get_for_model(Item), root_id=obj.pk
        ).select_related("actor")
        return format_html_join(
            "",
            "<div>{} · {} · {} → {} · {} {}</div>",
            (
                (
                    e.at.strftime("%Y-%m-%d %H:%M"),
                    e.action,
                    e.from_state,
                    e.to_state,
                    e.actor or "—",
                    e.reason,
                )
                for e in entries
            ),
        )
