"""SMS backends (短信通道): `BANLI_SMS_BACKEND` names one by its dotted path. A backend sends
one text to one phone and raises `SendFailed` when the gateway refuses or does not answer;
the runner (services.deliver_due) retries with backoff. A real gateway is one class, like
`HttpGatewayBackend` below."""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("banli.delivery")

DEFAULT_BACKEND = "banli.delivery.sms.LoggingBackend"

# What LocmemBackend sent, like django.core.mail.outbox (tests empty it).
outbox: list[tuple[str, str]] = []


class SendFailed(Exception):
    """A channel could not send the message; the text says why (kept as the last error)."""


class BaseBackend:
    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingBackend(BaseBackend):
    """The default: no gateway, the message goes to the log (an office trying banli out)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


class LocmemBackend(BaseBackend):
    """For tests: keeps what it sent in `banli.delivery.sms.outbox`."""

    def send(self, phone: str, text: str) -> None:
        outbox.append((phone, text))


class HttpGatewayBackend(BaseBackend):
    """A gateway that takes JSON over HTTPS: POST {"phone", "text"} to BANLI_SMS_GATEWAY_URL
    with `Authorization: Bearer BANLI_SMS_GATEWAY_TOKEN`; any 2xx answer is success. A
    provider with another API (签名, 模板) is another class of this shape."""

    def send(self, phone: str, text: str) -> None:
        url = getattr(settings, "BANLI_SMS_GATEWAY_URL", "")
        if not url:
            raise SendFailed("BANLI_SMS_GATEWAY_URL is not set")
        request = urllib.request.Request(  # noqa: S310 - the URL is the deployment's own
            url,
            data=json.dumps({"phone": phone, "text": text}).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {getattr(settings, 'BANLI_SMS_GATEWAY_TOKEN', '')}",
            },
            method="POST",
        )
        timeout = getattr(settings, "BANLI_SMS_GATEWAY_TIMEOUT", 10)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise SendFailed(f"gateway answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SendFailed(f"gateway not reached: {exc}") from exc
        if not 200 <= status < 300:
            raise SendFailed(f"gateway answered {status}")


def backend() -> BaseBackend:
    return import_string(getattr(settings, "BANLI_SMS_BACKEND", DEFAULT_BACKEND))()
