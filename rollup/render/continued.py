"""A workbook whose tables of one row a unit are written as XML when it is saved, not as cells.

openpyxl holds every cell as an object until the workbook is saved (some 500 bytes and 20 µs a
cell): a province's 报送情况, 校验问题 and the code sheet's figures of each unit, three tables of
7,000 rows, took 110 MiB and 5 s, and grew with every unit. Their rows are plain values, one
style a column, so openpyxl saves each of these sheets with the rows above them, and their rows
are added to the sheet's XML as the saved file is copied, one row at a time."""

from __future__ import annotations

import contextlib
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

_SHEET_DATA_END = b"</sheetData>"
_EMPTY_SHEET_DATA = b"<sheetData/>"
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


@dataclass(frozen=True)
class Continuation:
    """Rows a sheet goes on with after its last written row: each column's style (the index
    under which the saved file keeps it; None: no style) and each row's height (None: as
    the program decides)."""

    sheet: Worksheet
    first: int  # the sheet row the first of ``rows`` takes
    count: int  # how many rows there are
    rows: Iterable[Sequence[object]]
    styles: Sequence[int | None]
    heights: Sequence[float | None] = ()


class ContinuedWorkbook:
    """An openpyxl workbook and the rows its sheets go on with, written as the file is saved."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self._continuations: list[Continuation] = []

    def continue_sheet(
        self,
        sheet: Worksheet,
        rows: Iterable[Sequence[object]],
        *,
        count: int,
        styles: Sequence[int | None],
        heights: Sequence[float | None] = (),
    ) -> None:
        """Add the ``count`` ``rows`` (made as they are written, when they are an iterator)
        below everything written in ``sheet`` so far, when the workbook is saved. Nothing may be
        written into the sheet afterwards."""
        if any(c.sheet is sheet for c in self._continuations):
            raise ValueError(f"“{sheet.title}” goes on with one table of rows only")
        self._continuations.append(Continuation(sheet, _last_row(sheet) + 1, count, rows, styles, heights))

    def save(self, path: Path) -> None:
        path = Path(path)
        saved = path.with_name(path.name + ".openpyxl")
        try:
            self.workbook.save(saved)
            by_part = {c.sheet.path.lstrip("/"): c for c in self._continuations}
            with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
                for info in source.infolist():
                    continuation = by_part.get(info.filename)
                    if continuation is None:
                        target.writestr(copied(info), source.read(info))
                        continue
                    with target.open(copied(info), "w") as sheet:
                        _write_continued(source.read(info), continuation, sheet)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(saved)


def copied(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A member's name, date, compression and attributes, for the same member in another archive."""
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type, copy.external_attr = info.compress_type, info.external_attr
    return copy


def _write_continued(xml: bytes, continuation: Continuation, sheet: IO[bytes]) -> None:
    """The sheet's XML with the continuation's rows added at the end of its rows."""
    if _last_row(continuation.sheet) >= continuation.first:
        raise ValueError(f"“{continuation.sheet.title}” was written below the rows it goes on with")
    head, end, tail = xml.replace(_EMPTY_SHEET_DATA, b"<sheetData>" + _SHEET_DATA_END, 1).partition(_SHEET_DATA_END)
    letters = [get_column_letter(column) for column in range(1, len(continuation.styles) + 1)]
    width = max(len(letters), continuation.sheet.max_column)
    last = continuation.first + continuation.count - 1
    dimension = f'<dimension ref="A1:{get_column_letter(width)}{max(last, 1)}"/>'.encode()
    sheet.write(_DIMENSION.sub(lambda _: dimension, head, count=1))
    styles = [f' s="{style}"' if style else "" for style in continuation.styles]
    heights = [*continuation.heights, *[None] * (continuation.count - len(continuation.heights))]
    block: list[str] = []
    numbered = enumerate(zip(continuation.rows, heights, strict=True), start=continuation.first)
    for number, (values, height) in numbered:
        block.append(_row(number, values, letters, styles, height))
        if len(block) == _BLOCK:
            sheet.write("".join(block).encode())
            block.clear()
    sheet.write("".join(block).encode() + end + tail)


_BLOCK = 500  # rows encoded and written at a time


def _last_row(sheet: Worksheet) -> int:
    # openpyxl's max_row is 1 for a sheet without a cell
    return sheet.max_row if sheet._cells else 0


def _row(number: int, values: Sequence[object], letters: list[str], styles: list[str], height: float | None) -> str:
    cells = "".join(
        _cell(f"{letter}{number}", value, style) for letter, value, style in zip(letters, values, styles, strict=True)
    )
    shape = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{number}"{shape}>{cells}</row>'


def _cell(reference: str, value: object, style: str) -> str:
    if value is None or value == "":
        return f'<c r="{reference}"{style}/>' if style else ""  # an empty box keeps its borders
    if isinstance(value, bool):
        return f'<c r="{reference}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{reference}"{style}><v>{value!r}</v></c>'
    # text is always an inline string: never a formula, whatever it starts with
    text = escape(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    return f'<c r="{reference}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
