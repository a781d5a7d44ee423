"""Uploads: only the document and image types bodies exchange, within the size limit, and only
when the bytes are what the name says (a renamed .exe is refused) and carry nothing that runs
(macros, programs, scripts, web pages hidden in a PDF)."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from . import clamd, upload_checks
from .errors import ValidationFailed
from .history import record
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


@transaction.atomic
def attach(obj, *, by, upload, root=None) -> Attachment:
    """Store an upload against `obj` (in the case file `root`) and record it in the history."""
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
        uploaded_by=by,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    record(obj, "attachment.add", by=by, root=root, data={"name": attachment.name})
    return attachment


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
