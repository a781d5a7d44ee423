import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "banli.delivery"
    label = "delivery"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        from banli.core import schedule
        from banli.notices import channels

        from . import services, tasks

        # Every notice's e-mail and SMS rows, in notify's own transaction.
        channels.register(services.queue_deliveries)
        # The sweep: whatever a lost kick left waiting, and every retry once its backoff ends.
        schedule.register(
            "delivery.sweep", every=dt.timedelta(minutes=1), task=tasks.deliver_outbox
        )
