"""Downloading an item's attachment: only for those who may read its case file."""

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from banli.core.models import Attachment
from banli.core.uploads import may_download, open_attachment

from ..models import Item
from ..permissions import can_read


@require_GET
@login_required
def download(request, pk):
    """The stored file, as an attachment under its original name (never rendered inline:
    an uploaded file must not run as a page of this site)."""
    attachment = Attachment.objects.filter(
        pk=pk, root_type=ContentType.objects.get_for_model(Item)
    ).first()
    if attachment is None:
        raise Http404
    item = Item.objects.filter(pk=attachment.root_id).first()
    if item is None:
        raise Http404
    if not can_read(request.user, item) or not may_download(request.user, attachment):
        raise PermissionDenied
    try:
        handle = open_attachment(attachment)
    except OSError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
