import functools

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .calendar import complete_calendar_year, remove_calendar_day, set_calendar_day
from .errors import DomainError
from .models import CalendarDay, HistoryEntry, SecurityEvent, SecurityEventKind
from .security import admin_bulk_action, record_security_event


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
    """The official calendar as published each autumn. Every change goes through the
    calendar services, so the open deadlines follow it and the change is in the history."""

    list_display = ["date", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    actions = ["complete_years"]

    def get_readonly_fields(self, request, obj=None):
        # The date is the row's identity: a different date is a new entry.
        return ["date"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        entry = set_calendar_day(
            obj.date, is_working_day=obj.is_working_day, name=obj.name, by=request.user
        )
        obj.pk = entry.day.pk
        self._moved(request, entry.moved)

    def delete_model(self, request, obj):
        self._moved(request, remove_calendar_day(obj.date, by=request.user).moved)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            moved = sum(
                remove_calendar_day(day, by=request.user).moved
                for day in queryset.values_list("date", flat=True)
            )
        self._moved(request, moved)

    @admin.action(description=_("Enter the rest of these years as ordinary days"))
    def complete_years(self, request, queryset):
        moved = 0
        for year in sorted({day.year for day in queryset.values_list("date", flat=True)}):
            try:
                moved += complete_calendar_year(year, by=request.user).moved
            except DomainError as refused:
                self.message_user(request, str(refused), level=messages.WARNING)
        self._moved(request, moved)

    def _moved(self, request, moved: int) -> None:
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
