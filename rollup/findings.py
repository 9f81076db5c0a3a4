"""The findings catalogue: every finding code with its severity, its title in the form's words and
the template of its message; ``Finding.of`` builds every finding from it, and ``finding_rows``
turns findings into the one table every output (console, JSON, 校验问题 sheet, email) selects
its columns from.

The form's sum rules (row_total, column_total, …) are declared in the edition specs with their
title, severity and message, and join the catalogue from there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from rollup.forms import Edition, Number, editions, format_number


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # worth knowing, nothing to correct


SEVERITY_WORDS = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class Rule:
    """One finding code: how bad it is, what it means (README, 校验问题) and what it says."""

    code: str
    severity: Severity
    title: str
    template: str


_RULES = (
    Rule("negative_value", ERROR, "数量和金额不能为负数（本年增/减除外）", "{where}：填报 {actual}，不能为负数"),
    Rule("not_whole_number", ERROR, "件数、项目数应为整数", "{where}：填报 {actual}，应为整数"),
    Rule("not_a_number", ERROR, "单元格内容不是数字", "{where}：“{text}”不是数字"),
    Rule("blank_cell", WARNING, "单元格未填写，按 0 计", "{where}：{cells}空白，按 0 计"),
    Rule("missing_cell", ERROR, "模板中缺少某个单元格", "{where}：{reason}"),
    Rule("unreadable_file", ERROR, "文件无法打开或已损坏", "文件 {file} 无法读取：{reason}"),
    Rule(
        "needs_conversion",
        ERROR,
        "旧版 Word（.doc）、WPS 文字（.wps）、RTF 等格式需要 LibreOffice 转换后才能读取",
        "文件 {file} 是{what}，本机未安装 LibreOffice（或未安装其文字处理组件 Writer），无法转换读取；请单位另存为 Word 文档（.docx）或 PDF 后重发，或在本机安装 LibreOffice 后重新运行",
    ),
    Rule("not_a_template", ERROR, "文件不是本系统下发的填报模板", "文件 {file} 不是本系统下发的填报模板：{reason}"),
    Rule("unsupported_format", ERROR, "文件格式暂不支持", "文件 {file} 的格式（{suffix}）暂不支持，可读取：{kinds}"),
    Rule(
        "value_out_of_range",
        ERROR,
        "数字大得不合常理（件数超过 10 亿或金额超过 100 亿万元），未计入",
        "{where}：填报“{text}”，超出合理范围（{maximum}），未计入汇总",
    ),
    Rule(
        "file_too_large",
        ERROR,
        "文件过大或内容过多，超出读取限制，未读取",
        "文件 {file} {reason}，超出读取限制（{limit}），未读取；如确是正常的报告，可在配置文件 [limits] 中调高 {setting}",
    ),
    Rule(
        "reader_crashed",
        ERROR,
        "读取文件时读取程序异常退出，文件可能已损坏或被恶意构造",
        "文件 {file} 无法读取：读取程序异常退出（{reason}），文件可能已损坏或被恶意构造，请对方重新导出后重发",
    ),
    Rule(
        "reader_timeout",
        ERROR,
        "读取文件超时，已停止读取",
        "文件 {file} 读取超过 {seconds} 秒仍未完成，已停止读取；文件可能已损坏或被恶意构造，请对方重新导出后重发",
    ),
    Rule("encrypted_file", ERROR, "文件已加密，无法读取", "文件 {file} 已加密，无法读取；请对方取消密码后重发"),
    Rule("empty_file", ERROR, "文件是空的", "文件 {file} 是空的（{reason}），请对方重新发送"),
    Rule(
        "wrong_format",
        ERROR,
        "文件内容与扩展名不符",
        "文件 {file} 的扩展名是 {suffix}，内容却是{content}，无法读取；请对方用原来的软件另存为 .xlsx、.docx 或 .pdf 后重发",
    ),
    Rule(
        "unknown_encoding",
        ERROR,
        "文字编码无法识别",
        "文件 {file} 的文字编码无法识别（已尝试 {tried}）{hint}，请对方另存为 UTF-8 编码的文本或 Word 文件后重发",
    ),
    Rule(
        "unsafe_content",
        ERROR,
        "文件含有可能有害的内容，未读取",
        "文件 {file} 含有{what}，正常的 Excel、Word 文件不会有，可能是被恶意构造的文件，未读取",
    ),
    Rule(
        "code_sheet_tampered",
        ERROR,
        "模板的隐藏编码表被改动，无法可靠读取",
        "文件 {file} 的隐藏编码表被改动（{reason}），无法确定各数字属于哪一格，未读取；请对方用下发的模板重新填写",
    ),
    Rule(
        "formula_without_value",
        ERROR,
        "单元格是公式，但文件中没有保存计算结果",
        "{where}：单元格中是公式，文件中却没有保存计算结果（常见于 WPS 或其他程序生成后未重新计算保存），"
        "请对方在 Excel 中打开、保存后重发",
    ),
    Rule(
        "not_a_regular_file",
        ERROR,
        "不是普通文件（快捷方式、文件夹或设备等），未打开",
        "{file} 是{kind}，不是普通文件，为安全起见未打开；请把报告文件本身放进收件箱",
    ),
    Rule(
        "file_changed",
        ERROR,
        "读取时文件正在被修改（可能尚未复制完），本次未计入",
        "文件 {file} 在读取时被修改（可能尚未复制完），本次未计入，也未登记；复制完成后再次运行即可",
    ),
    Rule("no_unit", ERROR, "未填写填报单位", "未填写填报单位（或无法从报告中读出），无法确定是哪个单位的报告"),
    Rule(
        "unknown_unit",
        ERROR,
        "填报单位不在单位名册中",
        "填报单位“{unit_text}”不在单位名册中，请核对单位名称或在名册中补充别名",
    ),
    Rule(
        "inactive_unit",
        ERROR,
        "填报单位在该年度不在名册中（已停用或尚未启用）",
        "{unit_name}{when}，{year} 年度不再报送或尚不报送，报告未计入（单位更名的，请在名册中把旧名称填为新单位的别名）",
    ),
    Rule("no_year", ERROR, "未填写报告年度", "未填写报告年度（或填写的不是年份）"),
    Rule("wrong_year", ERROR, "报告年度不是本次汇总的年度", "报告年度为 {actual} 年，本次汇总的是 {expected} 年度"),
    Rule(
        "wrong_edition",
        ERROR,
        "报告格式版本与年度不符（2019、2020 年度用 2019年版，2021 年度起用 2021年版）",
        "{year} 年度报告应使用{expected_name}格式，该文件使用的是{used_name}格式，请退回重报",
    ),
    Rule(
        "duplicate_submission",
        WARNING,
        "同一单位报送了多份，以最新一份为准",
        "{unit_name}报送了 {count} 份，以最新的 {newest} 为准，未计入：{older}",
    ),
    Rule(
        "name_mismatch",
        WARNING,
        "文件名与报告中的填报单位不一致",
        "文件名“{file}”指{file_unit}，报告中的填报单位却是{cover_unit}；已按填报单位计为{cover_unit}的报告，请核实是否报错了文件",
    ),
    Rule(
        "duplicate_figures",
        WARNING,
        "两个单位的报告数字完全相同",
        "与{other_unit}的报告（{other_file}）数字完全相同，请核实是否把其他单位的报告当作本单位的报送",
    ),
    Rule(
        "no_text_layer",
        ERROR,
        "PDF 是扫描件或图片，没有文字层，无法读取",
        "文件 {file} 是扫描件或图片（没有文字层），无法读取其中的表格，请单位提供 Word 文件或可复制文字的 PDF",
    ),
    Rule(
        "not_a_report",
        ERROR,
        "文件中找不到年度报告的统计表",
        "文件 {file} 中找不到年度报告的统计表（{parts}），不是年度报告或格式无法识别",
    ),
    Rule("missing_table", ERROR, "报告中缺少某张统计表", "报告中找不到“{heading}”部分的{where}"),
    Rule(
        "incomplete_table",
        ERROR,
        "统计表不完整：报告中的数字少于表格的格数，缺少的格不计为 0",
        "{where}不完整：{what}",
    ),
    Rule(
        "ambiguous_cells",
        ERROR,
        "某行的数字个数与表格列数不符，无法判断各数属于哪一列",
        "{where}：应有 {expected} 个数，报告中有 {actual} 个{numbers}，无法判断各数属于哪一格",
    ),
    Rule(
        "extra_row",
        WARNING,
        "表格中有本格式没有的行，其数字未计入汇总",
        "{where}中有一行“{label}”不是表格规定的行，其数字未计入汇总",
    ),
    Rule("missing_part", WARNING, "报告缺少六个部分中的某一部分", "报告缺少第{number}部分“{heading}”"),
    Rule(
        "narrative_mismatch",
        WARNING,
        "总体情况中的数字与统计表不一致",
        "总体情况写“{sentence}”，{cells}合计为 {expected}，两者不一致",
    ),
    Rule(
        "no_last_year",
        INFO,
        "台账中没有该单位上一年度的报告，无法核对跨年度数字",
        "台账中没有该单位 {last_year} 年度的报告，本年的上年结转等数字无法与上一年度核对（可用 rollup import-history 导入）",
    ),
    Rule(
        "text_reuse",
        INFO,
        "报告文字与上年或其他单位的报告大量相同",
        "报告的文字有 {share} 与{other}相同，最长的相同段落：“{passage}”",
    ),
    Rule("outlier", WARNING, "数字远超该单位往年或同类单位，请核实", "{where}：填报 {actual}，{why}，请核实是否填错"),
    Rule(
        "conflicting_year",
        ERROR,
        "标题中的年度与统计期限不一致",
        "标题为 {expected} 年度，统计期限为 {actual} 年 1 月 1 日至 {period_end} 年 12 月 31 日，请单位核实报告年度",
    ),
)


# Findings about which unit a file stands for: always listed on the console, never only counted.
IDENTITY_RULES = frozenset({"name_mismatch", "duplicate_figures", "duplicate_submission"})


@cache
def catalogue() -> dict[str, Rule]:
    """Every finding code: the rules above and the sum rules of every edition spec (an id shared
    by several editions must mean the same in each)."""
    found = {rule.code: rule for rule in _RULES}
    for edition in editions().values():
        for spec in edition.rules + edition.year_rules:
            rule = Rule(spec.id, Severity(spec.severity), spec.title, spec.message)
            if found.setdefault(spec.id, rule) != rule:
                raise ValueError(f"edition {edition.edition}: rule {spec.id} differs from the catalogue's {spec.id}")
    return found


def _shown(value: object) -> object:
    return format_number(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth a look) in one submission, pinned to its place in the form
    and in the file. Validation returns findings; it never raises on bad data. ``detail`` keeps
    what a library said, in its own words, for support (never shown to a clerk)."""

    rule: str
    severity: Severity
    message: str
    file: str = ""
    unit: str = ""
    table: str | None = None
    row: str | None = None
    column: str | None = None
    source: str | None = None
    expected: Number | None = None
    actual: Number | None = None
    detail: str | None = None

    @classmethod
    def of(
        cls,
        rule: str,
        *,
        edition: Edition | None = None,
        file: str = "",
        unit: str = "",
        table: str | None = None,
        row: str | None = None,
        column: str | None = None,
        source: str | None = None,
        expected: Number | None = None,
        actual: Number | None = None,
        detail: str | None = None,
        **words: object,
    ) -> Finding:
        """A finding of catalogue code ``rule``; its message is the code's template filled with
        the place in the form (``{where}``, from ``edition``), the file, the figures and
        ``words``."""
        entry = catalogue()[rule]
        fields: dict[str, Any] = {"where": edition.where(table, row, column) if edition else "", "file": file}
        fields |= {"expected": _shown(expected), "actual": _shown(actual)}
        fields |= {key: _shown(value) for key, value in words.items()}
        message = entry.template.format_map(fields)
        return cls(rule, entry.severity, message, file, unit, table, row, column, source, expected, actual, detail)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def title(self) -> str:
        entry = catalogue().get(self.rule)
        return entry.title if entry else self.rule


@dataclass(frozen=True)
class FindingRow:
    """A finding flattened for output: its codes (for machines) and its words (for clerks)."""

    unit: str
    file: str
    severity: str
    severity_words: str
    rule: str
    title: str
    table: str | None
    row: str | None
    column: str | None
    table_words: str
    row_words: str
    column_words: str
    source: str
    message: str
    expected: Number | None
    actual: Number | None
    detail: str | None

    def contract(self) -> dict[str, object]:
        """The finding as the ``rollup check --format json`` contract spells it."""
        found: dict[str, object] = {
            "severity": self.severity,
            "rule": self.rule,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "source": self.source or None,
        }
        if self.detail:
            found["detail"] = self.detail
        return found

    def pick(self, columns: Mapping[str, str]) -> list[object]:
        """The values of ``columns`` (field → header), in their order."""
        return [getattr(self, name) for name in columns]


# Headers of the finding table in the form's words, for sheets and mail; each output picks its own.
FINDING_HEADERS = {
    "unit": "单位",
    "file": "文件",
    "severity_words": "级别",
    "title": "问题类别",
    "table_words": "表",
    "row_words": "行",
    "column_words": "列",
    "source": "位置",
    "message": "问题",
    "rule": "问题代码",
}


def finding_rows(findings: Iterable[Finding], edition: Edition | None = None) -> list[FindingRow]:
    """The findings as rows, places in the words of ``edition`` (codes it does not know are shown
    as they are)."""
    rows = []
    for f in findings:
        place = edition.place(f.table, f.row, f.column) if edition else (f.table or "", f.row or "", f.column or "")
        rows.append(
            FindingRow(
                unit=f.unit,
                file=f.file,
                severity=str(f.severity),
                severity_words=SEVERITY_WORDS[f.severity],
                rule=f.rule,
                title=f.title,
                table=f.table,
                row=f.row,
                column=f.column,
                table_words=place[0],
                row_words=place[1],
                column_words=place[2],
                source=f.source or "",
                message=f.message,
                expected=f.expected,
                actual=f.actual,
                detail=f.detail,
            )
        )
    return rows
