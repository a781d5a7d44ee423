from django.contrib import admin

from banli.core.admin import ReadOnlyAdmin

from .models import Assignment, Evaluation, Extension, Reply, ResultClassChange

# Handling records change only through the services; the admin shows them. Nothing here is
# ever deleted (docs/domain.md: nothing is deleted).


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["item", "unit", "role", "state", "assigned_on", "due_on"]
    list_filter = ["role", "state", "unit__body"]
    list_select_related = ["item", "unit"]


@admin.register(Reply)
class ReplyAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "round", "result_class", "signed_at", "is_public"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "requested_due_on", "state", "requested_at"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["item", "round", "member", "attitude", "result", "counts"]


@admin.register(ResultClassChange)
class ResultClassChangeAdmin(ReadOnlyAdmin):
    list_display = ["item", "from_class", "to_class", "changed_on", "source"]
    list_select_related = ["item"]
