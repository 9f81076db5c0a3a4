"""Reading the real reports in ../shared/reports exactly, and what the reader says about the mess
in them. Variants are made from the real text by cutting or changing it, as real reports are."""

import json
import re

import opencc
import pytest
from conftest import REPO, REPORTS, expected_report
from typer.testing import CliRunner

from rollup.cli import app
from rollup.ingest import read_submission
from rollup.text import decode_text
from rollup.validate import validate

REAL = ["yueqing-2019-city.txt", "yueqing-govoffice-2021.txt", "yueqing-commerce-2020.txt"]


def real_text(name: str) -> str:
    return (REPORTS / name).read_text(encoding="utf-8")


def variant(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_submission(path)


def rules(submission) -> list[str]:
    return [f.rule for f in submission.findings]


@pytest.mark.parametrize("name", REAL)
def test_real_report_reads_exactly(name):
    expected = expected_report(name)
    submission = read_submission(REPORTS / name)
    assert submission.values == expected["values"]
    assert submission.notes == expected["notes"]
    assert (submission.unit, submission.year, submission.edition) == (
        expected["unit"],
        expected["year"],
        expected["edition"],
    )
    found = {(f.rule, str(f.severity), f.table) for f in submission.findings}
    assert {(f["rule"], f["severity"], f["table"]) for f in expected["expected_findings"]} <= found
    assert not submission.has_errors


def test_check_command_reproduces_expected_json():
    result = CliRunner().invoke(
        app,
        [
            "check",
            *(str(REPORTS / n) for n in REAL),
            "--format",
            "json",
            "--config",
            str(REPO / "config" / "rollup.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    for entry, name in zip(json.loads(result.stdout), REAL, strict=False):
        expected = expected_report(name)
        assert (entry["values"], entry["notes"]) == (expected["values"], expected["notes"])
        for wanted in expected["expected_findings"]:
            assert any(all(f[k] == v for k, v in wanted.items()) for f in entry["findings"]), wanted


def test_commerce_blank_applicant_cells_are_blank_not_zero_and_total_is_written():
    submission = read_submission(REPORTS / "yueqing-commerce-2020.txt")
    assert submission.marks["B.1.natural"] == "blank" and submission.marks["B.4.other"] == "blank"
    assert "B.1.total" not in submission.marks and submission.values["B.1.total"] == 0
    assert not any(code.startswith(("A.", "C.")) for code in submission.marks)
    blank = [f for f in submission.findings if f.rule == "blank_cell"]
    assert len(blank) == 23 and all(f.table == "B" and "6 格空白" in f.message for f in blank)


def test_commerce_narrative_disagrees_with_its_table():
    submission = read_submission(REPORTS / "yueqing-commerce-2020.txt")
    (finding,) = [f for f in submission.findings if f.rule == "narrative_mismatch"]
    assert "不予公开政府信息53条" in finding.message and "合计为 0" in finding.message
    assert (finding.actual, finding.expected, finding.table) == (53, 0, "B")


def test_money_in_yuan_is_converted_to_wan():
    submission = read_submission(REPORTS / "yueqing-commerce-2020.txt")
    assert submission.values["A.procurement.amount_wan"] == 38


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
def test_text_in_any_office_encoding_reads_the_same(tmp_path, encoding):
    path = tmp_path / "report.txt"
    path.write_bytes(real_text("yueqing-2019-city.txt").encode(encoding))
    assert read_submission(path).values == expected_report("yueqing-2019-city.txt")["values"]


def test_bytes_in_no_known_encoding_are_a_clear_error(tmp_path):
    path = tmp_path / "乱码.txt"
    path.write_bytes(bytes(range(128, 256)) * 4)
    (finding,) = read_submission(path).findings
    assert finding.rule == "unknown_encoding" and "乱码.txt" in finding.message and "GB18030" in finding.message


def test_decode_text_does_not_assume():
    text = "二、主动公开政府信息情况\n规章 0 0 0\n"
    assert {decode_text(text.encode(e)) for e in ("utf-8", "gb18030", "utf-16-le", "utf-8-sig")} == {text}


def test_traditional_characters_read_the_same(tmp_path):
    traditional = opencc.OpenCC("s2t").convert(real_text("yueqing-govoffice-2021.txt"))
    assert "處理" in traditional
    assert variant(tmp_path, "繁體.txt", traditional).values == expected_report("yueqing-govoffice-2021.txt")["values"]


def test_a_table_cut_short_is_an_error_and_the_rest_stays_absent(tmp_path):
    text = real_text("yueqing-2019-city.txt")
    start, end = text.index("2.没有现成信息需要"), text.index(" 四、政府信息公开行政复议")
    submission = variant(tmp_path, "cut.txt", text[:start] + text[end:])
    (finding,) = [f for f in submission.findings if f.rule == "incomplete_table"]
    assert finding.is_error and finding.table == "B" and finding.row == "3.4.2"
    assert "缺少 70 格" in finding.message and "四、结转下年度" in finding.message
    assert "B.3.4.1.total" in submission.values and "B.3.4.2.natural" not in submission.values
    assert "B.4.total" not in submission.values and submission.values["C.review.total"] == 6


def test_numbers_that_stop_part_way_through_table_c(tmp_path):
    lines = real_text("yueqing-2019-city.txt").splitlines()
    start = lines.index("2 6 7 0")
    end = lines.index("5 15 0 0 0 0 0")
    submission = variant(tmp_path, "cutC.txt", "\n".join([*lines[:start], "2 6 7", *lines[end + 1 :]]))
    (finding,) = [f for f in submission.findings if f.rule == "incomplete_table"]
    assert finding.table == "C" and "缺少 10 格：未经复议直接起诉；复议后起诉" in finding.message
    # the 行政复议 group checks (2+1+1+2 = 6) and is kept; 7, the first number of a group that
    # stops part-way, cannot be checked and is not placed
    assert submission.values["C.review.total"] == 6 and "C.suit_direct.upheld" not in submission.values


def test_a_row_whose_numbers_cannot_be_placed_is_an_error_not_a_guess(tmp_path):
    text = real_text("yueqing-2019-city.txt").replace("（六）其他处理 0 0 0 0 0 0 0", "（六）其他处理 0 0 0")
    submission = variant(tmp_path, "short.txt", text)
    (finding,) = [f for f in submission.findings if f.rule == "ambiguous_cells"]
    assert (finding.table, finding.row, finding.is_error) == ("B", "3.6", True)
    assert not any(code.startswith("B.3.6.") for code in submission.values)
    assert "incomplete_table" not in rules(submission)


def test_a_row_the_form_does_not_have_is_kept_out_of_the_sums(tmp_path):
    text = real_text("yueqing-2019-city.txt").replace(
        "（六）其他处理 0 0 0 0 0 0 0", "其中：涉及征地拆迁 9 9 0 0 0 0 18\n（六）其他处理 0 0 0 0 0 0 0"
    )
    submission = variant(tmp_path, "extra.txt", text)
    assert submission.values == expected_report("yueqing-2019-city.txt")["values"]
    (finding,) = submission.findings
    assert finding.rule == "extra_row" and not finding.is_error and "其中:涉及征地拆迁" in finding.message


def test_wide_runs_of_spaces_are_blank_cells_only_where_the_layout_shows_them(tmp_path):
    text = real_text("yueqing-2019-city.txt").replace("2.重复申请 6 0 0 0 0 0 6", "2.重复申请 6        6")
    submission = variant(tmp_path, "gap.txt", text)
    assert submission.values["B.3.5.2.natural"] == 6 and submission.values["B.3.5.2.total"] == 6
    assert [submission.marks.get(f"B.3.5.2.{c}") for c in ("natural", "commercial", "other", "total")] == [
        None,
        "blank",
        "blank",
        None,
    ]
    (finding,) = [f for f in submission.findings if f.rule == "blank_cell"]
    assert finding.row == "3.5.2" and "5 格空白" in finding.message


def test_page_footer_inside_a_table_is_skipped(tmp_path):
    text = real_text("yueqing-2019-city.txt").replace(
        "2.重复申请 6 0 0 0 0 0 6", "2.重复申请 6 0 0\n\n— 3 —\n\n0 0 0 6"
    )
    assert variant(tmp_path, "footer.txt", text).values == expected_report("yueqing-2019-city.txt")["values"]


def test_not_applicable_marks_read_as_zero_with_a_note(tmp_path):
    text = real_text("yueqing-2019-city.txt").replace("行政事业性收费 42 0", "行政事业性收费 42 —")
    submission = variant(tmp_path, "na.txt", text)
    assert submission.values["A.fees.delta"] == 0
    assert (submission.marks["A.fees.delta"], submission.notes["A.fees.delta"]) == ("not_applicable", "—")


def test_report_of_2021_on_the_2019_form_must_be_sent_back(tmp_path):
    text = re.sub(r"20(19|20)(\s*年)", r"2021\2", real_text("yueqing-commerce-2020.txt"))
    submission = variant(tmp_path, "旧格式.txt", text)
    assert (submission.year, submission.edition) == (2021, "2019")
    from rollup.validate import validate

    (finding,) = [f for f in validate(submission).findings if f.rule == "wrong_edition"]
    assert finding.is_error and "2021年版" in finding.message


def test_title_year_against_statistics_period(tmp_path):
    text = real_text("yueqing-2019-city.txt").replace(
        "乐清市人民政府 2019 年政府信息公开工作", "乐清市人民政府 2018 年政府信息公开工作"
    )
    (finding,) = [f for f in variant(tmp_path, "年度.txt", text).findings if f.rule == "conflicting_year"]
    assert finding.is_error and "2018" in finding.message and "2019" in finding.message


def test_title_with_the_year_first_names_the_unit(tmp_path):
    text = real_text("yueqing-commerce-2020.txt").replace(
        "乐清市商务局 2020 年度政府信息公开", "2020年乐清市商务局政府信息公开"
    )
    assert variant(tmp_path, "t.txt", text).unit == "乐清市商务局"


def test_a_missing_part_is_a_warning_naming_it(tmp_path):
    text = real_text("yueqing-2019-city.txt").replace("五、存在的主要问题及改进情况", "")
    submission = variant(tmp_path, "五.txt", text)
    (finding,) = submission.findings
    assert finding.rule == "missing_part" and "存在的主要问题及改进情况" in finding.message
    assert submission.values == expected_report("yueqing-2019-city.txt")["values"]


def test_a_text_without_the_tables_is_not_a_report():
    (finding,) = read_submission(REPORTS / "yueqing-2021-workplan.txt").findings
    assert finding.rule == "not_a_report" and "yueqing-2021-workplan.txt" in finding.message


def test_region_own_report_is_not_an_unknown_unit():
    from rollup.roster import load_roster
    from rollup.validate import validate

    roster = load_roster(REPO / "config" / "units.csv", "乐清市")
    city = validate(read_submission(REPORTS / "yueqing-2019-city.txt"), roster=roster)
    office = validate(read_submission(REPORTS / "yueqing-govoffice-2021.txt"), roster=roster)
    assert "unknown_unit" not in rules(city)
    assert office.unit_id == "D01"


def test_headings_without_numbers_and_labels_with_local_explanations(tmp_path):
    text = (
        real_text("yueqing-2019-city.txt")
        .replace(" 三、收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请情况")
        .replace("本年增/减", "本年增/减（指2019年增加或减少的事项数，减用负值表示）")
        .replace("一、本年新收政府信息公开申请数量 354", "一、本年新收政府信息公开申请数量（含网上申请1件）354")
    )
    assert "本年增/减（指2019年" in text and text.count("含网上申请") == 1
    submission = variant(tmp_path, "variants.txt", text)
    assert submission.values == expected_report("yueqing-2019-city.txt")["values"]
    assert submission.findings == ()


# --- text as it comes off web pages and other tools -----------------------------------------

CITY = "yueqing-2019-city.txt"


@pytest.mark.parametrize("minus", ["-", "－", "−"])
def test_a_minus_sign_is_a_sign(tmp_path, minus):
    submission = variant(tmp_path, "minus.txt", real_text(CITY).replace("减 313", f"{minus}313"))
    assert submission.values == expected_report(CITY)["values"]


def test_punctuation_between_numbers_separates_them(tmp_path):
    text = real_text(CITY).replace("规范性文件 54 54 315", "规范性文件 ? 54 ? 54 ? 315")
    text = text.replace("行政强制 140 增 1 1320", "行政强制 | 140 | 增 1 | 1320 |")
    assert variant(tmp_path, "stray.txt", text).values == expected_report(CITY)["values"]


def test_a_year_or_date_inside_a_table_is_not_a_cell(tmp_path):
    heading = " 二、主动公开政府信息情况"
    text = real_text(CITY).replace(heading, f"{heading}\n（统计时间：2019 年 1 月 1 日至 12 月 31 日）")
    assert variant(tmp_path, "dated.txt", text).values == expected_report(CITY)["values"]


@pytest.mark.parametrize(
    "headings",
    [
        {"二、主动公开政府信息情况": "二、行政机关主动公开政府信息情况"},
        {"四、政府信息公开行政复议、行政诉讼情况": "四、因政府信息公开工作被申请行政复议提起行政诉讼情况"},
        {"三、收到和处理政府信息公开申请情况": "三．收到和处理政府信息公开申请情况", "五、存在": "五.存在"},
        {"二、主动公开": "二主动公开", "三、收到": "三\n、\n收到", "四、政府": "四\n、政府"},
    ],
    ids=["worded-2", "worded-4", "dots", "separate-marks"],
)
def test_part_headings_by_number_and_core_phrase(tmp_path, headings):
    text = real_text(CITY)
    for old, new in headings.items():
        assert old in text
        text = text.replace(old, new)
    submission = variant(tmp_path, "headings.txt", text)
    assert (submission.values, rules(submission)) == (expected_report(CITY)["values"], [])


@pytest.mark.parametrize("line", ["二是加强主动公开工作，及时公开政策文件。", "（二）主动公开", "二是主动公开情况"])
def test_enumerations_and_sub_headings_in_the_overview_are_not_parts(tmp_path, line):
    text = real_text(CITY)
    first = text.index("一、总体情况") + len("一、总体情况")
    submission = variant(tmp_path, "enumerated.txt", f"{text[:first]}\n{line}\n{text[first:]}")
    assert (submission.values, rules(submission)) == (expected_report(CITY)["values"], [])


def test_a_missing_heading_costs_that_part_not_the_file(tmp_path):
    """Without its heading, table B is found by its own header rows (申请人情况 …)."""
    text = real_text(CITY).replace(" 三、收到和处理政府信息公开申请情况", "")
    submission = variant(tmp_path, "no-heading.txt", text)
    assert submission.values == expected_report(CITY)["values"]
    assert [(f.rule, f.table) for f in submission.findings] == [("missing_part", "B")]


def test_without_a_title_the_unit_is_the_issuing_line_and_the_year_the_period(tmp_path):
    lines = real_text(CITY).splitlines()
    submission = variant(tmp_path, "untitled.txt", "\n".join(lines[2:]))
    assert (submission.unit, submission.year) == ("乐清市人民政府", 2019)


def test_without_title_or_period_the_year_is_the_overviews(tmp_path):
    text = "\n".join(real_text(CITY).splitlines()[2:]).replace("统计限", "范围")
    assert variant(tmp_path, "overview.txt", text).year == 2019


def test_a_unit_is_never_an_arbitrary_line(tmp_path):
    """No title, no issuing line, no 由…编制: the unit is unknown, and checking says so."""
    lines = real_text(CITY).splitlines()
    text = "\n".join(lines[2:-4]).replace("由乐清市人民政府办公室", "由本机关")
    submission = variant(tmp_path, "anonymous.txt", text)
    assert submission.unit is None and submission.values == expected_report(CITY)["values"]
    assert "no_unit" in [f.rule for f in validate(submission).findings]


def test_narrative_widened_counts_carried_over_applications(tmp_path):
    """ "共受理申请 N 件（含上年结转 M 件）" is B.1 + B.2; 行政复议/行政诉讼 N 起 against table C."""
    text = real_text(CITY)
    first = text.index("一、总体情况") + len("一、总体情况")
    claim = "\n本年共受理政府信息公开申请450件（含上年结转0件），被申请行政复议7起，行政诉讼15件。\n"
    submission = variant(tmp_path, "claims.txt", text[:first] + claim + text[first:])
    (finding,) = [f for f in submission.findings if f.rule == "narrative_mismatch"]
    assert (finding.table, finding.actual, finding.expected) == ("C", 7, 6) and "行政复议7起" in finding.message


def test_narrative_saying_no_fee_notice_against_the_fee_row(tmp_path):
    lines = real_text("yueqing-govoffice-2021.txt").splitlines()
    row = next(i for i, line in enumerate(lines) if "逾期未按收费通知要求缴纳费用" in line)
    lines[row + 7] = "\t1"  # the row's 总计: one application dropped for an unpaid fee
    overview = next(i for i, line in enumerate(lines) if line.strip() == "一、总体情况")
    # "未收取信息处理费" is no contradiction: the notice went out and the fee was never paid
    lines.insert(overview + 1, "全年未收取信息处理费。")
    quiet = variant(tmp_path, "fee.txt", "\n".join(lines))
    assert [f for f in quiet.findings if f.rule == "narrative_mismatch"] == []
    lines.insert(overview + 1, "全年未发出收费通知。")
    submission = variant(tmp_path, "notice.txt", "\n".join(lines))
    fee = [f for f in submission.findings if f.rule == "narrative_mismatch"]
    assert [(f.row, f.actual, f.expected) for f in fee] == [("3.6.2", 0, 1)] and "未发出收费通知" in fee[0].message


def test_a_lone_surrogate_a_reader_hands_over_is_read_as_a_replacement_character(tmp_path):
    """pdfminer makes a lone surrogate of an embedded font's code that names no character (a
    crafted or broken PDF): the report is still read, and nothing downstream meets the surrogate."""
    from rollup.ingest.document import Document, text_lines
    from rollup.ingest.report import report_from

    text = real_text("yueqing-commerce-2020.txt")
    lines = text.splitlines()
    lines.insert(len(lines) // 2, "附注：本段由扫描件转\ud800录（见原件）")
    path = tmp_path / "乐清市商务局.pdf"

    submission = report_from(path, [Document(text_lines("\n".join(lines)))])

    expected = expected_report("yueqing-commerce-2020.txt")
    assert submission.values == expected["values"] and submission.unit == expected["unit"]
    every_text = [submission.unit or "", *submission.meta.values(), *submission.notes.values()]
    every_text += [f.message for f in submission.findings]
    assert not [t for t in every_text if not isinstance(t, str) or re.search("[\ud800-\udfff]", t)]
