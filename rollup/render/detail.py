"""The 明细 sheet of the consolidated workbook: one row per unit that sent something, one column
per cell of the form, headed in the form's words (table, row, column in three header rows; the
cell codes in a hidden fourth row for machines), and laid out for paper.

The form has about two hundred cells, far too many for one page's width: the columns are cut
into page-wide slices that each hold whole rows of the form (a manual column break after each),
and the unit's name and the header rows are repeated on every page."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from openpyxl.cell.cell import Cell as OpenpyxlCell
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from rollup.aggregate import Consolidation
from rollup.forms import Cell, Edition

SHEET = "明细"
HEAD = (("编码", "unit_id", 5.0), ("单位名称", "unit", 16.0), ("计入汇总", "counted", 4.0))
HEADER_ROWS = 4  # table, row, column in words; the codes (hidden)
NUMBER_WIDTH = 4.7
PAGE_WIDTH = 130.0  # Excel width units across A4 landscape at the sheet's print scale (as LibreOffice prints them)
PRINT_SCALE = 80
ROW_HEIGHT = 12.0  # points: two pages of units per slice for a county's roster

_FONT = Font(name="宋体", size=9)
_BOLD = Font(name="宋体", size=9, bold=True)
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_NAME = Alignment(horizontal="left", vertical="center", shrink_to_fit=True)
_HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")


def slices(edition: Edition, budget: float = PAGE_WIDTH) -> list[list[Cell]]:
    """The form's cells cut into page-wide runs of whole rows, never two tables on one page."""
    room = budget - sum(width for _, _, width in HEAD)
    found: list[list[Cell]] = []
    for _, cells in groupby(edition.cells, key=lambda c: c.table):
        current: list[Cell] = []
        for _, row in groupby(cells, key=lambda c: c.row.code):
            row_cells = list(row)
            if current and (len(current) + len(row_cells)) * NUMBER_WIDTH > room:
                found.append(current)
                current = []
            current += row_cells
        if current:
            found.append(current)
    return found


def write_detail(sheet: Worksheet, result: Consolidation, text: Callable[[str], object] = str) -> None:
    """Fill ``sheet`` with every unit's values; ``text`` is how unit-supplied text is written."""
    edition = result.edition
    parts = slices(edition)
    for index, (words, code, width) in enumerate(HEAD, start=1):
        sheet.merge_cells(start_row=1, start_column=index, end_row=3, end_column=index)
        _head(sheet.cell(1, index), words)
        sheet.cell(4, index, code)
        sheet.column_dimensions[get_column_letter(index)].width = width
    column = len(HEAD) + 1
    for part in parts:
        table = edition.table(part[0].table)
        last = column + len(part) - 1
        sheet.merge_cells(start_row=1, start_column=column, end_row=1, end_column=last)
        _head(sheet.cell(1, column), table.title)
        offset = column
        for _, same_row in groupby(part, key=lambda c: c.row.code):
            cells = list(same_row)
            end = offset + len(cells) - 1
            if end > offset:
                sheet.merge_cells(start_row=2, start_column=offset, end_row=2, end_column=end)
            _head(sheet.cell(2, offset), cells[0].row.name)
            for i, cell in enumerate(cells):
                _head(sheet.cell(3, offset + i), cell.column.header)
                sheet.cell(4, offset + i, cell.code)
                sheet.column_dimensions[get_column_letter(offset + i)].width = NUMBER_WIDTH
            offset = end + 1
        for r in range(1, 4):
            for c in range(column, last + 1):
                sheet.cell(r, c).border = _BORDER
        sheet.col_breaks.append(Break(id=last))
        column = last + 1
    order = [cell.code for part in parts for cell in part]
    for report, submission in result.sent:
        counted = "是" if report.counted else "否"
        values = [submission.values.get(code) for code in order]
        sheet.append([text(report.unit.id), text(report.unit.name), counted, *values])
    for number, line in enumerate(sheet.iter_rows(min_row=HEADER_ROWS + 1), start=HEADER_ROWS + 1):
        sheet.row_dimensions[number].height = ROW_HEIGHT
        for box in line:
            box.font, box.border = _FONT, _BORDER
            box.alignment = _NAME if box.column == 2 else _CENTER
    sheet.row_dimensions[1].height = 15
    sheet.row_dimensions[2].height = 40
    sheet.row_dimensions[3].height = 52
    sheet.row_dimensions[4].hidden = True
    sheet.freeze_panes = f"{get_column_letter(len(HEAD) + 1)}{HEADER_ROWS + 1}"
    _print_setup(sheet)


def _head(cell: OpenpyxlCell | MergedCell, text: str) -> None:
    cell.value = text
    cell.font, cell.alignment, cell.border, cell.fill = _BOLD, _CENTER, _BORDER, _HEADER_FILL


def _print_setup(sheet: Worksheet) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.scale = PRINT_SCALE
    sheet.print_title_rows = f"1:{HEADER_ROWS}"
    sheet.print_title_cols = f"A:{get_column_letter(len(HEAD))}"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
