"""A report file as lines of text, whatever it was: plain text in any encoding, Word, PDF or a
saved web page. Tables become one line per table row with the cells separated by tabs; a cell
that is empty in the source stays visible as ``BLANK``, so the report reader can tell a blank
cell from a number that was never there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollup.text import decode_text

BLANK = "\u2400"  # an empty table cell; never occurs in real text

_TABLE_MARK = "\u2401{}\u2401"


@dataclass(frozen=True)
class Line:
    """One line of a report, and where it is in the file, in the words a clerk would use to find it."""

    text: str
    place: str


@dataclass(frozen=True)
class Document:
    lines: tuple[Line, ...]
    has_text: bool = True


def read_document(path: Path) -> Document:
    suffix = Path(path).suffix.lower()
    return _EXTRACTORS[suffix](Path(path))


def text_lines(text: str, place: str = "第{}行") -> tuple[Line, ...]:
    return tuple(Line(_cells_of_text(line), place.format(n)) for n, line in enumerate(text.splitlines(), 1))


def _cells_of_text(line: str) -> str:
    """Inside a line, a tab separates cells: an empty field between two tabs is a blank cell.
    Leading and trailing tabs are only indentation."""
    fields = line.rstrip().split("\t")
    while fields and not fields[0].strip():
        fields.pop(0)
    return "\t".join(field if field.strip() else BLANK for field in fields)


def table_row(cells: list[str]) -> str:
    return "\t".join(" ".join(cell.split()) or BLANK for cell in cells)


def _read_text(path: Path) -> Document:
    return Document(text_lines(decode_text(path.read_bytes())))


def _read_docx(path: Path) -> Document:
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    lines, tables, paragraphs = [], 0, 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            tables += 1
            lines += [Line(text, f"第{tables}个表格第{r}行") for r, text in enumerate(_docx_rows(block), 1)]
        else:
            paragraphs += 1
            lines += [Line(_cells_of_text(text), f"第{paragraphs}段") for text in block.text.splitlines() or [""]]
    return Document(tuple(lines))


def _docx_rows(table: Any) -> Iterator[str]:
    """Each merged cell once, where it starts: python-docx repeats a merged cell in every grid
    position it covers."""
    seen = {}  # holding the elements keeps their ids from being reused
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen[id(cell._tc)] = cell._tc
            cells.append("".join(p.text for p in cell.paragraphs))
        yield table_row(cells)


def _read_pdf(path: Path) -> Document:
    import pdfplumber

    lines: list[Line] = []
    with pdfplumber.open(str(path)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            text = page.extract_text() or ""
            lines += text_lines(text, f"第{number}页第{{}}行")
    return Document(tuple(lines), has_text=any(line.text.strip() for line in lines))


def _read_html(path: Path) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path.read_bytes()), "html.parser")
    for hidden in soup(["script", "style", "head"]):
        hidden.decompose()
    tables = []
    for table in soup.find_all("table"):
        if table.find_parent("table") is None:
            tables.append(
                [
                    table_row([c.get_text("", strip=True) for c in tr.find_all(["td", "th"])])
                    for tr in table.find_all("tr")
                ]
            )
            table.replace_with(soup.new_string("\n" + _TABLE_MARK.format(len(tables) - 1) + "\n"))
    lines = []
    for n, text in enumerate(soup.get_text("\n").splitlines(), 1):
        mark = re.fullmatch(_TABLE_MARK.format(r"(\d+)"), text.strip())
        if mark:
            index = int(mark[1])
            lines += [Line(row, f"第{index + 1}个表格第{r}行") for r, row in enumerate(tables[index], 1)]
        else:
            lines.append(Line(_cells_of_text(text), f"第{n}行"))
    return Document(tuple(lines))


_EXTRACTORS = {
    ".txt": _read_text,
    ".text": _read_text,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".html": _read_html,
    ".htm": _read_html,
}

SUFFIXES = tuple(_EXTRACTORS)
