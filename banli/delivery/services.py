"""Delivery (送达): the outbox of e-mail and SMS behind every notice, and its runner.

`queue_deliveries` is the notices' delivery channel (registered in apps.py): inside
`notify`'s transaction it writes one `Delivery` per notice and channel the recipient has on,
so a notice and its deliveries are committed or lost together. After the commit the worker
is kicked (`tasks.deliver_outbox`); should that fail, the periodic sweep finds the rows.

`deliver_due` is the runner: it claims due rows with a conditional UPDATE, commits the
claim, sends, and marks them sent. A row is sent only by the worker that claimed it, so a
second run or a second worker sends nothing twice; a row left claimed by a worker that died
is marked failed, not sent again (an SMS must not arrive twice), for an admin to resend."""

import datetime as dt
import logging
import os
import socket
import uuid
import zoneinfo
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from banli.bodies.access import body_roles
from banli.bodies.models import Membership, Role
from banli.core import clock, history
from banli.core.actors import user_of
from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed

from . import sms
from .models import EMAIL, FAILED, PENDING, SMS, Channel, Delivery, DeliverySettings, State

logger = logging.getLogger("banli.delivery")

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Who may read the outbox of a body and resend from it.
OUTBOX_ROLES = {Role.STAFF, Role.BODY_ADMIN}
# How many rows one claim takes: a claim's lease runs while they are sent one by one.
CLAIM_CHUNK = 20


def max_attempts() -> int:
    return int(getattr(settings, "BANLI_DELIVERY_MAX_ATTEMPTS", 5))


def backoff_seconds() -> list[int]:
    return list(getattr(settings, "BANLI_DELIVERY_BACKOFF_SECONDS", [60, 300, 1500, 7500]))


def lease_seconds() -> int:
    return int(getattr(settings, "BANLI_DELIVERY_LEASE_SECONDS", 900))


def site_url() -> str:
    return str(getattr(settings, "BANLI_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# ---------------------------------------------------------------------------------------------
# A person's channels


def quiet_end(at: dt.datetime, quiet_from: dt.time | None, quiet_until: dt.time | None):
    """The end of the quiet hours `at` falls in (Beijing time), or None outside them. A span
    past midnight (22:00–07:00) ends the next morning."""
    if quiet_from is None or quiet_until is None or quiet_from == quiet_until:
        return None
    local = at.astimezone(SHANGHAI)
    now = local.time()
    day = local.date()
    if quiet_from < quiet_until:
        inside = quiet_from <= now < quiet_until
    else:
        inside = now >= quiet_from or now < quiet_until
        if now >= quiet_from:
            day = day + dt.timedelta(days=1)
    if not inside:
        return None
    return dt.datetime.combine(day, quiet_until, tzinfo=SHANGHAI)


def _not_before(at: dt.datetime, prefs: DeliverySettings | None) -> dt.datetime:
    end = quiet_end(at, prefs.quiet_from, prefs.quiet_until) if prefs is not None else None
    return end if end is not None and end > at else at


def channels_for(user, prefs: DeliverySettings | None, member_phone: str) -> dict[str, str]:
    """The channels a person has on, with the address of each. Without settings of their
    own: e-mail when the account has an address, SMS when the body knows a phone."""
    found = {}
    phone = ((prefs.phone if prefs is not None else "") or member_phone or "").strip()
    email_on = prefs.email_enabled if prefs is not None else True
    sms_on = prefs.sms_enabled if prefs is not None else bool(phone)
    if email_on and user.email:
        found[EMAIL] = user.email
    if sms_on and phone:
        found[SMS] = phone
    return found


def settings_of(user) -> DeliverySettings:
    """A person's settings as they stand (an unsaved row with the defaults when none)."""
    prefs = DeliverySettings.objects.filter(user=user).first()
    if prefs is not None:
        return prefs
    phone = (
        Membership.objects.filter(user=user, active=True)
        .exclude(phone="")
        .values_list("phone", flat=True)
        .first()
    )
    return DeliverySettings(
        user=user, email_enabled=bool(user.email), sms_enabled=bool(phone), phone=phone or ""
    )


@transaction.atomic
def save_settings(
    user,
    *,
    by,
    email_enabled: bool,
    sms_enabled: bool,
    phone: str = "",
    quiet_from: dt.time | None = None,
    quiet_until: dt.time | None = None,
) -> DeliverySettings:
    """A person changes their own channels; recorded with the values before and after."""
    actor = getattr(by, "pk", None)
    if actor is None or actor != user.pk:
        raise NotAllowed(_("Only the person themselves changes how they are told."))
    phone = (phone or "").strip()
    errors: dict[str, list[str]] = {}
    if sms_enabled and not phone:
        errors["phone"] = [_("Give a mobile phone number to be told by SMS.")]
    if phone and not _looks_like_phone(phone):
        errors["phone"] = [_("Give the phone number in digits, such as 13800138000.")]
    if email_enabled and not user.email:
        errors["email_enabled"] = [_("Your account has no e-mail address.")]
    if (quiet_from is None) != (quiet_until is None):
        errors["quiet_until"] = [_("Give both the start and the end of the quiet hours.")]
    elif quiet_from is not None and quiet_from == quiet_until:
        errors["quiet_until"] = [_("The quiet hours must end at another time than they start.")]
    if errors:
        error = ValidationFailed(next(iter(errors.values()))[0])
        error.errors = errors  # type: ignore[attr-defined]
        raise error
    prefs = DeliverySettings.objects.select_for_update().filter(user=user).first()
    before = _describe(prefs) if prefs is not None else ""
    if prefs is None:
        prefs = DeliverySettings(user=user)
    prefs.email_enabled = email_enabled
    prefs.sms_enabled = sms_enabled
    prefs.phone = phone
    prefs.quiet_from = quiet_from
    prefs.quiet_until = quiet_until
    prefs.updated_at = clock.now()
    prefs.save()
    history.record(
        prefs,
        "delivery_settings",
        by=by,
        before=before,
        after=_describe(prefs),
        data={
            "email": email_enabled,
            "sms": sms_enabled,
            "phone": phone,
            "quiet_from": quiet_from.isoformat() if quiet_from else "",
            "quiet_until": quiet_until.isoformat() if quiet_until else "",
        },
    )
    return prefs


def _looks_like_phone(phone: str) -> bool:
    digits = phone.removeprefix("+").replace("-", "").replace(" ", "")
    return digits.isdigit() and 5 <= len(digits) <= 20


def _describe(prefs: DeliverySettings) -> str:
    parts = []
    if prefs.email_enabled:
        parts.append("email")
    if prefs.sms_enabled:
        parts.append("sms")
    text = "+".join(parts) or "site"
    if prefs.quiet_from and prefs.quiet_until:
        text += f" quiet {prefs.quiet_from:%H:%M}-{prefs.quiet_until:%H:%M}"
    return text


# ---------------------------------------------------------------------------------------------
# Queueing: the notices' delivery channel


def queue_deliveries(notices: Sequence) -> None:
    """Write the e-mail and SMS deliveries of the new notices, in `notify`'s transaction:
    the recipients' settings and phones in one query, the rows in one insert."""
    notices = [notice for notice in notices if notice.pk is not None]
    if not notices:
        return
    body_ids = {notice.body_id for notice in notices}
    user_ids = {notice.recipient_id for notice in notices}
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    users = users.select_related("delivery_settings")
    phones: dict[tuple[int, int], str] = {}
    if len(body_ids) == 1:
        # One notify call is one body: the phone of each recipient's membership in it.
        (body_id,) = body_ids
        users = users.annotate(
            member_phone=Subquery(
                Membership.objects.filter(user=OuterRef("pk"), body_id=body_id)
                .exclude(phone="")
                .values("phone")[:1]
            )
        )
        found = {user.pk: user for user in users}
        phones = {(uid, body_id): getattr(u, "member_phone", "") or "" for uid, u in found.items()}
    else:  # pragma: no cover - notify writes one body's notices; kept correct anyway
        found = {user.pk: user for user in users}
        for user_id, body_id, phone in Membership.objects.filter(
            user_id__in=user_ids, body_id__in=body_ids
        ).values_list("user_id", "body_id", "phone"):
            phones[(user_id, body_id)] = phone
    now = clock.now()
    rows = []
    for notice in notices:
        user = found.get(notice.recipient_id)
        if user is None:
            continue  # an account closed since: the site's notice stays, nothing is sent
        prefs = getattr(user, "delivery_settings", None)
        when = _not_before(now, prefs)
        member_phone = phones.get((user.pk, notice.body_id), "")
        for channel, address in channels_for(user, prefs, member_phone).items():
            rows.append(
                Delivery(
                    notice=notice,
                    body_id=notice.body_id,
                    channel=channel,
                    address=address,
                    state=State.PENDING,
                    next_attempt_at=when,
                    created_at=now,
                )
            )
    if rows:
        Delivery.objects.bulk_create(rows)
        kick_after_commit()


def _kick() -> None:
    """Ask the worker to deliver now. Never raises: the periodic sweep delivers anyway."""
    try:
        from .tasks import deliver_outbox

        if _already_waiting(deliver_outbox):
            return
        deliver_outbox.enqueue()
    except Exception:
        logger.warning("could not queue the delivery task; the sweep will send", exc_info=True)


def _already_waiting(task) -> bool:
    """On the database queue, a run not yet started will see the rows just committed: a
    second one would only repeat it (the demo commits thousands of notices)."""
    from django_tasks_db.backend import DatabaseBackend

    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=task.module_path, backend_name=backend.alias
    ).exists()


def kick_after_commit() -> None:
    # One kick per transaction however many notices it writes.
    if connection.in_atomic_block and any(
        entry[1] is _kick for entry in getattr(connection, "run_on_commit", [])
    ):
        return
    transaction.on_commit(_kick)


# ---------------------------------------------------------------------------------------------
# Rendering


def render(delivery: Delivery) -> tuple[str, str]:
    """The subject and text of a delivery, in the site's language (a person's language is
    not stored; the site speaks LANGUAGE_CODE), with the absolute link to the page."""
    notice = delivery.notice
    with translation.override(settings.LANGUAGE_CODE):
        message = notice.message
        subject = pgettext("e-mail subject", "%(site)s: %(kind)s") % {
            "site": settings.BANLI_SITE_NAME,
            "kind": notice.kind_label,
        }
    link = f"{site_url()}{notice.url}" if notice.url else ""
    text = f"{message}\n\n{link}" if link and delivery.channel == Channel.EMAIL else message
    if link and delivery.channel == Channel.SMS:
        text = f"{message} {link}"
    return subject, text


def _send(delivery: Delivery) -> None:
    subject, text = render(delivery)
    if delivery.channel == Channel.EMAIL:
        try:
            EmailMessage(subject, text, to=[delivery.address]).send(fail_silently=False)
        except Exception as exc:  # SMTP errors, refused connections, timeouts
            raise sms.SendFailed(f"{type(exc).__name__}: {exc}") from exc
    elif delivery.channel == Channel.SMS:
        sms.backend().send(delivery.address, text)
    else:
        raise sms.SendFailed(f"unknown channel {delivery.channel!r}")


# ---------------------------------------------------------------------------------------------
# The runner


def _interrupted_text() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Interrupted while sending (the worker stopped): not resent automatically, so "
            "that nothing arrives twice. Resend it if it did not arrive."
        )


def release_interrupted(*, now: dt.datetime | None = None) -> int:
    """Mark failed the rows a worker claimed and never finished within the lease."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(seconds=lease_seconds())
    return Delivery.objects.filter(state=State.SENDING, claimed_at__lt=cutoff).update(
        state=State.FAILED, last_error=_interrupted_text()
    )


def _claim(ids: list[int], *, now: dt.datetime, worker_id: str) -> list[Delivery]:
    """Take the rows still waiting among `ids` for this run: one conditional UPDATE, its own
    commit, so another worker's claim of the same rows matches nothing."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        Delivery.objects.filter(pk__in=ids, state=State.PENDING).update(
            state=State.SENDING,
            claimed_at=now,
            claimed_by=worker_id[:100],
            claim=token,
            attempts=F("attempts") + 1,
        )
    return list(
        Delivery.objects.filter(pk__in=ids, claim=token, state=State.SENDING)
        .select_related("notice", "notice__recipient__delivery_settings")
        .order_by("next_attempt_at", "id")
    )


def _after_failure(delivery: Delivery, error: str, *, now: dt.datetime) -> str:
    state: str
    if delivery.attempts >= max_attempts():
        state, when = FAILED, delivery.next_attempt_at
    else:
        steps = backoff_seconds() or [60]
        delay = steps[min(delivery.attempts - 1, len(steps) - 1)]
        prefs = getattr(delivery.notice.recipient, "delivery_settings", None)
        state = PENDING
        when = _not_before(now + dt.timedelta(seconds=delay), prefs)
    Delivery.objects.filter(pk=delivery.pk, claim=delivery.claim).update(
        state=state, next_attempt_at=when, last_error=error[:2000]
    )
    return state


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200, worker_id: str = "") -> dict:
    """Send the deliveries that are due (at most `limit`), each at most once, and return
    {"sent": n, "failed": n}: "failed" counts this run's failed sends (retried later or
    given up after the maximum attempts) and the interrupted claims it gave up.

    Call it outside a transaction (the worker's task, a command): each claim and each
    "sent" commits on its own, which is what makes a crash lose no send and repeat none."""
    now = now or clock.now()
    worker_id = worker_id or default_worker_id()
    sent = failed = 0
    failed += release_interrupted(now=now)
    remaining = limit
    while remaining > 0:
        ids = list(
            Delivery.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[: min(CLAIM_CHUNK, remaining)]
        )
        if not ids:
            break
        remaining -= len(ids)
        for delivery in _claim(ids, now=now, worker_id=worker_id):
            try:
                _send(delivery)
            except Exception as exc:
                failed += 1
                logger.warning(
                    "delivery %s (%s) failed, attempt %s: %s",
                    delivery.pk,
                    delivery.channel,
                    delivery.attempts,
                    exc,
                )
                _after_failure(delivery, str(exc) or type(exc).__name__, now=now)
            else:
                sent += 1
                # Only this claim's row: if the lease ran out meanwhile and the row was
                # marked interrupted, the truth is that it was sent.
                Delivery.objects.filter(pk=delivery.pk, claim=delivery.claim).update(
                    state=State.SENT, sent_at=clock.now(), last_error=""
                )
    return {"sent": sent, "failed": failed}


@transaction.atomic
def resend(delivery: Delivery, *, by) -> Delivery:
    """An admin sends a failed delivery again (an interrupted one too, after checking it did
    not arrive): it waits again from now, with its attempts counted afresh."""
    user = user_of(by)
    if user is None or not body_roles(user, delivery.body_id) & OUTBOX_ROLES:
        raise NotAllowed(_("Only the body's staff and administrators resend deliveries."))
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state != State.FAILED:
        raise InvalidTransition(_("Only a failed delivery can be sent again."))
    previous = {"attempts": delivery.attempts, "error": delivery.last_error}
    delivery.state = State.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = clock.now()
    delivery.claim = ""
    delivery.claimed_at = None
    delivery.claimed_by = ""
    delivery.save(
        update_fields=[
            "state",
            "attempts",
            "next_attempt_at",
            "claim",
            "claimed_at",
            "claimed_by",
        ]
    )
    history.record(
        delivery,
        "resend_delivery",
        by=by,
        before=FAILED,
        after=PENDING,
        data={**previous, "channel": delivery.channel, "notice": delivery.notice_id},
    )
    kick_after_commit()
    return delivery
