"""What a file is, by its bytes rather than its name. Units rename files freely: Word's "save as
web page" kept as .doc, a .docx renamed .doc, a workbook named .xlsx that is an old .xls, HTML
pasted into a .txt. Each is read by what it is."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Literal

Kind = Literal["pdf", "docx", "workbook", "odt", "ole", "rtf", "html", "mhtml", "zip", "damaged", "text"]

# Names under which a file is taken for a submission; what it holds decides how it is read.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et")
REPORT_SUFFIXES = (".txt", ".text", ".docx", ".doc", ".wps", ".rtf", ".odt", ".pdf", ".html", ".htm", ".mht", ".mhtml")
SUFFIXES = WORKBOOK_SUFFIXES + REPORT_SUFFIXES
# Names under which plain text is a report (a .doc may be text saved from Notepad or a web page);
# plain text under the name of a binary format is a damaged or mislabelled file.
TEXT_SUFFIXES = (".txt", ".text", ".doc", ".wps", ".html", ".htm", ".mht", ".mhtml")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEAD = 4096
_HTML = re.compile(rb"<\s*(?:!doctype\s+html|html|table|body|meta\s)", re.IGNORECASE)
_MHTML = re.compile(rb"^mime-version:.*?content-type:\s*multipart/related", re.IGNORECASE | re.DOTALL)
# Stream names inside an OLE compound file (UTF-16LE in its directory).
_OLE_WORKBOOK = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))


def sniff(data: bytes) -> Kind:
    """The kind of file ``data`` (a file's bytes) is, whatever its name says."""
    head = data[:_HEAD]
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(OLE_MAGIC):
        return "ole" if _compound_header(head) else "damaged"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    text = _ascii_view(head)
    if _MHTML.search(text[:2048]):
        return "mhtml"
    if _HTML.search(text):
        return "html"
    return "text"


def _compound_header(head: bytes) -> bool:
    """Whether an OLE file starts with a whole compound-file header (MS-CFB 2.2: byte order
    FFFE, version 3 with 512-byte sectors or 4 with 4096) and holds at least one sector after it:
    a file cut short is damaged, whatever program might be asked to convert it."""
    if len(head) < 512:
        return False
    version, order, shift = (int.from_bytes(head[at : at + 2], "little") for at in (0x1A, 0x1C, 0x1E))
    return order == 0xFFFE and (version, shift) in ((3, 9), (4, 12)) and len(head) >= 512 + min(1 << shift, _HEAD - 512)


def ole_holds_workbook(data: bytes) -> bool:
    """An OLE compound file (.xls, .et, .doc, .wps) holding a workbook rather than a document."""
    return any(name in data for name in _OLE_WORKBOOK)


def _zip_kind(data: bytes) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        return "damaged"  # an Office file (they are zips) cut short or corrupted
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names or mimetype.endswith("spreadsheet"):
        return "workbook"
    if mimetype.endswith("text"):
        return "odt"
    return "zip"


def _ascii_view(head: bytes) -> bytes:
    """The start of a text file with UTF-16's zero bytes (and a BOM) taken out, so that markup is
    found in any of the encodings offices use."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:200].count(0) > 50:
        head = head.replace(b"\x00", b"")
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
