"""The findings catalogue: every finding is built from it, and flattens into one table of rows."""

import pytest

from rollup.findings import FINDING_HEADERS, Finding, Severity, catalogue, finding_rows
from rollup.forms import editions


def test_a_finding_takes_severity_and_message_from_the_catalogue(ed2019):
    finding = Finding.of(
        "not_a_number", edition=ed2019, table="B", row="3.2", column="legal", text="两件", file="a.xlsx"
    )
    assert finding.severity is Severity.ERROR and finding.title == "单元格内容不是数字"
    assert finding.message == "依申请表 三(二)部分公开 法律服务机构列：“两件”不是数字"
    blank = Finding.of("blank_cell", edition=ed2019, table="B", row="1", column="natural", cells="")
    assert blank.severity is Severity.WARNING and blank.message == "依申请表 一、本年新收 自然人列：空白，按 0 计"


def test_figures_are_printed_as_the_form_prints_them(ed2019):
    finding = Finding.of(
        "negative_value", edition=ed2019, table="A", row="procurement", column="amount_wan", actual=-12.5
    )
    assert finding.message.endswith("填报 -12.5，不能为负数") and finding.actual == -12.5
    rule = Finding.of("row_total", edition=ed2019, table="B", row="1", column="total", left=7, right=6.0)
    assert rule.message == "依申请表 一、本年新收 总计列：填报 7，各列合计 6"


def test_an_unknown_code_or_a_missing_word_is_a_bug_not_a_finding():
    with pytest.raises(KeyError):
        Finding.of("no_such_rule")
    with pytest.raises(KeyError):
        Finding.of("unknown_unit")  # its message needs the unit's written name


def test_the_sum_rules_of_the_specs_are_in_the_catalogue_with_their_titles():
    for edition in editions().values():
        for rule in edition.rules:
            entry = catalogue()[rule.id]
            assert (entry.severity, entry.title, entry.template) == (Severity(rule.severity), rule.title, rule.message)


def test_finding_rows_carry_codes_for_machines_and_words_for_clerks(ed2021):
    findings = [
        Finding.of(
            "group_total",
            edition=ed2021,
            table="C",
            row="review",
            column="total",
            left=3,
            right=2,
            file="商务局.xlsx",
            unit="乐清市商务局",
            source="复议诉讼!E6",
        ),
        Finding.of("unreadable_file", file="坏.xlsx", source="坏.xlsx", reason="已损坏", detail="XmlError: junk"),
    ]
    rows = finding_rows(findings, ed2021)
    assert rows[0].contract() == {
        "severity": "error",
        "rule": "group_total",
        "table": "C",
        "row": "review",
        "column": "total",
        "message": "复议诉讼表 行政复议 总计列：填报 3，各项合计 2",
        "source": "复议诉讼!E6",
    }
    assert rows[0].pick(FINDING_HEADERS) == [
        "乐清市商务局",
        "商务局.xlsx",
        "错误",
        "复议诉讼表每一组：总计等于结果维持、结果纠正、其他结果、尚未审结之和",
        "复议诉讼表",
        "行政复议",
        "总计列",
        "复议诉讼!E6",
        "复议诉讼表 行政复议 总计列：填报 3，各项合计 2",
        "group_total",
    ]
    assert rows[1].contract()["detail"] == "XmlError: junk" and "XmlError" not in rows[1].message
    assert (rows[1].table_words, rows[1].row_words, rows[1].column_words) == ("", "", "")
