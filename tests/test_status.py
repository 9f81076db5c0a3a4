"""Where every unit stands: deadlines with per-unit extensions and --as-of, versions that correct
errors, unmatched files, acceptances, the roster following the year. Real workbooks, a real
ledger file, the real pipeline."""

import shutil
import zlib
from dataclasses import replace
from datetime import date, datetime

import openpyxl
import pytest
from conftest import REPO
from helpers import code_locations, fill_template
from pydantic import TypeAdapter
from statuses import one_wrong_cell, six_units
from test_ledger import BEFORE_DEADLINE, stamp
from typer.testing import CliRunner

from rollup import codesheet, pipeline
from rollup.cli import app
from rollup.config import load_settings
from rollup.ingest import read_submission
from rollup.roster import load_roster
from rollup.status import Standing, StatusReport, dump_report, load_report

runner = CliRunner()
EXPLANATION = "三(七)总计含一件跨年度合并办理的申请，故与分项之和不一致。"


@pytest.fixture
def office(tmp_path, all_74):
    """The sample office, every report received on 20 January except: 龙西乡 sent nothing;
    生态环境分局 (extension to 10 February) on 8 February; 仙溪镇 (extension to 7 February) on
    9 February; 民政局 on 3 February; 商务局's report has 三(七)总计 自然人 one too high, with an
    explanation on its 说明 sheet."""
    inbox = tmp_path / "inbox"
    shutil.copytree(all_74, inbox)
    (inbox / "龙西乡.xlsx").unlink()
    commerce = inbox / "乐清市商务局.xlsx"
    faulty = read_submission(commerce).values["B.3.7.natural"] + 1
    fill_template(commerce, commerce, {"B.3.7.natural": faulty, codesheet.EXPLANATION: EXPLANATION})
    for path in inbox.iterdir():
        stamp(path, BEFORE_DEADLINE)
    stamp(inbox / "温州市生态环境局乐清分局.xlsx", datetime(2020, 2, 8, 10))
    stamp(inbox / "仙溪镇.xlsx", datetime(2020, 2, 9, 16))
    stamp(inbox / "乐清市民政局.xlsx", datetime(2020, 2, 3, 11))
    config = tmp_path / "rollup.toml"
    config.write_text(
        f'region = "乐清市"\nyear = 2019\n[paths]\nroster = "{(REPO / "config" / "units.csv").as_posix()}"\n'
        f'inbox = "{inbox.as_posix()}"\noutbox = "{(tmp_path / "outbox").as_posix()}"\n',
        encoding="utf-8",
    )
    return load_settings(config)


def standings(settings, **options) -> dict:
    report = pipeline.track(settings, **options).status
    return {u.unit.name: u for u in report.units}


def test_late_and_missing_against_per_unit_extensions_and_as_of(office):
    later = standings(office, as_of=date(2020, 2, 20))
    assert later["温州市生态环境局乐清分局"].standing is Standing.ON_TIME  # 8 Feb, within its extension
    assert later["温州市生态环境局乐清分局"].deadline == date(2020, 2, 10)
    assert (later["仙溪镇"].standing, later["仙溪镇"].days_late, later["仙溪镇"].deadline) == (
        Standing.LATE,
        2,
        date(2020, 2, 7),
    )
    assert (later["乐清市民政局"].standing, later["乐清市民政局"].days_late) == (Standing.LATE, 3)
    assert (later["龙西乡"].standing, later["龙西乡"].days_late, later["龙西乡"].overdue) == (
        Standing.MISSING,
        20,
        True,
    )

    early = standings(office, as_of=date(2020, 2, 5))
    # received after the day asked about: not yet received then, and not overdue while the extension runs
    for name in ("温州市生态环境局乐清分局", "仙溪镇"):
        assert (early[name].standing, early[name].overdue, early[name].days_late) == (Standing.MISSING, False, None)
    assert (early["龙西乡"].days_late, early["乐清市民政局"].days_late) == (5, 3)

    before = standings(office, as_of=date(2020, 1, 25))
    assert before["龙西乡"].missing and not before["龙西乡"].overdue


def test_rates_overall_and_by_category(office):
    report = pipeline.track(office, as_of=date(2020, 2, 20)).status
    totals = {name: (r.expected, r.received, r.on_time) for name, r in report.counts.items()}
    assert totals == {"合计": (74, 73, 71), "部门": (49, 49, 48), "乡镇街道": (25, 24, 23)}
    assert report.counts["合计"].submission_rate == pytest.approx(73 / 74)
    assert report.counts["乡镇街道"].timeliness_rate == pytest.approx(23 / 25)
    assert [u.unit.name for u in report.late] == ["乐清市民政局", "仙溪镇"]
    assert dict(report.headlines)["本年新收申请"] > 0


def test_a_clean_new_version_moves_a_unit_from_to_correct_to_corrected(office, all_74):
    first = standings(office)["乐清市商务局"]
    assert first.standing is Standing.TO_CORRECT
    assert {f.rule for f in first.errors} == {"column_total", "row_total", "balance"}
    assert first.explanation == EXPLANATION
    corrected = stamp(
        shutil.copy(all_74 / "乐清市商务局.xlsx", office.inbox / "乐清市商务局（更正）.xlsx"), datetime(2020, 2, 12)
    )
    second = standings(office)["乐清市商务局"]
    assert (second.standing, second.file, second.versions, second.errors) == (Standing.CORRECTED, corrected.name, 2, ())
    assert second.received_at == BEFORE_DEADLINE and not second.late  # timeliness is judged on the first receipt


def test_files_that_match_no_unit_come_with_the_closest_roster_names(office, all_74):
    fill_template(all_74 / "乐清市商务局.xlsx", office.inbox / "商贸局年报.xlsx", {}, {"unit": "乐清市商贸局"})
    (office.inbox / "柳市镇报告.xlsx").write_bytes(b"not a workbook")
    report = pipeline.track(office).status
    found = {f.file: f for f in report.unmatched}
    assert (found["商贸局年报.xlsx"].unit_text, found["商贸局年报.xlsx"].suggestions[0]) == (
        "乐清市商贸局",
        "乐清市商务局",
    )
    assert found["柳市镇报告.xlsx"].unit_text is None and found["柳市镇报告.xlsx"].suggestions[0] == "柳市镇"


def test_accepting_findings_survives_re_runs_and_same_figures_but_lapses_when_they_change(office, all_74):
    pipeline.track(office)
    with pytest.raises(LookupError, match=r"没有与“B\.1\.commercial”相关的问题"):
        pipeline.accept(office, "商务局", "B.1.commercial", "理由")  # no broken sum takes in that cell
    _, covered = pipeline.accept(office, "商务局", "B.3.7.natural", "跨年度合并办理，经核实属实")
    # the cell's column total, its column's balance and its row's total (三(七)总计 总计 = the row's sum)
    assert {f.rule for f in covered} == {"column_total", "balance", "row_total"}
    pipeline.accept(office, "乐清市商务局", "row_total", "同上")
    unit = standings(office)["乐清市商务局"]  # a re-run: the acceptances are in the ledger
    assert (unit.standing, unit.findings) == (Standing.ON_TIME, ())
    assert {f.rule for f in unit.accepted_findings} == {"column_total", "row_total", "balance"}
    assert [a.reason for a in unit.accepted] == ["跨年度合并办理，经核实属实", "同上"]

    # a new version with the same figures (only the explanation reworded): still accepted
    commerce = office.inbox / "乐清市商务局.xlsx"
    same = fill_template(
        commerce, office.inbox / "乐清市商务局（补充说明）.xlsx", {codesheet.EXPLANATION: "补充：见附件。"}
    )
    stamp(same, datetime(2020, 2, 1))
    unit = standings(office)["乐清市商务局"]
    assert (unit.standing, unit.versions, unit.explanation) == (Standing.ON_TIME, 2, "补充：见附件。")

    # the figure changes: the acceptances lapse and the unit is chased again
    wrong = read_submission(commerce).values["B.3.7.natural"] + 1
    stamp(
        fill_template(commerce, office.inbox / "乐清市商务局（第三版）.xlsx", {"B.3.7.natural": wrong}),
        datetime(2020, 2, 2),
    )
    unit = standings(office)["乐清市商务局"]
    assert unit.standing is Standing.TO_CORRECT and unit.accepted == () and unit.accepted_findings == ()
    assert {f.rule for f in unit.errors} == {"column_total", "row_total", "balance"}


def test_accept_refuses_what_cannot_be_accepted(office):
    with pytest.raises(LookupError, match="请先运行 rollup consolidate"):
        pipeline.accept(office, "商务局", "row_total", "理由")  # nothing recorded yet
    pipeline.track(office)
    with pytest.raises(ValueError, match="既不是问题代码"):
        pipeline.accept(office, "商务局", "B.99.natural", "理由")
    with pytest.raises(LookupError, match="没有与“blank_cell”相关的问题"):
        pipeline.accept(office, "商务局", "blank_cell", "理由")
    with pytest.raises(LookupError, match="尚未收到龙西乡"):
        pipeline.accept(office, "龙西乡", "row_total", "理由")
    with pytest.raises(LookupError, match="是否为：乐清市商务局"):
        pipeline.accept(office, "商贸局", "row_total", "理由")
    with pytest.raises(ValueError, match="理由"):
        pipeline.accept(office, "商务局", "row_total", "  ")


ROSTER = """编码,单位名称,类别,别名,启用年份,停用年份
D01,乐清市人民政府办公室,部门,市府办,,
D90,乐清市环境保护局,部门,环保局,,2019
D12,温州市生态环境局乐清分局,部门,乐清市环境保护局;环保局,2019,
T01,乐成街道,乡镇街道,,,2021
T02,乐成镇,乡镇街道,,2021,
"""


def test_the_expected_units_follow_the_year_and_old_names_match_the_successor(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(ROSTER, encoding="utf-8")
    roster = load_roster(path, "乐清市")
    assert [u.id for u in roster.for_year(2018)] == ["D01", "D90", "T01"]
    assert [u.id for u in roster.for_year(2019)] == ["D01", "D12", "T01"]
    assert [u.id for u in roster.for_year(2021)] == ["D01", "D12", "T02"]
    assert roster.for_year(2018).match("环保局").id == "D90"
    assert roster.for_year(2020).match("乐清市环境保护局").id == "D12"
    path.write_text(
        ROSTER.replace(
            "D12,温州市生态环境局乐清分局,部门,乐清市环境保护局;环保局,2019,",
            "D12,温州市生态环境局乐清分局,部门,环保局,2018,",
        ),
        encoding="utf-8",
    )
    with pytest.raises(Exception, match="重复"):
        load_roster(path, "乐清市")


def test_a_name_is_looked_up_as_the_unit_that_bears_it_in_the_year(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(ROSTER, encoding="utf-8")
    roster = load_roster(path, "乐清市")

    def lookup(name, year):
        return tuple(u.id if u else None for u in roster.lookup(name, year))

    assert lookup("环保局", 2018) == ("D90", None)  # the abolished unit's own years
    assert lookup("环保局", 2020) == ("D12", None)  # its successor took the name over
    assert lookup("环保局", None) == ("D12", None)
    assert lookup("乐成镇", 2019) == (None, "T02")  # set up later: named, but not expected yet
    assert lookup("乐成街道", 2021) == (None, "T01")
    assert lookup("市府办", 2019) == ("D01", None)
    assert lookup("永嘉县", 2019) == (None, None)


def test_an_abolished_unit_is_neither_missing_nor_sent_a_template(office, tmp_path):
    roster = tmp_path / "units.csv"
    lines = (REPO / "config" / "units.csv").read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("编码"))
    lines[header] += ",启用年份,停用年份"
    lines = [
        line + (",,2019" if line.startswith("T24,") else ",," if i > header else "") for i, line in enumerate(lines)
    ]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "rollup.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace((REPO / "config" / "units.csv").as_posix(), roster.as_posix()),
        encoding="utf-8",
    )
    report = pipeline.track(load_settings(config)).status
    assert "龙西乡" not in {u.unit.name for u in report.units} and report.counts["合计"].expected == 73
    assert report.with_standing(Standing.MISSING) == []
    made = runner.invoke(app, ["template", "--config", str(config)])
    assert made.exit_code == 0, made.output
    names = {p.stem for p in (tmp_path / "outbox" / "templates" / "2019").iterdir()}
    assert len(names) == 73 and "龙西乡" not in names


def test_status_history_accept_and_consolidate_on_the_command_line(office):
    config = ["--config", str(office.base_dir / "rollup.toml")]
    status = runner.invoke(app, ["status", "--as-of", "2020-02-20", *config])
    assert status.exit_code == 0, status.output
    assert "报送率 98.6%（73/74），及时率 95.9%（71/74）" in status.output
    assert "龙西乡（已逾期 20 天" in status.output and "仙溪镇（迟报 2 天）" in status.output
    assert f"单位说明：{EXPLANATION}" in status.output

    accepted = runner.invoke(app, ["accept", "商务局", "row_total", "--reason", "口径差异", *config])
    assert accepted.exit_code == 0 and "已接受 1 个问题" in accepted.output
    refused = runner.invoke(app, ["accept", "商务局", "no_such_rule", "--reason", "x", *config])
    assert refused.exit_code == 2 and "no_such_rule" in refused.output

    second = fill_template(
        office.inbox / "乐清市商务局.xlsx", office.inbox / "乐清市商务局（二）.xlsx", {"A.rules.made": 3}
    )
    stamp(second, datetime(2020, 2, 15))
    stale = runner.invoke(app, ["history", "商务局", *config])  # the ledger does not know it yet
    assert stale.exit_code == 0 and "收件箱在上次汇总后有变化" in stale.output and "共 1 版" in stale.output
    assert runner.invoke(app, ["status", "--as-of", "2020-02-20", *config]).exit_code == 0
    shown = runner.invoke(app, ["history", "商务局", *config])
    assert shown.exit_code == 0, shown.output
    assert "收件箱在上次汇总后有变化" not in shown.output and "以此版为准" in shown.output
    assert "共 2 版" in shown.output and "主动公开" in shown.output and "（A.rules.made）：0 → 3" in shown.output

    done = runner.invoke(app, ["consolidate", "--as-of", "2020-02-20", *config])
    assert done.exit_code == 0, done.output
    assert "已说明" in done.output and "口径差异" in done.output
    workbook = openpyxl.load_workbook(office.outbox / "2019" / "乐清市2019年度政府信息公开工作年度报告汇总.xlsx")
    checked = list(workbook["校验问题"].iter_rows(values_only=True))
    findings = [dict(zip(checked[0], r, strict=False)) for r in checked[1:] if r[0] == "乐清市商务局"]
    decided = {f["问题代码"]: f["处理"] for f in findings if f["文件"] == "乐清市商务局（二）.xlsx"}
    assert decided == {
        "row_total": "已说明：口径差异",
        "column_total": None,
        "balance": None,
        "duplicate_submission": None,
    }
    assert {f["单位说明"] for f in findings if f["文件"] == "乐清市商务局（二）.xlsx"} == {EXPLANATION}
    rows = list(workbook["报送情况"].iter_rows(values_only=True))
    assert rows[0][:9] == ("范围", "应报", "已报", "按时报送", "迟报", "未报送", "待更正", "报送率", "及时率")
    assert rows[1][:7] == ("合计", 74, 73, 71, 2, 1, 1)
    assert rows[1][7:9] == (pytest.approx(73 / 74), pytest.approx(71 / 74))
    header = rows.index(next(r for r in rows[4:] if r[0] == "编码"))
    units = {r[1]: dict(zip(rows[header], r, strict=False)) for r in rows[header + 1 :] if r[0]}
    assert units["龙西乡"]["报送情况"] == "未报送" and units["龙西乡"]["迟报/逾期天数"] == 20
    assert units["仙溪镇"]["报送情况"] == "迟报" and units["仙溪镇"]["截止日期"] == "2020-02-07"
    assert units["乐清市商务局"]["单位说明"] == EXPLANATION and "口径差异" in units["乐清市商务局"]["已说明"]
    superseded = [r for r in rows[header + 1 :] if r[3] == "未计入：同一单位的另一份文件"]
    assert [(r[1], r[7]) for r in superseded] == [("乐清市商务局", "乐清市商务局.xlsx")]
    assert "以较晚收到的 乐清市商务局（二）.xlsx 为准" in superseded[0][12]
    assert code_locations(office.inbox / "乐清市商务局.xlsx")  # the inbox is untouched and still readable


def test_an_abolished_units_report_is_the_same_finding_in_check_and_in_status(office, tmp_path, all_74):
    roster = tmp_path / "units.csv"
    lines = (REPO / "config" / "units.csv").read_text(encoding="utf-8").splitlines()
    lines = [
        line + ",启用年份,停用年份"
        if line.startswith("编码,")
        else line + ",,2019"
        if line.startswith("T24,")
        else line
        for line in lines
    ]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = office.base_dir / "rollup.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace((REPO / "config" / "units.csv").as_posix(), roster.as_posix()),
        encoding="utf-8",
    )
    report = shutil.copy(all_74 / "龙西乡.xlsx", office.inbox / "龙西乡.xlsx")
    words = "龙西乡已于 2019 年停用，2019 年度不再报送或尚不报送"

    checked = runner.invoke(app, ["check", str(report), "--config", str(config)])
    assert checked.exit_code == 1 and words in checked.output

    status = pipeline.track(load_settings(config)).status
    (found,) = [f for f in status.unmatched if f.file == "龙西乡.xlsx"]
    assert words in found.reason
    shown = runner.invoke(app, ["status", "--config", str(config)])
    assert words in shown.output


def test_rates_are_given_only_for_categories_that_have_units_and_never_as_0_of_0():
    from rich.console import Console

    from rollup.render.console import print_status
    from rollup.roster import Unit
    from rollup.status import StatusReport, UnitStatus

    county = Unit(id="X1", name="永嘉县", category="县市区", active_until=2019)
    city = Unit(id="X2", name="市发改委", category="市直部门")
    units = tuple(UnitStatus(u, Standing.MISSING, date(2020, 1, 31), None, 5) for u in (city, county) if u.active(2019))
    report = StatusReport("温州市", 2019, date(2020, 2, 5), units)
    assert list(report.counts) == ["合计", "市直部门"]
    console = Console(record=True, width=200)
    print_status(console, report)
    text = console.export_text()
    assert "0/0" not in text and "市直部门：应报 1 家，报送率 0.0%（0/1）" in text and "县市区" not in text
    nobody = Console(record=True, width=200)
    print_status(nobody, StatusReport("温州市", 2019, date(2020, 2, 5), ()))
    text = nobody.export_text()
    assert "合计：本年度没有应报单位" in text and "0/0" not in text


def test_the_standing_kept_with_the_outputs_is_the_report_as_one_json_text(city2019):
    report = six_units(one_wrong_cell(city2019))
    for units in ((), report.units, report.units * 200):  # none, a few, many batches of them
        whole = replace(report, units=units)
        kept = dump_report(whole)
        assert zlib.decompress(kept) == TypeAdapter(StatusReport).dump_json(whole)
        assert load_report(kept) == whole
