"""A reply's files: the unit and the body's readers see drafts; proposers see them once sent;
other readers of a public item only when the reply is public."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from banli.core.uploads import attach
from banli.handling import services as handling
from banli.items import services as items

from .factories import make_proposer, on

PDF = b"%PDF-1.4\n% reply letter\n"


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def reply_with_file(world, *, public=False):
    with on(dt.date(2026, 3, 2)):
        item = world.assigned(is_public=True)
        a = world.lead_assignment(item)
        handling.accept_assignment(a, by=world.coord[a.unit_id])
        reply = handling.draft_reply(
            a, by=world.handler[a.unit_id], text="答复函", result_class="A", is_public=public
        )
        upload = SimpleUploadedFile("答复函.pdf", PDF, content_type="application/pdf")
        attachment = attach(reply, by=world.handler[a.unit_id], upload=upload, root=item)
    return item, a, attachment


def status(client, user, attachment):
    client.force_login(user)
    return client.get(reverse("items:attachment", args=[attachment.pk])).status_code


def test_draft_reply_file_is_for_the_unit_and_staff_only(client, world):
    item, a, attachment = reply_with_file(world)
    assert status(client, world.handler[a.unit_id], attachment) == 200
    assert status(client, world.staff, attachment) == 200
    # Invisible to them: answered as if there were no such file.
    assert status(client, world.deputy, attachment) == 404
    assert status(client, world.coord[world.units[1].pk], attachment) == 404


def test_sent_reply_file_reaches_the_proposer_but_not_other_deputies(client, world):
    item, a, attachment = reply_with_file(world, public=False)
    with on(dt.date(2026, 3, 3)):
        handling.sign_reply(a, by=world.leader[a.unit_id])
    other, _ = make_proposer(world.body, "钱代表")
    assert status(client, world.deputy, attachment) == 200
    response = client.get(reverse("items:attachment", args=[attachment.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF
    assert status(client, other, attachment) == 404


def test_public_reply_file_is_readable_by_readers_of_the_public_item(client, world):
    item, a, attachment = reply_with_file(world, public=True)
    with on(dt.date(2026, 3, 3)):
        handling.sign_reply(a, by=world.leader[a.unit_id])
    other, _ = make_proposer(world.body, "孙代表")
    assert status(client, other, attachment) == 200


def test_item_files_follow_the_item(client, world, other_world):
    with on(dt.date(2026, 3, 2)):
        item = world.draft()
        upload = SimpleUploadedFile("调研.pdf", PDF, content_type="application/pdf")
        attachment = attach(item, by=world.deputy, upload=upload)
        items.submit(item, by=world.deputy)
    assert status(client, world.deputy, attachment) == 200
    assert status(client, other_world.staff, attachment) == 404
