"""Roll-up of roll-ups: units → two counties → one prefecture. The prefecture's figures are the
sum of all the units, a unit's note reaches the prefecture's table, and the prefecture can still
tell which units inside each county make a figure."""

import shutil
from pathlib import Path

import openpyxl
import pytest
from helpers import code_locations, fill_template, settings_for

from rollup import pipeline
from rollup.ingest import read_submission
from rollup.render.breakdown import SOURCES_SHEET

ROSTER_HEADER = "编码,单位名称,类别\n"


def county(root: Path, all_74: Path, name: str, units: list[tuple[str, str, str]]) -> Path:
    """A county office whose inbox holds its units' sample reports; its consolidated workbook."""
    folder = root / name
    (folder / "inbox").mkdir(parents=True)
    roster = folder / "units.csv"
    roster.write_text(ROSTER_HEADER + "".join(f"{i},{n},{c}\n" for i, n, c in units), encoding="utf-8")
    for _, unit, _ in units:
        shutil.copy(all_74 / f"{unit}.xlsx", folder / "inbox")
    settings = settings_for(folder, folder / "inbox", roster=roster, region=name)
    return pipeline.run(settings).outputs.workbook


@pytest.fixture(scope="module")
def prefecture(tmp_path_factory, all_74):
    """Departments in the county 乐清市, townships in the county 雁荡县 (the unit with the city's
    one 其他结果 of a review noting it as withdrawn, 撤回), and the prefecture 温州市 rolling up the
    two counties' workbooks."""
    root = tmp_path_factory.mktemp("levels")
    lines = (Path(__file__).parents[1] / "config" / "units.csv").read_text(encoding="utf-8").splitlines()
    units = [tuple(line.split(",")[:3]) for line in lines if line[:1] in "DT"]
    townships = [u for u in units if u[2] == "乡镇街道"]
    withdrawn = next(n for _, n, _ in units if read_submission(all_74 / f"{n}.xlsx").values["C.review.other"])
    sent = root / "sent"
    shutil.copytree(all_74, sent)
    count = read_submission(sent / f"{withdrawn}.xlsx").values["C.review.other"]
    fill_template(sent / f"{withdrawn}.xlsx", sent / f"{withdrawn}.xlsx", {"C.review.other": f"{count}（撤回）"})
    workbooks = [
        county(root, sent, "乐清市", [u for u in units if u[2] == "部门"]),
        county(root, sent, "雁荡县", townships),
    ]
    top = root / "温州市"
    (top / "inbox").mkdir(parents=True)
    for workbook in workbooks:
        shutil.copy(workbook, top / "inbox")
    roster = top / "units.csv"
    roster.write_text(ROSTER_HEADER + "C01,乐清市,县市区\nC02,雁荡县,县市区\n", encoding="utf-8")
    return pipeline.run(settings_for(top, top / "inbox", roster=roster, region="温州市")), withdrawn, root


def test_the_prefecture_is_the_sum_of_all_the_units(prefecture, city2019):
    result, _, _ = prefecture
    consolidation = result.consolidation
    assert [u.unit.name for u in consolidation.counted] == ["乐清市", "雁荡县"]
    assert consolidation.values == city2019
    assert result.status.balanced and all(not u.findings for u in result.status.units)


def test_a_units_notes_reach_the_prefectures_table(prefecture):
    result, _, _ = prefecture
    notes = result.consolidation.notes
    assert notes["C.review.corrected"] == "市自然资源和规划局"  # the county named its unit; the name goes up
    assert notes["C.review.other"] == "撤回"
    again = read_submission(result.outputs.workbook)  # the prefecture's workbook carries them up again
    assert again.notes == notes and again.values == result.consolidation.values


def test_the_prefecture_sees_the_units_inside_each_county(prefecture):
    result, withdrawn, _ = prefecture
    sheet = openpyxl.load_workbook(result.outputs.workbook)[SOURCES_SHEET]
    rows = {(r[0], r[1], r[2]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    corrected = rows[("复议诉讼表", "行政复议", "结果纠正列")]
    assert corrected[3:] == (1, 1, "乐清市 1（市自然资源和规划局）〔其中 乐清市自然资源和规划局 1〕")
    other = rows[("复议诉讼表", "行政复议", "其他结果列")][5]
    assert f"〔其中 {withdrawn} 1〕" in other and "（撤回）" in other
    book = openpyxl.load_workbook(result.outputs.workbook)
    sheet_name, cell = code_locations(result.outputs.workbook)["C.review.corrected"]
    comment = book[sheet_name][cell].comment
    assert (
        comment is not None and "来自：乐清市 1（市自然资源和规划局）〔其中 乐清市自然资源和规划局 1〕" in comment.text
    )


def test_a_county_that_sent_only_its_published_report_is_rolled_up_too(prefecture, tmp_path, city2019):
    """雁荡县 sends its report in Word (as rollup drafts it) instead of its workbook; 乐清市's report
    names it 乐清市人民政府."""
    _, _, root = prefecture
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(root / "乐清市" / "outbox" / "2019" / "乐清市2019年度政府信息公开工作年度报告汇总.xlsx", inbox)
    report = root / "雁荡县" / "outbox" / "2019" / "雁荡县2019年政府信息公开工作年度报告（草稿）.docx"
    shutil.copy(report, inbox / "雁荡县人民政府2019年政府信息公开工作年度报告.docx")
    roster = tmp_path / "units.csv"
    roster.write_text(ROSTER_HEADER + "C01,乐清市,县市区\nC02,雁荡县,县市区\n", encoding="utf-8")
    again = pipeline.run(settings_for(tmp_path, inbox, roster=roster, region="温州市"))
    assert [u.unit.name for u in again.consolidation.counted] == ["乐清市", "雁荡县"]
    assert again.consolidation.values == city2019


def test_a_governments_report_is_its_region_one_level_up():
    from rollup.roster import unit_key

    assert unit_key("乐清市人民政府", "温州市") == unit_key("乐清市", "温州市") == "乐清市"
    assert unit_key("乐清市人民政府", "乐清市") == "人民政府"  # a county's own report, at home
    assert unit_key("乐清市人民政府办公室", "乐清市") == "人民政府办公室"
