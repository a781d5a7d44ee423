"""Uploads: only the document and image types bodies exchange, within the size limit, and only
when the bytes are what the name says (a renamed .exe is refused) and carry nothing that runs
(macros, programs, scripts, web pages hidden in a PDF); a file reaches its final place only
when the transaction that records it commits."""

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.signals import request_finished
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import clamd, upload_checks
from .actors import user_of
from .errors import DomainError, ValidationFailed
from .history import record
from .memo import memo
from .models import Attachment

log = logging.getLogger("banli.uploads")

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
# extension -> (magic prefix, content type served back)
ALLOWED = {
    "pdf": (b"%PDF-", "application/pdf"),
    "doc": (OLE2, "application/msword"),
    "xls": (OLE2, "application/vnd.ms-excel"),
    "docx": (ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
# The result of a check, kept on the upload object: a form checks it when it validates and
# attach() checks it again, and the virus scanner should see each file once.
CHECKED = "_banli_checked"


class UploadNotStored(DomainError):
    """The server could not write the file (its disk refused); nothing was recorded."""

    default_message = gettext_lazy(
        "The file could not be stored. Try again later or tell the administrator."
    )
    status_code = 503


def allowed_extensions() -> str:
    return ", ".join(sorted(ALLOWED))


def check_upload(upload, *, allow_macros: bool | None = None) -> str:
    """The content type to serve the upload with, or a ValidationFailed that says why not.

    `allow_macros` defaults to the UPLOAD_ALLOW_MACROS setting; a per-body switch can pass it
    once BodyRules carries one."""
    if allow_macros is None:
        allow_macros = settings.UPLOAD_ALLOW_MACROS
    key = (upload.size, allow_macros)
    checked = getattr(upload, CHECKED, None)
    if checked is not None and checked[0] == key:
        return checked[1]
    content_type = _check(upload, allow_macros=allow_macros)
    setattr(upload, CHECKED, (key, content_type))
    return content_type


def _check(upload, *, allow_macros: bool) -> str:
    name = (getattr(upload, "name", "") or "").strip()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationFailed(
            _("Files of this type are not accepted. Allowed: %(types)s.")
            % {"types": allowed_extensions()}
        )
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationFailed(
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)}
        )
    if upload.size == 0:
        raise ValidationFailed(_("The file is empty."))
    magic, content_type = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(len(magic))
    upload.seek(0)
    if head != magic:
        raise ValidationFailed(
            _("The file's content does not match its type (.%(ext)s).") % {"ext": extension}
        )
    if magic == ZIP:
        upload_checks.inspect_ooxml(upload, extension, allow_macros=allow_macros)
    elif magic == OLE2:
        upload_checks.inspect_ole2(upload, extension, allow_macros=allow_macros)
    else:
        upload_checks.refuse_markup(upload)
        if extension == "pdf":
            upload_checks.inspect_pdf(upload)
    _scan_for_viruses(upload)
    return content_type


def _scan_for_viruses(upload) -> None:
    if not clamd.configured():
        return
    upload.seek(0)
    try:
        found = clamd.scan(upload)
    except clamd.ScannerUnavailable as down:
        if settings.CLAMD_FAIL_OPEN:
            log.warning("virus scanner unavailable, file accepted unscanned: %s", down)
            return
        log.error("virus scanner unavailable, file refused: %s", down)
        raise ValidationFailed(
            _(
                "Files cannot be accepted right now: the virus scanner does not answer. "
                "Try again later or tell the administrator."
            )
        ) from down
    finally:
        upload.seek(0)
    if found is not None:
        log.warning("virus scanner found %s in an upload named %r", found, upload.name)
        raise ValidationFailed(
            _("The virus scanner found %(name)s in the file, so it is not accepted.")
            % {"name": found}
        )


# --- Storing: staged under MEDIA_ROOT/tmp, moved into place when the transaction commits -----

# A staged file's name is its final name under this folder, so a move that did not happen
# (a crash right after the commit) can still be finished by `banli clean_uploads`.
STAGING = "tmp"
_pending = threading.local()


def _staged_files() -> set[tuple]:
    if not hasattr(_pending, "files"):
        _pending.files = set()
    return _pending.files


@transaction.atomic
def attach(obj, *, by, upload, root=None) -> Attachment:
    """Store an upload against `obj` (in the case file `root`) and record it in the history.

    The bytes are written to a staging file now (so a full disk refuses the upload inside the
    transaction) and moved to the name the row records only once the transaction commits; a
    rollback leaves the staging file to discard_unpublished(), which runs when the request
    ends. Until the move, open_attachment() serves the staging file."""
    content_type = check_upload(upload)
    root = root if root is not None else obj
    attachment = Attachment(
        root_type=ContentType.objects.get_for_model(root),
        root_id=root.pk,
        target_type=ContentType.objects.get_for_model(obj),
        target_id=obj.pk,
        name=upload.name[-200:],
        content_type=content_type,
        size=upload.size,
        uploaded_by=user_of(by),
    )
    storage = attachment.file.storage
    final = attachment.file.field.generate_filename(attachment, upload.name)
    try:
        staged = storage.save(f"{STAGING}/{final}", upload)
    except OSError as refused:
        log.error("could not stage an upload: %s", refused)
        raise UploadNotStored() from refused
    entry = (storage, staged, final)
    _staged_files().add(entry)
    try:
        attachment.file.name = final
        attachment.save()
        record(obj, "attachment.add", by=by, root=root, data={"name": attachment.name})
    except BaseException:
        _discard(entry)
        raise
    transaction.on_commit(lambda: _publish(entry), robust=True)
    return attachment


def _publish(entry) -> None:
    storage, staged, final = entry
    _staged_files().discard(entry)
    move_into_place(storage, staged, final)


def move_into_place(storage, staged: str, final: str) -> None:
    try:
        source, target = storage.path(staged), storage.path(final)
    except NotImplementedError:  # a storage without local paths: copy, then remove
        with storage.open(staged, "rb") as content:
            storage.save(final, content)
        storage.delete(staged)
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(source, target)  # atomic: a download sees the whole file or the staged one


def _discard(entry) -> None:
    storage, staged, _final = entry
    _staged_files().discard(entry)
    try:
        storage.delete(staged)
    except OSError as failed:  # left for `banli clean_uploads`
        log.warning("could not remove a staged upload %s: %s", staged, failed)


def discard_unpublished() -> None:
    """Remove the staged files whose transaction rolled back.

    Django has no rollback hook; but once a request has ended with no transaction open on
    this thread's connection, a staged file that was not moved into place never will be (its
    on-commit move was dropped with the transaction). Not called sooner: while a commit's
    callbacks run no transaction is open either, and a later callback may be the move.
    Outside requests (a command that rolled back), `banli clean_uploads` removes them."""
    if transaction.get_connection().in_atomic_block:
        return
    for entry in list(_staged_files()):
        _discard(entry)


@receiver(request_finished, dispatch_uid="banli.uploads.discard_unpublished")
def _discard_after_request(**kwargs) -> None:
    discard_unpublished()


def clean_staged(*, older_than: dt.timedelta) -> tuple[int, int]:
    """Staged files older than `older_than`: moved into place when a committed row names them
    (the process died between the commit and the move), removed otherwise (their transaction
    rolled back in a process that ended before the request did). Returns (moved, removed).

    The age keeps files of transactions still open in other processes. Walks the storage
    through its own API, so a shared folder and S3-compatible storage are cleaned alike."""
    storage = Attachment._meta.get_field("file").storage
    cutoff = dt.datetime.now(dt.UTC) - older_than
    moved = removed = 0
    for final in sorted(_stored_names(storage, STAGING)):
        staged = f"{STAGING}/{final}"
        if storage.get_modified_time(staged) > cutoff:
            continue
        if Attachment.objects.filter(file=final).exists():
            move_into_place(storage, staged, final)
            moved += 1
        else:
            storage.delete(staged)
            removed += 1
    _remove_empty_folders(storage, STAGING)
    return moved, removed


def _stored_names(storage, folder: str, prefix: str = ""):
    """Every file under `folder` of `storage`, as a path relative to it."""
    try:
        folders, files = storage.listdir(f"{folder}/{prefix}".rstrip("/"))
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}{name}"
    for sub in folders:
        yield from _stored_names(storage, folder, f"{prefix}{sub}/")


def _remove_empty_folders(storage, folder: str) -> None:
    """A local folder keeps the empty directories of staged files; object storage has none."""
    try:
        staging = Path(storage.path(folder))
    except NotImplementedError:
        return
    if not staging.is_dir():
        return
    for path in sorted((p for p in staging.rglob("*") if p.is_dir()), reverse=True):
        if not any(path.iterdir()):
            path.rmdir()


def open_attachment(attachment: Attachment):
    """The stored file, opened for reading; in the moment between the commit that recorded it
    and the move into place, the staged file. Raises OSError when neither is there."""
    storage = attachment.file.storage
    try:
        return storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        return storage.open(f"{STAGING}/{attachment.file.name}", "rb")


# model label -> check(user, target) -> bool, for attachments whose target is not the case file
# itself (a reply's files are not for everyone who may read the item).
_TARGET_CHECKS: dict[str, Callable[..., bool]] = {}


def register_target_check(model, check: Callable[..., bool]) -> None:
    _TARGET_CHECKS[model._meta.label_lower] = check


def may_download(user, attachment: Attachment) -> bool:
    """Beyond reading the case file: the target's own rule, when its app set one."""
    check = _TARGET_CHECKS.get(f"{attachment.target_type.app_label}.{attachment.target_type.model}")
    if check is None:
        return True
    target = attachment.target_type.get_object_for_this_type(pk=attachment.target_id)
    return check(user, target)


def attachments_of(root):
    return Attachment.objects.filter(
        root_type=ContentType.objects.get_for_model(root), root_id=root.pk
    )


def case_files(root) -> list[Attachment]:
    """Every attachment of the case file `root` (its own and its replies'), read once for the
    instance: the item page's panels share one query (banli.core.memo)."""
    return memo(root, "case_files", lambda: list(attachments_of(root)))


def files_of(root, target) -> list[Attachment]:
    """The attachments of `target` within the case file `root`, from `case_files`."""
    target_type = ContentType.objects.get_for_model(target)
    return [
        a
        for a in case_files(root)
        if a.target_type_id == target_type.pk and a.target_id == target.pk
    ]
