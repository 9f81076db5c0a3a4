"""The region's own report in Word: the six parts in order; under 一、总体情况 a draft paragraph on
each table's figures (for the clerk to edit; reports state their figures there, where rollup's
narrative check reads them); parts 二, 三 and 四 as Word tables in the official layout —
merged header cells, the form's labels, and each figure with its note written as the official
report writes it ("1（市自然资源和规划局）"). The tables are laid out by the same ``layout_table``
as the workbook, so Word, Excel and the form agree cell for cell, and rollup's own Word reader
reads the file back to the consolidated figures."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rollup.aggregate import Consolidation
from rollup.forms import CellKind, Edition, Number, Table, format_number
from rollup.outputs import OutputSet, write_atomically
from rollup.render.draft import draft_paragraphs
from rollup.render.form import column_widths, layout_table
from rollup.text import safe_file_name

_FONT = "宋体"
_PLACEHOLDER = "（请填写。）"
_TEXT_WIDTH_CM = 15.9  # A4 with Word's default margins


def report_document(
    edition: Edition,
    *,
    title: str,
    values: Mapping[str, Number],
    notes: Mapping[str, str],
    drafts: Mapping[str, str],
) -> Any:
    """The report as a python-docx ``Document``: ``drafts`` by part number (二, 三, 四 …)."""
    import docx  # only this output needs Word
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = _FONT, Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), _FONT)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold, run.font.size = True, Pt(18)
    overview, *_ = edition.parts
    for part in edition.parts:
        document.add_paragraph().add_run(part.heading).bold = True
        if part is overview:
            for paragraph in [drafts[p.number] for p in edition.parts if p.number in drafts] or [_PLACEHOLDER]:
                document.add_paragraph(paragraph)
        elif part.table:
            _table(document, edition.table(part.table), values, notes)
        else:
            document.add_paragraph(_PLACEHOLDER)
    return document


def write_report(path: Path, edition: Edition, **content: Any) -> Path:
    """The report (see ``report_document``) written atomically to ``path``."""
    document = report_document(edition, **content)
    return write_atomically(Path(path), lambda tmp: document.save(str(tmp)))


def write_region_report(result: Consolidation, staged: OutputSet, *, last: Mapping[str, Number] | None) -> Path:
    """<region><year>年政府信息公开工作年度报告（草稿）.docx, staged with the run's other outputs:
    the consolidation as the region's own report, drafts with last year's figures where the
    ledger knows them."""
    title = f"{result.region}{result.year}年政府信息公开工作年度报告"
    drafts = draft_paragraphs(
        result.edition, region=result.region, year=result.year, values=result.values, last=last, notes=result.notes
    )
    document = report_document(result.edition, title=title, values=result.values, notes=result.notes, drafts=drafts)
    return staged.write(safe_file_name(f"{title}（草稿）.docx"), lambda tmp: document.save(str(tmp)))


def cell_words(value: Number | None, note: str | None, kind: CellKind = "count") -> str:
    """A figure as the official report writes it (本年增/减 as 增 338 or 减 313), its note in
    brackets after it."""
    if value is None:
        return ""
    figure = format_number(abs(value))
    if kind == "signed" and value:
        figure = ("增 " if value > 0 else "减 ") + figure
    return figure + (f"（{note}）" if note else "")


def _table(document: Any, table: Table, values: Mapping[str, Number], notes: Mapping[str, str]) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    layout = layout_table(table)
    boxes = [box for box in layout.boxes if box.role != "title"]  # the part's heading says it
    top = min(box.top for box in boxes)
    grid = document.add_table(rows=max(box.bottom for box in boxes) - top + 1, cols=layout.width)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    widths = column_widths(layout)  # the workbook's proportions, scaled to the page
    scale = _TEXT_WIDTH_CM / sum(widths.values())
    # Every cell, fetched once before any merge: python-docx lists the whole table again for
    # each cell it is asked for. A merge keeps the cells of the other boxes as they are.
    cells = [row.cells for row in grid.rows]
    for column, width in widths.items():
        grid.columns[column - 1].width = Cm(width * scale)  # the grid, which LibreOffice follows
        for row in cells:
            row[column - 1].width = Cm(width * scale)  # and each cell, which Word follows
    for box in boxes:
        cell = cells[box.top - top][box.left - 1]
        if box.height > 1 or box.width > 1:
            cell = cell.merge(cells[box.bottom - top][box.right - 1])
        text = (
            cell_words(values.get(box.code), notes.get(box.code), box.kind or "count") if box.code else box.text or ""
        )
        paragraph = cell.paragraphs[0]
        paragraph.alignment = (
            WD_ALIGN_PARAGRAPH.LEFT if box.role == "label" and box.height == 1 else WD_ALIGN_PARAGRAPH.CENTER
        )
        run = paragraph.add_run(text)
        run.font.size = Pt(9 if table.orientation == "wide" else 10)
        run.bold = box.role in ("header", "block_title")
