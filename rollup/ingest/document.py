"""A report file as lines of text, whatever it is (by content, see ``sniff``): plain text in any
encoding, Word, PDF, or a saved web page (also Word's single-file .mht). Every table row goes
through the one cell reader (``grid``): cells separated by tabs, blank cells visible as
``BLANK``, layout filler as ``FILLER``, so the report reader can tell a blank cell from a number
that was never there.

A PDF with ruled tables gives two readings, best first: its tables cell by cell, then its plain
text; the report reader keeps the one that reads better."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollup.ingest.grid import delimited_line, row_line
from rollup.ingest.pdf_tables import read_ruled
from rollup.ingest.sniff import Kind
from rollup.text import decode_text

_TABLE_MARK = "\u2401{}\u2401"
# Word declares GB2312 but writes whatever the text holds; GB18030 is the superset that decodes it.
_GB = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}


@dataclass(frozen=True)
class Line:
    """One line of a report, and where it is in the file, in the words a clerk would use to find it."""

    text: str
    place: str


@dataclass(frozen=True)
class Document:
    lines: tuple[Line, ...]
    has_text: bool = True


def read_documents(path: Path, kind: Kind) -> tuple[Document, ...]:
    """The readings of a report file of ``kind`` (text, html, mhtml, docx or pdf), best first."""
    if kind == "pdf":
        return _read_pdf(path)
    if kind == "docx":
        return (_read_docx(path),)
    if kind == "mhtml":
        return (_html_document(_mhtml_page(path.read_bytes())),)
    if kind == "html":
        return (_html_document(decode_text(path.read_bytes())),)
    return (Document(text_lines(decode_text(path.read_bytes()))),)


def text_lines(text: str, place: str = "第{}行") -> tuple[Line, ...]:
    return tuple(Line(delimited_line(line), place.format(n)) for n, line in enumerate(text.splitlines(), 1))


def _read_docx(path: Path) -> Document:
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    lines: list[Line] = []
    tables = paragraphs = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            tables += 1
            lines += [Line(text, f"第{tables}个表格第{r}行") for r, text in enumerate(_docx_rows(block), 1)]
        else:
            paragraphs += 1
            lines += [Line(delimited_line(text), f"第{paragraphs}段") for text in block.text.splitlines() or [""]]
    return Document(tuple(lines))


def _docx_rows(table: Any) -> Iterator[str]:
    """Each row through the cell reader. python-docx repeats a merged cell in every grid position
    it covers (across and down): after its first position, it is no cell."""
    seen = {}  # holding the elements keeps their ids from being reused
    for row in table.rows:
        cells: list[str | None] = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                cells.append(None)
                continue
            seen[id(cell._tc)] = cell._tc
            cells.append("".join(p.text for p in cell.paragraphs))
        yield row_line(cells)


def _read_pdf(path: Path) -> tuple[Document, ...]:
    import pdfplumber

    plain: list[Line] = []
    with pdfplumber.open(str(path)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            plain += text_lines(page.extract_text() or "", f"第{number}页第{{}}行")
        has_text = any(line.text.strip() for line in plain)
        ruled, has_tables = _ruled(pdf) if has_text else ([], False)
    text = Document(tuple(plain), has_text=has_text)
    if not has_tables:
        return (text,)
    return Document(tuple(Line(line, place) for line, place in ruled)), text


def _ruled(pdf: Any) -> tuple[list[tuple[str, str]], bool]:
    """The ruled-table reading, or none when the table finder trips over the file: the plain text,
    already read, is then all there is (a reading that fails must not cost the one that worked)."""
    try:
        return read_ruled(pdf)
    except Exception:
        return [], False


def _mhtml_page(data: bytes) -> str:
    """The web page inside Word's single-file web page (.mht, often sent on as .doc)."""
    message = email.message_from_bytes(data)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = _GB.get(part.get_content_charset() or "", part.get_content_charset())
                return payload.decode(charset, "replace") if charset else decode_text(payload)
    return ""


def _html_document(page: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for hidden in soup(["script", "style", "head"]):
        hidden.decompose()
    tables = []
    for table in soup.find_all("table"):
        if table.find_parent("table") is None:
            rows = [
                row_line([c.get_text("", strip=True) for c in tr.find_all(["td", "th"])]) for tr in table.find_all("tr")
            ]
            tables.append(rows)
            table.replace_with(soup.new_string("\n" + _TABLE_MARK.format(len(tables) - 1) + "\n"))
    lines = []
    for n, text in enumerate(soup.get_text("\n").splitlines(), 1):
        mark = re.fullmatch(_TABLE_MARK.format(r"(\d+)"), text.strip())
        if mark:
            index = int(mark[1])
            lines += [Line(row, f"第{index + 1}个表格第{r}行") for r, row in enumerate(tables[index], 1)]
        else:
            lines.append(Line(delimited_line(text), f"第{n}行"))
    return Document(tuple(lines))
