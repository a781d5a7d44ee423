from django.contrib import admin

from banli.core.admin import ReadOnlyAdmin

from .models import Notice


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "body", "kind", "read_at"]
    list_filter = ["kind", "body"]
    search_fields = ["recipient__username"]
    list_select_related = ["recipient", "body"]
