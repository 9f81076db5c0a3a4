"""What a file's bytes must pass before any reader sees them: checks made on the bytes themselves,
outside the reach of the third-party readers (calamine, python-docx, pdfminer), so that a crafted
file is refused before it can make a reader allocate, recurse or wait without end.

- any file: not empty; an OLE container holding an encrypted Office package is refused as
  encrypted;
- zip containers (.xlsx, .xlsm, .docx, .ods, .zip): member count, unpacked sizes and compression
  ratio from the central directory (``zipfile`` never unpacks more than a member declares), no
  encrypted member, no DTD or entity declaration in any XML member (XXE, entity bombs);
- worksheets: the area the cells reach (calamine allocates rows × columns of it), and the
  formula cells that carry no calculated value;
- PDF: encryption and the number of pages, from the document catalogue;
- text and web pages: their size.

Each check gives a ``Refusal`` (a finding code and its words) or nothing; ``inspect`` runs them
all and never raises on any bytes."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from rollup.config import Limits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_TEXT_SUFFIXES = (".txt", ".text", ".html", ".htm", ".csv")
_RATIO_FLOOR = 2**20  # members smaller than this may compress as well as they like
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# A cell's place, r="AB12" (a row's r= carries digits only), searched by the regex engine rather
# than walked in Python. White space before an attribute is made a plain space first
# (``_xml_text``), so the patterns start with a literal the engine finds fast.
_ROW_OF_CELL = re.compile(rb" r=\"[A-Z]{1,4}([0-9]{1,9})\"")
_COLUMN_OF_CELL = [re.compile(rb" r=\"([A-Z]{%d})[0-9]" % width) for width in (4, 3, 2, 1)]
# Any cell beyond column Z or row 9999; a sheet with none is within limits far above that.
_FAR = re.compile(rb" r=\"(?:[A-Z]{2}|[A-Z][0-9]{5})")
_SPACES = bytes.maketrans(b"\t\n\r", b"   ")


def _within_small(limits: Limits) -> bool:
    return limits.sheet_rows >= 9999 and limits.sheet_columns >= 26 and limits.sheet_cells >= 26 * 9999


_DIMENSION = re.compile(rb"dimension\b[^>]*? ref=\"[A-Z]*[0-9]*:?([A-Z]{1,4})([0-9]{1,9})\"")
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.DOTALL)
_MAYBE_FORMULA = re.compile(rb"f[ />]")  # white space is a plain space here (``_xml_text``)
_CACHED = re.compile(rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTRIBUTE = re.compile(rb"([\w:]+)=\"([^\"]*)\"")
_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*>")


@dataclass(frozen=True)
class Refusal:
    """Why a file is not handed to a reader: a finding code and the words of its message."""

    rule: str
    words: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Inspection:
    """What the bytes told before reading: a refusal, or the cells ("sheet!B4") holding a
    formula whose value the file does not carry (the reader sees them as blank)."""

    refusal: Refusal | None = None
    uncalculated: frozenset[str] = frozenset()


def too_large(reason: str, limit: str, setting: str) -> Refusal:
    return Refusal("file_too_large", {"reason": reason, "limit": limit, "setting": setting})


def inspect(suffix: str, data: bytes, limits: Limits) -> Inspection:
    """Every check that applies to a file with this suffix and these bytes."""
    try:
        return _inspect(suffix.lower(), data, limits)
    except MemoryError:
        raise
    except Exception:  # bytes that are not what they claim to be: the reader's failure will say so
        return Inspection()


def _inspect(suffix: str, data: bytes, limits: Limits) -> Inspection:
    if not data.strip(b" \t\r\n\x00"):
        return Inspection(Refusal("empty_file", {"reason": "0 字节" if not data else "没有任何内容"}))
    if data.startswith(OLE_MAGIC) and _ENCRYPTED_PACKAGE in data:
        return Inspection(Refusal("encrypted_file"))
    if data.startswith(ZIP_MAGIC):
        return _inspect_zip(data, limits)
    if data.startswith(b"%PDF") or (suffix == ".pdf" and b"%PDF-" in data[:1024]):
        return Inspection(_inspect_pdf(data, limits))
    if suffix in _TEXT_SUFFIXES and len(data) > limits.text_bytes:
        size = f"文字内容有 {len(data) / 2**20:.1f} MB"
        return Inspection(too_large(size, f"文字报告不超过 {limits.text_mb:g} MB", "text_mb"))
    return Inspection()


# --- zip containers -----------------------------------------------------------------------------


def _inspect_zip(data: bytes, limits: Limits) -> Inspection:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        refusal = check_members(members, limits)
        if refusal is not None:
            return Inspection(refusal)
        xml = {m.filename: _xml_text(archive, m, whole=_needed_whole(m.filename)) for m in members if _is_xml(m)}
    for name, text in xml.items():
        if _DTD.search(_prolog(text)):
            return Inspection(Refusal("unsafe_content", {"what": f"XML 实体声明（DTD，位于 {name}）"}))
    if b"encryption-data" in xml.get("META-INF/manifest.xml", b""):
        return Inspection(Refusal("encrypted_file"))
    if "content.xml" in xml and b"opendocument.spreadsheet" in data[:200]:
        return Inspection(_inspect_ods(xml["content.xml"], limits))
    sheets = _sheet_members(xml)
    for sheet, member in sheets.items():
        refusal = check_area(sheet, *_sheet_reach(xml.get(member, b""), limits), limits)
        if refusal is not None:
            return Inspection(refusal)
    return Inspection(uncalculated=frozenset(_uncalculated(sheets, xml)))


_WHOLE = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "content.xml", "META-INF/manifest.xml")
_ROOT = re.compile(rb"<[A-Za-z_:]")  # the first element: where a document's prolog (and any DTD) ends


def _is_xml(member: zipfile.ZipInfo) -> bool:
    return member.filename.lower().endswith((".xml", ".rels", ".vml"))


def _needed_whole(name: str) -> bool:
    """Worksheets and the parts that name them are read whole; of the rest only the prolog,
    the one place XML allows a DTD."""
    return name in _WHOLE or name.startswith("xl/worksheets/")


def _xml_text(archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, whole: bool) -> bytes:
    """A part's text (or its beginning, up to its first element), as bytes an ASCII search can
    read (UTF-16 parts decoded)."""
    with archive.open(member) as stream:
        raw = stream.read() if whole else _up_to_root(stream)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw[:100].count(0) > 20:
        raw = raw.decode("utf-16", "replace").encode("utf-8", "replace")
    return raw.translate(_SPACES) if whole else raw


def _up_to_root(stream: IO[bytes]) -> bytes:
    raw = b""
    while chunk := stream.read(4096):
        raw += chunk
        if _ROOT.search(raw.replace(b"\x00", b"")):
            break
    return raw


def _prolog(text: bytes) -> bytes:
    root = _ROOT.search(text)
    return text[: root.start()] if root else text


def check_members(members: list[zipfile.ZipInfo], limits: Limits) -> Refusal | None:
    """A zip's central directory against the limits: a bomb is refused before anything is unpacked."""
    if len(members) > limits.zip_members:
        return too_large(f"压缩包内有 {len(members)} 个文件", f"不超过 {limits.zip_members} 个", "zip_members")
    if any(member.flag_bits & 0x1 for member in members):
        return Refusal("encrypted_file")
    total = sum(member.file_size for member in members)
    if total > limits.unzipped_bytes:
        return too_large(f"解压后有 {total / 2**20:.0f} MB", f"解压后不超过 {limits.unzipped_mb:g} MB", "unzipped_mb")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.zip_ratio:
            return too_large(
                f"压缩比异常（{member.filename} 压缩了 {ratio:.0f} 倍，疑似“压缩炸弹”）",
                f"压缩比不超过 {limits.zip_ratio:g}",
                "zip_ratio",
            )
    return None


def _sheet_members(xml: dict[str, bytes]) -> dict[str, str]:
    """Worksheet name → its part in the package (xl/workbook.xml and its relationships)."""
    targets = {}
    for tag in _RELATIONSHIP.findall(xml.get("xl/_rels/workbook.xml.rels", b"")):
        attributes = dict(_ATTRIBUTE.findall(tag))
        target = attributes.get(b"Target", b"").decode("utf-8", "replace")
        targets[attributes.get(b"Id", b"")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    sheets = {}
    for tag in _SHEET.findall(xml.get("xl/workbook.xml", b"")):
        attributes = {key.rpartition(b":")[2]: value for key, value in _ATTRIBUTE.findall(tag)}
        name = html.unescape(attributes.get(b"name", b"").decode("utf-8", "replace"))
        if attributes.get(b"id") in targets:
            sheets[name] = targets[attributes[b"id"]]
    # a sheet part no relationship names is still a part calamine may read
    for part in xml:
        if part.startswith("xl/worksheets/") and part not in sheets.values():
            sheets[part] = part
    return sheets


def column_number(letters: bytes | str) -> int:
    number = 0
    for letter in letters if isinstance(letters, str) else letters.decode():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _sheet_reach(text: bytes, limits: Limits) -> tuple[int, int]:
    """The last row and column the sheet's cells (and its declared dimension) reach. A sheet
    whose every cell lies within Z9999 (a template's do, by far) is told by one fast search."""
    rows = columns = 0
    for letters, digits in _DIMENSION.findall(text[:4096]):
        rows, columns = max(rows, int(digits)), max(columns, column_number(letters))
    if _within_small(limits) and not _FAR.search(text):
        return rows, columns
    rows = max(rows, *map(int, _ROW_OF_CELL.findall(text)), 0)
    for pattern in _COLUMN_OF_CELL:  # the widest column letters first; equal widths compare as text
        letters = pattern.findall(text)
        if letters:
            columns = max(columns, column_number(max(letters)))
            break
    return rows, columns


def check_area(sheet: str, rows: int, columns: int, limits: Limits) -> Refusal | None:
    """A worksheet reaching ``rows`` × ``columns`` against the limits."""
    where = f"工作表“{sheet}”"
    if rows > limits.sheet_rows:
        return too_large(f"{where}有 {rows} 行", f"不超过 {limits.sheet_rows} 行", "sheet_rows")
    if columns > limits.sheet_columns:
        return too_large(f"{where}有 {columns} 列", f"不超过 {limits.sheet_columns} 列", "sheet_columns")
    if rows * columns > limits.sheet_cells:
        return too_large(f"{where}有 {rows} 行 × {columns} 列", f"不超过 {limits.sheet_cells} 个单元格", "sheet_cells")
    return None


def _uncalculated(sheets: dict[str, str], xml: dict[str, bytes]) -> Iterator[str]:
    """``sheet!B4`` of every formula cell without a cached value."""
    for sheet, member in sheets.items():
        text = xml.get(member, b"")
        if not _MAYBE_FORMULA.search(text):  # no f>, f/ nor "f ": no <f> element in the sheet
            continue
        for attributes, body in _FORMULA_CELL.findall(text):
            reference = dict(_ATTRIBUTE.findall(attributes)).get(b"r")
            if reference and re.search(rb"<(?:\w+:)?f\b", body) and not _CACHED.search(body):
                yield f"{sheet}!{reference.decode()}"


_ODS_ROW = re.compile(
    rb"<table:table-row\b([^>]*?)(/?)>(.*?)(?:</table:table-row>|(?=<table:table-row\b)|$)", re.DOTALL
)
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/?)>")
_ODS_TABLE = re.compile(rb"<table:table\b[^>]*?table:name=\"([^\"]*)\"")


def _inspect_ods(content: bytes, limits: Limits) -> Refusal | None:
    """An OpenDocument sheet's repeated rows and cells, counted as calamine would expand them
    (only cells holding something count; empty repeats are how ODS says "nothing here")."""
    starts = [(m.start(), m[1].decode("utf-8", "replace")) for m in _ODS_TABLE.finditer(content)]
    for index, (start, name) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(content)
        refusal = check_area(html.unescape(name), *_ods_reach(content[start:end]), limits)
        if refusal is not None:
            return refusal
    return None


def _ods_reach(table: bytes) -> tuple[int, int]:
    rows = columns = row = 0
    for attributes, _closed, body in _ODS_ROW.findall(table):
        repeat = _repeat(attributes, b"number-rows-repeated")
        column, reach = 0, 0
        for cell_attributes, closed in _ODS_CELL.findall(body):
            column += _repeat(cell_attributes, b"number-columns-repeated")
            if b"value-type" in cell_attributes or not closed:
                reach = column
        if reach:
            rows, columns = row + repeat, max(columns, reach)
        row += repeat
    return rows, columns


def _repeat(attributes: bytes, name: bytes) -> int:
    found = re.search(rb"table:" + name + rb"=\"(\d{1,9})\"", attributes)
    return int(found[1]) if found else 1


# --- PDF ------------------------------------------------------------------------------------------


def _inspect_pdf(data: bytes, limits: Limits) -> Refusal | None:
    """Encryption and the page count from the document catalogue (pdfminer reads only the
    cross-reference table and the page tree here, no page content)."""
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1

    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
    except (PDFPasswordIncorrect, PDFEncryptionError):
        return Refusal("encrypted_file")
    except Exception:  # a damaged PDF: the reader will say so in its own words
        return None
    try:
        pages = int(resolve1(resolve1(document.catalog.get("Pages")).get("Count")))
    except Exception:
        return None
    if pages > limits.pdf_pages:
        return too_large(f"有 {pages} 页", f"不超过 {limits.pdf_pages} 页", "pdf_pages")
    return None
