"""Tables written into sheets for people who print them: headers in bold, long texts wrapped,
A4 landscape fitted to the page's width with the header row repeated on every page; and the
native chart of 报送率 and 及时率 by category."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from copy import copy
from typing import Any

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from rollup.render.continued import ContinuedWorkbook
from rollup.render.form import WIDEST, text_width

_FONT = Font(name="宋体", size=10)
_BOLD = Font(name="宋体", size=10, bold=True)
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)
_HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
CHART_ROWS = 16  # rows the charts under the rates table take


def frame_sheet(
    sheet: Worksheet,
    frame: pd.DataFrame,
    *,
    at: int = 1,
    widths: Mapping[str, float] | None = None,
    hidden: Iterable[str] = (),
    percent: Iterable[str] = (),
    text: Callable[[str], object] = str,
    continued: ContinuedWorkbook | None = None,
) -> int:
    """Write ``frame`` from row ``at`` (its header there, repeated on every printed page, and
    frozen when it is the sheet's first table); return the header's row. Every text goes through
    ``text`` (how the output writes text that may come from a unit's file). With ``continued``
    (the sheet's last table, one row a unit), rows after the first are written when the workbook
    is saved."""
    header = at
    head = stamp(_BOLD, _HEAD, _BORDER, _HEADER_FILL)
    for index, name in enumerate(frame.columns, start=1):
        head(sheet.cell(header, index, name))
    body = stamp(_FONT, _WRAP, _BORDER)
    rows: list[list[Any]] = [
        [text(value) if isinstance(value, str) else None if pd.isna(value) else value for value in values]
        for values in frame.itertuples(index=False)
    ]
    written = rows[:1] if continued is not None else rows
    for offset, values in enumerate(written, start=1):
        for index, value in enumerate(values, start=1):
            body(sheet.cell(header + offset, index, value))
    for index, name in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        width = (widths or {}).get(name) or _fitted(name, frame[name])
        sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width or 0, width)
        if name in percent:
            for row in range(header + 1, header + len(written) + 1):
                sheet.cell(row, index).number_format = "0.0%"
        if name in hidden:
            sheet.column_dimensions[letter].hidden = True
    shown = [
        (index, sheet.column_dimensions[get_column_letter(index)])
        for index in range(1, len(frame.columns) + 1)
        if not sheet.column_dimensions[get_column_letter(index)].hidden
    ]
    heights = [_lines(values, shown) * LINE + 3 for values in [list(frame.columns), *rows]]
    for row, height in enumerate(heights[: len(written) + 1], start=header):
        sheet.row_dimensions[row].height = height
    if continued is not None and len(rows) > 1:
        styles = [sheet.cell(header + 1, index).style_id for index in range(1, len(frame.columns) + 1)]
        continued.continue_sheet(sheet, rows[1:], count=len(rows) - 1, styles=styles, heights=heights[2:])
    if at == 1:
        sheet.freeze_panes = "A2"
    sheet.print_title_rows = f"{header}:{header}"
    _fit_width(sheet)
    return header


def stamp(font: Font, alignment: Alignment, border: Border, fill: PatternFill | None = None) -> Callable[[Cell], None]:
    """A style to give many cells: set on the first through openpyxl's setters, then copied.
    Each setter hashes its style object against the workbook's list of styles (about 0.1 ms a
    cell); a copy of the first cell's style array costs nothing and says the same."""
    first: list[Cell] = []

    def give(cell: Cell) -> None:
        if first:
            cell._style = copy(first[0]._style)  # type: ignore[attr-defined]
            return
        cell.font, cell.alignment, cell.border = font, alignment, border
        if fill is not None:
            cell.fill = fill
        first.append(cell)

    return give


LINE = 13.0  # points per line of 10-point text


def _lines(values: list[Any], shown: list[tuple[int, ColumnDimension]]) -> int:
    """The wrapped lines a row needs (office suites do not grow rows on opening)."""
    lines = 1
    for index, dimension in shown:
        value = values[index - 1]
        if value is None:
            continue
        width = max((dimension.width or 8) - 1, 1)
        words = str(value)
        # one line even if every character were wide (0.01: room for the rounding of a sum of
        # widths): most cells, no need to measure them
        if len(words) * WIDEST + 0.01 < width and "\n" not in words:
            continue
        lines = max(lines, sum(math.ceil(text_width(part) / width) or 1 for part in words.split("\n")))
    return lines


def _fitted(name: str, values: pd.Series) -> float:
    longest = max([len(str(name))] + [len(str(v)) for v in values.head(200) if not pd.isna(v)])
    return min(40.0, max(6.0, longest * 1.8))


def _fit_width(sheet: Worksheet) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6


def rates_chart(sheet: Worksheet, groups: int) -> None:
    """Native charts under the rates table (header in row 1, one row per group: 范围, 应报, 已报,
    按时报送, 迟报, 未报送, 待更正, 报送率, 及时率): 报送率 and 及时率 by category, and the units of each
    category by standing (按时报送, 迟报, 未报送 add up to 应报)."""
    categories = Reference(sheet, min_col=1, min_row=2, max_row=groups + 1)
    rates = BarChart()
    rates.type, rates.title = "col", "报送率和及时率"
    rates.add_data(Reference(sheet, min_col=8, max_col=9, min_row=1, max_row=groups + 1), titles_from_data=True)
    rates.set_categories(categories)
    rates.y_axis.number_format, rates.y_axis.scaling.min, rates.y_axis.scaling.max = "0%", 0, 1
    units = BarChart()
    units.type, units.grouping, units.overlap, units.title = "col", "stacked", 100, "各类别单位报送情况（家）"
    units.add_data(Reference(sheet, min_col=4, max_col=6, min_row=1, max_row=groups + 1), titles_from_data=True)
    units.set_categories(categories)
    top = groups + 3
    for chart, column in ((rates, "A"), (units, "F")):
        chart.height, chart.width = 7, 13
        chart.y_axis.delete = chart.x_axis.delete = False
        sheet.add_chart(chart, f"{column}{top}")
