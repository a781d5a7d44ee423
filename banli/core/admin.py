import functools

from django.contrib import admin
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.db import transaction
from django.utils.translation import ngettext

from .calendar import calendar_changed
from .models import CalendarDay, HistoryEntry, SecurityEvent, SecurityEventKind
from .security import admin_bulk_action, record_security_event


@admin.register(HistoryEntry)
class HistoryEntryAdmin(admin.ModelAdmin):
    """Read-only: the history is append-only, even for administrators."""

    list_display = ["at", "action", "actor", "target_type", "target_id", "from_state", "to_state"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only, and no one deletes from it: the security log is evidence."""

    list_display = ["at", "kind", "username", "ip_address", "path"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address", "path"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@functools.wraps(django_delete_selected)
def delete_selected(modeladmin, request, queryset):
    """Django's "delete selected" action, with one security event for the batch (the admin
    writes a batch's change log with bulk_create, which no signal reports)."""
    if not request.POST.get("post"):
        return django_delete_selected(modeladmin, request, queryset)
    objects = [[str(obj.pk), str(obj)[:200]] for obj in queryset]
    with admin_bulk_action():
        response = django_delete_selected(modeladmin, request, queryset)
    if response is None:  # deleted; otherwise the confirmation page is shown again
        opts = modeladmin.model._meta
        record_security_event(
            SecurityEventKind.ADMIN_ACTION,
            request=request,
            action="deletion",
            model=f"{opts.app_label}.{opts.model_name}",
            objects=objects,
        )
    return response


admin.site.add_action(delete_selected, "delete_selected")


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
