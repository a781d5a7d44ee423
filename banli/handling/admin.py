from django.contrib import admin

from .models import Assignment, Evaluation, Extension, Reply


class ReadOnly(admin.ModelAdmin):
    """Handling records change only through the services; the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ["item", "unit", "role", "state", "assigned_on", "due_on"]
    list_filter = ["role", "state", "unit__body"]
    list_select_related = ["item", "unit"]


@admin.register(Reply)
class ReplyAdmin(ReadOnly):
    list_display = ["assignment", "round", "result_class", "signed_at", "is_public"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnly):
    list_display = ["assignment", "requested_due_on", "state", "requested_at"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnly):
    list_display = ["item", "round", "member", "attitude", "result", "counts"]
