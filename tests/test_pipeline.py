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
    assert csv_lines[0] == "unit,code,value,mark,note" and len(csv_lines) == 1 + 74 * 198


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
    assert set(tracked.status.duplicates) == {"乐清市财政局（初稿）.xlsx", "乐清市财政局（再次发送）.xlsx"}
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
    assert len(result.consolidation.received) == 74 and result.status.as_of == date(2020, 2, 1)
