import hashlib
import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import REPORTS
from helpers import code_locations, fill_template, settings_for

from rollup import pipeline
from rollup.demo.sample import load_city
from rollup.forms import editions
from rollup.ingest import read_submission
from rollup.render.consolidation import write_outputs
from rollup.validate import check_values, validate


@pytest.fixture
def inbox(tmp_path, all_74) -> Path:
    folder = tmp_path / "inbox"
    shutil.copytree(all_74, folder)
    return folder


def digests(folder: Path) -> dict[str, tuple[str, float]]:
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_74_units_sum_to_the_published_city_tables(tmp_path, inbox):
    result = pipeline.track(settings_for(tmp_path, inbox)).consolidation
    city = load_city(REPORTS / "expected.json").values
    assert len(result.units) == 74 and len(result.received) == 74 and result.missing == []
    assert result.findings == []
    assert set(result.values) == set(city)
    mismatched = {code: (result.values[code], city[code]) for code in city if result.values[code] != city[code]}
    assert mismatched == {}
    assert check_values(editions()["2019"], result.values) == []
    # the city report's own note: 结果纠正 names the unit behind it
    assert result.notes == {"C.review.corrected": "市自然资源和规划局"}


def test_consolidated_workbook_is_itself_a_valid_submission(tmp_path, inbox):
    settings = settings_for(tmp_path, inbox)
    tracked = pipeline.track(settings)
    result = tracked.consolidation
    outputs = write_outputs(result, settings.outbox, tracked.status)
    again = validate(read_submission(outputs.workbook), year=2019)
    assert (again.unit, again.year, again.edition) == ("乐清市", 2019, "2019")
    assert again.values == result.values and again.findings == ()
    sheets = openpyxl.load_workbook(outputs.workbook).sheetnames
    assert {"主动公开", "依申请公开", "复议诉讼", "明细", "校验问题", "报送情况"} <= set(sheets)
    data = json.loads(outputs.json.read_text(encoding="utf-8"))
    assert data["values"] == result.values and data["units"]["received"] == 74
    csv_lines = outputs.csv.read_text(encoding="utf-8-sig").splitlines()
    assert csv_lines[0] == "单位,表,行,列,单元格编码,数值,标记,备注" and len(csv_lines) == 1 + 74 * 198
    assert "乐清市人民政府办公室,依申请表,一、本年新收,自然人,B.1.natural," in "\n".join(csv_lines)
    machine = write_outputs(result, settings.outbox, tracked.status, csv_format="codes").csv
    codes = machine.read_text(encoding="utf-8-sig").splitlines()
    assert codes[0] == "unit,code,value,mark,note" and len(codes) == 1 + 74 * 198


def test_missing_faulty_duplicate_broken_and_unknown_files(tmp_path, inbox, all_74):
    (inbox / "龙西乡.xlsx").unlink()
    faulty = inbox / "乐清市商务局.xlsx"
    wb = openpyxl.load_workbook(faulty)
    sheet, cell = code_locations(faulty)["B.3.7.natural"]
    wb[sheet][cell] = wb[sheet][cell].value + 1
    wb.save(faulty)
    older = fill_template(inbox / "乐清市财政局.xlsx", inbox / "乐清市财政局（初稿）.xlsx", {"A.rules.made": 9})
    os.utime(older, (1_500_000_000, 1_500_000_000))
    shutil.copy(inbox / "乐清市财政局.xlsx", inbox / "乐清市财政局（再次发送）.xlsx")
    (inbox / "损坏.xlsx").write_bytes(b"not a workbook")
    (inbox / "~$乐清市财政局.xlsx").write_bytes(b"lock file")
    before = digests(inbox)

    settings = settings_for(tmp_path, inbox)
    tracked = pipeline.track(settings)
    result = tracked.consolidation
    by_name = {u.unit.name: u for u in result.units}
    assert [u.unit.name for u in result.missing] == ["龙西乡"]
    assert by_name["乐清市商务局"].status == "有错误"
    assert {f.rule for f in by_name["乐清市商务局"].submission.errors} == {"column_total", "row_total", "balance"}
    finance = by_name["乐清市财政局"]
    assert finance.submission.file.name == "乐清市财政局.xlsx"
    assert [s.file.name for s in finance.superseded] == ["乐清市财政局（初稿）.xlsx"]
    assert "duplicate_submission" in {f.rule for f in finance.submission.findings}
    superseded = {(f.file, f.unit, f.counted) for f in tracked.status.superseded}
    assert superseded == {
        ("乐清市财政局（初稿）.xlsx", "乐清市财政局", "乐清市财政局.xlsx"),
        ("乐清市财政局（再次发送）.xlsx", "乐清市财政局", "乐清市财政局.xlsx"),
    }
    assert [(s.file.name, s.findings[0].rule) for s in result.unmatched] == [("损坏.xlsx", "wrong_format")]
    missing_share = read_submission(all_74 / "龙西乡.xlsx").values["B.1.total"]
    assert result.values["B.3.7.natural"] == 351 + 1 - read_submission(all_74 / "龙西乡.xlsx").values["B.3.7.natural"]
    assert result.values["B.1.total"] == 450 - missing_share

    excluded = pipeline.track(settings, exclude_invalid=True).consolidation
    commerce = by_name["乐清市商务局"].submission
    assert [u.submission.file.name for u in excluded.excluded] == ["乐清市商务局.xlsx"]
    assert excluded.values["B.1.total"] == result.values["B.1.total"] - commerce.values["B.1.total"]

    write_outputs(result, settings.outbox, tracked.status)
    assert digests(inbox) == before


def test_flat_files_of_another_year_wait_for_their_year_and_year_folders_count(tmp_path, inbox, all_74):
    year_folder = inbox / "2019"
    year_folder.mkdir()
    shutil.move(inbox / "柳市镇.xlsx", year_folder / "柳市镇.xlsx")
    fill_template(all_74 / "乐清市教育局.xlsx", inbox / "乐清市教育局.xlsx", {}, {"year": 2018})
    result = pipeline.track(settings_for(tmp_path, inbox)).consolidation
    by_name = {u.unit.name: u for u in result.units}
    assert by_name["柳市镇"].submission.file.parent.name == "2019"
    assert [s.file.name for s in result.other_years] == ["乐清市教育局.xlsx"]
    assert by_name["乐清市教育局"].status == "未报送"


@pytest.mark.parametrize("kind", ["docx", "pdf", "txt"])
def test_units_that_send_their_report_itself_are_consolidated_like_templates(tmp_path, inbox, ed2019, kind):
    from reportgen import ReportSpec, report_text, write_docx, write_pdf, write_text

    sent = next(inbox.glob("乐清市商务局*.xlsx"))
    values = read_submission(sent).values
    sent.unlink()
    spec = ReportSpec(edition=ed2019, values=values, unit="乐清市商务局", year=2019)
    report = inbox / f"商务局年报.{kind}"
    {
        "docx": lambda: write_docx(report, spec),
        "pdf": lambda: write_pdf(report, report_text(spec, "one_line")),
        "txt": lambda: write_text(report, report_text(spec, "one_line"), "gb18030"),
    }[kind]()

    result = pipeline.track(settings_for(tmp_path, inbox)).consolidation
    commerce = next(u for u in result.units if u.unit.name == "乐清市商务局")
    assert commerce.counted and commerce.submission.file == report and commerce.submission.values == values
    assert result.missing == [] and result.findings == []
    assert result.values == load_city(REPORTS / "expected.json").values


def test_the_main_job_is_one_call_from_python(tmp_path, inbox):
    settings = settings_for(tmp_path, inbox)
    result = pipeline.run(settings, as_of=date(2020, 2, 1), received_at=datetime(2020, 1, 20))
    folder = settings.outbox / "2019"
    assert {result.outputs.workbook, result.outputs.json, result.outputs.csv, result.gaps.eml} == {
        folder / "乐清市2019年度政府信息公开工作年度报告汇总.xlsx",
        folder / "汇总数据.json",
        folder / "明细数据.csv",
        folder / "缺报情况.eml",
    }
    assert all(path.is_file() for path in (result.outputs.workbook, result.outputs.json, result.outputs.csv))
    assert result.gaps.eml is not None and result.gaps.eml.is_file()
    assert result.report == folder / "乐清市2019年政府信息公开工作年度报告（草稿）.docx"
    assert read_submission(result.report).values == result.consolidation.values
    assert len(result.consolidation.received) == 74 and result.status.as_of == date(2020, 2, 1)


def test_a_file_standing_in_for_another_unit_is_never_silent(tmp_path, inbox, all_74):
    """乐清市教育局（修改）.xlsx carries 教育局's figures under 商务局's cover and arrives last."""
    from typer.testing import CliRunner

    from rollup.cli import app

    copy = fill_template(
        all_74 / "乐清市教育局.xlsx", inbox / "乐清市教育局（修改）.xlsx", {}, {"unit": "乐清市商务局"}
    )
    later = max(p.stat().st_mtime for p in inbox.iterdir()) + 1
    os.utime(copy, (later, later))
    settings = settings_for(tmp_path, inbox)
    tracked = pipeline.track(settings)
    by_name = {u.unit.name: u for u in tracked.status.units}
    commerce, education = by_name["乐清市商务局"], by_name["乐清市教育局"]
    assert commerce.file == copy.name
    warnings = {f.rule: f.message for f in commerce.findings}
    assert (
        "文件名“乐清市教育局（修改）.xlsx”指乐清市教育局，报告中的填报单位却是乐清市商务局" in warnings["name_mismatch"]
    )
    assert "与乐清市教育局的报告（乐清市教育局.xlsx）数字完全相同" in warnings["duplicate_figures"]
    assert "duplicate_submission" in warnings
    assert [f.message for f in education.findings if f.rule == "duplicate_figures"] == [
        "与乐清市商务局的报告（乐清市教育局（修改）.xlsx）数字完全相同，请核实是否把其他单位的报告当作本单位的报送"
    ]
    assert [(f.file, f.unit, f.counted) for f in tracked.status.superseded] == [
        ("乐清市商务局.xlsx", "乐清市商务局", copy.name)
    ]

    shown = CliRunner().invoke(app, ["status", "--config", str(tmp_path / "rollup.toml")])
    assert shown.exit_code == 0, shown.output
    assert (
        "请核实文件与单位的对应" in shown.output and "文件名“乐清市教育局（修改）.xlsx”指乐清市教育局" in shown.output
    )
    assert "乐清市商务局.xlsx（乐清市商务局；收到较早，以较晚收到的 乐清市教育局（修改）.xlsx 为准）" in shown.output


def test_a_file_named_after_its_own_unit_or_after_none_has_no_name_warning(ed2019, city2019):
    from rollup.roster import load_roster
    from rollup.validate import check_file_name

    roster = load_roster(Path(__file__).resolve().parents[1] / "config" / "units.csv", "乐清市")
    commerce = roster.match("商务局")
    assert check_file_name("乐清市商务局（第二版）.xlsx", commerce, roster) == []
    assert check_file_name("2019年度报告.xlsx", commerce, roster) == []
    assert check_file_name("市商务局转来的教育局报告.xlsx", commerce, roster) == []
    assert [f.rule for f in check_file_name("教育局2019年报.docx", commerce, roster)] == ["name_mismatch"]


def test_the_inbox_as_clerks_keep_it(tmp_path, inbox):
    (inbox / "乡镇").mkdir()
    shutil.move(inbox / "龙西乡.xlsx", inbox / "乡镇" / "龙西乡.xlsx")
    (inbox / "部门" / "二月").mkdir(parents=True)
    shutil.move(inbox / "乐清市民政局.xlsx", inbox / "部门" / "二月" / "乐清市民政局.xlsx")
    (inbox / "2018").mkdir()
    shutil.copy(inbox / "柳市镇.xlsx", inbox / "2018" / "柳市镇.xlsx")  # another year's folder: not read
    for junk in ("Thumbs.db", "desktop.ini", ".DS_Store", "~$柳市镇.xlsx", ".~lock.柳市镇.xlsx#", "乡镇/Thumbs.db"):
        (inbox / junk).write_bytes(b"\x00system")
    (inbox / ".git").mkdir()
    (inbox / ".git" / "x.txt").write_text("not a report", encoding="utf-8")

    result = pipeline.track(settings_for(tmp_path, inbox)).consolidation
    by_name = {u.unit.name: u for u in result.units}
    assert result.missing == [] and result.unmatched == () and len(result.received) == 74
    assert by_name["龙西乡"].submission.file == inbox / "乡镇" / "龙西乡.xlsx"
    assert by_name["乐清市民政局"].submission.file.parent.name == "二月"
    assert by_name["柳市镇"].superseded == () and by_name["柳市镇"].submission.file.parent == inbox


def test_a_run_collects_cycles_rarely_and_leaves_the_collector_as_it_was(tmp_path, inbox, monkeypatch):
    import gc

    during = []
    real = pipeline.consolidate

    def watched(*args, **kwargs):
        during.append(gc.get_threshold())
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "consolidate", watched)
    before = gc.get_threshold()
    pipeline.run(settings_for(tmp_path, inbox), as_of=date(2020, 2, 1))
    assert during and during[0][0] >= 100 * before[0]
    assert gc.get_threshold() == before
