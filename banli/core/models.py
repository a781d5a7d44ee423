"""What every app shares: the append-only history, the security log and the official
calendar's overrides."""

import functools

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from . import clock
from .actors import ActorKind


class LabelledChoices(models.Model):
    """A model whose `get_<field>_display()` reads a label table made once per field and
    language. Django's own builds a dictionary of every choice on each call (about 50 µs
    for a state); a list of 25 items with state, kind and result calls it 75 times, which
    was a tenth of the list's cost (docs/benchmark.md). Labels are model constants, so a
    table per language never goes stale."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            return _choice_labels(field, translation.get_language() or "")[value]
        except (KeyError, TypeError):  # a value outside the choices, or unhashable
            return super()._get_FIELD_display(field)


@functools.lru_cache(maxsize=512)
def _choice_labels(field, language: str) -> dict:
    return {value: str(label) for value, label in field.flatchoices}


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a history entry."""


class HistoryQuerySet(models.QuerySet):
    # Every way the ORM writes to existing rows refuses: update(), bulk_update() (through
    # update()), the internal _update() of save(), delete(), the collector's _raw_delete(), and
    # bulk_create(update_conflicts=True). The database refuses raw SQL too (migration 0003).
    def update(self, **kwargs):
        raise AppendOnlyError("history entries cannot be updated")

    def _update(self, values):
        raise AppendOnlyError("history entries cannot be updated")

    def delete(self):
        raise AppendOnlyError("history entries cannot be deleted")

    def _raw_delete(self, using):
        raise AppendOnlyError("history entries cannot be deleted")

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("update_conflicts"):
            raise AppendOnlyError("history entries cannot be updated")
        return super().bulk_create(objs, *args, **kwargs)

    def for_root(self, obj):
        """Every entry of a case file (an item and everything done under it)."""
        ct = ContentType.objects.get_for_model(obj)
        return self.filter(root_type=ct, root_id=obj.pk)

    def for_target(self, obj):
        ct = ContentType.objects.get_for_model(obj)
        return self.filter(target_type=ct, target_id=obj.pk)


class HistoryEntry(models.Model):
    """One thing that happened (办理记录): who did what, when, from which state to which, why.

    Append-only: saving an existing entry, or deleting one, raises.
    `target` is the object acted on (an item, an assignment); `root` is the case file it belongs
    to, so an item's timeline is one indexed query.
    """

    at = models.DateTimeField(_("time"), default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system acted (a deadline passed)."),
    )
    actor_kind = models.CharField(
        _("kind of actor"), max_length=8, choices=ActorKind.choices, default=ActorKind.USER
    )
    # Kept as written at the time (the username, the file and row, the token, the tracking
    # code), so the entry stays readable whatever later happens to the account.
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("target type"), on_delete=models.PROTECT, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("target id"))
    target = GenericForeignKey("target_type", "target_id")
    root_type = models.ForeignKey(
        ContentType, verbose_name=_("root type"), on_delete=models.PROTECT, related_name="+"
    )
    root_id = models.PositiveBigIntegerField(_("root id"))
    from_state = models.CharField(_("from state"), max_length=32, blank=True)
    to_state = models.CharField(_("to state"), max_length=32, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = HistoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["at", "id"]
        # Django's internal paths (related managers, the deletion collector) use the base
        # manager; it must be the append-only one, not a plain Manager.
        base_manager_name = "objects"
        indexes = [
            # A timeline reads its case file newest first in (at, id) order, a page at a time
            # (keyset on the same columns): the index holds that order exactly.
            models.Index(fields=["root_type", "root_id", "at", "id"], name="core_history_timeline"),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("history entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("history entries cannot be deleted")

    @property
    def actor_name(self) -> str:
        """Who acted, as a timeline shows it: the person's name, or the kind of actor and
        its label (the system's sweep, an import's file and row, a token, a tracking code)."""
        if self.actor_kind == ActorKind.USER and self.actor is not None:
            return self.actor.get_full_name() or self.actor.get_username()
        kind = dict(ActorKind.choices).get(self.actor_kind, self.actor_kind)
        who = self.actor.get_full_name() or self.actor.get_username() if self.actor else ""
        details = ", ".join(part for part in (self.actor_label, who) if part)
        return f"{kind} ({details})" if details else str(kind)

    @property
    def changes_state(self) -> bool:
        return self.from_state != self.to_state


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKOUT = "lockout", _("Lockout")
    LOGOUT = "logout", _("Logout")
    TWO_FACTOR_ENROLLED = "2fa_enrolled", _("Two-factor authentication enrolled")
    TWO_FACTOR_DISABLED = "2fa_disabled", _("Two-factor authentication disabled")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")
    EXPORT = "export", _("Export")
    ADMIN_ACTION = "admin_action", _("Administrative action")


class SecurityEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("security events cannot be updated")

    def delete(self):
        raise AppendOnlyError("security events cannot be deleted")


class SecurityEvent(models.Model):
    """One event of the security log (安全审计日志): a login, a failure, a lockout, a change of
    the second factor, a refused request, an export, an administrator's change.

    Append-only like the history: the ORM refuses to change or delete a row, and on
    PostgreSQL a trigger refuses UPDATE and DELETE from any client (migration 0010)."""

    # The wall clock, not core.clock: an audit trail records when it really happened.
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("event"), max_length=32, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # As typed or as it was at the time: a failed login names an account that may not exist.
    username = models.CharField(_("username"), max_length=150, blank=True)
    # The body the user worked in; a plain number because core knows nothing of bodies.
    body_id = models.PositiveBigIntegerField(_("body"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["kind", "at"]),
            models.Index(fields=["user", "at"]),
            models.Index(fields=["ip_address", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("security events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("security events cannot be deleted")


class CalendarDay(models.Model):
    """A day of the official calendar entered by an admin (法定节假日 / 调休上班日).

    Entered days take precedence over the chinese-calendar package, which only knows the
    years published before its release.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"), help_text=_("Ticked for an adjusted working weekend (调休上班).")
    )
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("official calendar day")
        verbose_name_plural = _("official calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


def _upload_path(instance: "Attachment", filename: str) -> str:
    # Stored under a random name: the original name is kept in the row, never trusted on disk.
    import uuid

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"attachments/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class Attachment(models.Model):
    """A file attached to a record (附件), kept outside any web root and served only through a
    view that checks the reader's permission on its case file (`root`)."""

    root_type = models.ForeignKey(
        ContentType, verbose_name=_("root type"), on_delete=models.PROTECT, related_name="+"
    )
    root_id = models.PositiveBigIntegerField(_("root id"))
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("target type"), on_delete=models.PROTECT, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("target id"))
    file = models.FileField(_("file"), upload_to=_upload_path)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=clock.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["root_type", "root_id"])]

    def __str__(self) -> str:
        return self.name
