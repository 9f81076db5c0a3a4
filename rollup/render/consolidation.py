"""The consolidation's outputs in outbox/<year>/: the workbook (three tables in the template's
layout plus 明细, 校验问题, 报送情况), the values as JSON in canonical codes, and a long CSV."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from rollup.aggregate import Consolidation
from rollup.findings import FINDING_HEADERS, finding_rows
from rollup.outputs import OutputSet
from rollup.render.form import form_workbook
from rollup.status import StatusReport, UnitStatus
from rollup.text import safe_file_name, sheet_text


@dataclass(frozen=True)
class Outputs:
    workbook: Path
    json: Path
    csv: Path


def write_outputs(
    result: Consolidation, outbox: Path, status: StatusReport, staged: OutputSet | None = None
) -> Outputs:
    """The workbook, JSON and CSV of ``result``, written into ``staged`` (the run's set of
    outputs, swapped into outbox/<year>/ together), or swapped in as a set of their own."""
    if staged is None:
        with OutputSet(Path(outbox) / str(result.year)) as own:
            return write_outputs(result, outbox, status, own)
    stem = safe_file_name(f"{result.region}{result.year}年度政府信息公开工作年度报告汇总")
    data = json.dumps(consolidated_json(result, status), ensure_ascii=False, indent=1)
    return Outputs(
        workbook=staged.write(f"{stem}.xlsx", consolidated_workbook(result, status).save),
        json=staged.write("汇总数据.json", lambda tmp: tmp.write_text(data, encoding="utf-8")),
        csv=staged.write("明细数据.csv", lambda tmp: write_csv(long_frame(result), tmp)),
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A table as CSV for Excel (UTF-8 with BOM), no text in it taken for a formula."""
    frame.map(sheet_text).to_csv(path, index=False, encoding="utf-8-sig")


def consolidated_json(result: Consolidation, status: StatusReport) -> dict:
    """The region's tables as one submission of the level above, in the ``check`` contract's
    shape, plus who was counted and where every unit stands."""
    return {
        "file": None,
        "unit": result.region,
        "year": result.year,
        "edition": result.edition.edition,
        "values": result.values,
        "notes": result.notes,
        "findings": [],
        "units": {
            "expected": len(result.units),
            "received": len(result.received),
            "counted": [u.unit.name for u in result.counted],
            "missing": [u.unit.name for u in result.missing],
            "excluded": [u.unit.name for u in result.excluded],
        },
        "status": {
            "as_of": status.as_of.isoformat(),
            "rates": {
                name: {
                    "expected": r.expected,
                    "received": r.received,
                    "on_time": r.on_time,
                    "submission_rate": round(r.submission_rate, 4),
                    "timeliness_rate": round(r.timeliness_rate, 4),
                }
                for name, r in status.rates.items()
            },
            "units": {u.unit.name: str(u.standing) for u in status.units},
        },
    }


def long_frame(result: Consolidation) -> pd.DataFrame:
    """One line per unit and cell code (counted submissions only), with the cell's mark (blank,
    not_applicable, or empty for a written number) and note, so a 0 keeps what it was."""
    rows = [
        (report.unit.name, code, value, s.marks.get(code, ""), s.notes.get(code, ""))
        for report, s in result.summed
        for code, value in s.values.items()
    ]
    return pd.DataFrame(rows, columns=["unit", "code", "value", "mark", "note"], dtype=object)


def consolidated_workbook(result: Consolidation, status: StatusReport) -> Workbook:
    workbook = form_workbook(
        result.edition,
        values=result.values,
        notes=result.notes,
        cover={"unit": result.region, "year": result.year, "date": date.today().isoformat()},
        protect=False,
    )
    _frame_sheet(workbook.create_sheet("明细"), detail_frame(result))
    _frame_sheet(workbook.create_sheet("校验问题"), checked_frame(result, status))
    sheet = workbook.create_sheet("报送情况")
    _frame_sheet(sheet, rates_frame(status))
    _frame_sheet(sheet, status_frame(result, status), gap=1)
    return workbook


def detail_frame(result: Consolidation) -> pd.DataFrame:
    """One row per unit that sent something, one column per cell code."""
    codes = result.edition.codes
    rows = []
    for report, s in result.sent:
        counted = "是" if report.counted else "否（有错误，未计入）"
        rows.append(
            [report.unit.id, report.unit.name, report.unit.category, s.file.name, counted]
            + [s.values.get(c) for c in codes]
        )
    return pd.DataFrame(rows, columns=["编码", "单位名称", "类别", "文件", "计入汇总", *codes], dtype=object)


def checked_frame(result: Consolidation, status: StatusReport) -> pd.DataFrame:
    """The findings table, with what the office decided (已说明 and why) and the unit's own 说明
    beside the findings of the version that counts."""
    findings = result.findings
    decided = {f: f"已说明：{u.reason(f)}" for u in status.units for f in u.accepted_findings}
    explained = {u.file: u.explanation for u in status.units if u.file and u.explanation}
    rows = [
        [*row.pick(FINDING_HEADERS), decided.get(f, ""), explained.get(f.file, "")]
        for f, row in zip(findings, finding_rows(findings, result.edition), strict=True)
    ]
    return pd.DataFrame(rows, columns=[*FINDING_HEADERS.values(), "处理", "单位说明"], dtype=object)


def rates_frame(status: StatusReport) -> pd.DataFrame:
    """报送率 and 及时率, overall and by category, as of the report's day."""
    rows = [
        [name, r.expected, r.received, r.on_time, f"{r.submission_rate:.1%}", f"{r.timeliness_rate:.1%}"]
        for name, r in status.rates.items()
    ]
    return pd.DataFrame(rows, columns=["范围", "应报", "已报", "按时报送", "报送率", "及时率"], dtype=object)


STATUS_COLUMNS = [
    "编码",
    "单位名称",
    "类别",
    "报送情况",
    "截止日期",
    "收到时间",
    "迟报/逾期天数",
    "文件",
    "版本数",
    "错误数",
    "警告数",
    "已说明",
    "单位说明",
    "联系人",
    "电话",
]


def _unit_row(u: UnitStatus) -> list:
    accepted = "；".join(f"{f.message}（{u.reason(f)}）" for f in u.accepted_findings)
    return [
        u.unit.id,
        u.unit.name,
        u.unit.category,
        str(u.standing),
        u.deadline.isoformat(),
        f"{u.received_at:%Y-%m-%d %H:%M}" if u.received_at else "",
        u.days_late or "",
        u.file or "",
        u.versions or "",
        len(u.errors),
        len(u.findings) - len(u.errors),
        accepted,
        u.explanation or "",
        u.unit.contact,
        u.unit.phone,
    ]


def status_frame(result: Consolidation, status: StatusReport) -> pd.DataFrame:
    """Every expected unit's standing, then files that count for no unit: older versions and
    copies, files that match no unit (with the closest roster names), files of other years."""
    rows = [_unit_row(u) for u in status.units]
    blank = [""] * len(STATUS_COLUMNS)

    def file_row(state: str, file: str, name: str = "", note: str = "") -> list:
        row = list(blank)
        row[1], row[3], row[7], row[12] = name, state, file, note
        return row

    rows += [file_row("重复或已被新版本替代，未计入", name) for name in status.duplicates]
    for f in status.unmatched:
        guess = f"是否为：{'、'.join(f.suggestions)}？" if f.suggestions else ""
        if f.unreadable:
            rows.append(file_row("无法读取", f.file, "", f.reason or ""))
        else:
            rows.append(file_row("无法匹配单位", f.file, f.unit_text or "", guess))
    rows += [file_row(f"其他年度（{s.year}）", s.file.name, s.unit or "") for s in result.other_years]
    return pd.DataFrame(rows, columns=STATUS_COLUMNS, dtype=object)


def _frame_sheet(sheet: Worksheet, frame: pd.DataFrame, gap: int | None = None) -> None:
    """Write ``frame`` with a bold header: at the top of the sheet (header row frozen), or below
    what is there after ``gap`` empty rows."""
    for _ in range(gap or 0):
        sheet.append([])
    sheet.append([sheet_text(column) for column in frame.columns])
    header = sheet.max_row
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else sheet_text(v) for v in row])
    for cell in sheet[header]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, column in enumerate(frame.columns, start=1):
        width = (
            max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)]) if len(frame) else len(str(column))
        )
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(
            sheet.column_dimensions[letter].width or 0, min(60, max(8, width * 1.6))
        )
    if gap is None:
        sheet.freeze_panes = "A2"
