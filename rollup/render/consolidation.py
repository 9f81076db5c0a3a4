"""The consolidation's outputs in outbox/<year>/: the workbook (three tables in the template's
layout plus 明细, 校验问题, 报送情况), the values as JSON in canonical codes, and a long CSV.
Above ``[outputs] detail_in_workbook_max`` units, 明细 is a file of its own (明细数据.xlsx) and the
workbook's cover says so; the detail files are streamed, a row at a time."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path

import pandas as pd

from rollup import codesheet
from rollup.aggregate import Consolidation
from rollup.config import DETAIL_IN_WORKBOOK_MAX
from rollup.findings import FINDING_HEADERS, finding_rows
from rollup.forms import Edition, Number
from rollup.outputs import Outputs, OutputSet
from rollup.render.breakdown import comments, contributions, write_sheets
from rollup.render.continued import ContinuedWorkbook
from rollup.render.detail import SHEET as DETAIL_SHEET
from rollup.render.detail import write_detail, write_detail_file
from rollup.render.form import Summary, form_workbook, set_footer
from rollup.render.sheets import CHART_ROWS, frame_sheet, rates_chart
from rollup.status import TOTAL, Counts, Standing, StatusReport, UnitStatus
from rollup.text import safe_file_name, sheet_text
from rollup.validate import Cause

DETAIL_FILE = "明细数据.xlsx"


def _untimed(output: str) -> AbstractContextManager[object]:
    return nullcontext()


def write_outputs(
    result: Consolidation,
    outbox: Path,
    status: StatusReport,
    staged: OutputSet | None = None,
    *,
    csv_format: str = "zh",
    years: Mapping[int, Mapping[str, Number]] | None = None,
    detail_in_workbook_max: int = DETAIL_IN_WORKBOOK_MAX,
    clock: Callable[[str], AbstractContextManager[object]] = _untimed,
) -> Outputs:
    """The workbook, 汇总数据.json and 明细数据.csv (headers in Chinese, or with
    ``csv_format="codes"`` the machine-readable variant) of ``result``, written into ``staged``
    (the run's set of outputs, swapped into outbox/<year>/ together), or swapped in as a set of
    their own. ``years``: the region's figures of earlier years (from the ledger), for the
    year-over-year sheet. When more than ``detail_in_workbook_max`` units sent a report, 明细 is
    written as 明细数据.xlsx beside the workbook instead of into it. ``clock`` times each file
    (``with clock("workbook"): ...``; the benchmark passes one)."""
    if staged is None:
        with OutputSet(Path(outbox) / str(result.year)) as own:
            return write_outputs(
                result,
                outbox,
                status,
                own,
                csv_format=csv_format,
                years=years,
                detail_in_workbook_max=detail_in_workbook_max,
                clock=clock,
            )
    stem = safe_file_name(f"{result.region}{result.year}年度政府信息公开工作年度报告汇总")
    apart = len(result.sent) > detail_in_workbook_max
    detail = None
    if apart:
        with clock(DETAIL_FILE):
            detail = staged.write(DETAIL_FILE, lambda tmp: write_detail_file(tmp, result, sheet_text))
    with clock("workbook"):
        workbook = consolidated_workbook(result, status, years or {}, detail_file=DETAIL_FILE if apart else None)
        written = staged.write(f"{stem}.xlsx", workbook.save)
    with clock("汇总数据.json"):
        data = json.dumps(consolidated_json(result, status), ensure_ascii=False, indent=1)
        json_file = staged.write("汇总数据.json", lambda tmp: tmp.write_text(data, encoding="utf-8"))
    with clock("明细数据.csv"):
        header = long_header(csv_format)
        csv_file = staged.write("明细数据.csv", lambda tmp: write_csv(header, long_lines(result, csv_format), tmp))
    return Outputs(workbook=written, json=json_file, csv=csv_file, detail=detail)


def write_csv(header: Sequence[str], lines: Iterable[str], path: Path) -> None:
    """A table as CSV for Excel (UTF-8 with BOM): its header, then ``lines``, CSV text as
    ``long_lines`` makes it; lines end as pandas ends them (the platform's line ending), as they
    always have."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        # the BOM written by hand: the utf-8-sig codec encodes each line in Python, not in C
        handle.write("\ufeff" + _csv_fields(*header) + os.linesep)
        handle.writelines(lines)


def _csv_fields(*fields: object) -> str:
    """Fields as one CSV line would hold them, quoted by the csv module (no line ending)."""
    if fields == ("",):
        return ""  # csv quotes a line's only field when it is empty: a field among others is not
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(fields)
    return line.getvalue()


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
        "findings": [
            row.contract() | {"units": i.units, "causes": [cause_contract(c) for c in i.causes]}
            for i, row in zip(
                status.imbalances, finding_rows([i.finding for i in status.imbalances], result.edition), strict=True
            )
        ],
        "balanced": status.balanced,
        "units": {
            "expected": len(result.units),
            "received": len(result.received),
            "counted": [u.unit.name for u in result.counted],
            "missing": [u.unit.name for u in result.missing],
            "excluded": [u.unit.name for u in result.excluded],
            "to_correct_counted": [u.unit.name for u in result.counted if u.submission and u.submission.has_errors],
        },
        "status": {
            "as_of": status.as_of.isoformat(),
            "counts": {name: counts_contract(c) for name, c in status.counts.items()},
            "units": {u.unit.name: str(u.standing) for u in status.units},
        },
    }


def cause_contract(cause: Cause) -> dict[str, object]:
    """A unit's finding that explains an imbalance of the consolidation."""
    found: dict[str, object] = {"unit": cause.unit, "rule": cause.finding.rule, "message": cause.finding.message}
    if cause.reason:
        found["accepted"] = cause.reason
    return found


def counts_contract(counts: Counts) -> dict[str, object]:
    """One group's counts in 汇总数据.json: the same numbers the console, sheets and emails show."""
    return {
        "expected": counts.expected,
        "received": counts.received,
        "on_time": counts.on_time,
        "late": counts.late,
        "missing": counts.missing,
        "overdue": counts.overdue,
        "to_correct": counts.to_correct,
        "corrected": counts.corrected,
        "submission_rate": round(counts.submission_rate, 4),
        "timeliness_rate": round(counts.timeliness_rate, 4),
    }


CSV_FORMATS = ("zh", "codes")
MARK_WORDS = {"blank": "空白", "not_applicable": "不适用"}


LONG_HEADERS = {
    "zh": ("单位", "表", "行", "列", "单元格编码", "数值", "标记", "备注"),
    "codes": ("unit", "code", "value", "mark", "note"),
}


def long_header(csv_format: str = "zh") -> tuple[str, ...]:
    """The long table's headers: in Chinese, or ``codes`` for machines."""
    if csv_format not in CSV_FORMATS:
        raise ValueError(f"明细数据.csv 的格式应为 {' 或 '.join(CSV_FORMATS)}，而不是“{csv_format}”")
    return LONG_HEADERS[csv_format]


def long_lines(result: Consolidation, csv_format: str = "zh") -> Iterator[str]:
    """The long table as CSV text, a unit's lines at a time: one line per unit and cell code
    (counted submissions only), with the cell's mark (blank, not_applicable, or empty for a
    written number) and note, so a 0 keeps what it was; text as a sheet shows it
    (``sheet_text``). Marks in Chinese, with the table, row and column in the form's words beside
    the code; ``csv_format="codes"``: the machine-readable variant ``unit,code,value,mark,note``.
    Every field is quoted by the csv module, but what is the same on many lines (a code's words,
    a unit's name) is quoted once and each line joined from the pieces: a province's 4 million
    lines, taken field by field by csv.writer, took 7 s."""
    long_header(csv_format)
    labels = _Labels(result.edition, csv_format)
    words = MARK_WORDS if csv_format == "zh" else {}
    # one figure with decimals and every figure is written with them (3 → 3.0), as the CSV has
    # always been written (by pandas, whose column of numbers was then a column of floats)
    decimals = any(isinstance(value, float) for _, s in result.summed for value in s.values.values())
    figure_text = (lambda figure: repr(float(figure))) if decimals else repr
    tails = _Tails()
    for report, s in result.summed:
        unit = _csv_fields(sheet_text(report.unit.name)) + ","
        marks, notes = s.marks, s.notes
        told = {}
        for code in marks.keys() | notes.keys():
            mark = marks.get(code, "")
            told[code] = tails[words.get(mark, mark), notes.get(code, "")]
        yield "".join(
            [
                f"{unit}{labels[code]}{figure_text(figure)}{told.get(code, ',,')}{os.linesep}"
                for code, figure in s.values.items()
            ]
        )


class _Tails(dict[tuple[str, str], str]):
    """The long table's columns after the value as CSV text, by mark and note: made once for
    each pair (most marked cells of a province say the same)."""

    def __missing__(self, key: tuple[str, str]) -> str:
        found = self[key] = "," + _csv_fields(*(sheet_text(text) for text in key))
        return found


class _Labels(dict[str, str]):
    """The long table's columns between the unit and the value as CSV text, by cell code: the
    code, after the table, row and column in the form's words (``zh``), made once for every line
    of the code."""

    def __init__(self, edition: Edition, csv_format: str):
        super().__init__()
        self.edition, self.csv_format = edition, csv_format

    def __missing__(self, code: str) -> str:
        place = _place(self.edition, code) if self.csv_format == "zh" else ()
        found = self[code] = _csv_fields(*(sheet_text(text) for text in (*place, code))) + ","
        return found


def _place(edition: Edition, code: str) -> tuple[str, str, str]:
    cell = edition.cell_index.get(code)
    if cell is None:
        return "", "", ""
    return edition.table(cell.table).name, cell.row.name, cell.column.header


def consolidated_workbook(
    result: Consolidation,
    status: StatusReport,
    years: Mapping[int, Mapping[str, Number]] | None = None,
    *,
    detail_file: str | None = None,
) -> ContinuedWorkbook:
    """The region's workbook: the form's sheets with the consolidated figures (carrying their
    notes, marks and each unit's figures as data for the level above), then 明细 (unless it is
    the file ``detail_file`` beside the workbook, as the cover then says), 校验问题, 报送情况,
    数字来源, 分类汇总 and 与上年比较. Its tables of one row a unit are written when it is saved."""
    shares = contributions(result)
    continued = ContinuedWorkbook(
        form_workbook(
            result.edition,
            values=result.values,
            notes=result.notes,
            cover={"unit": result.region, "year": result.year, "date": datetime.now().replace(microsecond=0)},
            protect=False,
            summary=summary(result, status, detail_file),
            marks=result.marks,
            comments=comments(result, shares),
        )
    )
    summed = ((report.unit.name, s.values) for report, s in result.summed)
    workbook = continued.workbook
    parts = codesheet.part_rows(summed)
    continued.continue_sheet(workbook[codesheet.SHEET], parts, count=len(result.summed), styles=[None] * 4)
    if detail_file is None:
        write_detail(workbook.create_sheet(DETAIL_SHEET), result, sheet_text)
    checked = workbook.create_sheet("校验问题")
    frame = checked_frame(result, status)
    frame_sheet(checked, frame, widths=CHECKED_WIDTHS, hidden=("问题代码",), text=sheet_text, continued=continued)
    sheet = workbook.create_sheet("报送情况")
    frame_sheet(sheet, rates_frame(status), percent=("报送率", "及时率"), text=sheet_text)
    rates_chart(sheet, len(status.counts))
    start = CHART_ROWS + len(status.counts) + 3
    frame = status_frame(result, status)
    frame_sheet(sheet, frame, at=start, widths=STATUS_WIDTHS, text=sheet_text, continued=continued)
    write_sheets(workbook, result, shares, years or {}, sheet_text)
    for sheet in workbook.worksheets:
        set_footer(sheet)
    return continued


# Column widths (Excel units) that let each sheet fit the width of an A4 landscape page;
# long texts wrap. Columns not named are sized from their contents.
CHECKED_WIDTHS = {
    "单位": 14,
    "文件": 16,
    "级别": 5,
    "问题类别": 18,
    "表": 8,
    "行": 14,
    "列": 8,
    "位置": 11,
    "问题": 34,
    "处理": 12,
    "单位说明": 16,
    "涉及单位的问题": 30,
}
STATUS_WIDTHS = {
    "编码": 5,
    "单位名称": 18,
    "类别": 8,
    "报送情况": 8,
    "截止日期": 10,
    "收到时间": 15,
    "迟报/逾期天数": 7,
    "文件": 18,
    "版本数": 5,
    "错误数": 5,
    "警告数": 5,
    "已说明": 16,
    "单位说明": 16,
    "联系人": 7,
    "电话": 13,
    "文字重复": 6,
}


def _names(units: list[str]) -> str:
    return f"{len(units)} 家：{'、'.join(units)}" if units else "无"


def summary(result: Consolidation, status: StatusReport, detail_file: str | None = None) -> Summary:
    """The cover of the consolidated workbook: what was summed, as of when, whether it adds up,
    and, when 明细 is the file ``detail_file`` beside the workbook, where the units' figures are."""
    counts = status.total
    categories = "、".join(f"{name} {c.expected} 家" for name, c in status.counts.items() if name != TOTAL)
    to_correct = {u.unit.name for u in status.with_standing(Standing.TO_CORRECT)}
    counted = [u.unit.name for u in result.counted]
    included = [name for name in counted if name in to_correct]
    facts = [
        ("应报单位", f"{counts.expected} 家（{categories}）"),
        ("计入汇总", f"{len(counted)} 家" + (f"，其中待更正（报告有错误）{_names(included)}" if included else "")),
        (
            "未计入汇总",
            _names(list(status.excluded)) + ("（报告有错误，按 --exclude-invalid 未计入）" if status.excluded else ""),
        ),
        ("未报送", _names([u.unit.name for u in result.missing])),
        ("报送率", f"{counts.submission_rate:.1%}（{counts.received}/{counts.expected}）"),
        ("及时率", f"{counts.timeliness_rate:.1%}（{counts.on_time}/{counts.expected}）"),
        ("情况截至", f"{status.as_of:%Y-%m-%d}"),
    ]
    if detail_file:
        where = f"各单位的逐格数字（{len(result.sent)} 家）在同一文件夹的《{detail_file}》中，单位较多，未放入本工作簿"
        facts.append((DETAIL_SHEET, where))
    reasons = [status.verdict_reason]
    for imbalance in status.imbalances:
        reasons.append(imbalance.finding.message)
        reasons += [f"　　来自 {cause.words}" for cause in imbalance.causes]
    explanation = [
        f"本表由 rollup 将各单位报送的报告逐格相加而成，情况截至 {status.as_of:%Y-%m-%d}。",
        f"计入汇总的单位（{len(counted)} 家）：{'、'.join(counted) or '无'}。",
    ]
    if included:
        explanation.append(f"其中报告有错误、仍计入汇总的（待更正）：{'、'.join(included)}。")
    if status.excluded:
        explanation.append(f"报告有错误、未计入汇总的：{'、'.join(status.excluded)}。")
    explanation.append(f"未报送的单位：{'、'.join(u.unit.name for u in result.missing) or '无'}。")
    explanation.append(f"汇总表校验：{status.verdict}。{status.verdict_reason}。")
    if detail_file:
        explanation.append(f"明细：{where}。")
    return Summary(
        title=f"{result.region}{result.year}年度政府信息公开工作年度报告汇总表",
        facts=tuple(facts),
        verdict=status.verdict,
        balanced=status.balanced,
        reasons=tuple(reasons),
        explanation="\n".join(explanation),
    )


def checked_frame(result: Consolidation, status: StatusReport) -> pd.DataFrame:
    """The findings table: first the consolidation's own (the rules its tables break, with the
    units' findings that explain each), then every unit's, with what the office decided (已说明
    and why) and the unit's own 说明 beside the findings of the version that counts."""
    findings = result.findings
    decided = {f: f"已说明：{u.reason(f)}" for u in status.units for f in u.accepted_findings}
    explained = {u.file: u.explanation for u in status.units if u.file and u.explanation}
    own = [i.finding for i in status.imbalances]
    causes = ["\n".join(c.words for c in i.causes) for i in status.imbalances]
    rows = [
        [*row.pick(FINDING_HEADERS), "", "", why]
        for row, why in zip(finding_rows(own, result.edition), causes, strict=True)
    ]
    rows += [
        [*row.pick(FINDING_HEADERS), decided.get(f, ""), explained.get(f.file, ""), ""]
        for f, row in zip(findings, finding_rows(findings, result.edition), strict=True)
    ]
    return pd.DataFrame(rows, columns=[*FINDING_HEADERS.values(), "处理", "单位说明", "涉及单位的问题"], dtype=object)


def rates_frame(status: StatusReport) -> pd.DataFrame:
    """报送率 and 及时率, overall and by category, as of the report's day."""
    rows = [
        [name, c.expected, c.received, c.on_time, c.late, c.missing, c.to_correct, c.submission_rate, c.timeliness_rate]
        for name, c in status.counts.items()
    ]
    return pd.DataFrame(rows, columns=RATE_COLUMNS, dtype=object)


RATE_COLUMNS = ["范围", "应报", "已报", "按时报送", "迟报", "未报送", "待更正", "报送率", "及时率"]


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
    "文字重复",
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
        _reuse(u),
    ]


def _reuse(u: UnitStatus) -> str:
    """The largest share of the report's words repeated from last year's or another unit's (the
    text_reuse notes say which, in 校验问题)."""
    shares = [f.actual for f in u.findings if f.rule == "text_reuse" and f.actual is not None]
    return f"{max(shares):.0f}%" if shares else ""


def status_frame(result: Consolidation, status: StatusReport) -> pd.DataFrame:
    """Every expected unit's standing, then files that count for no unit: older versions and
    copies, files that match no unit (with the closest roster names), files of other years."""
    rows = [_unit_row(u) for u in status.units]
    blank = [""] * len(STATUS_COLUMNS)

    def file_row(state: str, file: str, name: str = "", note: str = "") -> list:
        row = list(blank)
        row[1], row[3], row[7], row[12] = name, state, file, note
        return row

    rows += [file_row("未计入：同一单位的另一份文件", f.file, f.unit, f.why) for f in status.superseded]
    for f in status.unmatched:
        guess = f"是否为：{'、'.join(f.suggestions)}？" if f.suggestions else ""
        if f.unreadable:
            rows.append(file_row("无法读取", f.file, "", f.reason))
        else:
            rows.append(
                file_row("无法匹配单位", f.file, f.unit_text or "", "；".join(x for x in (f.reason, guess) if x))
            )
    rows += [file_row(f"其他年度（{s.year}）", s.file.name, s.unit or "") for s in result.other_years]
    return pd.DataFrame(rows, columns=STATUS_COLUMNS, dtype=object)
