"""Reading a filled fill-in template (.xlsx, .xlsm, .xls, .ods) with python-calamine. Every
value is found through the workbook's hidden code sheet, never by a fixed position."""

from __future__ import annotations

from pathlib import Path

from openpyxl.utils.cell import coordinate_to_tuple
from python_calamine import CalamineWorkbook

from rollup import codesheet
from rollup.forms import Edition, editions
from rollup.ingest.cells import cell_text, read_cell
from rollup.model import Finding, Severity, Submission


class _Grid:
    """Sheets of one workbook as lists of rows, loaded on first use."""

    def __init__(self, workbook: CalamineWorkbook):
        self._workbook = workbook
        self._sheets: dict[str, list[list]] = {}

    def value(self, sheet: str, cell: str):
        if sheet not in self._sheets:
            if sheet not in self._workbook.sheet_names:
                raise KeyError(sheet)
            self._sheets[sheet] = self._workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        row, col = coordinate_to_tuple(cell)
        rows = self._sheets[sheet]
        if row > len(rows) or col > len(rows[row - 1]):
            return None
        value = rows[row - 1][col - 1]
        return None if value == "" else value


def read_workbook(path: Path) -> Submission:
    path = Path(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine has many error types for damaged files; all mean the same here
        return Submission.refused(path, "unreadable_file", f"文件 {path.name} 无法打开，可能已损坏或不是 Excel 文件（{exc}）")
    codemap = None
    if codesheet.SHEET in workbook.sheet_names:
        codemap = codesheet.parse(workbook.get_sheet_by_name(codesheet.SHEET).to_python(skip_empty_area=False))
    if codemap is None:
        return Submission.refused(
            path, "not_a_template", f"文件 {path.name} 不是本系统下发的填报模板（缺少隐藏的编码表），无法按单元格编码读取"
        )
    edition = editions().get(codemap.edition)
    if edition is None:
        return Submission.refused(path, "not_a_template", f"文件 {path.name} 的模板版本“{codemap.edition}”无法识别")
    return _read_template(path, _Grid(workbook), codemap, edition)


def _read_template(path: Path, grid: _Grid, codemap: codesheet.CodeMap, edition: Edition) -> Submission:
    cover = {key: cell_text(_lookup(grid, codemap, key)) for key in codesheet.COVER_FIELDS}
    values, notes, sources, marks, findings = {}, {}, {}, {}, []
    for cell in edition.cells:
        location = codemap.locations.get(cell.code)
        where = edition.where(cell.table, cell.row.code, cell.column.code)

        def finding(rule: str, severity: Severity, message: str, source: str | None = None) -> Finding:
            return Finding(
                rule=rule, severity=severity, message=message, file=path.name, unit=cover["unit"],
                table=cell.table, row=cell.row.code, column=cell.column.code, source=source,
            )

        if location is None:
            findings.append(finding("missing_cell", Severity.ERROR, f"{where}：模板中找不到这个单元格"))
            continue
        source = f"{location[0]}!{location[1]}"
        try:
            raw = grid.value(*location)
        except KeyError:
            findings.append(finding("missing_cell", Severity.ERROR, f"{where}：找不到工作表“{location[0]}”", source))
            continue
        reading = read_cell(raw, cell.kind)
        sources[cell.code] = source
        if reading.status == "invalid":
            findings.append(
                finding("not_a_number", Severity.ERROR, f"{where}：“{reading.text}”不是数字", source)
            )
            continue
        values[cell.code] = reading.value
        if reading.note:
            notes[cell.code] = reading.note
        if reading.status in ("blank", "not_applicable"):
            marks[cell.code] = reading.status
        if reading.status == "blank":
            findings.append(finding("blank_cell", Severity.WARNING, f"{where}：未填写，按 0 计", source))
    return Submission(
        file=path,
        unit=cover["unit"] or None,
        year=_year(cover["year"]),
        edition=edition.edition,
        values=values,
        notes=notes,
        sources=sources,
        marks=marks,
        meta={k: v for k, v in {**cover, **_explanation(grid, codemap)}.items() if k not in ("unit", "year") and v},
        findings=tuple(findings),
        modified=path.stat().st_mtime,
    )


def _lookup(grid: _Grid, codemap: codesheet.CodeMap, key: str):
    location = codemap.locations.get(key)
    if location is None:
        return None
    try:
        return grid.value(*location)
    except KeyError:
        return None


def _explanation(grid: _Grid, codemap: codesheet.CodeMap) -> dict[str, str]:
    """The unit's text on the 说明 sheet (templates made before it existed have none)."""
    text = cell_text(_lookup(grid, codemap, codesheet.EXPLANATION)).strip()
    return {codesheet.EXPLANATION: text} if text else {}


def _year(text: str) -> int | None:
    reading = read_cell(text.replace("年度", "").replace("年", "")) if text else None
    if reading is None or reading.status != "number" or not float(reading.value).is_integer():
        return None
    return int(reading.value)
