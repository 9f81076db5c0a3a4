"""Reading a workbook (.xlsx, .xlsm, .xls, .ods, WPS .et) with python-calamine. A filled fill-in
template has every value found through its hidden code sheet, never by a fixed position; any
other workbook is read like a report, its tables found by their labels (``sheets.py``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from rollup import codesheet
from rollup.findings import Finding
from rollup.forms import Cell, Edition, Number, editions
from rollup.ingest.cells import read_cell
from rollup.ingest.report import report_from
from rollup.ingest.sheets import workbook_document
from rollup.model import Constituent, Submission
from rollup.text import cell_text


class _Grid:
    """Sheets of one workbook as lists of rows, loaded on first use."""

    def __init__(self, workbook: CalamineWorkbook):
        self._workbook = workbook
        self._sheets: dict[str, list[list]] = {}

    def rows(self, sheet: str) -> list[list] | None:
        """The sheet's rows; None when the workbook has no such sheet."""
        rows = self._sheets.get(sheet)
        if rows is None and sheet in self._workbook.sheet_names:
            rows = self._sheets[sheet] = self._workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return rows

    def value(self, place: codesheet.Place) -> object:
        """The value at ``place`` (None when empty); ``KeyError`` when there is no such sheet."""
        rows = self.rows(place.sheet)
        if rows is None:
            raise KeyError(place.sheet)
        return _at(rows, place)


def _at(rows: list[list], place: codesheet.Place) -> object:
    """The value at ``place`` in a sheet's ``rows`` (None when empty)."""
    if place.row >= len(rows):
        return None
    line = rows[place.row]
    value = line[place.column] if place.column < len(line) else None
    return None if value == "" else value


def read_workbook(path: Path, data: bytes) -> Submission:
    """Read ``data``, the workbook at ``path``; a damaged file raises (``read_submission`` says
    what it means)."""
    # by content: an old .xls named .xlsx, a WPS .et, a workbook under any name; what calamine
    # says of a damaged file is translated where every reader's failures are (ingest.failures)
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    codemap = None
    if codesheet.SHEET in workbook.sheet_names:
        codemap = codesheet.parse(workbook.get_sheet_by_name(codesheet.SHEET).to_python(skip_empty_area=False))
    if codemap is None:
        return _read_own_layout(path, workbook)
    edition = editions().get(codemap.edition)
    if edition is None:
        return Submission.refused(path, "not_a_template", reason=f"模板版本“{codemap.edition}”无法识别")
    layout = codesheet.layout(codemap, edition)
    if layout.problem is not None:
        return Submission.refused(path, "code_sheet_tampered", reason=layout.problem)
    return _read_template(path, _Grid(workbook), codemap, layout, edition)


def _read_own_layout(path: Path, workbook: CalamineWorkbook) -> Submission:
    """A workbook without rollup's code sheet (the unit's own, or the province's template) is
    read as a report: the form's tables found by their labels on the sheets."""
    reading = report_from(path, [workbook_document(workbook)], tables_only=True)
    if reading.edition is None:
        return Submission.refused(path, "not_a_template", reason="缺少隐藏的编码表，表中也找不到年度报告的三张统计表")
    return reading


def _read_template(
    path: Path, grid: _Grid, codemap: codesheet.CodeMap, layout: codesheet.Layout, edition: Edition
) -> Submission:
    cover = {key: cell_text(_lookup(grid, codemap, key)) for key in codesheet.COVER_FIELDS}
    values: dict[str, Number] = {}
    # a consolidated workbook carries its notes and marks as data in the code sheet
    notes: dict[str, str] = {c: n for c, n in codemap.notes.items() if c in edition.cell_index}
    marks = {c: m for c, m in codemap.marks.items() if c in edition.cell_index and m in ("blank", "not_applicable")}
    findings: list[Finding] = []

    def finding(rule: str, cell: Cell, source: str | None = None, **words: Any) -> Finding:
        return Finding.of(
            rule,
            edition=edition,
            file=path.name,
            unit=cover["unit"],
            table=cell.table,
            row=cell.row.code,
            column=cell.column.code,
            source=source,
            **({"reason": "", "cells": ""} | words),
        )

    sheets = {sheet: grid.rows(sheet) for sheet in layout.sheets}
    unread: set[str] = set()  # cells on a sheet the workbook lacks: no place they were read from
    for cell, place in layout.places:
        if place is None:
            findings.append(finding("missing_cell", cell, reason="模板中找不到这个单元格"))
            continue
        rows = sheets[place.sheet]
        if rows is None:
            findings.append(finding("missing_cell", cell, place.source, reason=f"找不到工作表“{place.sheet}”"))
            unread.add(cell.code)
            continue
        reading = read_cell(_at(rows, place), cell.column.kind)
        if reading.value is None:
            findings.append(finding(reading.rule, cell, place.source, **reading.words))
            continue
        values[cell.code] = reading.value
        if reading.note:
            notes[cell.code] = reading.note
        if reading.status in ("blank", "not_applicable"):
            marks[cell.code] = reading.status
        if reading.status == "blank":
            findings.append(finding("blank_cell", cell, place.source))
    return Submission(
        file=path,
        unit=cover["unit"] or None,
        year=_year(cover["year"]),
        edition=edition.edition,
        values=values,
        notes=notes,
        sources={c: s for c, s in layout.sources.items() if c not in unread} if unread else layout.sources,
        marks=marks,
        meta={k: v for k, v in {**cover, **_explanation(grid, codemap)}.items() if k not in ("unit", "year") and v},
        findings=tuple(findings),
        constituents=tuple(Constituent(name, dict(figures)) for name, figures in codemap.parts.items()),
    )


def _lookup(grid: _Grid, codemap: codesheet.CodeMap, key: str) -> object:
    location = codemap.locations.get(key)
    if location is None:
        return None
    try:
        return grid.value(codesheet.place(*location))
    except KeyError:
        return None


def _explanation(grid: _Grid, codemap: codesheet.CodeMap) -> dict[str, str]:
    """The unit's text on the 说明 sheet (templates made before it existed have none)."""
    text = cell_text(_lookup(grid, codemap, codesheet.EXPLANATION)).strip()
    return {codesheet.EXPLANATION: text} if text else {}


def _year(text: str) -> int | None:
    value = read_cell(text.replace("年度", "").replace("年", "")).value if text else None
    if value is None or not float(value).is_integer():
        return None
    return int(value)
