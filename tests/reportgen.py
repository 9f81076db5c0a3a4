"""Test support: render form data into annual reports as units publish them.

Everything is generated from the edition spec (``rollup.forms``): parts, tables, blocks, rows,
columns, labels, merged header cells and cell kinds. Nothing here knows a single cell by name,
so a new edition gets reports for free.

Each statistical table is first laid out as a :class:`Grid` of spans (the official table with
its merged cells); the text layouts, Word, HTML and PDF writers only differ in how they print
that grid, which is also how the real reports in ``../shared/reports/`` differ:

- ``one_line`` (like yueqing-2019-city.txt, a PDF's extracted text): double-spaced lines, a
  row's label and numbers on one line, long labels broken with the numbers on the next line,
  narrow headers stacked one character per line, merged row stubs broken into pieces, page
  footers ("— 2 —") in the middle of a table, blank cells as runs of spaces.
- ``one_per_line`` (like yueqing-govoffice-2021.txt, a Word table's extracted text): the table
  cell by cell in reading order, each on its own tab-indented line, cells merged from above
  as empty ``\\t`` lines.
"""

from __future__ import annotations

import html
import random
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Literal

import docx
import opencc
import openpyxl
import xlwt
from docx.enum.table import WD_ALIGN_VERTICAL
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from rollup.forms import Edition, Number, Table, format_number

Layout = Literal["one_line", "one_per_line", "pipes", "box"]
DocxStyle = Literal["tables", "official", "paragraphs"]
Role = Literal["title", "corner", "header", "stub", "value", "filler"]

PDF_FONT = "STSong-Light"
# Widths (in characters) at which extracted text breaks: a narrative line of a PDF page, a
# row label per column it spans, a long header cell.
NARRATIVE_WIDTH = 30
LABEL_WIDTH = 10
HEADER_WIDTH = 15
FOOTER = re.compile(r"^— \d+ —$")
_TOKEN = re.compile(r"[A-Za-z0-9.:/%@_\-]+|.")
# Word leaves non-breaking spaces around some numbers (yueqing-govoffice-2021.txt, table C).
STRAY = {1: "{}\xa0", 3: "\xa0{}"}
_NO_LINE_START = set("，。、；：）》”’！？")
_NO_LINE_END = set("（《“‘")


@dataclass(frozen=True)
class ReportSpec:
    """What one unit's report says, and how it goes wrong.

    ``written`` gives cells written as text instead of their number ("-", "—", "无"); ``narrative``
    overrides figures the first part states in words (by the edition's claim label);
    ``omit_parts`` leaves parts out (1 = 一 … 6 = 六); ``cut`` = (table id, cells kept) stops
    that table's numbers part-way; ``dropped`` cells are missing from their printed row without a
    trace (a pasted row that lost numbers in the middle). ``filler`` lays out a block with fewer
    columns than its table as real Word files do: trailing empty cells instead of a widened last
    column. ``kangxi`` writes the characters as a PDF text layer of some tools does (Kangxi
    radicals, CJK compatibility ideographs); ``heading_break`` puts the 、 of a part heading on a
    line of its own."""

    edition: Edition
    values: Mapping[str, Number]
    unit: str
    year: int
    notes: Mapping[str, str] = field(default_factory=dict)
    blanks: frozenset[str] = frozenset()
    written: Mapping[str, str] = field(default_factory=dict)
    narrative: Mapping[str, Number] = field(default_factory=dict)
    omit_parts: frozenset[int] = frozenset()
    cut: tuple[str, int] | None = None
    traditional: bool = False
    dropped: frozenset[str] = frozenset()
    filler: bool = False
    kangxi: bool = False
    heading_break: bool = False

    def cell_text(self, code: str) -> str:
        """The cell as the unit wrote it: "增 338", "258590万元", "1（撤回）", "-" or nothing."""
        if code in self.blanks:
            return ""
        if code in self.written:
            return self.written[code]
        column = self.edition.cell(code).column
        value = self.values[code]
        text = format_number(abs(value)) if column.kind == "signed" else format_number(value)
        if column.kind == "signed" and value:
            text = f"{'增' if value > 0 else '减'} {text}"
        if column.unit and column.unit not in column.label:
            text += column.unit
        if code in self.notes:
            text += f"（{self.notes[code]}）"
        return text

    def cut_codes(self) -> list[str]:
        """Codes the cut leaves out of the report, and those a reader must leave absent: the rest
        of a form row the cut goes through (a partial row cannot be checked, so it is not read)."""
        if self.cut is None:
            return []
        table_id, kept = self.cut
        cells = self.edition.table(table_id).cells
        partial = {cells[kept].row.code} if kept < len(cells) else set()
        return [cell.code for cell in cells[kept:]] + [c.code for c in cells[:kept] if c.row.code in partial]

    def expected_values(self) -> dict[str, Number]:
        """What a reader should get: blank and not-applicable cells as 0, cut-off cells absent."""
        values = {code: 0 if code in self.blanks or code in self.written else v for code, v in self.values.items()}
        for code in self.cut_codes():
            values.pop(code, None)
        return values

    def figures(self) -> list[tuple[str, Number]]:
        """The figures the narrative states: the edition's claims, from the tables unless overridden."""
        unknown = set(self.narrative) - {claim.label for claim in self.edition.claims}
        if unknown:
            raise ValueError(f"the {self.edition.edition} edition states no figure {sorted(unknown)} in words")
        return [
            (claim.label, self.narrative.get(claim.label, sum(self.values[c] for c in claim.codes)))
            for claim in self.edition.claims
            if claim.patterns
        ]

    def convert(self, text: str) -> str:
        text = _s2t().convert(text) if self.traditional else text
        return "".join(_LOOKALIKES.get(char, char) for char in text) if self.kangxi else text

    def heading(self, text: str) -> str:
        """A part heading as the file shows it: "二、…", or as a PDF text layer shows it when
        the 、 sits lower than the line: the number and title together, the 、 below them."""
        number, mark, rest = text.partition("、")
        return f"{number}{rest}\n{mark}" if self.heading_break and mark else text


@cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def _lookalikes() -> dict[str, str]:
    """Ordinary ideographs -> the Kangxi radical (U+2F00…) or compatibility ideograph (U+F900…)
    that looks the same and that NFKC maps back to it."""
    found: dict[str, str] = {}
    for code in (*range(0x2F00, 0x2FD6), *range(0xF900, 0xFADA)):
        ordinary = unicodedata.normalize("NFKC", chr(code))
        if ordinary != chr(code):
            found.setdefault(ordinary, chr(code))
    return found


_LOOKALIKES = _lookalikes()


# --- the tables as grids of merged cells ---------------------------------------------------


@dataclass(frozen=True)
class Span:
    """One (possibly merged) cell of a printed table; ``code`` for cells holding a value."""

    row: int
    col: int
    text: str
    role: Role
    rowspan: int = 1
    colspan: int = 1
    code: str | None = None

    def covers(self, row: int, col: int) -> bool:
        return self.row <= row < self.row + self.rowspan and self.col <= col < self.col + self.colspan


@dataclass(frozen=True)
class Grid:
    table: Table
    spans: tuple[Span, ...]
    # True when a cut stops inside a row: only text can show that (a Word table has the cells).
    partial_row: bool = False

    @property
    def n_rows(self) -> int:
        return max(s.row + s.rowspan for s in self.spans)

    @property
    def n_cols(self) -> int:
        return max(s.col + s.colspan for s in self.spans)

    @property
    def value_cols(self) -> int:
        return len({s.col for s in self.spans if s.role == "value"})

    def starting(self, row: int) -> list[Span]:
        return sorted((s for s in self.spans if s.row == row), key=lambda s: s.col)

    def data_rows(self) -> list[int]:
        return sorted({s.row for s in self.spans if s.role == "value"})


def _tree(paths: list[tuple[str, ...]], depth: int) -> Iterator[tuple[int, int, int, int, str]]:
    """Lay a tree of labels (one path per leaf position) over ``depth`` levels, as the form
    merges them: (level, first position, levels spanned, positions spanned, label). Group labels
    merge across the positions they share; a leaf ending its path early fills the levels left."""
    for level in range(depth):
        pos = 0
        while pos < len(paths):
            path = paths[pos]
            if level >= len(path):
                pos += 1
                continue
            leaf = level == len(path) - 1
            end = pos + 1
            while not leaf and end < len(paths) and paths[end][: level + 1] == path[: level + 1]:
                end += 1
            yield level, pos, depth - level if leaf else 1, end - pos, path[level]
            pos = end


def table_grid(spec: ReportSpec, table: Table) -> Grid:
    """The table as the official form prints it, cut short if the spec says so."""
    grid = _wide_grid(spec, table) if table.orientation == "wide" else _tall_grid(spec, table)
    if spec.cut and spec.cut[0] == table.id:
        return _cut(grid, spec.cut[1])
    return grid


def _tall_grid(spec: ReportSpec, table: Table) -> Grid:
    """Blocks stacked: title row, header rows under a corner cell, then one row per form row
    with its label (merged stubs on the left) and values. A block with fewer columns than the
    widest lets its last column take the room left."""
    stub_depth = max(len(r.path) + 1 for r in table.rows)
    width = max(len(b.columns) for b in table.blocks)
    spans: list[Span] = []
    top = 0
    for block in table.blocks:
        last = len(block.columns) - 1
        stretch = width - len(block.columns)
        if block.title:
            spans.append(Span(top, 0, block.title, "title", colspan=stub_depth + width))
            top += 1
        depth = max(len(c.path) + 1 for c in block.columns)
        spans.append(Span(top, 0, block.corner or "", "corner", rowspan=depth, colspan=stub_depth))
        if spec.filler:
            spans += _fillers(
                range(top, top + depth + len(block.rows)), range(stub_depth + len(block.columns), stub_depth + width)
            )
            stretch = 0
        for level, pos, levels, breadth, label in _tree([(*c.path, c.label) for c in block.columns], depth):
            extra = stretch if pos + breadth - 1 == last else 0
            spans.append(Span(top + level, stub_depth + pos, label, "header", rowspan=levels, colspan=breadth + extra))
        top += depth
        for level, pos, levels, breadth, label in _tree([(*r.path, r.label) for r in block.rows], stub_depth):
            spans.append(Span(top + pos, level, label, "stub", rowspan=breadth, colspan=levels))
        for i, row in enumerate(block.rows):
            for j, column in enumerate(block.columns):
                code = f"{table.id}.{row.code}.{column.code}"
                extra = stretch if j == last else 0
                if code not in spec.dropped:
                    spans.append(
                        Span(top + i, stub_depth + j, spec.cell_text(code), "value", colspan=1 + extra, code=code)
                    )
        top += len(block.rows)
    return Grid(table, tuple(spans))


def _fillers(rows: range, cols: range) -> list[Span]:
    """The empty cells Word leaves where a block has fewer columns than the table's grid."""
    return [Span(row, col, "", "filler") for row in rows for col in cols]


def _wide_grid(spec: ReportSpec, table: Table) -> Grid:
    """Groups side by side (行政复议 | 行政诉讼: 未经复议直接起诉, 复议后起诉), each with its
    columns, over one row of values."""
    cells = table.cells
    paths = [(*c.row.path, c.row.label, c.column.label) for c in cells]
    depth = max(len(p) for p in paths)
    spans = [
        Span(level, pos, label, "header", rowspan=levels, colspan=breadth)
        for level, pos, levels, breadth, label in _tree(paths, depth)
    ]
    spans += [
        Span(depth, i, spec.cell_text(c.code), "value", code=c.code)
        for i, c in enumerate(cells)
        if c.code not in spec.dropped
    ]
    return Grid(table, tuple(spans))


def _cut(grid: Grid, kept: int) -> Grid:
    """The grid as far as its first ``kept`` values: later values and rows are gone."""
    codes = [cell.code for cell in grid.table.cells]
    dropped = set(codes[kept:])
    last = max((s.row for s in grid.spans if s.code in set(codes[:kept])), default=grid.data_rows()[0] - 1)
    spans = tuple(
        replace(s, rowspan=min(s.rowspan, last - s.row + 1))
        for s in grid.spans
        if s.row <= last and s.code not in dropped
    )
    partial = any(s.row == last and s.code in dropped for s in grid.spans)
    return Grid(grid.table, spans, partial_row=partial)


# --- the report around the tables ------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One part of the report as printed: its heading and either a few sentences or a table."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    grid: Grid | None = None


def title(spec: ReportSpec) -> str:
    return f"{spec.unit}{spec.year}年政府信息公开工作年度报告"


def _intro(spec: ReportSpec, period: str) -> str:
    return (
        f"{spec.year}年度报告根据新修订《中华人民共和国政府信息公开条例》（以下简称《条例》）的要求，"
        f"由{spec.unit}编制而成。全文由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
        "因政府信息公开申请行政复议和提起行政诉讼的情况、政府信息公开工作存在的主要问题及改进情况和"
        f"其他需要报告的事项等六部分组成。本报告中所列数据的{period}自{spec.year}年1月1日至{spec.year}年12月31日止。"
        "报告的电子版可在乐清市政府门户网站（http://www.yueqing.gov.cn/）上下载。"
    )


def _sections(spec: ReportSpec) -> list[Section]:
    """The edition's parts in order, less the omitted ones: each table under its part; of the
    other parts the first (总体情况) states the narrative figures, the last has nothing to report."""
    claims = "，".join(f"{label}{format_number(value)}件" for label, value in spec.figures())
    overview = (
        f"{spec.year}年，我单位认真贯彻落实《条例》和上级关于政务公开工作的要求，持续深化主动公开，不断规范依申请公开。",
        f"全年共{claims}。",
    )
    problems = ("政务公开工作人员均为兼职，岗位流动性较大。下一步将加强培训指导，提升依申请公开办理质效。",)
    # a claim stated only as "none" is written when the tables say none
    nones = [c.label for c in spec.edition.claims if not c.patterns and not sum(spec.values[x] for x in c.codes)]
    nothing = ("本单位无其他需要报告的事项" + "".join(f"，未{label}" for label in nones) + "。",)
    text_parts = [part for part in spec.edition.parts if part.table is None]
    texts = {text_parts[0].number: overview, text_parts[-1].number: nothing}
    return [
        Section(spec.heading(part.heading), grid=table_grid(spec, spec.edition.table(part.table)))
        if part.table
        else Section(spec.heading(part.heading), texts.get(part.number, problems))
        for number, part in enumerate(spec.edition.parts, start=1)
        if number not in spec.omit_parts
    ]


def _sign_off(spec: ReportSpec) -> tuple[str, str]:
    return spec.unit, f"{spec.year + 1}年1月19日"


# --- text layouts ------------------------------------------------------------------------


def report_text(spec: ReportSpec, layout: Layout) -> str:
    """The report as text extracted from a published file: ``one_line`` and ``one_per_line`` as
    text comes out of a PDF or Word file, ``pipes`` and ``box`` as it is pasted from a web page,
    each table row between bars (| or │), an empty field for a blank cell."""
    render = {
        "one_line": _one_line,
        "one_per_line": _one_per_line,
        "pipes": lambda s: _delimited(s, "|"),
        "box": lambda s: _delimited(s, "│"),
    }[layout]
    return spec.convert(render(spec))


def _delimited(spec: ReportSpec, bar: str) -> str:
    """No title line (a web page's title is not in its text), each table row as the cells that
    start in it between bars, a note in its own cell."""
    lines = [_intro(spec, "统计期限")]
    for part in _sections(spec):
        lines += [part.heading, *part.paragraphs]
        if part.grid:
            for row in range(part.grid.n_rows):
                cells = [span.text for span in part.grid.starting(row)]
                lines.append(f"{bar} {f' {bar} '.join(cells)} {bar}")
    lines += _sign_off(spec)
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    """Break text as Word lays out Chinese: anywhere, except inside a run of digits or Latin
    letters, never before closing punctuation and never after opening punctuation."""
    lines = [""]
    for token in _TOKEN.findall(text):
        if lines[-1] and len(lines[-1]) + len(token) > width and token not in _NO_LINE_START:
            carried = lines[-1][-1] if lines[-1][-1] in _NO_LINE_END and len(lines[-1]) > 1 else ""
            lines[-1] = lines[-1][: len(lines[-1]) - len(carried)]
            lines.append(carried)
        lines[-1] += token
    return lines


def _one_line(spec: ReportSpec) -> str:
    items = [title(spec), *_wrap(_intro(spec, "统计期限"), NARRATIVE_WIDTH)]
    longest = max(spec.edition.tables, key=lambda t: len(t.rows))
    for part in _sections(spec):
        items.append(part.heading)
        for paragraph in part.paragraphs:
            items += _wrap(paragraph, NARRATIVE_WIDTH)
        if part.heading == spec.heading(spec.edition.parts[0].heading):
            items += ["— 1 —"]
        if part.grid:
            items += _grid_one_line(part.grid, footer_inside=part.grid.table is longest)
    items += _sign_off(spec)
    return _double_spaced(items)


def _double_spaced(items: list[str]) -> str:
    """A PDF's text comes out double-spaced; the line starting a page keeps a stray space."""
    after_footer = [f" {item}" if i and FOOTER.match(items[i - 1]) else item for i, item in enumerate(items)]
    return "\n\n".join(after_footer) + "\n"


def _grid_one_line(grid: Grid, footer_inside: bool) -> list[str]:
    items: list[str] = []
    vertical = grid.value_cols > 4  # narrow columns: their headers stand one character per line
    data_rows = grid.data_rows()
    for row in range(grid.n_rows):
        spans = grid.starting(row)
        if any(s.role == "value" for s in spans):
            items += _data_row_one_line(spans)
        else:
            items += _header_row_one_line(spans, vertical)
        if footer_inside and data_rows and row == data_rows[len(data_rows) // 2]:
            items.append("— 2 —")
    return items


def _header_row_one_line(spans: list[Span], vertical: bool) -> list[str]:
    """Short labels side by side on one line; narrow ones stacked; long ones broken."""
    items: list[str] = []
    line: list[str] = []
    for span in spans:
        if vertical and span.colspan == 1 and span.role == "header":
            stacked = list(span.text)
        elif len(span.text) > HEADER_WIDTH:
            stacked = _wrap(span.text, HEADER_WIDTH)
        else:
            line.append(span.text)
            continue
        items += [" ".join(line)] if line else []
        items += stacked
        line = []
    return items + ([" ".join(line)] if line else [])


def _data_row_one_line(spans: list[Span]) -> list[str]:
    """Merged stubs broken into pieces, then the row label and its numbers: on one line when the
    label fits its cell, else the label broken and the numbers on the next line. A cell's note
    ends its line, as it does in a narrow cell."""
    stubs = [s for s in spans if s.role == "stub"]
    items = [piece for group in stubs[:-1] for piece in _stub_pieces(group.text)]
    lines = re.split(r"(?<=）) ", " ".join(s.text for s in spans if s.role == "value"))
    if not stubs:
        return items + lines
    label, width = stubs[-1].text, LABEL_WIDTH * stubs[-1].colspan
    if len(label) <= width:
        return [*items, f"{label} {lines[0]}", *lines[1:]]
    broken = _wrap(label, width)
    return items + broken[:-1] + [f"{broken[-1]}\n{lines[0]}", *lines[1:]]


def _stub_pieces(text: str) -> list[str]:
    """A merged stub cell read down its narrow column: its numbering whole, then two characters
    a line ("三、" "本年" "度办" "理结" "果")."""
    numbering = re.match(r"^(（.）|.、)", text)
    head = numbering.group(0) if numbering else ""
    rest = text[len(head) :]
    return ([head] if head else []) + [rest[i : i + 2] for i in range(0, len(rest), 2)]


def _one_per_line(spec: ReportSpec) -> str:
    if spec.blanks:
        raise ValueError("a one-number-per-line report cannot show a blank cell")
    lines = [spec.unit, "", f"{spec.year}年政府信息公开工作年度报告", "", _intro(spec, "统计限"), ""]
    for part in _sections(spec):
        if part.grid and lines[-1]:
            lines.append("")
        lines += [part.heading, *part.paragraphs]
        if part.grid:
            lines += [*_grid_one_per_line(part.grid), ""]
    lines += _sign_off(spec)
    return "\n".join(lines) + "\n"


def _grid_one_per_line(grid: Grid) -> list[str]:
    """Each cell in reading order on its own tab-indented line; a cell merged from above leaves
    an empty line, one merged from the left leaves nothing. Word leaves stray spaces around a
    few numbers."""
    lines: list[str] = []
    for row in range(grid.n_rows):
        for col in range(grid.n_cols):
            span = next((s for s in grid.spans if s.covers(row, col)), None)
            if span is None or span.col != col:
                continue
            if span.row != row:
                lines.append("\t")
                continue
            text = span.text
            if span.role == "value" and col % 5 in STRAY:
                text = STRAY[col % 5].format(text)
            lines.append("\t" + "\n".join(_wrap(text, _cell_width(span))))
        lines.append("")
    return lines


def _cell_width(span: Span) -> int:
    """Characters a Word cell holds on one line: the corner is wide, inner merged stubs narrow."""
    if span.role == "corner":
        return 31
    if span.role == "stub" and span.rowspan > 1 and span.col > 0:
        return 5
    return 200


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Save text as a unit's editor would: utf-8, utf-8-sig, gb18030 or utf-16 (with BOM)."""
    path.write_bytes(text.encode(encoding))
    return path


# --- Word, HTML, PDF ------------------------------------------------------------------------


def write_docx(path: Path, spec: ReportSpec, style: DocxStyle = "tables") -> Path:
    """A Word report: "tables" puts the three tables in as real Word tables with the official
    merged cells (blank cells empty); "official" does the same on A4 pages with the column widths,
    fonts and centred cells of the published form (narrow label stubs, so that long labels wrap
    inside their cells and table B runs over a page break); "paragraphs" is the one-per-line text
    as paragraphs."""
    document = docx.Document()
    if style == "paragraphs":
        for line in report_text(spec, "one_per_line").splitlines():
            document.add_paragraph(line)
    else:
        official = style == "official"
        if official:
            _official_page(document)
        _docx_tables(document, spec, official)
    document.save(str(path))
    return path


def _docx_tables(document, spec: ReportSpec, official: bool = False) -> None:
    t = spec.convert
    document.add_paragraph(t(title(spec))).alignment = WD_ALIGN_PARAGRAPH.CENTER if official else None
    document.add_paragraph(t(_intro(spec, "统计期限")))
    for part in _sections(spec):
        document.add_paragraph(t(part.heading))
        for paragraph in part.paragraphs:
            document.add_paragraph(t(paragraph))
        if part.grid:
            _docx_table(document, part.grid, t, _official_widths(part.grid) if official else None)
    for line in _sign_off(spec):
        document.add_paragraph(t(line)).alignment = WD_ALIGN_PARAGRAPH.RIGHT if official else None


def _docx_table(document, grid: Grid, convert: Callable[[str], str], widths: list[float] | None = None) -> None:
    """The grid as a Word table; with ``widths`` (cm per grid column) laid out as the official
    form is: fixed column widths, every cell centred."""
    if grid.partial_row:
        raise ValueError("a Word table can only be cut at the end of a row")
    table = document.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table.style = "Table Grid"
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)
    for span in grid.spans:
        cell = table.cell(span.row, span.col)
        if span.rowspan > 1 or span.colspan > 1:
            cell = cell.merge(table.cell(span.row + span.rowspan - 1, span.col + span.colspan - 1))
        cell.text = convert(span.text)
        if widths:
            cell.width = Cm(sum(widths[span.col : span.col + span.colspan]))
            cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT if span.role == "stub" else WD_ALIGN_PARAGRAPH.CENTER


OFFICIAL_TEXT_WIDTH = 15.6  # cm: A4 less the margins of a government document (GB/T 9704)


def _official_widths(grid: Grid) -> list[float]:
    """Column widths of the published form: the label stub takes about a third of the width (in
    table B three columns: narrow ones for the merged group labels, a wide one for the items),
    the numbers share the rest evenly."""
    stub = min((s.col for s in grid.spans if s.role == "value"), default=0)
    if stub == 0:
        return [OFFICIAL_TEXT_WIDTH / grid.n_cols] * grid.n_cols
    stub_width = 4.8 if stub == 1 else 6.3
    narrow = [0.9, 1.4][: stub - 1]
    values = (OFFICIAL_TEXT_WIDTH - stub_width) / (grid.n_cols - stub)
    return [*narrow, stub_width - sum(narrow), *[values] * (grid.n_cols - stub)]


def _official_page(document) -> None:
    """A4 with the margins of a government document; 宋体 五号 as the form's tables use."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")


def write_html(path: Path, spec: ReportSpec) -> Path:
    """The report as saved from the government website: navigation, paragraphs, and the tables
    with rowspan/colspan, ``&nbsp;`` in blank cells."""
    t = spec.convert
    body = [
        f"<h1>{t(title(spec))}</h1>",
        f'<div class="info">发布日期：{spec.year + 1}-01-20　来源：{t(spec.unit)}</div>',
    ]
    body.append(_html_paragraph(t(_intro(spec, "统计期限"))))
    for part in _sections(spec):
        body.append(f"<p><strong>{t(part.heading)}</strong></p>")
        body += [_html_paragraph(t(p)) for p in part.paragraphs]
        if part.grid:
            body.append(_html_table(part.grid, t))
    body += [f'<p style="text-align:right">{t(line)}</p>' for line in _sign_off(spec)]
    page = (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        f"<title>{t(title(spec))}_乐清市人民政府</title>\n</head>\n<body>\n"
        '<div class="nav">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>\n'
        '<div class="article"><div class="TRS_Editor">\n' + "\n".join(body) + "\n</div></div>\n"
        '<div class="footer">主办：乐清市人民政府办公室</div>\n</body>\n</html>\n'
    )
    path.write_text(page, encoding="utf-8")
    return path


def _html_paragraph(text: str) -> str:
    return f'<p style="text-indent:2em">{html.escape(text)}</p>'


def _html_table(grid: Grid, convert: Callable[[str], str]) -> str:
    if grid.partial_row:
        raise ValueError("an HTML table can only be cut at the end of a row")
    rows = []
    for row in range(grid.n_rows):
        cells = []
        for span in grid.starting(row):
            merged = "".join(
                f' {name}="{n}"' for name, n in (("rowspan", span.rowspan), ("colspan", span.colspan)) if n > 1
            )
            text = html.escape(convert(span.text)) if span.text else "&nbsp;"
            cells.append(f'<td{merged}><p align="center"><span>{text}</span></p></td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return '<table border="1" cellspacing="0" cellpadding="0">\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"


def write_pdf(path: Path, text: str) -> Path:
    """The text laid out on A4 pages in the built-in CID font STSong-Light, long lines wrapped,
    a footer "— n —" on each page."""
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    width, height = A4
    size, leading, margin, indent = 11, 16, 56, 22
    pdf = canvas.Canvas(str(path), pagesize=A4)
    lines = [piece for line in text.splitlines() for piece in _pdf_lines(line, width - 2 * margin - indent, size)]
    per_page = int((height - 2 * margin) // leading)
    for page, start in enumerate(range(0, len(lines), per_page), start=1):
        pdf.setFont(PDF_FONT, size)
        for i, line in enumerate(lines[start : start + per_page]):
            x = margin + (indent if line.startswith("\t") else 0)
            pdf.drawString(x, height - margin - i * leading, line.lstrip("\t"))
        pdf.drawCentredString(width / 2, margin / 2, f"— {page} —")
        pdf.showPage()
    pdf.save()
    return path


def _pdf_lines(line: str, room: float, size: int) -> list[str]:
    """One text line broken to fit the page width."""
    pieces, current = [], ""
    for char in line:
        if current.strip("\t") and pdfmetrics.stringWidth(current.lstrip("\t") + char, PDF_FONT, size) > room:
            pieces.append(current)
            current = "\t" if line.startswith("\t") else ""
        current += char
    return [*pieces, current]


def write_scanned_pdf(path: Path) -> Path:
    """A scanned report: one page image of a ruled table and no text layer."""
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((120, 160, 1120, 260), fill="black")
    for y in range(400, 1500, 60):
        draw.line((120, y, 1120, y), fill="black", width=2)
    for x in range(120, 1121, 125):
        draw.line((x, 400, x, 1480), fill="black", width=2)
    page.save(path, "PDF", resolution=150)
    return path


# --- form data that satisfies the form's arithmetic ----------------------------------------


def consistent_values(edition: Edition, seed: int) -> dict[str, Number]:
    """Random values for every cell of ``edition`` that satisfy its sum rules: each rule's first
    left operand is computed from the others, in the spec's order (row totals, then column totals,
    then the balance), so a report made from them has no arithmetic finding. Seeds whose numbers
    would go negative are skipped deterministically."""
    for attempt in range(seed, seed + 100):
        rng = random.Random(attempt)
        values: dict[str, Number] = {}
        for cell in edition.cells:
            if cell.kind == "money":
                values[cell.code] = round(rng.uniform(0, 3000), 2)
            elif cell.kind == "signed":
                values[cell.code] = rng.randint(-40, 40)
            else:
                values[cell.code] = rng.choice([0, 0, 0, rng.randint(0, 9), rng.randint(10, 400)])
        for line in edition.rule_lines:
            values[line.left[0]] = sum(values[c] for c in line.right) - sum(values[c] for c in line.left[1:])
        if all(v >= 0 for code, v in values.items() if edition.cell(code).kind != "signed"):
            return values
    raise ValueError(f"no consistent values near seed {seed}")


# --- Word saved as a web page ----------------------------------------------------------------

_WORD_HTML_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv=Content-Type content="text/html; charset=gb2312">
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 15">
<title>{title}</title>
<style>
<!-- p.MsoNormal {{mso-style-parent:""; margin:0cm; text-align:justify; font-size:10.5pt;
font-family:宋体;}} -->
</style>
</head>
<body lang=ZH-CN style='tab-interval:21.0pt;text-justify-trim:punctuation'>
<div class=WordSection1 style='layout-grid:15.6pt'>
"""


def write_word_html(path: Path, spec: ReportSpec) -> Path:
    """The report as Word's "save as web page" writes it (often sent on under the name .doc):
    GB2312, unquoted attributes, every paragraph a ``MsoNormal``, empty cells ``&nbsp;``, and
    the official grid with its filler cells."""
    t = spec.convert
    body = [_word_paragraph(t(title(spec)), "center"), _word_paragraph(t(_intro(spec, "统计期限")))]
    for part in _sections(spec):
        body.append(_word_paragraph(t(part.heading).replace("\n", "<br>")))
        body += [_word_paragraph(t(p)) for p in part.paragraphs]
        if part.grid:
            body.append(_word_table(part.grid, t))
    body += [_word_paragraph(t(line), "right") for line in _sign_off(spec)]
    page = _WORD_HTML_HEAD.format(title=t(title(spec))) + "\n".join(body) + "\n</div>\n</body>\n</html>\n"
    path.write_bytes(page.encode("gb18030"))
    return path


def _word_paragraph(text: str, align: str | None = None) -> str:
    aligned = f" align={align} style='text-align:{align}'" if align else ""
    content = html.escape(text) if text else "<o:p>&nbsp;</o:p>"
    return f"<p class=MsoNormal{aligned}><span style='font-family:宋体'>{content}</span></p>"


def _word_table(grid: Grid, convert: Callable[[str], str]) -> str:
    rows = []
    for row in range(grid.n_rows):
        cells = []
        for span in grid.starting(row):
            merged = "".join(
                f" {name}={n}" for name, n in (("rowspan", span.rowspan), ("colspan", span.colspan)) if n > 1
            )
            cells.append(
                f"  <td width=64{merged} valign=top style='border:solid windowtext 1.0pt'>\n  {_word_paragraph(convert(span.text), 'center')}\n  </td>"
            )
        rows.append(" <tr>\n" + "\n".join(cells) + "\n </tr>")
    return (
        "<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse'>\n"
        + "\n".join(rows)
        + "\n</table>"
    )


# --- a unit's own workbook -------------------------------------------------------------------

WorkbookStyle = Literal["sheets", "one_sheet"]


def workbook_rows(spec: ReportSpec, style: WorkbookStyle) -> dict[str, list[Span]]:
    """The report's tables as a unit lays them out in its own workbook (not rollup's template):
    a title row and a 填报单位 row above each table, the table's part heading, then the official
    grid with its merged cells; ``sheets`` puts each table on a sheet of its own with the unit's
    sheet names, ``one_sheet`` all three on one sheet, as a province's template does."""
    t = spec.convert
    sheets: dict[str, list[Span]] = {}
    grids = [(part, part.grid) for part in _sections(spec) if part.grid]
    width = max(grid.n_cols for _, grid in grids)
    for number, (part, grid) in enumerate(grids, 1):
        name = f"表{number}" if style == "sheets" else "年报统计表"
        spans = sheets.setdefault(name, [])
        top = max((s.row + s.rowspan for s in spans), default=0)
        if not spans:
            spans.append(Span(top, 0, t(title(spec)) + "统计表", "title", colspan=width))
            spans.append(Span(top + 1, 0, t(f"填报单位：{spec.unit}"), "title", colspan=width // 2))
            spans.append(
                Span(
                    top + 1,
                    width // 2,
                    f"统计期限：{spec.year}年1月1日至{spec.year}年12月31日",
                    "title",
                    colspan=width - width // 2,
                )
            )
            top += 3
        spans.append(Span(top, 0, t(part.heading.replace("\n", "")), "title", colspan=width))
        spans += [replace(span, row=span.row + top + 1, text=t(span.text)) for span in grid.spans]
    return sheets


def write_workbook(path: Path, spec: ReportSpec, style: WorkbookStyle = "sheets") -> Path:
    """A unit's own workbook, .xlsx (openpyxl) or .xls (xlwt) by the path's suffix, merged
    cells merged; numbers typed as numbers where they are plain, as text otherwise."""
    sheets = workbook_rows(spec, style)
    if path.suffix.lower() == ".xls":
        book = xlwt.Workbook(encoding="utf-8")
        for name, spans in sheets.items():
            sheet = book.add_sheet(name)
            for span in spans:
                value = _typed(span.text)
                if span.rowspan > 1 or span.colspan > 1:
                    sheet.write_merge(
                        span.row, span.row + span.rowspan - 1, span.col, span.col + span.colspan - 1, value
                    )
                else:
                    sheet.write(span.row, span.col, value)
        book.save(str(path))
        return path
    workbook = openpyxl.Workbook()
    for blank in list(workbook.worksheets):
        workbook.remove(blank)
    for name, spans in sheets.items():
        sheet = workbook.create_sheet(name)
        for span in spans:
            sheet.cell(span.row + 1, span.col + 1, _typed(span.text))
            if span.rowspan > 1 or span.colspan > 1:
                sheet.merge_cells(
                    start_row=span.row + 1,
                    start_column=span.col + 1,
                    end_row=span.row + span.rowspan,
                    end_column=span.col + span.colspan,
                )
    workbook.save(path)
    return path


def _typed(text: str) -> str | int | float:
    """A cell as a person types it: plain numbers become numbers, everything else stays text."""
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text)
    return text
