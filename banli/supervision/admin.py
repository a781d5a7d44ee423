from django.contrib import admin

from banli.core.admin import ReadOnlyAdmin

from .models import KeyItem


@admin.register(KeyItem)
class KeyItemAdmin(ReadOnlyAdmin):
    """Key items (重点督办件) are marked, changed and unmarked only by the supervision
    services, which keep their history; the admin shows them."""

    list_display = ["item", "year", "supervisor", "lead_handler"]
    list_filter = ["year"]
    list_select_related = ["item", "supervisor"]
