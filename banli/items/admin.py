from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from banli.core.admin import ReadOnlyAdmin
from banli.core.models import HistoryEntry

from .models import CoSigner, Forwarding, Item, Refusal


class CoSignerInline(admin.TabularInline):
    model = CoSigner
    extra = 0
    fields = ["member", "invited_at", "confirmed_at", "declined_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    """Items are read here. Their state, number, proposers, class and dates change only
    through the services, which write the history shown below; an item is never deleted
    (a draft is withdrawn), so the admin cannot add, change or delete one."""

    list_display = ["display_number", "title", "body", "kind", "state", "proposer", "created_at"]
    list_filter = ["body", "kind", "state", "session"]
    search_fields = ["title", "proposer__name"]
    inlines = [CoSignerInline]
    readonly_fields = ["history"]
    list_select_related = ["body", "proposer"]

    @admin.display(description=_("history"))
    def history(self, obj):
        entries = HistoryEntry.objects.for_root(obj).select_related("actor")
        return format_html_join(
            "",
            "<div>{} · {} · {} → {} · {} {}</div>",
            (
                (
                    e.at.strftime("%Y-%m-%d %H:%M"),
                    e.action,
                    e.from_state,
                    e.to_state,
                    e.actor_label or e.actor or "—",
                    e.reason,
                )
                for e in entries
            ),
        )


@admin.register(Refusal)
class RefusalAdmin(ReadOnlyAdmin):
    """A refusal (不予立案) is decided through the review service only."""

    list_display = ["item", "ground", "decided_by", "decided_at"]
    list_select_related = ["item", "decided_by"]


@admin.register(Forwarding)
class ForwardingAdmin(ReadOnlyAdmin):
    """Forwarding a refused proposal (转社情民意 / 转有关部门参考) is a service step only."""

    list_display = ["item", "kind", "unit", "forwarded_by", "forwarded_at"]
    list_select_related = ["item", "unit", "forwarded_by"]
