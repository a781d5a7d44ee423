from django.contrib import admin

from .models import KeyItem


@admin.register(KeyItem)
class KeyItemAdmin(admin.ModelAdmin):
    list_display = ["item", "year", "supervisor", "lead_handler"]
    list_filter = ["year"]

    def has_add_permission(self, request):
        return False
