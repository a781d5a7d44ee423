from django.contrib import admin

from banli.core.admin import ReadOnlyAdmin

from .models import Delivery, DeliverySettings, ScheduledRun


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Read-only: deliveries change through the runner and `services.resend` (the outbox
    page), never by hand."""

    list_display = [
        "id",
        "created_at",
        "body",
        "channel",
        "address",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["state", "channel", "body"]
    search_fields = ["address"]
    list_select_related = ["body"]
    raw_id_fields = ["notice"]
    show_full_result_count = False


@admin.register(DeliverySettings)
class DeliverySettingsAdmin(ReadOnlyAdmin):
    list_display = ["user", "email_enabled", "sms_enabled", "quiet_from", "quiet_until"]
    list_select_related = ["user"]


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "next_run_at", "last_run_at", "last_worker"]
