"""Uploads as an attacker sends them: zip bombs and programs dressed as Word files, macros,
PDFs that are also web pages, requests larger than the server will read, infected files —
and a file whose transaction rolls back leaves nothing on disk."""

import datetime as dt
import io
import os
import socket
import struct
import threading
import time
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from banli.core.errors import ValidationFailed
from banli.core.limits import RequestSizeLimitMiddleware
from banli.core.models import Attachment
from banli.core.uploads import attach, check_upload
from banli.items.models import Item

from .factories import on

DAY = dt.date(2026, 3, 2)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


# --- Office Open XML ---------------------------------------------------------------------------

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def content_types(main_part: str, main_type: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>{extra}</Types>'
    )


def package(parts: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx(extra_parts=None, *, main_type=WORD_MAIN, extra_types="") -> bytes:
    """A minimal Word document, as Word writes one (content types, relationships, body)."""
    return package(
        {
            "[Content_Types].xml": content_types("word/document.xml", main_type, extra_types),
            "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>',
            "word/document.xml": '<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
            "关于增加老旧小区停车位的建议</w:t></w:r></w:p></w:body></w:document>",
            **(extra_parts or {}),
        }
    )


def xlsx() -> bytes:
    return package(
        {
            "[Content_Types].xml": content_types("xl/workbook.xml", EXCEL_MAIN),
            "_rels/.rels": "<Relationships/>",
            "xl/workbook.xml": "<workbook><sheets><sheet name='调研数据' sheetId='1'/></sheets>"
            "</workbook>",
            "xl/worksheets/sheet1.xml": "<worksheet><sheetData/></worksheet>",
        }
    )


def test_real_minimal_docx_and_xlsx_are_accepted():
    assert check_upload(upload("建议.docx", docx())) == DOCX_TYPE
    assert check_upload(upload("调研数据.xlsx", xlsx())) == XLSX_TYPE


def test_zip_bomb_named_docx_is_refused_without_unpacking_it():
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx())) as honest,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for part in honest.infolist():
            bomb.writestr(part, honest.read(part))
        with bomb.open("word/media/image1.png", "w") as inflated:
            for _ in range(110):
                inflated.write(b"\0" * (1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024  # 110 MB unpacked from a few hundred KB

    started = time.perf_counter()
    message = refusal("建议.docx", buffer.getvalue())
    assert "unpacks to more than 100 MB" in message and "zip bomb" in message
    assert time.perf_counter() - started < 0.5  # read the directory, unpacked nothing


def test_highly_compressed_part_is_refused_as_a_bomb():
    message = refusal("建议.docx", docx({"word/media/image1.png": b"\0" * (5 * 1024 * 1024)}))
    assert "compressed more than 200 times" in message


def test_package_with_too_many_parts_is_refused():
    parts = {f"word/media/image{n}.png": b"" for n in range(2001)}
    assert "more than 2000 parts" in refusal("建议.docx", docx(parts))


def test_package_whose_headers_lie_about_sizes_is_refused():
    honest = docx({"word/media/image1.png": b"\0" * 4096})
    # Shrink the declared size of the part in both headers: unpacking past it breaks the CRC.
    lying = honest.replace(struct.pack("<I", 4096), struct.pack("<I", 16))
    assert lying != honest
    assert "not a valid .docx document" in refusal("建议.docx", lying)


def test_docx_holding_an_exe_is_refused():
    message = refusal("建议.docx", docx({"word/embeddings/setup.exe": PE}))
    assert "contains a program (word/embeddings/setup.exe)" in message


def test_docx_with_a_program_inside_an_embedded_ole_object_is_refused():
    message = refusal("建议.docx", docx({"word/embeddings/oleObject1.bin": b"\0" * 512 + PE}))
    assert "contains a program" in message


def test_docx_with_an_ole_packaged_script_is_refused():
    packaged = "\x01Ole10Native".encode("utf-16-le") + b"\0" * 64 + b"invoice.vbs\0C:\\x.vbs\0"
    message = refusal("建议.docx", docx({"word/embeddings/oleObject1.bin": packaged}))
    assert "contains a program" in message


def test_docx_with_an_embedded_pdf_is_accepted():
    embedded = "\x01Ole10Native".encode("utf-16-le") + b"\0" * 64 + b"report.pdf\0%PDF-1.4"
    assert check_upload(upload("建议.docx", docx({"word/embeddings/oleObject1.bin": embedded})))


def test_macro_enabled_docx_is_refused_unless_the_deployment_allows_macros(settings):
    with_macros = docx({"word/vbaProject.bin": b"\xcc\x61" + b"\0" * 100})
    message = refusal("建议.docx", with_macros)
    assert "contains macros or active controls" in message
    settings.UPLOAD_ALLOW_MACROS = True
    assert check_upload(upload("建议.docx", with_macros)) == DOCX_TYPE


def test_docx_declaring_a_macro_enabled_content_type_is_refused():
    declared = docx(main_type="application/vnd.ms-word.document.macroEnabled.main+xml")
    assert "not a valid .docx document" in refusal("建议.docx", declared)
    extra = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    assert "contains macros" in refusal("建议.docx", docx(extra_types=extra))


def test_docx_with_activex_controls_is_refused():
    message = refusal("建议.docx", docx({"word/activeX/activeX1.xml": "<ax:ocx/>"}))
    assert "contains macros or active controls" in message


def test_a_zip_that_is_not_a_word_document_is_refused():
    assert "not a valid .docx" in refusal("建议.docx", package({"readme.txt": "hello"}))
    assert "not a valid .xlsx" in refusal("调研数据.xlsx", docx())
    assert "not a valid .docx" in refusal("建议.docx", b"PK\x03\x04 truncated")


# --- Old Office files (OLE2) -------------------------------------------------------------------


def ole2(*entries: str) -> bytes:
    """A compound file's header and one directory sector holding the named entries."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * (512 - 8)
    directory = b""
    for name in ("Root Entry", "WordDocument", *entries):
        encoded = name.encode("utf-16-le") + b"\0\0"
        directory += encoded.ljust(64, b"\0") + struct.pack("<H", len(encoded)) + b"\0" * 62
    return header + directory.ljust(512, b"\0") + "正文 Macros _VBA_PROJECT".encode("utf-16-le")


def test_old_word_file_with_a_vba_project_is_refused_and_a_plain_one_accepted():
    assert "contains macros" in refusal("建议.doc", ole2("Macros", "VBA", "_VBA_PROJECT"))
    assert "contains macros" in refusal("数据.xls", ole2("_VBA_PROJECT_CUR"))
    # The words in the document's text are not directory entries.
    assert check_upload(upload("建议.doc", ole2("1Table"))) == "application/msword"


# --- PDF and images ----------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << >>\n%%EOF\n"


def test_pdf_html_polyglot_is_refused():
    polyglot = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n"
    message = refusal("答复函.pdf", polyglot + PDF[9:])
    assert "also contains web-page or script code" in message
    trailing = PDF + b"\0" * 20000 + b"<SCRIPT>fetch('/x')</SCRIPT>"
    assert "web-page or script code" in refusal("答复函.pdf", trailing)


def test_plain_pdf_is_accepted():
    assert check_upload(upload("答复函.pdf", PDF)) == "application/pdf"


@pytest.mark.parametrize(
    "active",
    [
        b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
        b"<< /AA << /O << /S /J#61vaScript /J#53 (app.alert(1)) >> >> >>",
        b"<< /OpenAction << /S /Launch /F (cmd.exe) >> >>",
        b"<< /Names << /EmbeddedFiles 9 0 R >> >>",
        b"<< /A << /S /URI /URI (javascript:alert(1)) >> >>",
    ],
)
def test_pdf_with_active_content_is_refused(active):
    # In the middle of the file, where only the look at the PDF's objects finds it.
    padding = b"%" + b"0" * 20000 + b"\n"
    pdf = PDF.replace(b"1 0 obj << /Type /Catalog", padding + b"1 0 obj " + active + b" <<")
    pdf = pdf.replace(b"trailer", padding + b"trailer")
    assert "The PDF contains active content" in refusal("答复函.pdf", pdf)


def test_pdf_hiding_a_script_in_a_compressed_object_stream_is_refused():
    packed = zlib.compress(b"5 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj")
    pdf = (
        PDF[:-6]
        + b"3 0 obj << /Type /ObjStm /N 1 /First 0 /Filter /FlateDecode >>\nstream\n"
        + packed
        + b"\nendstream endobj\n%%EOF\n"
    )
    assert "(/JS, /JavaScript)" in refusal("答复函.pdf", pdf)


def test_pdf_page_content_is_not_mistaken_for_active_content():
    content = zlib.compress(b"BT /F1 12 Tf (/JS /Launch) Tj ET" * 50)
    pdf = (
        PDF[:-6] + b"4 0 obj << /Length 9 >>\nstream\n" + content + b"\nendstream\nendobj\n%%EOF\n"
    )
    assert check_upload(upload("答复函.pdf", pdf)) == "application/pdf"


def test_image_that_is_also_a_web_page_is_refused():
    png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 17
    assert check_upload(upload("现场照片.png", png)) == "image/png"
    polyglot = png + b"tEXt<svg onload=alert(1)>"
    assert "web-page or script code (<svg)" in refusal("现场照片.png", polyglot)


# --- Files are written only when the transaction commits ---------------------------------------


@transaction.atomic
def attach_then_refuse(item, *, by, upload):
    """A use case that stores a file and then refuses (as a later check in a service would)."""
    attach(item, by=by, upload=upload)
    raise ValidationFailed("refused after the file was attached")


@pytest.mark.django_db(transaction=True)
def test_a_rollback_after_an_upload_leaves_no_file(world, media):
    with on(DAY):
        item = world.draft()
        with pytest.raises(ValidationFailed):
            attach_then_refuse(item, by=world.deputy, upload=upload("调研.pdf", PDF))
    assert not Attachment.objects.exists()
    request_finished.send(sender=None)  # the request that tried ends
    assert files_under(media) == []


@pytest.mark.django_db(transaction=True)
def test_a_file_rolled_back_with_a_savepoint_goes_and_the_committed_one_stays(world, media):
    with on(DAY), transaction.atomic():
        item = world.draft()
        kept = attach(item, by=world.deputy, upload=upload("材料.pdf", PDF))
        with pytest.raises(ValidationFailed):
            attach_then_refuse(item, by=world.deputy, upload=upload("调研.pdf", PDF))
    request_finished.send(sender=None)
    assert list(Attachment.objects.all()) == [kept]
    assert files_under(media) == [kept.file.name]


def test_a_committed_upload_is_moved_into_place(world, media, django_capture_on_commit_callbacks):
    with on(DAY), django_capture_on_commit_callbacks(execute=True):
        item = world.draft()
        attachment = attach(item, by=world.deputy, upload=upload("调研.pdf", PDF))
        # Before the commit the file waits in the staging folder, not under its final name.
        assert files_under(media) == [f"tmp/{attachment.file.name}"]
    assert files_under(media) == [attachment.file.name]
    assert attachment.file.name.startswith("attachments/2026/03/")


def test_a_download_in_the_moment_before_the_move_gets_the_file(client, world, media):
    with on(DAY):
        item = world.draft()
        attachment = attach(item, by=world.deputy, upload=upload("调研.pdf", PDF))
    client.force_login(world.deputy)
    response = client.get(reverse("items:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_stale_staged_files_are_finished_or_removed(world, media):
    with on(DAY):
        item = world.draft()
        committed = attach(item, by=world.deputy, upload=upload("调研.pdf", PDF))
    orphan = media / "tmp/attachments/2026/03/0123456789abcdef.pdf"
    orphan.write_bytes(PDF)
    fresh = media / "tmp/attachments/2026/03/fedcba9876543210.pdf"
    fresh.write_bytes(PDF)
    day_ago = time.time() - 25 * 3600
    for staged in (orphan, media / "tmp" / committed.file.name):
        os.utime(staged, (day_ago, day_ago))

    out = io.StringIO()
    call_command("clean_uploads", stdout=out)

    assert "1 staged upload(s) moved into place, 1 removed." in out.getvalue()
    # The file whose row committed is in place; a file of a transaction still open is kept.
    assert files_under(media) == [
        committed.file.name,
        "tmp/attachments/2026/03/fedcba9876543210.pdf",
    ]


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


def test_a_refused_file_is_named_next_to_the_upload_field(client, world, media):
    client.force_login(world.deputy)
    data = {
        "kind": "suggestion",
        "session": world.session.pk,
        "title": "关于增加老旧小区停车位的建议",
        "text": "老旧小区停车难问题突出。",
        "category": world.category.pk,
        "attachments": [upload("建议.docx", docx({"word/embeddings/setup.exe": PE}))],
    }
    with on(DAY):
        response = client.post(reverse("items:create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["attachments"]
    assert errors == [
        "建议.docx: The document contains a program (word/embeddings/setup.exe); "
        "documents with programs are not accepted."
    ]
    assert not Item.objects.exists() and files_under(media) == []


# --- The virus scanner -------------------------------------------------------------------------

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd:
    """clamd's INSTREAM protocol on 127.0.0.1: finds the EICAR test string, passes the rest."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                stream = connection.makefile("rb")
                assert stream.read(10) == b"zINSTREAM\0"
                data = b""
                while size := struct.unpack("!L", stream.read(4))[0]:
                    data += stream.read(size)
                self.received.append(data)
                verdict = b"Eicar-Test-Signature FOUND" if b"EICAR" in data else b"OK"
                connection.sendall(b"stream: " + verdict + b"\0")

    def close(self):
        self.server.close()
        self.thread.join(5)


@pytest.fixture
def clamd(settings):
    fake = FakeClamd()
    settings.CLAMD_HOST, settings.CLAMD_PORT, settings.CLAMD_TIMEOUT = "127.0.0.1", fake.port, 5
    yield fake
    fake.close()


def test_an_infected_file_is_refused_and_a_clean_one_accepted(clamd):
    infected = PDF + EICAR
    message = refusal("答复函.pdf", infected)
    assert "The virus scanner found Eicar-Test-Signature in the file" in message
    assert check_upload(upload("答复函.pdf", PDF)) == "application/pdf"
    assert clamd.received == [infected, PDF]


def test_a_file_is_scanned_once_though_the_form_and_the_service_check_it(clamd, world):
    checked = upload("答复函.pdf", PDF)
    check_upload(checked)  # the form
    with on(DAY):
        attach(world.draft(), by=world.deputy, upload=checked)  # the service
    assert clamd.received == [PDF]


def test_a_configured_scanner_that_does_not_answer_refuses_uploads(settings):
    unused = socket.create_server(("127.0.0.1", 0))
    settings.CLAMD_HOST, settings.CLAMD_PORT = "127.0.0.1", unused.getsockname()[1]
    unused.close()
    assert "the virus scanner does not answer" in refusal("答复函.pdf", PDF)
    settings.CLAMD_FAIL_OPEN = True
    assert check_upload(upload("答复函.pdf", PDF)) == "application/pdf"
