"""Text reuse: a report copied from last year's with new figures is found; different reports are not."""

from conftest import REPORTS

from rollup.reuse import reuse, sentences

COMMERCE = (REPORTS / "yueqing-commerce-2020.txt").read_text(encoding="utf-8")
OFFICE = (REPORTS / "yueqing-govoffice-2021.txt").read_text(encoding="utf-8")


def test_last_years_text_with_new_figures_is_still_a_copy():
    next_year = COMMERCE.replace("2020", "2021").replace("2019", "2020").replace("53条", "61条")
    found = reuse(next_year, COMMERCE)
    assert found.share == 1.0 and found.passages


def test_a_partly_rewritten_report_repeats_in_part():
    own = sentences(COMMERCE)
    rewritten = "\n".join(
        s if i % 2 else f"本年度我局第{i}项工作有了新的进展和变化，具体情况另行说明。" for i, s in enumerate(own)
    )
    found = reuse(rewritten, COMMERCE)
    assert 0.3 < found.share < 0.8
    longest = found.passages[0]
    assert longest in rewritten and len(found.passages) <= 3


def test_different_units_reports_share_little():
    assert reuse(OFFICE, COMMERCE).share < 0.1
    assert reuse("", COMMERCE).share == 0.0


def part(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_the_consolidation_notes_reports_copied_from_last_year_or_from_another_unit(tmp_path):
    from datetime import date

    from helpers import settings_for

    from rollup import pipeline

    roster = tmp_path / "units.csv"
    roster.write_text("编码,单位名称,类别\nD01,乐清市商务局,部门\nD02,乐清市财政局,部门\n", encoding="utf-8")
    settings = settings_for(tmp_path, tmp_path / "inbox", roster=roster)
    old = tmp_path / "2020"
    old.mkdir()
    (old / "商务局2020.txt").write_text(COMMERCE, encoding="utf-8")
    assert pipeline.import_history(settings, [old]).recorded[2020]

    # 2021: 商务局 writes its words of last year again around this year's tables; 财政局 sends
    # 商务局's report as its own
    tables = part(OFFICE, "二、主动公开政府信息情况", "五、存在的主要问题及改进情况")
    before, after = (
        COMMERCE.split("二、主动公开政府信息情况", 1)[0],
        COMMERCE.split("五、存在的主要问题及改进情况", 1)[1],
    )
    commerce_2021 = (before + tables + "五、存在的主要问题及改进情况" + after).replace("2020", "2021")
    (settings.inbox / "2021").mkdir(parents=True)
    (settings.inbox / "2021" / "商务局2021.txt").write_text(commerce_2021, encoding="utf-8")
    (settings.inbox / "2021" / "财政局2021.txt").write_text(commerce_2021.replace("商务局", "财政局"), encoding="utf-8")
    tracked = pipeline.track(settings, 2021, as_of=date(2030, 1, 1))
    notes = {u.unit.name: [f.message for f in u.findings if f.rule == "text_reuse"] for u in tracked.status.units}
    assert [m.split("与", 1)[1].split("相同")[0] for m in notes["乐清市商务局"]] == [
        "本单位 2020 年度的报告",
        "乐清市财政局本年度的报告",
    ]
    assert notes["乐清市商务局"][0].startswith("报告的文字有 100% 与本单位 2020 年度的报告相同，最长的相同段落：“")
    assert [m.split("与", 1)[1].split("相同")[0] for m in notes["乐清市财政局"]] == ["乐清市商务局本年度的报告"]

    from openpyxl import load_workbook

    result = pipeline.run(settings, 2021, as_of=date(2030, 1, 1))
    rows = list(load_workbook(result.outputs.workbook)["报送情况"].iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "编码")
    units = {r[1]: dict(zip(header, r, strict=True)) for r in rows[rows.index(header) + 1 :] if r[0]}
    assert units["乐清市商务局"]["文字重复"] == "100%"
