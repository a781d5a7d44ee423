"""What an uploaded file holds, looked at without trusting its name: a .docx that is a real
Word package and not a zip bomb, a .doc without macros, a PDF without scripts, and no file
that a browser or a mail client could also read as a web page.

Each check raises ValidationFailed with a message for the person who uploaded the file. They
read bytes only, never run or render anything; the limits come from settings (see
docs/security.md for the trade-offs).
"""

import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import NoReturn

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ValidationFailed

CHUNK = 64 * 1024

# --- Polyglots -------------------------------------------------------------------------------

# Markup a browser or an HTML mail reader would act on. Looked for at both ends only: a
# polyglot puts its page where sniffers look (the first bytes) or after the format's end
# marker (the last bytes); scanning the middle of compressed binary data for four-byte
# markers would refuse honest files by chance.
MARKUP = (
    b"<html",
    b"<!doctype html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<object",
    b"<embed",
    b"<img",
    b"javascript:",
    b"vbscript:",
)
EDGE = 8 * 1024


def refuse_markup(upload) -> None:
    """A PDF or image whose first or last bytes also read as HTML or script (a polyglot)."""
    size = upload.size
    upload.seek(0)
    head = upload.read(EDGE)
    tail = b""
    if size > EDGE:
        upload.seek(max(EDGE, size - EDGE))
        tail = upload.read(EDGE)
    upload.seek(0)
    for edge in (head.lower(), tail.lower()):
        for marker in MARKUP:
            if marker in edge:
                raise ValidationFailed(
                    _(
                        "The file also contains web-page or script code (%(marker)s), "
                        "so it is not accepted."
                    )
                    % {"marker": marker.decode()}
                )


# --- Programs inside documents -----------------------------------------------------------------

EXECUTABLE_EXTENSIONS = (
    ".exe",
    ".dll",
    ".bat",
    ".cmd",
    ".com",
    ".scr",
    ".msi",
    ".js",
    ".jse",
    ".vbs",
    ".vbe",
    ".wsf",
    ".hta",
    ".ps1",
    ".jar",
    ".lnk",
    ".cpl",
)
# The DOS stub every Windows program starts with.
PROGRAM = re.compile(b"This program cannot be run in DOS mode|This program must be run under Win32")
# An OLE package (the "Packager" object that wraps any file into a document) stores the
# wrapped file's name NUL-terminated: a script has no DOS stub, so its name gives it away.
OLE_PACKAGE = re.compile(re.escape("\x01Ole10Native".encode("utf-16-le")))
PACKAGED_PROGRAM = re.compile(
    rb"\.(?:exe|dll|bat|cmd|scr|msi|jse?|vbe|vbs|wsf|hta|ps1|jar|lnk|cpl)\x00", re.IGNORECASE
)


def _found(chunks: Iterable[bytes], pattern: re.Pattern[bytes]) -> bool:
    """Whether the pattern occurs in a stream of chunks (also across two of them)."""
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        if pattern.search(window):
            return True
        tail = window[-256:]
    return False


def _carries_program(read: Callable[[], Iterable[bytes]]) -> bool:
    """Whether the bytes `read()` yields hold a Windows program or an OLE-packaged script."""
    if _found(read(), PROGRAM):
        return True
    return _found(read(), OLE_PACKAGE) and _found(read(), PACKAGED_PROGRAM)


def _refuse_program(part: str) -> NoReturn:
    raise ValidationFailed(
        _("The document contains a program (%(part)s); documents with programs are not accepted.")
        % {"part": part}
    )


def _refuse_macros(extension: str) -> NoReturn:
    raise ValidationFailed(
        _(
            "The document contains macros or active controls, which are not accepted. "
            "Save it as a plain .%(ext)s without macros and upload it again."
        )
        % {"ext": extension}
    )


def _refuse_unreadable(extension: str) -> NoReturn:
    raise ValidationFailed(
        _("The file is not a valid .%(ext)s document; it could not be read as one.")
        % {"ext": extension}
    )


# --- Office Open XML (.docx, .xlsx) --------------------------------------------------------------

# extension -> (the main part, its content type in [Content_Types].xml)
OOXML_MAIN = {
    "docx": (
        "word/document.xml",
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": (
        "xl/workbook.xml",
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
}
CONTENT_TYPES = "[Content_Types].xml"
# Content types (lower case) that only macro-enabled packages or their parts declare.
MACRO_CONTENT_TYPES = (b"macroenabled", b"vnd.ms-office.vbaproject", b"vnd.ms-office.activex")
MACRO_PART_NAMES = ("vbaproject.bin", "vbadata.xml", "vbaprojectsignature.bin")
MACRO_EXTENSIONS = (".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".xlsb", ".pptm", ".potm", ".ppsm")
# Only parts whose bytes are opaque to Office's XML reader can carry a program.
EMBEDDED_BINARY = ("/embeddings/", ".bin")


def inspect_ooxml(upload, extension: str, *, allow_macros: bool) -> None:
    """A real Office Open XML package of the named kind, within the unpacking limits.

    The central directory's sizes are checked first, so a zip bomb is refused without being
    unpacked; every part is then streamed through zipfile, which stops at the declared size
    and checks the CRC, so a package whose headers lie about its sizes fails too."""
    max_bytes = settings.UPLOAD_ZIP_MAX_BYTES
    max_entries = settings.UPLOAD_ZIP_MAX_ENTRIES
    max_ratio = settings.UPLOAD_ZIP_MAX_RATIO
    upload.seek(0)
    try:
        package = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        _refuse_unreadable(extension)
    try:
        parts = package.infolist()
        if len(parts) > max_entries:
            raise ValidationFailed(
                _(
                    "The document has more than %(count)s parts; it is refused as a possible "
                    "zip bomb."
                )
                % {"count": max_entries}
            )
        if sum(part.file_size for part in parts) > max_bytes:
            raise ValidationFailed(
                _(
                    "The document unpacks to more than %(mb)s MB; it is refused as a possible "
                    "zip bomb."
                )
                % {"mb": max_bytes // (1024 * 1024)}
            )
        for part in parts:
            # Small parts may compress very well (an empty sheet); a large one that does is
            # how a bomb hides under the total.
            if part.file_size > 1024 * 1024 and part.file_size > max_ratio * max(
                part.compress_size, 1
            ):
                raise ValidationFailed(
                    _(
                        "A part of the document is compressed more than %(ratio)s times; it is "
                        "refused as a possible zip bomb."
                    )
                    % {"ratio": max_ratio}
                )
            if part.flag_bits & 0x1:
                raise ValidationFailed(
                    _("Password-protected documents cannot be checked and are not accepted.")
                )
        names = {part.filename for part in parts}
        main_part, main_type = OOXML_MAIN[extension]
        if CONTENT_TYPES not in names or main_part not in names:
            _refuse_unreadable(extension)
        for part in parts:
            _inspect_part(package, part, extension, allow_macros=allow_macros)
        content_types = package.getinfo(CONTENT_TYPES)
        if content_types.file_size > 1024 * 1024:
            _refuse_unreadable(extension)
        types = b"".join(_read_part(package, content_types)).lower()
        if main_type not in types:
            _refuse_unreadable(extension)
        if not allow_macros and any(macro in types for macro in MACRO_CONTENT_TYPES):
            _refuse_macros(extension)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError):
        # A broken CRC, a size that lies, an unknown compression method, an encrypted part.
        _refuse_unreadable(extension)
    finally:
        package.close()
        upload.seek(0)


def _inspect_part(package, part, extension: str, *, allow_macros: bool) -> None:
    name = part.filename.replace("\\", "/").lower()
    base = name.rsplit("/", 1)[-1]
    if name.endswith(EXECUTABLE_EXTENSIONS):
        _refuse_program(part.filename)
    if not allow_macros and (
        base in MACRO_PART_NAMES or name.endswith(MACRO_EXTENSIONS) or "activex/" in name
    ):
        _refuse_macros(extension)
    if any(marker in name for marker in EMBEDDED_BINARY):
        if _carries_program(lambda: _read_part(package, part)):
            _refuse_program(part.filename)
    else:
        for _chunk in _read_part(package, part):
            pass  # read through: zipfile's CRC check at the end catches a lying header


def _read_part(package, part) -> Iterator[bytes]:
    with package.open(part) as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


# --- OLE2 compound files (.doc, .xls) ----------------------------------------------------------

# Directory entries of a VBA project: Word keeps it in "Macros", Excel in "_VBA_PROJECT_CUR",
# both with a "_VBA_PROJECT" stream inside.
OLE_MACRO_ENTRIES = ("_VBA_PROJECT", "_VBA_PROJECT_CUR", "Macros")


def _ole_entry(data: bytes, name: str) -> bool:
    """Whether the compound file has a directory entry with this name.

    A directory entry is 128 bytes: the name in UTF-16LE (64 bytes, NUL-terminated), then its
    length in bytes with the terminator. Sectors are 512 or 4096 bytes from offset 512 on, so
    every entry starts at a multiple of 128: a name found there with the right length field
    is an entry, not a word in the document's text."""
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    length = struct.pack("<H", len(encoded))
    start = data.find(encoded)
    while start != -1:
        if start % 128 == 0 and data[start + 64 : start + 66] == length:
            return True
        start = data.find(encoded, start + 1)
    return False


def inspect_ole2(upload, extension: str, *, allow_macros: bool) -> None:
    """Old Word and Excel files: refuse a VBA project (unless allowed) and a packaged program.

    This looks for the directory entries by name without parsing the whole compound file (no
    maintained parser is a dependency of banli); Excel 4.0 macro sheets, which live inside the
    workbook stream, are not found this way — the virus scanner hook is the backstop."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if not allow_macros and any(_ole_entry(data, entry) for entry in OLE_MACRO_ENTRIES):
        _refuse_macros(extension)
    if _carries_program(lambda: [data]):
        _refuse_program("Ole10Native")


# --- PDF ---------------------------------------------------------------------------------------

# Names of PDF objects that run or carry something: scripts (also as an /OpenAction or /AA
# action), launching a program, files embedded in the PDF, Flash/video players.
PDF_ACTIVE = {
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"GoToE",
}
PDF_NAME = re.compile(rb"/((?:[^\s/<>\[\]()%{}#]|#[0-9A-Fa-f]{2})+)")
PDF_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")


def _pdf_names(text: bytes) -> Iterator[bytes]:
    for match in PDF_NAME.finditer(text):
        # "/J#61vaScript" is "/JavaScript": names may spell letters in hex.
        yield PDF_HEX.sub(lambda hexed: bytes([int(hexed.group(1), 16)]), match.group(1))


def _pdf_objects(data: bytes, budget: int) -> Iterator[bytes]:
    """The PDF's object text outside its streams, and the objects packed in its compressed
    object streams (/ObjStm), inflated within `budget` bytes. Other streams (page content,
    images, fonts) are skipped: they are data, and scanning their compressed bytes for a
    two-letter name would refuse honest files by chance."""
    position = 0
    for match in PDF_STREAM.finditer(data):
        if match.start() < position:
            continue
        dictionary = data[position : match.start()]
        yield dictionary
        end = data.find(b"endstream", match.end())
        end = len(data) if end == -1 else end
        own = dictionary[max(dictionary.rfind(b"obj"), 0) :]
        if b"/ObjStm" in own and b"/FlateDecode" in own:
            inflater = zlib.decompressobj()
            try:
                packed = inflater.decompress(data[match.end() : end], budget + 1)
            except zlib.error:
                packed = b""  # encrypted or damaged: only its unencrypted parts are checked
            if len(packed) > budget:
                raise ValidationFailed(
                    _("The PDF could not be checked: its compressed parts are too large.")
                )
            budget -= len(packed)
            yield packed
        position = end + len(b"endstream")
    yield data[position:]


def inspect_pdf(upload) -> None:
    """A PDF without scripts, launch actions or embedded files.

    Names are read from the object dictionaries and from compressed object streams; a PDF
    that hides them inside an encrypted object stream passes this check — the virus scanner
    hook and downloads served as attachments (never opened inside banli's pages) are the
    backstop."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    for text in _pdf_objects(data, settings.UPLOAD_ZIP_MAX_BYTES):
        found = sorted(set(_pdf_names(text)) & PDF_ACTIVE)
        if found or b"javascript:" in text.lower():
            what = ", ".join("/" + name.decode() for name in found) or "javascript:"
            raise ValidationFailed(
                _(
                    "The PDF contains active content (%(what)s): scripts, program launches or "
                    "embedded files are not accepted. Print it to a new PDF and upload that."
                )
                % {"what": what}
            )
