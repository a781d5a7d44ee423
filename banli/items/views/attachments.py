"""Downloading an item's attachment: only for those who may read its case file."""

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from banli.core.models import Attachment
from banli.core.uploads import may_download, open_attachment

from ..models import Item
from .access import item_pk


@require_GET
@login_required
def download(request, pk):
    """The stored file, as an attachment under its original name (never rendered inline:
    an uploaded file must not run as a page of this site). A file the user may not have
    answers 404, like one that does not exist (a draft reply's file included)."""
    attachment = (
        Attachment.objects.filter(
            pk=item_pk(pk),
            root_type=ContentType.objects.get_for_model(Item),
            root_id__in=Item.objects.visible_to(request.user).values("pk"),
        )
        .select_related("target_type")
        .first()
    )
    if attachment is None or not may_download(request.user, attachment):
        raise Http404
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
