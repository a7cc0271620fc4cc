"""Telling an upload's format from its bytes: an XLSX workbook checked against zip bombs, CSV
text decoded (UTF-8, UTF-16 with a mark, GB18030/GBK), anything else refused."""

from __future__ import annotations

import enum
import io
import re
import zipfile
import zlib

from app.core.sheets.errors import (
    EmptyFile,
    UnreadableFile,
    UnsupportedFile,
    WorkbookTooLarge,
)

# Bounds on what an XLSX may expand to before openpyxl reads any of it. A 5,000-row list is a
# few megabytes of XML; zipfile never yields more than a member's declared size (it stops and
# fails the CRC check), so the declared sizes bound what reading can decompress.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
# Apache POI's default: a member over the grace size inflating more than 100-fold is a bomb.
MAX_COMPRESSION_RATIO = 100
RATIO_GRACE_BYTES = 1024 * 1024

# Parsing, not inflating, is what costs: openpyxl takes some 20 µs per shared string and
# 10 µs per cell, so 50 MB of tiny ones would be a minute of work. They are counted before it
# starts; a list of 5,000 rows of a few columns holds a small fraction of either bound.
MAX_SHARED_STRINGS = 100_000
MAX_CELLS = 200_000
_SHARED_STRING = re.compile(rb"<(?:[\w.-]+:)?si[\s/>]")
_CELL = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Named for a clearer message; any other binary file is caught by its control bytes.
_BINARY_MAGIC = {
    b"%PDF-": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}
# C0 controls other than tab, LF and CR, and DEL: never in a text table. In UTF-8 and GB18030
# these bytes are never part of a multi-byte character, so the raw bytes can be searched.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKUP_START = ("<html", "<!doc", "<?xml", "<table")


class SheetFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def detect_format(data: bytes, filename: str | None = None) -> SheetFormat:
    """XLSX if the bytes are a zip holding an Excel workbook, CSV if they are text; otherwise
    an error. The file name only sharpens the message: a renamed file is read as what it is."""
    if not data.strip():
        raise EmptyFile()
    if data.startswith(_ZIP_MAGIC):
        check_workbook_archive(data)
        return SheetFormat.XLSX
    if data.startswith(_OLE2_MAGIC):
        raise UnsupportedFile("an Excel 97–2003 (.xls) or password-protected workbook")
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise UnsupportedFile(what)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (Excel's "Unicode text")
        return SheetFormat.CSV
    if _CONTROL_BYTES.search(data):
        suffix = _suffix(filename)
        if suffix in {".xlsx", ".xlsm"}:
            raise UnsupportedFile(f"binary data named {suffix} (a damaged or renamed file)")
        raise UnsupportedFile("binary data")
    return SheetFormat.CSV


def _suffix(filename: str | None) -> str:
    if not filename or "." not in filename:
        return ""
    return "." + filename.rsplit(".", 1)[1].strip().lower()


def check_workbook_archive(data: bytes) -> None:
    """Refuse a zip that is not an Excel workbook, whose parts expand past the bounds, or that
    holds more strings or cells than a list could need; only the directory and a count of
    start tags are read here, nothing is parsed."""
    # Counted on the raw bytes first: zipfile builds an object per entry, so a directory of
    # a million tiny entries would cost memory before any count could refuse it.
    if data.count(_CENTRAL_DIRECTORY_ENTRY) > MAX_ZIP_MEMBERS:
        raise WorkbookTooLarge(f"it holds more than {MAX_ZIP_MEMBERS} parts")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_parts(members)
            _check_element_counts(archive, members)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, zlib.error) as exc:
        raise UnreadableFile("it is a damaged zip archive") from exc


def _check_parts(members: list[zipfile.ZipInfo]) -> None:
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise UnsupportedFile("an Excel binary workbook (.xlsb)")
        if "mimetype" in names or "content.xml" in names:
            raise UnsupportedFile("an OpenDocument file (.ods)")
        raise UnsupportedFile("a zip archive")
    if len(members) > MAX_ZIP_MEMBERS:
        raise WorkbookTooLarge(f"it holds more than {MAX_ZIP_MEMBERS} parts")
    if any(member.flag_bits & 0x1 for member in members):
        raise UnsupportedFile("an encrypted archive")
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES:
        limit_mb = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
        raise WorkbookTooLarge(f"its parts expand to more than {limit_mb} MB")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_GRACE_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise WorkbookTooLarge(
                f"its part {member.filename[:100]} expands more than {MAX_COMPRESSION_RATIO}-fold"
            )


def _check_element_counts(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    strings = cells = 0
    for member in members:
        name = member.filename
        if name == "xl/sharedStrings.xml":
            strings += _count(archive, member, _SHARED_STRING)
        elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
            cells += _count(archive, member, _CELL)
    if strings > MAX_SHARED_STRINGS:
        raise WorkbookTooLarge(f"it holds more than {MAX_SHARED_STRINGS:,} different texts")
    if cells > MAX_CELLS:
        raise WorkbookTooLarge(f"it holds more than {MAX_CELLS:,} cells")


def _count(archive: zipfile.ZipFile, member: zipfile.ZipInfo, element: re.Pattern[bytes]) -> int:
    """Occurrences of an element's start tag, inflating the part a megabyte at a time."""
    found = 0
    pending = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1024 * 1024):
            pending += chunk
            # Count up to the last "<": no tag straddles the cut; the rest waits for more.
            cut = pending.rfind(b"<")
            if cut > 0:
                found += len(element.findall(pending, 0, cut))
                pending = pending[cut:]
    return found + len(element.findall(pending))


def decode_text(data: bytes) -> str:
    """CSV text as Excel saves it: UTF-8 (with or without a byte-order mark), UTF-16 with a
    mark, or GB18030 (a superset of GBK, what Excel writes on Chinese Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise UnreadableFile("its text is neither UTF-8 nor GBK; save it as “CSV UTF-8”")
    if encodings == ("utf-16",) and _CONTROL_BYTES.search(text.encode("utf-8")):
        raise UnsupportedFile("binary data")
    if text.lstrip("\ufeff \t\r\n")[:6].lower().startswith(_MARKUP_START):
        raise UnsupportedFile("a web page or XML document")
    if not text.strip("\ufeff \t\r\n,;"):
        raise EmptyFile()
    return text
