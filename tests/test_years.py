"""Rules across years: what a unit carried forward must be what it carries over, in both editions
and across the change of edition, from the ledger's memory of the year before."""

from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import fill_template, settings_for
from test_ledger import stamp
from typer.testing import CliRunner

from rollup import pipeline
from rollup.cli import app
from rollup.findings import Severity
from rollup.forms import Number, editions
from rollup.ledger import Ledger
from rollup.render.template import write_blank_template
from rollup.validate import LastYear, check_across_years


def carried(last: dict[str, Number], this: dict[str, Number], edition) -> dict[str, Number]:
    """``this`` with row 二 (上年结转) equal to ``last``'s row 四, row 一 adjusted to keep the balance."""
    values = dict(this)
    for column in edition.table("B").columns:
        code = column.code
        values[f"B.2.{code}"] = last[f"B.4.{code}"]
        values[f"B.1.{code}"] = this[f"B.3.7.{code}"] + this[f"B.4.{code}"] - values[f"B.2.{code}"]
    return values


def continued_2019(last: dict[str, Number]) -> dict[str, Number]:
    """A 2020 report on the 2019 form whose 上一年项目数量 continue 2019's items plus their change."""
    values = carried(last, last, editions()["2019"])
    for row in ("licensing", "other_services", "penalty", "enforcement", "fees"):
        values[f"A.{row}.prev_items"] = last[f"A.{row}.prev_items"] + last[f"A.{row}.delta"]
    return values


def rules(findings) -> list[tuple[str, str | None, str | None]]:
    return sorted((f.rule, f.row, f.column) for f in findings)


def test_2019_form_carried_over_and_items_continued_say_nothing(ed2019, city2019):
    this = continued_2019(city2019)
    assert check_across_years(ed2019, this, LastYear(2019, ed2019, city2019), year=2020) == []


def test_2019_form_carry_over_and_items_breaks(ed2019, city2019):
    this = continued_2019(city2019)
    this["B.2.natural"] += 2
    this["A.penalty.prev_items"] -= 15
    found = check_across_years(
        ed2019, this, LastYear(2019, ed2019, city2019), year=2020, sources={"B.2.natural": "依申请公开!B8"}
    )
    assert rules(found) == [("carry_over_mismatch", "2", "natural"), ("items_continuity", "penalty", "prev_items")]
    carry, items = sorted(found, key=lambda f: f.rule)
    assert carry.severity is Severity.ERROR and (carry.actual, carry.expected, carry.source) == (5, 3, "依申请公开!B8")
    assert (
        carry.message
        == "依申请表 二、上年结转 自然人列：填报 5，2019 年度报告的“四、结转下年度继续办理”为 3，两者应相等"
    )
    assert items.severity is Severity.WARNING and (items.actual, items.expected) == (3363, 3378)


def test_2021_form_in_force_continues_from_the_year_before(ed2021, office2021):
    this = carried(office2021, office2021, ed2021)
    this["A.normative.issued"], this["A.normative.repealed"] = 12, 7
    this["A.normative.in_force"] = office2021["A.normative.in_force"] + 12 - 7
    last = LastYear(2021, ed2021, office2021)
    assert check_across_years(ed2021, this, last, year=2022) == []
    this["A.normative.in_force"] += 1
    this["B.2.total"] += 1
    found = check_across_years(ed2021, this, last, year=2022)
    assert rules(found) == [("carry_over_mismatch", "2", "total"), ("in_force_continuity", "normative", "in_force")]
    assert next(f for f in found if f.rule == "in_force_continuity").severity is Severity.WARNING


def test_across_the_change_of_edition_only_the_carry_over_applies(ed2019, ed2021, city2019, office2021):
    this = carried(city2019, office2021, ed2021)
    last = LastYear(2020, ed2019, city2019)
    assert check_across_years(ed2021, this, last, year=2021) == []  # in_force has nothing to continue
    this["B.2.commercial"] = 0
    assert rules(check_across_years(ed2021, this, last, year=2021)) == [("carry_over_mismatch", "2", "commercial")]


def test_an_unknown_year_before_is_said_once_and_2019_has_none_to_know(ed2019, ed2021, city2019, office2021):
    (unknown,) = check_across_years(ed2021, office2021, None, year=2021)
    assert (unknown.rule, unknown.severity) == ("no_last_year", Severity.INFO) and "2020 年度" in unknown.message
    assert check_across_years(ed2019, city2019, None, year=2019) == []  # 2018 had another form


def test_cells_missing_from_either_report_are_not_compared(ed2019, city2019):
    this = continued_2019(city2019)
    this["B.2.natural"] += 1
    del this["B.2.natural"]
    last = {k: v for k, v in city2019.items() if k != "B.4.commercial"}
    this["B.2.commercial"] += 1
    assert check_across_years(ed2019, this, LastYear(2019, ed2019, last), year=2020) == []


ROSTER = "编码,单位名称,类别\nD01,乐清市商务局,部门\nD02,乐清市财政局,部门\n"


def report(folder: Path, name: str, edition, year: int, unit: str, values) -> Path:
    template = write_blank_template(edition, year, folder / f"模板{year}.xlsx")
    path = fill_template(template, folder / name, values, {"unit": unit, "year": year})
    stamp(path, datetime(year + 1, 1, 20))
    return path


@pytest.fixture
def office(tmp_path, city2019, office2021):
    """Two units, whose 2020 reports (2019 form) are in inbox/2020/ and 2021 reports in inbox/2021/:
    商务局 carries over what it carried forward, 财政局 does not."""
    (tmp_path / "units.csv").write_text(ROSTER, encoding="utf-8")
    ed2019, ed2021 = editions()["2019"], editions()["2021"]
    for year in (2020, 2021):
        (tmp_path / "inbox" / str(year)).mkdir(parents=True)
    for unit in ("乐清市商务局", "乐清市财政局"):
        report(tmp_path / "inbox" / "2020", f"{unit}2020.xlsx", ed2019, 2020, unit, city2019)
    good = carried(city2019, office2021, ed2021)
    report(tmp_path / "inbox" / "2021", "商务局2021.xlsx", ed2021, 2021, "乐清市商务局", good)
    report(tmp_path / "inbox" / "2021", "财政局2021.xlsx", ed2021, 2021, "乐清市财政局", office2021)
    return settings_for(tmp_path, tmp_path / "inbox", roster=tmp_path / "units.csv")


def test_the_ledger_remembers_last_year_for_the_next(office):
    first = pipeline.track(office, 2021, as_of=date(2022, 3, 1))  # 2020 not consolidated yet
    by_unit = {u.unit.name: {f.rule for f in u.findings} for u in first.status.units}
    assert by_unit == {"乐清市商务局": {"no_last_year"}, "乐清市财政局": {"no_last_year"}}

    consolidated = pipeline.track(office, 2020, as_of=date(2021, 3, 1)).consolidation
    with Ledger.open(office.ledger_path) as ledger:
        last = ledger.last_run(2020)
        assert last is not None and last.values == consolidated.values and ledger.city_years()[2020] == last.values
    again = pipeline.track(office, 2021, as_of=date(2022, 3, 1))
    findings = {u.unit.name: u.findings for u in again.status.units}
    assert findings["乐清市商务局"] == ()
    assert rules(findings["乐清市财政局"]) == [
        ("carry_over_mismatch", "2", column) for column in ("commercial", "natural", "total")
    ]
    assert {u.unit.name: str(u.standing) for u in again.status.units} == {
        "乐清市商务局": "按时报送",
        "乐清市财政局": "待更正",
    }


def test_import_history_brings_last_years_reports_into_the_ledger(office, tmp_path):
    old = tmp_path / "往年"
    (tmp_path / "inbox" / "2020").rename(old)
    (old / "说明.txt").write_text("这不是报告", encoding="utf-8")
    report(old, "外星局2020.xlsx", editions()["2019"], 2020, "乐清市外星局", {})
    result = CliRunner().invoke(app, ["import-history", str(old), "--config", str(office.base_dir / "rollup.toml")])
    assert result.exit_code == 0, result.output
    assert "已导入 2020 年度报告 2 份" in result.output
    assert "未导入 外星局2020.xlsx：2020 年度名册中没有“乐清市外星局”" in result.output
    assert "未导入 说明.txt" in result.output

    tracked = pipeline.track(office, 2021, as_of=date(2022, 3, 1))
    findings = {u.unit.name: sorted(f.rule for f in u.findings) for u in tracked.status.units}
    assert findings == {"乐清市商务局": [], "乐清市财政局": ["carry_over_mismatch"] * 3}
    _, entries = pipeline.unit_history(office, "财政局", year=2020)
    assert [e.version.received_from for e in entries] == ["import"]


def test_the_workbook_compares_with_last_year_and_subtotals_by_category(office, city2019, office2021):
    from openpyxl import load_workbook

    from rollup.render.breakdown import CATEGORIES_SHEET, YEARS_SHEET

    pipeline.run(office, 2020, as_of=date(2021, 3, 1))
    result = pipeline.run(office, 2021, as_of=date(2022, 3, 1))
    book = load_workbook(result.outputs.workbook)
    years = list(book[YEARS_SHEET].iter_rows(values_only=True))
    assert years[0] == ("年度", "本年新收申请", "上年结转申请", "本年办结", "结转下年度", "行政复议", "行政诉讼")
    assert years[1][:2] == ("2020年", 2 * city2019["B.1.total"]) and years[2][0] == "2021年"
    assert len(book[YEARS_SHEET]._charts) == 1
    header = next(i for i, row in enumerate(years) if row[:3] == ("表", "行", "列"))
    compared = {row[:3]: row[3:] for row in years[header + 1 :]}
    now, before = result.consolidation.values["B.2.total"], 2 * city2019["B.2.total"]
    assert compared[("依申请表", "二、上年结转", "总计列")] == (
        now,
        before,
        now - before,
        pytest.approx((now - before) / before) if before else None,
    )

    categories = list(book[CATEGORIES_SHEET].iter_rows(values_only=True))
    assert categories[0] == ("表", "行", "列", "合计", "部门")
    assert all(row[3] == row[4] for row in categories[1:])


def test_the_consolidation_itself_is_checked_against_last_years_tables(office):
    first = pipeline.track(office, 2021, as_of=date(2022, 3, 1)).status  # 2020 never consolidated
    assert [(i.finding.rule, i.label) for i in first.imbalances] == [("no_last_year", "提示")]
    assert first.balanced
    pipeline.track(office, 2020, as_of=date(2021, 3, 1))
    again = pipeline.track(office, 2021, as_of=date(2022, 3, 1)).status
    across = [i for i in again.imbalances if i.across_years]
    # 财政局 carried over 5 of 6 (natural 5 vs 3, commercial 0 vs 3): the region's row 二 breaks too
    assert sorted(i.finding.column for i in across) == ["commercial", "natural", "total"]
    assert all(i.label == "与上年不符" and i.units == ["乐清市财政局"] for i in across)
    assert again.balanced  # within the year the tables still add up


def test_import_history_takes_the_units_figures_from_an_earlier_consolidated_workbook(office, tmp_path):
    """The office kept only last year's consolidated workbook: its units' figures come out of it."""
    workbook = pipeline.run(office, 2020, as_of=date(2021, 3, 1)).outputs.workbook
    office.ledger_path.unlink()  # a new ledger that has never seen 2020
    kept = tmp_path / "2020年汇总表.xlsx"
    kept.write_bytes(workbook.read_bytes())
    imported = pipeline.import_history(office, [kept])
    assert sorted(s.unit_id or "" for s in imported.recorded[2020]) == ["D01", "D02"] and imported.refused == []
    tracked = pipeline.track(office, 2021, as_of=date(2022, 3, 1))
    findings = {u.unit.name: sorted(f.rule for f in u.findings) for u in tracked.status.units}
    assert findings == {"乐清市商务局": [], "乐清市财政局": ["carry_over_mismatch"] * 3}


def test_the_console_counts_notes_and_lists_only_what_asks_for_a_look(office):
    config = str(office.base_dir / "rollup.toml")
    shown = CliRunner().invoke(app, ["consolidate", "--config", config, "--year", "2021", "--as-of", "2022-03-01"])
    assert shown.exit_code == 0, shown.output
    status = pipeline.track(office, 2021, as_of=date(2022, 3, 1)).status
    notes = [f for u in status.units for f in u.findings if f.severity == Severity.INFO]
    assert {f.rule for f in notes} == {"no_last_year"} and len(notes) == 2
    assert f"另有提示 {len(notes)} 条" in shown.output
    listed = {u.unit.name for u in status.units if u.errors or any(f.severity == Severity.WARNING for f in u.findings)}
    table = shown.output.split("校验问题（按单位）")[1] if "校验问题（按单位）" in shown.output else ""
    assert all(name in table for name in listed)
