"""The official-layout workbook: a cover sheet, one sheet per table laid out as on the paper form,
and the hidden code sheet that tells a reader where every cell code lives.

The same writer makes the blank fill-in template the office sends to units and the
consolidated city workbook, so a consolidation can itself be read back as a submission.

Everything about the tables comes from the edition spec. ``layout_table`` turns a table into
positioned boxes (titles, headers, labels, input cells); ``_paint`` writes and styles them.
Multi-level headers (from column paths) and multi-level row labels (from row paths) both go
through one routine, ``label_spans``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from rollup import codesheet
from rollup.forms import Block, CellKind, Edition, Table, cell_code
from rollup.text import sheet_text

COVER_SHEET = "封面"
EXPLANATION_SHEET = "说明"
EXPLANATION_PROMPT = (
    "如报表中有数字需要说明（如与上年相比变化较大，或不符合表内勾稽关系但确属实际情况），"
    "请在下方浅黄色单元格中写明涉及哪张表、哪一项，以及原因。"
    "例如：依申请表 三(三)不予公开 第4项较上年明显增加，系某企业集中提出申请所致。没有需要说明的，留空即可。"
)
COVER_TITLE = "政府信息公开工作年度报告统计表"
FOOTER = "&A　第 &P 页"  # every printed page says which sheet it is from
Role = Literal["title", "block_title", "corner", "header", "label", "input"]


# ---------------------------------------------------------------------------------------------
# Layout: where everything goes, computed from the spec alone


@dataclass(frozen=True)
class Span:
    """A run of equal labels: ``level`` range (header rows, or label columns) by ``index`` range
    (columns under a header, or rows beside a label). Inclusive, 0-based."""

    first_level: int
    last_level: int
    first_index: int
    last_index: int
    text: str


def pad(labels: Sequence[str], depth: int) -> tuple[str | None, ...]:
    """``labels`` filled to ``depth`` levels; ``None`` means "the cell above (or to the left)
    continues here", so a short path's last label spans the remaining levels."""
    return tuple(labels) + (None,) * (depth - len(labels))


def label_spans(paths: Sequence[Sequence[str | None]]) -> list[Span]:
    """Merge a list of label paths (one per column, or one per row, all of one depth) into
    spans: at each level, consecutive items whose paths agree up to that level share one span,
    and a span continues down through the levels where all its items have ``None``."""
    depth = max((len(p) for p in paths), default=0)
    spans = []
    for level in range(depth):
        index = 0
        while index < len(paths):
            text = paths[index][level]
            if text is None:
                index += 1
                continue
            prefix = tuple(paths[index][: level + 1])
            end = index
            while end + 1 < len(paths) and tuple(paths[end + 1][: level + 1]) == prefix:
                end += 1
            last_level = level
            while last_level + 1 < depth and all(paths[i][last_level + 1] is None for i in range(index, end + 1)):
                last_level += 1
            spans.append(Span(level, last_level, index, end, text))
            index = end + 1
    return spans


@dataclass(frozen=True)
class Box:
    """One cell (or merged range) of a sheet. 1-based, inclusive."""

    top: int
    left: int
    bottom: int
    right: int
    role: Role
    text: str | None = None
    code: str | None = None
    kind: CellKind | None = None

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.left)}{self.top}"


@dataclass(frozen=True)
class SheetLayout:
    title: str
    boxes: tuple[Box, ...]
    width: int  # number of sheet columns the table uses
    label_columns: int

    @property
    def inputs(self) -> dict[str, Box]:
        return {box.code: box for box in self.boxes if box.role == "input" and box.code}


def layout_table(table: Table) -> SheetLayout:
    """Position every title, header, label and input cell of ``table`` on its sheet."""
    if table.orientation == "wide":
        labels = 0
        width = max(len(b.rows) * len(b.columns) for b in table.blocks)
    else:
        labels = max(len(r.path) + 1 for r in table.rows)
        width = labels + max(len(b.columns) for b in table.blocks)
    boxes = [Box(1, 1, 1, width, "title", table.title)]
    row = 2
    for block in table.blocks:
        if block.title:
            boxes.append(Box(row, 1, row, width, "block_title", block.title))
            row += 1
        place = _wide_block if table.orientation == "wide" else _tall_block
        placed, row = place(table, block, row, labels, width)
        boxes += placed
    return SheetLayout(table.sheet, tuple(boxes), width, labels)


def _tall_block(table: Table, block: Block, top: int, labels: int, width: int) -> tuple[list[Box], int]:
    """Header rows from column paths, then one line per row with its labels on the left.
    The last column stretches to the table's width when a block has fewer columns."""
    depth = max(len(c.path) + 1 for c in block.columns)
    boxes = []
    if labels:
        boxes.append(Box(top, 1, top + depth - 1, labels, "corner", block.corner or ""))
    last = len(block.columns) - 1
    heads = [pad((*c.path, c.header), depth) for c in block.columns]
    for s in label_spans(heads):
        right = width if s.last_index == last else labels + 1 + s.last_index
        boxes.append(Box(top + s.first_level, labels + 1 + s.first_index, top + s.last_level, right, "header", s.text))
    first = top + depth
    for s in label_spans([pad((*r.path, r.label), labels) for r in block.rows]):
        boxes.append(
            Box(first + s.first_index, 1 + s.first_level, first + s.last_index, 1 + s.last_level, "label", s.text)
        )
    for i, r in enumerate(block.rows):
        for j, c in enumerate(block.columns):
            right = width if j == last else labels + 1 + j
            code = cell_code(table.id, r.code, c.code)
            boxes.append(Box(first + i, labels + 1 + j, first + i, right, "input", code=code, kind=c.kind))
    return boxes, first + len(block.rows)


def _wide_block(table: Table, block: Block, top: int, labels: int, width: int) -> tuple[list[Box], int]:
    """The form prints each row as a group of columns side by side: header levels are the row's
    path and label, then the column label; one line of inputs below."""
    depth = max(len(r.path) + 1 for r in block.rows)
    heads = [(*pad((*r.path, r.label), depth), c.header) for r in block.rows for c in block.columns]
    boxes = [
        Box(top + s.first_level, 1 + s.first_index, top + s.last_level, 1 + s.last_index, "header", s.text)
        for s in label_spans(heads)
    ]
    line = top + depth + 1
    for i, (r, c) in enumerate((r, c) for r in block.rows for c in block.columns):
        code = cell_code(table.id, r.code, c.code)
        boxes.append(Box(line, 1 + i, line, 1 + i, "input", code=code, kind=c.kind))
    return boxes, line + 1


# ---------------------------------------------------------------------------------------------
# Sizing: column widths and row heights so that wrapped Chinese labels stay readable

WIDEST = 2.1  # Excel width units of a CJK character (about two), the widest there is
_MIN_HEIGHT = 18.0  # points


def text_width(text: str) -> float:
    return sum(WIDEST if unicodedata.east_asian_width(ch) in "WFA" else 1.1 for ch in text)


def column_widths(layout: SheetLayout) -> dict[int, float]:
    """Widths from the boxes that sit in one column only: labels may wrap over the rows they
    span, headers fit on one line when short and wrap to two when long."""
    widths = dict.fromkeys(range(1, layout.width + 1), 7.0)
    for box in layout.boxes:
        if box.width != 1 or not box.text:
            continue
        need = text_width(box.text) + 2
        if box.role == "label" and box.height == 1:
            want = min(46.0, need)  # longer labels wrap
        elif box.role == "label":
            want = min(12.0, need / box.height + 2)  # a tall ancestor label wraps in a narrow column
        elif box.role == "header":
            want = need if need <= 18 else min(18, need / 2 + 2)
        else:
            continue
        widths[box.left] = max(widths[box.left], want)
    for col in range(layout.label_columns + 1, layout.width + 1):
        widths[col] = max(widths[col], 10.0)
    return widths


def row_heights(boxes: Sequence[Box], widths: Mapping[int, float]) -> dict[int, float]:
    """Heights in points from the wrapped lines each box needs, shared over the rows it spans."""
    heights: dict[int, float] = {}
    for box in boxes:
        if not box.text:
            heights.setdefault(box.top, _MIN_HEIGHT)
            continue
        width = sum(widths.get(c, 8.43) for c in range(box.left, box.right + 1)) - 1
        lines = math.ceil(text_width(box.text) / max(width, 1))
        size = _FONTS[box.role].size
        need = (lines * size * 1.45 + 6) / box.height
        for row in range(box.top, box.bottom + 1):
            heights[row] = max(heights.get(row, _MIN_HEIGHT), need)
    return heights


# ---------------------------------------------------------------------------------------------
# Painting: values, merges, styles, protection, validation

_FONT_NAME = "宋体"
_FONTS = {
    "title": Font(name=_FONT_NAME, size=16, bold=True),
    "block_title": Font(name=_FONT_NAME, size=11, bold=True),
    "corner": Font(name=_FONT_NAME, size=10),
    "header": Font(name=_FONT_NAME, size=11, bold=True),
    "label": Font(name=_FONT_NAME, size=11),
    "input": Font(name=_FONT_NAME, size=11),
}
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
_UNLOCKED = Protection(locked=False)
_LOCKED = Protection(locked=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_ALIGN = {
    "title": _CENTER,
    "block_title": _CENTER,
    "corner": _CENTER,
    "header": _CENTER,
    "label": Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1),
    "input": _CENTER,
}

_VALIDATION: dict[CellKind, dict[str, Any]] = {
    "count": {
        "type": "whole",
        "operator": "greaterThanOrEqual",
        "formula1": "0",
        "error": "请填写不小于 0 的整数。",
        "prompt": "填写不小于 0 的整数",
    },
    "signed": {
        "type": "whole",
        "operator": "between",
        "formula1": "-999999999",
        "formula2": "999999999",
        "error": "请填写整数：增加填正数，减少填负数，没有变化填 0。",
        "prompt": "增加填正数，减少填负数",
    },
    "money": {
        "type": "decimal",
        "operator": "greaterThanOrEqual",
        "formula1": "0",
        "error": "请填写不小于 0 的数字，单位为万元，可带小数。",
        "prompt": "单位：万元，可带小数",
    },
}


def _validations(ws: Worksheet) -> dict[CellKind, DataValidation]:
    found = {}
    for kind, spec in _VALIDATION.items():
        dv = DataValidation(
            allow_blank=True,
            showErrorMessage=True,
            showInputMessage=True,
            errorTitle="填写有误",
            promptTitle="填写说明",
            errorStyle="stop",
            **spec,
        )
        ws.add_data_validation(dv)
        found[kind] = dv
    return found


def _paint(
    ws: Worksheet, boxes: Sequence[Box], cells: Mapping[str, object] | None = None, *, fill_in: bool = True
) -> None:
    """Write, style and merge every box; inputs get their value (from ``cells``, by code). Only a
    form to fill in (``fill_in``) colours its input cells and checks what is typed into them."""
    cells = cells or {}
    validations = _validations(ws) if fill_in and any(b.kind for b in boxes) else {}
    for box in boxes:
        cell = ws.cell(box.top, box.left)
        value = cells.get(box.code or "") if box.role == "input" else box.text
        cell.value = sheet_text(value)  # type: ignore[assignment]
        cell.font = _FONTS[box.role]
        cell.alignment = _CENTER if box.role == "label" and box.height > 1 else _ALIGN[box.role]
        if box.role != "title":
            cell.border = _BORDER
        if box.role == "input":
            cell.protection = _UNLOCKED
            if fill_in:
                cell.fill = _INPUT_FILL
            if box.kind and fill_in:
                validations[box.kind].add(cell.coordinate)
        else:
            cell.protection = _LOCKED
            if box.role in ("header", "corner", "block_title"):
                cell.fill = _HEADER_FILL
        if box.height > 1 or box.width > 1:
            ws.merge_cells(start_row=box.top, start_column=box.left, end_row=box.bottom, end_column=box.right)
    for dv in validations.values():
        if not dv.sqref:
            ws.data_validations.dataValidation.remove(dv)


def _size(ws: Worksheet, widths: Mapping[int, float], heights: Mapping[int, float]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = round(width, 1)
    for row, height in heights.items():
        ws.row_dimensions[row].height = round(height, 1)


def _print_setup(ws: Worksheet, landscape: bool, one_page: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.sheet_view.showGridLines = False


def set_footer(ws: Worksheet) -> None:
    """Every printed page says which sheet it comes from, and its number."""
    ws.oddFooter.center.text = FOOTER  # type: ignore[union-attr]  # openpyxl creates it with the sheet


def _protect(ws: Worksheet) -> None:
    ws.protection.sheet = True
    # units may still widen a column or a row to read a long label
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


# ---------------------------------------------------------------------------------------------
# The sheets


def _cell_value(kind: CellKind, value: int | float) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"cell values must be numbers, not {value!r}")
    if kind != "money" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _table_sheet(
    wb: openpyxl.Workbook,
    table: Table,
    values: Mapping[str, int | float],
    notes: Mapping[str, str],
    *,
    fill_in: bool = True,
) -> dict[str, str]:
    """Write one table's sheet; return where each of its codes lives."""
    layout = layout_table(table)
    ws = wb.create_sheet(layout.title)
    inputs = layout.inputs
    cells = {code: _cell_value(box.kind or "count", values[code]) for code, box in inputs.items() if code in values}
    _paint(ws, layout.boxes, cells, fill_in=fill_in)
    widths = column_widths(layout)
    _size(ws, widths, row_heights(layout.boxes, widths))
    ws.row_dimensions[1].height = 32
    for code, text in notes.items():
        if code in inputs:
            ws[inputs[code].coordinate].comment = _comment(text)
    _print_setup(ws, landscape=layout.width > 4, one_page=True)
    return {code: box.coordinate for code, box in inputs.items()}


def _comment(text: str) -> Comment:
    comment = Comment(text, "rollup")
    comment.width = 240
    comment.height = max(60, 20 * math.ceil(text_width(text) / 30))
    return comment


def _cover_value(key: str, value: object) -> object:
    if key == "year" and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def instructions(edition: Edition) -> list[str]:
    """The cover's 填报说明, mentioning signed and money cells only when the edition has them."""
    kinds = {cell.kind for cell in edition.cells}
    signed = "、".join(dict.fromkeys(f"“{cell.column.label}”" for cell in edition.cells if cell.kind == "signed"))
    lines = [
        "请在浅黄色单元格中填写数字，其余单元格已锁定；不要增删行列，不要修改表格格式和工作表名称。",
        "各项数量填写不小于 0 的整数。",
        signed and f"{signed}可填负数：增加填正数，减少填负数（如减少 313 项填 -313），没有变化填 0。",
        "money" in kinds
        and "金额以万元为单位，可保留小数（如 38 万元填 38，9282.3866 万元填 9282.3866），不要填写“万元”等文字。",
        "各“总计”栏由填报单位按纸质表格自行计算填写，汇总时将核对勾稽关系。",
        "没有发生的事项请填 0，不要留空，也不要填“-”“无”等文字。",
    ]
    return [f"{i}. {line}" for i, line in enumerate((line for line in lines if line), start=1)]


def _cover_boxes(edition: Edition) -> tuple[list[Box], dict[str, str]]:
    """Title; the cover fields as label + input; the edition; the filling instructions."""
    boxes = [Box(1, 1, 1, 2, "title", COVER_TITLE)]
    locations = {}
    row = 3
    for key, label in codesheet.COVER_FIELDS.items():
        boxes += [Box(row, 1, row, 1, "header", label), Box(row, 2, row, 2, "input", code=key)]
        locations[key] = f"B{row}"
        row += 1
    row += 1
    boxes += [
        Box(row, 1, row, 1, "header", "报告格式"),
        Box(row, 2, row, 2, "label", edition.name),
        Box(row + 1, 1, row + 1, 1, "header", "格式依据"),
        Box(row + 1, 2, row + 1, 2, "label", edition.source),
    ]
    row += 3
    boxes.append(Box(row, 1, row, 2, "block_title", "填报说明"))
    for i, text in enumerate(instructions(edition), start=row + 1):
        boxes.append(Box(i, 1, i, 2, "label", text))
    return boxes, locations


@dataclass(frozen=True)
class Summary:
    """The cover of a consolidated workbook: a summary of what was summed, not a form to fill in.
    ``facts`` are label and text lines; the 校验 box says ``verdict`` (平衡 / 不平衡) and why."""

    title: str
    facts: tuple[tuple[str, str], ...]
    verdict: str
    balanced: bool
    reasons: tuple[str, ...]
    explanation: str  # the 情况说明 sheet: what was counted


# The cover fields a summary keeps (a consolidation has no contact person of its own).
SUMMARY_FIELDS = {"unit": "汇总地区", "year": "报告年度", "date": "生成时间"}
_VERDICT_FILL = {True: PatternFill("solid", fgColor="E2EFDA"), False: PatternFill("solid", fgColor="F8CBAD")}


def _summary_boxes(edition: Edition, summary: Summary) -> tuple[list[Box], dict[str, str]]:
    """Title; region, year and generated time (where a reader finds them); the facts; the 校验 box."""
    boxes = [Box(1, 1, 1, 2, "title", summary.title)]
    locations = {}
    row = 3
    for key, label in SUMMARY_FIELDS.items():
        boxes += [Box(row, 1, row, 1, "header", label), Box(row, 2, row, 2, "input", code=key)]
        locations[key] = f"B{row}"
        row += 1
    for label, text in (("报告格式", edition.name), *summary.facts):
        boxes += [Box(row, 1, row, 1, "header", label), Box(row, 2, row, 2, "label", text)]
        row += 1
    row += 1
    boxes += [Box(row, 1, row, 1, "header", "校验"), Box(row, 2, row, 2, "block_title", summary.verdict)]
    for i, text in enumerate(summary.reasons, start=row + 1):
        boxes.append(Box(i, 1, i, 2, "label", text))
    return boxes, locations


def _cover_sheet(
    wb: openpyxl.Workbook, edition: Edition, cover: Mapping[str, object], summary: Summary | None = None
) -> dict[str, str]:
    ws = wb.worksheets[0]
    ws.title = COVER_SHEET
    boxes, locations = _summary_boxes(edition, summary) if summary else _cover_boxes(edition)
    given = {key: _cover_value(key, value) for key, value in cover.items() if value not in (None, "")}
    _paint(ws, boxes, given, fill_in=summary is None)
    if summary is not None:
        verdict = next(b for b in boxes if b.role == "block_title")
        ws[verdict.coordinate].fill = _VERDICT_FILL[summary.balanced]
        for box in boxes:
            if box.role in ("input", "block_title"):
                ws[box.coordinate].alignment = _ALIGN["label"]
    widths = {1: 16.0, 2: 80.0}
    _size(ws, widths, row_heights(boxes, widths))
    ws.row_dimensions[1].height = 36
    if "phone" in locations:
        ws[locations["phone"]].number_format = "@"
    if isinstance(cover.get("date"), datetime):
        ws[locations["date"]].number_format = 'yyyy"年"m"月"d"日" hh:mm'
    elif isinstance(cover.get("date"), date):
        ws[locations["date"]].number_format = 'yyyy"年"m"月"d"日"'
    year = DataValidation(
        type="whole",
        operator="between",
        formula1="2008",
        formula2="2100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="填写有误",
        error="报告年度请填写四位数年份，如 2020。",
    )
    ws.add_data_validation(year)
    year.add(locations["year"])
    _print_setup(ws, landscape=False, one_page=True)
    return locations


def _explanation_sheet(wb: openpyxl.Workbook, text: str | None, *, fill_in: bool = True) -> str:
    """The 说明 sheet: a prompt (on a form to fill in) and one large free-text cell; returns where
    that cell is."""
    ws = wb.create_sheet(EXPLANATION_SHEET)
    prompt = EXPLANATION_PROMPT if fill_in else "本汇总表计入的单位和数据来源如下。"
    boxes = [
        Box(1, 1, 1, 1, "title", "情况说明"),
        Box(2, 1, 2, 1, "label", prompt),
        Box(3, 1, 3, 1, "input", code=codesheet.EXPLANATION),
    ]
    _paint(ws, boxes, {codesheet.EXPLANATION: text} if text else {}, fill_in=fill_in)
    widths = {1: 80.0}  # wider does not print on A4 portrait in LibreOffice, whatever the fit setting
    _size(ws, widths, row_heights(boxes[:2], widths))
    ws.row_dimensions[1].height = 32
    ws.row_dimensions[3].height = 300
    ws["A3"].alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    _print_setup(ws, landscape=False, one_page=True)
    return "A3"


def _code_sheet(wb: openpyxl.Workbook, rows: list[tuple]) -> None:
    ws = wb.create_sheet(codesheet.SHEET)
    for number, line in enumerate(rows, start=1):
        for column, value in enumerate(line, start=1):
            if value == "":
                continue
            cell = ws.cell(number, column, value)
            if isinstance(value, str):
                cell.data_type = "s"  # data, as written: a unit's note "=1+1" is text, never a formula
    ws.sheet_state = "hidden"


def _check_keys(what: str, given: Mapping[str, object] | None, known: Iterable[str]) -> None:
    unknown = sorted(set(given or ()) - set(known))
    if unknown:
        raise ValueError(f"{what} not in the form: {', '.join(unknown)}")


def form_workbook(
    edition: Edition,
    *,
    values: Mapping[str, int | float] | None = None,
    notes: Mapping[str, str] | None = None,
    cover: Mapping[str, object] | None = None,
    explanation: str | None = None,
    protect: bool = True,
    summary: Summary | None = None,
    marks: Mapping[str, str] | None = None,
    comments: Mapping[str, str] | None = None,
) -> openpyxl.Workbook:
    """The official-layout workbook of ``edition``: cover, one sheet per table, hidden code
    sheet. ``values`` and ``notes`` (by cell code) fill the input cells and their comments;
    ``cover`` (by ``codesheet.COVER_FIELDS`` key) fills the cover; ``explanation`` the 说明
    sheet, where a unit explains an unusual figure. Input cells are unlocked,
    everything else is locked, and sheets are protected (without password) when ``protect``.
    With ``summary`` it is a consolidation, not a form: the cover summarises what was summed, and
    nothing is coloured or checked as input (the hidden code sheet still makes it readable as a
    submission of the level above). ``notes`` and ``marks`` also travel as data in the code sheet;
    ``comments`` (by code), when given, are the cells' comments instead of the notes."""
    values, notes, cover = values or {}, notes or {}, cover or {}
    _check_keys("cell codes", values, edition.codes)
    _check_keys("note codes", notes, edition.codes)
    _check_keys("cover fields", cover, codesheet.COVER_FIELDS)
    wb = openpyxl.Workbook()
    fill_in = summary is None
    locations = {key: (COVER_SHEET, cell) for key, cell in _cover_sheet(wb, edition, cover, summary).items()}
    for table in edition.tables:
        placed = _table_sheet(wb, table, values, notes if comments is None else comments, fill_in=fill_in)
        locations.update({code: (table.sheet, cell) for code, cell in placed.items()})
    text = summary.explanation if summary else explanation
    locations[codesheet.EXPLANATION] = (EXPLANATION_SHEET, _explanation_sheet(wb, text, fill_in=fill_in))
    ordered = {code: locations[code] for code in edition.codes}
    ordered.update(
        {key: locations[key] for key in (*codesheet.COVER_FIELDS, codesheet.EXPLANATION) if key in locations}
    )
    _code_sheet(wb, codesheet.rows(edition.edition, ordered, notes, marks))
    for ws in wb.worksheets:
        set_footer(ws)
    if protect:
        for ws in wb.worksheets:
            _protect(ws)
        wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    return wb
