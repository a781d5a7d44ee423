"""Uploads as an attacker sends them: zip bombs and programs dressed as Word files, macros,
PDFs that are also web pages, requests larger than the server will read, infected files —
and a file whose transaction rolls back leaves nothing on disk."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from banli.core.errors import ValidationFailed
from banli.core.limits import RequestSizeLimitMiddleware
from banli.core.uploads import check_upload
from banli.items.models import Item

from .factories import on

DAY = dt.date(2026, 3, 2)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << >>\n%%EOF\n"
PE = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode.\r\r\n$"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def files_under(root) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def refusal(name: str, content: bytes) -> str:
    with pytest.raises(ValidationFailed) as refused:
        check_upload(upload(name, content))
    return str(refused.value)


# --- Request size --------------------------------------------------------------------------------


class Unread(io.RawIOBase):
    """A request body that must not be read."""

    def readable(self):
        return True

    def readinto(self, buffer):
        raise AssertionError("the body was read")


class Endless(io.RawIOBase):
    """A chunked body that never ends; counts what was read of it."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"x" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def test_an_oversize_request_gets_413_before_its_body_is_read(client, world, settings):
    client.force_login(world.deputy)
    response = client.generic(
        "POST",
        reverse("items:create"),
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1),
        **{"wsgi.input": Unread()},
    )
    assert response.status_code == 413
    assert "The request is too large: at most 51 MB can be sent at once" in (
        response.content.decode()
    )


def test_a_chunked_body_is_counted_and_refused_past_the_limit(client, settings):
    settings.REQUEST_MAX_BYTES = 100_000
    body = Endless()
    response = client.generic(
        "POST",
        reverse("login"),
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BufferedReader(body), "wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert body.read_bytes < 200_000  # stopped just past the limit


def test_a_chunked_body_within_the_limit_reaches_the_form(rf: RequestFactory):
    request = rf.generic(
        "POST",
        "/",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(b"title=%E5%BB%BA%E8%AE%AE"), "wsgi.input_terminated": True},
    )
    request.META.pop("CONTENT_LENGTH", None)
    response = RequestSizeLimitMiddleware(lambda r: HttpResponse(r.POST["title"]))(request)
    assert response.content.decode() == "建议"


def test_a_chunked_body_on_a_server_that_cannot_end_it_is_refused(client):
    response = client.generic(
        "POST",
        reverse("login"),
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": Unread()},
    )
    assert response.status_code == 411
    assert "did not state its length" in response.content.decode()


def test_too_many_files_in_one_form_get_a_page_that_says_so(client, world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    client.force_login(world.deputy)
    files = [upload(f"附件{n}.pdf", PDF) for n in range(3)]
    with on(DAY):
        response = client.post(reverse("items:create"), {"title": "建议", "attachments": files})
    assert response.status_code == 413
    assert "Too many files at once: at most 2 can be sent." in response.content.decode()
    assert not Item.objects.exists()
