from django.contrib import admin

from banli.core.admin import ReadOnlyAdmin

from .models import FollowUpRound, ProgressReport, RoundItem


@admin.register(FollowUpRound)
class FollowUpRoundAdmin(ReadOnlyAdmin):
    """Rounds (回头看) are opened and closed only by the follow-up services, which keep
    their history; the admin shows them."""

    list_display = ["title", "body", "year", "opened_on", "due_on", "state"]
    list_filter = ["state", "year"]
    list_select_related = ["body"]


@admin.register(RoundItem)
class RoundItemAdmin(ReadOnlyAdmin):
    list_display = ["round", "item", "class_at_opening", "class_confirmed", "confirmed_on"]
    list_select_related = ["round", "item"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["entry", "unit", "reported_on", "proposed_class", "by"]
    list_select_related = ["entry", "unit", "by"]
