from django.contrib import admin

from banli.core.admin import ReadOnlyAdmin

from .models import KeyItem, SupervisionActivity


@admin.register(KeyItem)
class KeyItemAdmin(ReadOnlyAdmin):
    """Key items (重点督办件) are marked, changed and unmarked only by the supervision
    services, which keep their history; the admin shows them."""

    list_display = ["item", "year", "supervisor", "lead_handler", "committee"]
    list_filter = ["year"]
    list_select_related = ["item", "supervisor"]


@admin.register(SupervisionActivity)
class SupervisionActivityAdmin(ReadOnlyAdmin):
    """Supervision activities (督办活动) are recorded and withdrawn only through the
    supervision services, each in the items' history; the admin shows them."""

    list_display = ["held_on", "kind", "title", "body", "recorded_by", "withdrawn_at"]
    list_filter = ["kind", "body"]
    list_select_related = ["body", "recorded_by"]
    date_hierarchy = "held_on"
