"""Validation: every rule of the form, plus who and which year a submission is for.

Validation returns findings; it never raises on bad data. Sum rules come from the edition's
spec (one rule kind, ``sum(left) == sum(right)``, applied across a table's rows or columns)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rollup.config import Roster, unit_key
from rollup.forms import Edition, SumRule, edition_for_year, editions
from rollup.model import Finding, Number, Severity, Submission, format_number

ERROR, WARNING = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class RuleInfo:
    severity: Severity
    title: str


# The catalogue of finding codes (rule ids). README's list is checked against it by a test.
CATALOGUE: dict[str, RuleInfo] = {
    "row_total": RuleInfo(ERROR, "依申请表每一行：总计等于自然人与各类法人或其他组织之和"),
    "column_total": RuleInfo(ERROR, "依申请表每一列：三(七)总计等于各项办理结果之和"),
    "balance": RuleInfo(ERROR, "依申请表每一列：第一项加第二项之和等于第三项加第四项之和"),
    "group_total": RuleInfo(ERROR, "复议诉讼表每一组：总计等于结果维持、结果纠正、其他结果、尚未审结之和"),
    "negative_value": RuleInfo(ERROR, "数量和金额不能为负数（本年增/减除外）"),
    "not_whole_number": RuleInfo(ERROR, "件数、项目数应为整数"),
    "not_a_number": RuleInfo(ERROR, "单元格内容不是数字"),
    "blank_cell": RuleInfo(WARNING, "单元格未填写，按 0 计"),
    "missing_cell": RuleInfo(ERROR, "模板中缺少某个单元格"),
    "unreadable_file": RuleInfo(ERROR, "文件无法打开或已损坏"),
    "not_a_template": RuleInfo(ERROR, "文件不是本系统下发的填报模板"),
    "unsupported_format": RuleInfo(ERROR, "文件格式暂不支持"),
    "no_unit": RuleInfo(ERROR, "未填写填报单位"),
    "unknown_unit": RuleInfo(ERROR, "填报单位不在单位名册中"),
    "no_year": RuleInfo(ERROR, "未填写报告年度"),
    "wrong_year": RuleInfo(ERROR, "报告年度不是本次汇总的年度"),
    "wrong_edition": RuleInfo(ERROR, "报告格式版本与年度不符（2019、2020 年度用 2019年版，2021 年度起用 2021年版）"),
    "duplicate_submission": RuleInfo(WARNING, "同一单位报送了多份，以最新一份为准"),
    "no_text_layer": RuleInfo(ERROR, "PDF 是扫描件或图片，没有文字层，无法读取"),
    "not_a_report": RuleInfo(ERROR, "文件中找不到年度报告的统计表"),
    "missing_table": RuleInfo(ERROR, "报告中缺少某张统计表"),
    "incomplete_table": RuleInfo(ERROR, "统计表不完整：报告中的数字少于表格的格数，缺少的格不计为 0"),
    "ambiguous_cells": RuleInfo(ERROR, "某行的数字个数与表格列数不符，无法判断各数属于哪一列"),
    "extra_row": RuleInfo(WARNING, "表格中有本格式没有的行，其数字未计入汇总"),
    "missing_part": RuleInfo(WARNING, "报告缺少六个部分中的某一部分"),
    "narrative_mismatch": RuleInfo(WARNING, "总体情况中的数字与统计表不一致"),
    "conflicting_year": RuleInfo(ERROR, "标题中的年度与统计期限不一致"),
}


def validate(submission: Submission, *, roster: Roster | None = None, year: int | None = None) -> Submission:
    """The submission with its unit matched to the roster and every finding of the form added."""
    unit = roster.match(submission.unit) if roster else None
    if unit is not None:
        submission = replace(
            submission,
            unit_id=unit.id,
            findings=tuple(replace(f, unit=unit.name) for f in submission.findings),
        )
    findings = check_identity(submission, roster=roster, year=year)
    edition = editions().get(submission.edition or "")
    if edition is not None:
        findings += check_values(edition, submission.values, sources=submission.sources)
    label = unit.name if unit else (submission.unit or "")
    return submission.with_findings([replace(f, file=submission.file.name, unit=label) for f in findings])


def check_values(edition: Edition, values: dict[str, Number], *, sources: dict[str, str] | None = None) -> list[Finding]:
    """Every arithmetic rule of the form, on the cells that are present (absent cells are never
    taken as 0: a rule with a missing operand is not evaluated)."""
    sources = sources or {}
    findings = [f for code, value in values.items() if code in edition.cell_index for f in _cell_kind(edition, code, value)]
    for rule in edition.rules:
        findings += _sum_rule(edition, rule, values)
    return [replace(f, source=sources.get(_code(f))) if f.row is not None else f for f in findings]


def _code(finding: Finding) -> str:
    return f"{finding.table}.{finding.row}.{finding.column}"


def _cell_kind(edition: Edition, code: str, value: Number) -> list[Finding]:
    cell = edition.cell(code)
    where = edition.where(cell.table, cell.row.code, cell.column.code)
    at = dict(table=cell.table, row=cell.row.code, column=cell.column.code, actual=value)
    if cell.kind != "signed" and value < 0:
        return [Finding("negative_value", ERROR, f"{where}：填报 {format_number(value)}，不能为负数", **at)]
    if cell.kind != "money" and not float(value).is_integer():
        return [Finding("not_whole_number", ERROR, f"{where}：填报 {format_number(value)}，应为整数", **at)]
    return []


def _sum_rule(edition: Edition, rule: SumRule, values: dict[str, Number]) -> list[Finding]:
    table = edition.table(rule.table)
    lines = table.rows if rule.each == "row" else table.columns
    findings = []
    for line in lines:
        def code(operand: str) -> str:
            row, col = (line.code, operand) if rule.each == "row" else (operand, line.code)
            return f"{table.id}.{row}.{col}"

        left_codes, right_codes = [code(o) for o in rule.left], [code(o) for o in rule.right]
        if not all(c in values for c in left_codes + right_codes):
            continue
        left, right = sum(values[c] for c in left_codes), sum(values[c] for c in right_codes)
        if abs(left - right) < 1e-6:
            continue
        row, col = (line.code, None) if rule.each == "row" else (None, line.code)
        if len(rule.left) == 1:
            row, col = (row, rule.left[0]) if rule.each == "row" else (rule.left[0], col)
        message = rule.message.format(where=edition.where(table.id, row, col), left=format_number(left), right=format_number(right))
        findings.append(
            Finding(rule.id, ERROR, message, table=table.id, row=row, column=col, expected=right, actual=left)
        )
    return findings


def is_own_report(unit: str, region: str) -> bool:
    """The region's own government report (乐清市人民政府 for region 乐清市): a consolidation of
    this level, not one of its units."""
    return bool(region) and unit_key(unit, region) in ("人民政府", "政府")


def check_identity(submission: Submission, *, roster: Roster | None = None, year: int | None = None) -> list[Finding]:
    """Whose submission this is and for which year: on the roster, the year consolidated, the
    year's edition of the form."""
    if submission.edition is None:
        return []  # nothing could be read; the reader already said why
    findings = []
    if not submission.unit:
        findings.append(Finding("no_unit", ERROR, "封面未填写填报单位，无法确定是哪个单位的报告"))
    elif roster is not None and submission.unit_id is None and not is_own_report(submission.unit, roster.region):
        findings.append(Finding("unknown_unit", ERROR, f"填报单位“{submission.unit}”不在单位名册中，请核对单位名称或在名册中补充别名"))
    if submission.year is None:
        findings.append(Finding("no_year", ERROR, "封面未填写报告年度（或填写的不是年份）"))
        return findings
    if year is not None and submission.year != year:
        findings.append(Finding("wrong_year", ERROR, f"报告年度为 {submission.year} 年，本次汇总的是 {year} 年度", expected=year, actual=submission.year))
    try:
        expected = edition_for_year(submission.year)
    except LookupError:
        return findings
    if expected.edition != submission.edition:
        used = editions()[submission.edition].name
        findings.append(
            Finding("wrong_edition", ERROR, f"{submission.year} 年度报告应使用{expected.name}格式，该文件使用的是{used}格式，请退回重报")
        )
    return findings
