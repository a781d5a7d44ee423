from django.contrib import admin

from banli.core.admin import ReadOnlyAdmin

from .models import ReminderRule, ReminderSent


@admin.register(ReminderRule)
class ReminderRuleAdmin(ReadOnlyAdmin):
    """A body's reminder rules change only through `reminders.services.change_rule` (the
    rules page), which records the old and new values; the admin shows them."""

    list_display = ["body", "code", "enabled", "days", "changed_by", "changed_at"]
    list_filter = ["code", "enabled"]
    list_select_related = ["body", "changed_by"]


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdmin):
    """The log of reminders sent by the deadline scan, which is also what keeps each one
    from being sent twice: never edited."""

    list_display = ["sent_at", "body", "rule", "item", "due_on", "step"]
    list_filter = ["rule", "body"]
    list_select_related = ["body", "item"]
    raw_id_fields = ["item"]
    show_full_result_count = False
