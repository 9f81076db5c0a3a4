"""The consolidation's outputs in outbox/<year>/: the workbook (three tables in the template's
layout plus 明细, 校验问题, 报送情况), the values as JSON in canonical codes, and a long CSV."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from rollup.aggregate import Consolidation
from rollup.outputs import write_atomically, write_text_atomically
from rollup.render.findings import findings_frame
from rollup.render.form import form_workbook


@dataclass(frozen=True)
class Outputs:
    workbook: Path
    json: Path
    csv: Path


def write_outputs(result: Consolidation, outbox: Path) -> Outputs:
    folder = Path(outbox) / str(result.year)
    stem = f"{result.region}{result.year}年度政府信息公开工作年度报告汇总"
    return Outputs(
        workbook=write_atomically(folder / f"{stem}.xlsx", consolidated_workbook(result).save),
        json=write_text_atomically(folder / "汇总数据.json", json.dumps(consolidated_json(result), ensure_ascii=False, indent=1)),
        csv=write_atomically(folder / "明细数据.csv", lambda tmp: long_frame(result).to_csv(tmp, index=False, encoding="utf-8-sig")),
    )


def consolidated_json(result: Consolidation) -> dict:
    """The region's tables as one submission of the level above, in the ``check`` contract's
    shape, plus who was counted."""
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
    }


def long_frame(result: Consolidation) -> pd.DataFrame:
    """One line per unit and cell code (counted submissions only), with the cell's mark (blank,
    not_applicable, or empty for a written number) and note, so a 0 keeps what it was."""
    rows = [
        (report.unit.name, code, value, report.submission.marks.get(code, ""), report.submission.notes.get(code, ""))
        for report in result.counted
        for code, value in report.submission.values.items()
    ]
    return pd.DataFrame(rows, columns=["unit", "code", "value", "mark", "note"], dtype=object)


def consolidated_workbook(result: Consolidation):
    workbook = form_workbook(
        result.edition,
        values=result.values,
        notes=result.notes,
        cover={"unit": result.region, "year": result.year, "date": date.today().isoformat()},
        protect=False,
    )
    _frame_sheet(workbook.create_sheet("明细"), detail_frame(result))
    _frame_sheet(workbook.create_sheet("校验问题"), findings_frame(result.findings))
    _frame_sheet(workbook.create_sheet("报送情况"), status_frame(result))
    return workbook


def detail_frame(result: Consolidation) -> pd.DataFrame:
    """One row per unit that sent something, one column per cell code."""
    codes = result.edition.codes
    rows = []
    for report in result.received:
        s = report.submission
        counted = "是" if report.counted else "否（有错误，未计入）"
        rows.append([report.unit.id, report.unit.name, report.unit.category, s.file.name, counted] + [s.values.get(c) for c in codes])
    return pd.DataFrame(rows, columns=["编码", "单位名称", "类别", "文件", "计入汇总"] + codes, dtype=object)


def status_frame(result: Consolidation) -> pd.DataFrame:
    """Every roster unit (received / missing / has errors), then files that count for no unit."""
    rows = []
    for report in result.units:
        s = report.submission
        rows.append([
            report.unit.id, report.unit.name, report.unit.category, report.status,
            s.file.name if s else "", len(s.errors) if s else "", len(s.warnings) if s else "",
            report.unit.contact, report.unit.phone,
        ])
        rows += [[report.unit.id, report.unit.name, report.unit.category, "已被新版本替代", old.file.name, len(old.errors), len(old.warnings), "", ""] for old in report.superseded]
    for s in result.unmatched:
        written = f"（填写的单位：{s.unit}）" if s.unit else ""
        rows.append(["", "", "", f"无法匹配单位{written}", s.file.name, len(s.errors), len(s.warnings), "", ""])
    for s in result.other_years:
        rows.append(["", s.unit or "", "", f"其他年度（{s.year}）", s.file.name, "", "", "", ""])
    return pd.DataFrame(rows, columns=["编码", "单位名称", "类别", "报送情况", "文件", "错误数", "警告数", "联系人", "电话"], dtype=object)


def _frame_sheet(sheet: Worksheet, frame: pd.DataFrame) -> None:
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else v for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, column in enumerate(frame.columns, start=1):
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)]) if len(frame) else len(str(column))
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width * 1.6))
    sheet.freeze_panes = "A2"
