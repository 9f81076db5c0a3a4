"""The 明细 sheet of the consolidated workbook: one row per unit that sent something, one column
per cell of the form, headed in the form's words (table, row, column in three header rows; the
cell codes in a hidden fourth row for machines), and laid out for paper.

The form has about two hundred cells, far too many for one page's width: the columns are cut
into page-wide slices that each hold whole rows of the form (a manual column break after each),
and the unit's name and the header rows are repeated on every page.

A province's thousands of units do not fit a workbook that is built in memory and mailed:
``write_detail_file`` writes the same layout as a file of its own, streamed row by row."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import IO, Any

from openpyxl.cell.cell import Cell as OpenpyxlCell
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from rollup.aggregate import Consolidation, UnitReport
from rollup.forms import Cell, Edition, Number
from rollup.render.continued import copied
from rollup.render.form import FOOTER

SHEET = "明细"
HEAD = (("编码", "unit_id", 5.0), ("单位名称", "unit", 16.0), ("计入汇总", "counted", 4.0))
HEADER_ROWS = 4  # table, row, column in words; the codes (hidden)
NUMBER_WIDTH = 4.7
PAGE_WIDTH = 130.0  # Excel width units across A4 landscape at the sheet's print scale (as LibreOffice prints them)
PRINT_SCALE = 80
ROW_HEIGHT = 12.0  # points: two pages of units per slice for a county's roster
HEADER_HEIGHTS = (15.0, 40.0, 52.0)  # points: table, row and column in words
MARGINS = (0.4, 0.6)  # inches: left and right, top and bottom

_FONT = Font(name="宋体", size=9)
_BOLD = Font(name="宋体", size=9, bold=True)
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_NAME = Alignment(horizontal="left", vertical="center", shrink_to_fit=True)
# a unit's code on one line, however long a province's codes are: wrapped, it would overflow the row
_CODE = Alignment(horizontal="center", vertical="center", shrink_to_fit=True)
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


@dataclass(frozen=True)
class Head:
    """One header text of 明细 at (row, column), counted from 1, spanning to (last_row, last_column)."""

    row: int
    column: int
    text: str
    last_row: int
    last_column: int

    @property
    def merged(self) -> bool:
        return (self.row, self.column) != (self.last_row, self.last_column)


@dataclass(frozen=True)
class Layout:
    """The sheet's header and columns, written alike into the workbook or into a file of its own."""

    heads: tuple[Head, ...]  # rows 1–3: table, row and column in the form's words
    codes: tuple[str, ...]  # row 4 (hidden): every column's code, for machines
    widths: tuple[float, ...]  # every column's width
    breaks: tuple[int, ...]  # a page break after each of these columns
    order: tuple[str, ...]  # the cell codes of the value columns, in order

    @property
    def width(self) -> int:
        return len(self.codes)


def layout(edition: Edition) -> Layout:
    """Where every header text, column and page break of 明细 goes for ``edition``."""
    heads = [Head(1, index, words, HEADER_ROWS - 1, index) for index, (words, _, _) in enumerate(HEAD, start=1)]
    widths = [width for _, _, width in HEAD]
    breaks = []
    column = len(HEAD) + 1
    parts = slices(edition)
    for part in parts:
        last = column + len(part) - 1
        heads.append(Head(1, column, edition.table(part[0].table).title, 1, last))
        offset = column
        for _, same_row in groupby(part, key=lambda c: c.row.code):
            cells = list(same_row)
            heads.append(Head(2, offset, cells[0].row.name, 2, offset + len(cells) - 1))
            heads += [Head(3, offset + i, cell.column.header, 3, offset + i) for i, cell in enumerate(cells)]
            offset += len(cells)
        widths += [NUMBER_WIDTH] * len(part)
        breaks.append(last)
        column = last + 1
    order = tuple(cell.code for part in parts for cell in part)
    return Layout(tuple(heads), (*(code for _, code, _ in HEAD), *order), tuple(widths), tuple(breaks), order)


def unit_rows(result: Consolidation, order: Sequence[str], text: Callable[[str], object]) -> Iterator[list]:
    """One row per unit that sent something: its code, name, whether it counts, its values."""
    for report, submission in result.sent:
        figures = dict(submission.values.items())  # a look-up a cell, thousands of rows: at a dict's speed
        yield [*_unit_head(report, text), *map(figures.get, order)]


def _unit_head(report: UnitReport, text: Callable[[str], object]) -> tuple[object, object, str]:
    """A unit's first three columns: its code, its name, whether it counts."""
    return text(report.unit.id), text(report.unit.name), "是" if report.counted else "否"


def write_detail(sheet: Worksheet, result: Consolidation, text: Callable[[str], object] = str) -> None:
    """Fill ``sheet`` with every unit's values; ``text`` is how unit-supplied text is written."""
    plan = layout(result.edition)
    for head in plan.heads:
        if head.merged:
            sheet.merge_cells(
                start_row=head.row, start_column=head.column, end_row=head.last_row, end_column=head.last_column
            )
        _head(sheet.cell(head.row, head.column), head.text)
    for index, (code, width) in enumerate(zip(plan.codes, plan.widths, strict=True), start=1):
        sheet.cell(HEADER_ROWS, index, code)
        sheet.column_dimensions[get_column_letter(index)].width = width
    for r in range(1, HEADER_ROWS):
        for c in range(len(HEAD) + 1, plan.width + 1):
            sheet.cell(r, c).border = _BORDER
    for last in plan.breaks:
        sheet.col_breaks.append(Break(id=last))
    for values in unit_rows(result, plan.order, text):
        sheet.append(values)
    for number, line in enumerate(sheet.iter_rows(min_row=HEADER_ROWS + 1), start=HEADER_ROWS + 1):
        sheet.row_dimensions[number].height = ROW_HEIGHT
        for box in line:
            box.font, box.border = _FONT, _BORDER
            box.alignment = {1: _CODE, 2: _NAME}.get(box.column or 0, _CENTER)
    for number, height in enumerate(HEADER_HEIGHTS, start=1):
        sheet.row_dimensions[number].height = height
    sheet.row_dimensions[HEADER_ROWS].hidden = True
    sheet.freeze_panes = f"{get_column_letter(len(HEAD) + 1)}{HEADER_ROWS + 1}"
    _print_setup(sheet)


def write_detail_file(path: Path, result: Consolidation, text: Callable[[str], object] = str) -> None:
    """明细 as a workbook of its own (明细数据.xlsx), laid out as the sheet is, streamed row by row.

    xlsxwriter writes the file in its constant_memory mode (one row in memory however many units
    there are), every cell but the figures; the figures, a province's million cells, are then
    added to each unit's row as the sheet's XML is copied into the final file. They are only
    numbers in one style, and writing their XML directly takes a tenth of the time xlsxwriter
    spends on each cell."""
    plan = layout(result.edition)
    framed = io.BytesIO()
    style = _write_frame(framed, result, plan, text)
    with zipfile.ZipFile(framed) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for info in source.infolist():
            if info.filename == _SHEET_PART:
                with source.open(info) as frame, book.open(copied(info), "w") as sheet:
                    _add_figures(frame, sheet, (s.values for _, s in result.sent), plan, style)
            else:
                book.writestr(copied(info), source.read(info))


_SHEET_PART = "xl/worksheets/sheet1.xml"  # the file's only sheet, as xlsxwriter names it
_ROW_END = b"</row>"


def _write_frame(target: io.BytesIO, result: Consolidation, plan: Layout, text: Callable[[str], object]) -> int:
    """The file without its figures, written by xlsxwriter into ``target``: the header rows, a row
    per unit holding its code, name and 计入汇总, the columns, panes and print setup. Returns the
    style (xlsxwriter's index of the cell format) the figures take."""
    import xlsxwriter  # only a province's run needs it

    book = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    looks = {"font_name": _FONT.name, "font_size": _FONT.size, "valign": "vcenter"}
    body = book.add_format(looks | {"border": 1, "align": "center", "text_wrap": True})
    name = book.add_format(looks | {"border": 1, "align": "left", "shrink": True})
    code = book.add_format(looks | {"border": 1, "align": "center", "shrink": True})
    sheet = book.add_worksheet(SHEET)
    for index, width in enumerate(plan.widths):
        sheet.set_column(index, index, width)
    for number, height in enumerate(HEADER_HEIGHTS):
        sheet.set_row(number, height)
    sheet.set_row(HEADER_ROWS - 1, None, None, {"hidden": True})
    sheet.set_default_row(ROW_HEIGHT)
    _stream_header(book, sheet, plan, looks)
    for r, (report, _) in enumerate(result.sent, start=HEADER_ROWS):
        for c, value in enumerate(_unit_head(report, text)):
            sheet.write_string(r, c, str(value), (code, name, body)[c])
    sheet.freeze_panes(HEADER_ROWS, len(HEAD))
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_print_scale(PRINT_SCALE)
    sheet.repeat_rows(0, HEADER_ROWS - 1)
    sheet.repeat_columns(0, len(HEAD) - 1)
    sheet.set_margins(left=MARGINS[0], right=MARGINS[0], top=MARGINS[1], bottom=MARGINS[1])
    sheet.set_v_pagebreaks(list(plan.breaks))
    sheet.set_footer("&C" + FOOTER)
    book.close()
    return int(body.xf_index)


def _add_figures(
    frame: IO[bytes], sheet: IO[bytes], figures: Iterable[Mapping[str, Number]], plan: Layout, style: int
) -> None:
    """Copy the sheet's XML from ``frame`` to ``sheet``, each unit's figures (in ``plan.order``)
    added to the end of its row, as xlsxwriter writes a number or an empty box."""
    starts = [f'<c r="{get_column_letter(column)}' for column in range(len(HEAD) + 1, plan.width + 1)]
    rows = _rows(frame)
    for _ in range(HEADER_ROWS):
        sheet.write(next(rows))
    for number, values in enumerate(figures, start=HEADER_ROWS + 1):
        by_code = dict(values.items())  # a look-up a cell, thousands of rows: at a dict's speed
        cells = "".join(
            [
                f'{start}{number}" s="{style}"/>'
                if value is None
                else f'{start}{number}" s="{style}"><v>{value:.16G}</v></c>'
                for start, value in zip(starts, [by_code.get(code) for code in plan.order], strict=True)
            ]
        )
        sheet.write(next(rows)[: -len(_ROW_END)] + cells.encode() + _ROW_END)
    for rest in rows:
        sheet.write(rest)


def _rows(xml: IO[bytes], block: int = 1 << 20) -> Iterator[bytes]:
    """A sheet's XML cut after the end of each row (the last piece is what follows the rows),
    read a block at a time."""
    rest = b""
    while chunk := xml.read(block):
        *whole, rest = (rest + chunk).split(_ROW_END)
        yield from (piece + _ROW_END for piece in whole)
    yield rest


def _stream_header(book: Any, sheet: Any, plan: Layout, looks: dict[str, object]) -> None:
    """The four header rows of the streamed file (xlsxwriter's workbook and worksheet)."""
    boxed = looks | {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2", "left": 1, "right": 1}
    head = book.add_format(boxed | {"top": 1, "bottom": 1})
    # Rows go out one by one, each once: a merge is recorded while its row is the current one.
    # A merge down the header rows cannot be (its first row is out before its last is written):
    # its text sits in its middle row, in a box drawn round the cells it spans.
    header: dict[tuple[int, int], tuple[str | None, Any]] = {
        (r, c): (None, head) for r in range(HEADER_ROWS - 1) for c in range(plan.width)
    }
    for h in plan.heads:
        if h.last_row == h.row:
            header[h.row - 1, h.column - 1] = (h.text, head)
            continue
        middle = (h.row + h.last_row) // 2
        for r in range(h.row, h.last_row + 1):
            edges = {"top": 1} if r == h.row else {"bottom": 1} if r == h.last_row else {}
            header[r - 1, h.column - 1] = (h.text if r == middle else None, book.add_format(boxed | edges))
    for r in range(HEADER_ROWS - 1):
        for c in range(plan.width):
            words, look = header[r, c]
            if words is None:
                sheet.write_blank(r, c, None, look)
            else:
                sheet.write_string(r, c, words, look)
        for h in plan.heads:
            if h.row == h.last_row == r + 1 and h.merged:
                sheet.merge_range(r, h.column - 1, r, h.last_column - 1, h.text, head)
    for c, code in enumerate(plan.codes):
        sheet.write_string(HEADER_ROWS - 1, c, code)


def _head(cell: OpenpyxlCell | MergedCell, text: str) -> None:
    cell.value = text
    cell.font, cell.alignment, cell.border, cell.fill = _BOLD, _CENTER, _BORDER, _HEADER_FILL


def _print_setup(sheet: Worksheet) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.scale = PRINT_SCALE
    sheet.print_title_rows = f"1:{HEADER_ROWS}"
    sheet.print_title_cols = f"A:{get_column_letter(len(HEAD))}"
    sheet.page_margins.left = sheet.page_margins.right = MARGINS[0]
    sheet.page_margins.top = sheet.page_margins.bottom = MARGINS[1]
