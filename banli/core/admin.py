from django.contrib import admin
from django.db import transaction
from django.utils.translation import ngettext

from .calendar import calendar_changed
from .models import CalendarDay, HistoryEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through the services (items, handling, supervision, history):
    the admin shows them and offers no add, change or delete, not even to superusers."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HistoryEntry)
class HistoryEntryAdmin(ReadOnlyAdmin):
    """Read-only: the history is append-only, even for administrators."""

    list_display = [
        "at",
        "action",
        "actor_kind",
        "actor_label",
        "target_type",
        "target_id",
        "from_state",
        "to_state",
    ]
    list_filter = ["action", "actor_kind", "target_type"]
    search_fields = ["action", "reason", "actor_label"]
    date_hierarchy = "at"


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The official calendar as published each autumn; open deadlines follow each change."""

    list_display = ["date", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._recompute(request)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            self._recompute(request)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            self._recompute(request)

    def _recompute(self, request):
        moved = calendar_changed(by=request.user)
        if moved:
            self.message_user(
                request,
                ngettext(
                    "%(n)d open deadline moved with the calendar.",
                    "%(n)d open deadlines moved with the calendar.",
                    moved,
                )
                % {"n": moved},
            )
