from django.contrib import admin

from banli.core.admin import ReadOnlyAdmin

from .models import AssessedItem, Assessment, Criterion


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    """Commissions (第三方评估) are made, scored and submitted only through the assessment
    services, which keep their history; the admin shows them."""

    list_display = ["title", "body", "year", "evaluator", "due_on", "state"]
    list_filter = ["state", "year"]
    list_select_related = ["body", "evaluator"]


@admin.register(AssessedItem)
class AssessedItemAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "item", "total", "level", "scored_at"]
    list_filter = ["level"]
    list_select_related = ["assessment", "item"]


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyAdmin):
    """The criteria are edited on the body's criteria page (weights checked to sum to 100)."""

    list_display = ["name", "body", "weight", "order", "active"]
    list_filter = ["active"]
    list_select_related = ["body"]
