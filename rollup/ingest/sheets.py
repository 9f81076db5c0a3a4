"""A unit's own workbook (the province's template, a table made in WPS or Excel: anything but
rollup's fill-in template) as the lines of a report: every visible sheet in workbook order, each
row through the one cell reader, merged cells as one cell. The report reader then finds the
form's tables by their headings or their own header rows, wherever they sit and whatever the
sheets are called."""

from __future__ import annotations

from typing import Any

from rollup.ingest.document import Document, Line
from rollup.ingest.grid import row_line
from rollup.text import cell_text


def workbook_document(workbook: Any) -> Document:
    """The workbook's visible sheets as one document."""
    lines: list[Line] = []
    for meta in workbook.sheets_metadata:
        if str(meta.visible).endswith("Visible"):
            lines += sheet_lines(meta.name, workbook.get_sheet_by_name(meta.name))
    return Document(tuple(lines), has_text=bool(lines))


def sheet_lines(name: str, sheet: Any) -> list[Line]:
    rows = sheet.to_python(skip_empty_area=False)
    covered = _covered(sheet.merged_cell_ranges or [])
    lines = []
    for r, row in enumerate(rows):
        cells = [None if (r, c) in covered else cell_text(value) for c, value in enumerate(row)]
        text = row_line(cells)
        if text:
            lines.append(Line(text, f"{name}!第{r + 1}行"))
    return lines


def _covered(ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> set[tuple[int, int]]:
    """Positions inside a merged range other than its top-left cell (which holds the value)."""
    return {
        (r, c)
        for (top, left), (bottom, right) in ranges
        for r in range(top, bottom + 1)
        for c in range(left, right + 1)
        if (r, c) != (top, left)
    }
