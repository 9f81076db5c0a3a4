from pathlib import Path

import pytest

from rollup.findings import catalogue
from rollup.model import Figures, Submission
from rollup.roster import Roster, Unit
from rollup.validate import check_identity, check_values, validate


def rules_of(findings):
    return {(f.rule, f.table, f.row, f.column) for f in findings}


def test_real_city_and_office_tables_pass_every_rule(ed2019, ed2021, city2019, office2021):
    assert check_values(ed2019, city2019) == []
    assert check_values(ed2021, office2021) == []


def test_column_total_names_the_cell_in_a_clerks_words(ed2019, city2019):
    city2019["B.3.7.natural"] = 352
    findings = check_values(ed2019, city2019)
    column_total = [f for f in findings if f.rule == "column_total"]
    assert [f.message for f in column_total] == ["依申请表 三(七)总计 自然人列：填报 352，各项合计 351"]
    # the same cell breaks the row total and the balance too
    assert rules_of(findings) == {
        ("column_total", "B", "3.7", "natural"),
        ("row_total", "B", "3.7", "total"),
        ("balance", "B", None, "natural"),
    }


def test_row_total(ed2021, office2021):
    office2021["B.3.1.total"] = 18
    findings = [f for f in check_values(ed2021, office2021) if f.rule == "row_total"]
    assert rules_of(findings) == {("row_total", "B", "3.1", "total")}
    assert findings[0].expected == 17 and findings[0].actual == 18


def test_balance_alone(ed2019, city2019):
    # moving one application from 四 to 二 keeps every total but breaks 1 + 2 = 3.7 + 4
    city2019["B.2.natural"] += 1
    city2019["B.2.total"] += 1
    findings = check_values(ed2019, city2019)
    assert rules_of(findings) == {("balance", "B", None, "natural"), ("balance", "B", None, "total")}
    assert "第一项加第二项之和为 355" in findings[0].message


def test_group_total(ed2019, city2019):
    city2019["C.suit_direct.total"] = 14
    assert rules_of(check_values(ed2019, city2019)) == {("group_total", "C", "suit_direct", "total")}


# a unit's figures arrive as Figures (a machine array, the odd figure beside it), a city's as a dict
HELD = pytest.mark.parametrize("held", [dict, Figures], ids=["dict", "Figures"])


@HELD
def test_counts_are_non_negative_whole_numbers(ed2019, city2019, held):
    city2019["A.rules.made"] = -1
    city2019["A.normative.total"] = 315.5
    findings = check_values(ed2019, held(city2019))
    assert rules_of(findings) == {
        ("negative_value", "A", "rules", "made"),
        ("not_whole_number", "A", "normative", "total"),
    }


@HELD
def test_delta_may_be_negative_and_money_may_have_decimals(ed2019, city2019, held):
    city2019["A.licensing.delta"] = -5
    city2019["A.procurement.amount_wan"] = 258590.1234
    assert check_values(ed2019, held(city2019)) == []
    city2019["A.procurement.amount_wan"] = -1
    assert rules_of(check_values(ed2019, held(city2019))) == {("negative_value", "A", "procurement", "amount_wan")}


def test_a_rule_with_an_absent_operand_is_not_evaluated(ed2019, city2019):
    del city2019["B.3.1.natural"]
    city2019["B.3.7.natural"] = 999
    findings = check_values(ed2019, city2019)
    assert ("column_total", "B", "3.7", "natural") not in rules_of(findings)
    assert ("row_total", "B", "3.7", "total") in rules_of(findings)


def test_findings_carry_the_source_cell(ed2019, city2019):
    city2019["C.review.total"] = 7
    sources = {"C.review.total": "复议诉讼!F5"}
    (finding,) = check_values(ed2019, city2019, sources=sources)
    assert finding.source == "复议诉讼!F5"


ROSTER = Roster(
    [Unit(id="D17", name="乐清市商务局", category="部门", aliases=("商务局（单位名称）",))], region="乐清市"
)


@pytest.mark.parametrize("written", ["乐清市商务局", "市商务局", "商务局", "商务局（单位名称）", " 乐清市 商务局 "])
def test_unit_matches_the_roster_by_name_or_alias(written):
    assert ROSTER.match(written).id == "D17"


def submission(**kw):
    base = {"file": Path("x.xlsx"), "unit": "市商务局", "year": 2019, "edition": "2019"}
    return Submission(**{**base, **kw})


def test_identity_passes_for_the_right_unit_year_and_edition(city2019):
    checked = validate(submission(values=city2019), roster=ROSTER, year=2019)
    assert checked.findings == () and checked.unit_id == "D17"


@pytest.mark.parametrize(
    "changes, rule",
    [
        ({"unit": "市外事办"}, "unknown_unit"),
        ({"unit": None}, "no_unit"),
        ({"year": None}, "no_year"),
        ({"year": 2020}, "wrong_year"),
        ({"year": 2021}, "wrong_edition"),
    ],
)
def test_identity_findings(changes, rule):
    findings = check_identity(validate(submission(**changes), roster=ROSTER), roster=ROSTER, year=2019)
    assert rule in {f.rule for f in findings}
    assert all(f.is_error for f in findings)


def test_wrong_edition_message_says_send_it_back():
    (finding,) = check_identity(submission(year=2021, unit_id="D17"), roster=ROSTER)
    assert finding.message == "2021 年度报告应使用2021年版格式，该文件使用的是2019年版格式，请退回重报"


def test_validate_never_raises_on_an_unreadable_submission():
    refused = Submission.refused(Path("/nonexistent/broken.xlsx"), "unreadable_file", reason="坏了")
    checked = validate(refused, roster=ROSTER, year=2019)
    assert [f.rule for f in checked.findings] == ["unreadable_file"]


def test_every_spec_rule_is_in_the_catalogue(ed2019, ed2021):
    for edition in (ed2019, ed2021):
        assert {r.id for r in edition.rules} <= set(catalogue())


def test_the_consolidation_names_the_units_whose_own_findings_explain_each_broken_rule(ed2019, city2019):
    from rollup.findings import Finding
    from rollup.validate import check_consolidation

    wrong = {**city2019, "B.3.7.natural": city2019["B.3.7.natural"] + 1}
    faulty = [(f, "口径差异" if f.rule == "balance" else "") for f in check_values(ed2019, wrong)]
    elsewhere = Finding.of("blank_cell", edition=ed2019, table="A", row="rules", column="made", cells="")
    units = [("甲局", faulty), ("乙镇", [(elsewhere, "")])]

    found = check_consolidation(ed2019, wrong, units, region="乐清市")
    assert rules_of(i.finding for i in found) == rules_of(f for f, _ in faulty)
    assert all(i.units == ["甲局"] and i.finding.unit == "乐清市" for i in found)
    assert all(i.finding.message.endswith("涉及：甲局") for i in found)
    balance = next(i for i in found if i.finding.rule == "balance")
    assert [(c.finding.rule, c.reason) for c in balance.causes] == [("balance", "口径差异")]
    assert "（已说明：口径差异）" in balance.causes[0].words
    assert check_consolidation(ed2019, city2019, units) == []
