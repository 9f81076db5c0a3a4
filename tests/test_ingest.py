import random
import re

import pytest
from helpers import fill_template, save_as_xls
from hostile import rezip, sheet_member

from rollup.ingest import read_submission
from rollup.render.template import write_blank_template
from rollup.validate import validate

COVER = {"unit": "乐清市商务局", "year": 2019}


@pytest.fixture
def template2019(tmp_path, ed2019):
    return write_blank_template(ed2019, 2019, tmp_path / "模板.xlsx")


def random_values(edition, seed=1):
    rng = random.Random(seed)
    values = {}
    for cell in edition.cells:
        if cell.kind == "money":
            values[cell.code] = round(rng.uniform(0, 5000), 2)
        elif cell.kind == "signed":
            values[cell.code] = rng.randint(-50, 50)
        else:
            values[cell.code] = rng.randint(0, 500)
    return values


@pytest.mark.parametrize("edition_name, year", [("2019", 2019), ("2021", 2021)])
def test_template_round_trip_both_editions(tmp_path, edition_name, year):
    from rollup.forms import editions

    edition = editions()[edition_name]
    template = write_blank_template(edition, year, tmp_path / "模板.xlsx")
    values = random_values(edition)
    filled = fill_template(
        template, tmp_path / "已填.xlsx", values, {"unit": "乐清市商务局", "year": year, "contact": "张三"}
    )
    submission = read_submission(filled)
    assert submission.edition == edition_name
    assert (submission.unit, submission.year, submission.meta["contact"]) == ("乐清市商务局", year, "张三")
    assert submission.values == values
    assert [f.rule for f in submission.findings] == []


def test_xls_and_xlsm_read_the_same(tmp_path, template2019, ed2019):
    values = random_values(ed2019, seed=2)
    filled = fill_template(template2019, tmp_path / "已填.xlsx", values, COVER)
    xls = read_submission(save_as_xls(filled, tmp_path / "已填.xls"))
    assert xls.values == values and xls.unit == "乐清市商务局" and xls.year == 2019
    xlsm = tmp_path / "已填.xlsm"
    xlsm.write_bytes(filled.read_bytes())
    assert read_submission(xlsm).values == values


def test_numbers_typed_as_text_are_numbers(tmp_path, template2019):
    typed = {"B.1.natural": "12", "B.1.commercial": "１２", "B.1.total": "24件", "A.licensing.delta": "减 3"}
    submission = read_submission(fill_template(template2019, tmp_path / "f.xlsx", typed, COVER))
    assert {code: submission.values[code] for code in typed} == {
        "B.1.natural": 12,
        "B.1.commercial": 12,
        "B.1.total": 24,
        "A.licensing.delta": -3,
    }


def test_blank_input_cell_reads_as_zero_with_a_warning(tmp_path, template2019, ed2019):
    values = dict.fromkeys(ed2019.codes, 0)
    del values["B.3.1.legal"]
    submission = read_submission(fill_template(template2019, tmp_path / "f.xlsx", values, COVER))
    assert submission.values["B.3.1.legal"] == 0
    (finding,) = submission.findings
    assert (finding.rule, finding.severity, finding.table, finding.row, finding.column) == (
        "blank_cell",
        "warning",
        "B",
        "3.1",
        "legal",
    )
    assert finding.source.startswith("依申请公开!") and "三(一)予以公开 法律服务机构列" in finding.message


def test_text_that_is_no_number_is_an_error_and_the_cell_stays_absent(tmp_path, template2019, ed2019):
    values = dict.fromkeys(ed2019.codes, 0)
    values["C.review.upheld"] = "两件"
    submission = read_submission(fill_template(template2019, tmp_path / "f.xlsx", values, COVER))
    assert "C.review.upheld" not in submission.values
    (finding,) = submission.findings
    assert finding.rule == "not_a_number" and finding.is_error and "两件" in finding.message


def test_filled_template_with_an_arithmetic_error_is_pinned_to_its_cell(tmp_path, template2019, ed2019, city2019):
    city2019["B.3.7.natural"] = 352
    submission = validate(read_submission(fill_template(template2019, tmp_path / "f.xlsx", city2019, COVER)), year=2019)
    finding = next(f for f in submission.findings if f.rule == "column_total")
    assert finding.source == submission.sources["B.3.7.natural"] and finding.source.startswith("依申请公开!")
    assert finding.file == "f.xlsx"


def test_a_damaged_workbook_is_a_finding(tmp_path, template2019):
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(template2019.read_bytes()[:3000])
    (finding,) = read_submission(broken).findings
    assert finding.rule == "unreadable_file" and "坏文件.xlsx" in finding.message


def test_a_workbook_that_is_not_a_template_is_a_finding(tmp_path):
    import openpyxl

    path = tmp_path / "自制表格.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "本年新收政府信息公开申请数量"
    wb.save(path)
    submission = read_submission(path)
    assert [f.rule for f in submission.findings] == ["not_a_template"] and submission.values == {}


def test_an_unsupported_format_is_a_finding(tmp_path):
    path = tmp_path / "报告.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n a picture of the report")
    assert [f.rule for f in read_submission(path).findings] == ["unsupported_format"]


def test_a_damaged_word_file_is_a_finding_naming_it(tmp_path):
    path = tmp_path / "报告.docx"
    path.write_bytes(b"PK\x03\x04 not really")
    (finding,) = read_submission(path).findings
    assert finding.rule == "unreadable_file" and finding.is_error and "报告.docx" in finding.message


def test_a_template_missing_a_cell_says_which(tmp_path, template2019):
    import openpyxl

    from rollup import codesheet

    wb = openpyxl.load_workbook(template2019)
    sheet = wb[codesheet.SHEET]
    row = next(r for r in sheet.iter_rows() if r[0].value == "B.3.2.total")
    sheet.delete_rows(row[0].row)
    damaged = tmp_path / "少一格.xlsx"
    wb.save(damaged)
    submission = read_submission(damaged)
    missing = [f for f in submission.findings if f.rule == "missing_cell"]
    assert [(f.table, f.row, f.column) for f in missing] == [("B", "3.2", "total")]
    assert "B.3.2.total" not in submission.values and missing[0].is_error


def test_a_template_missing_a_sheet_says_so_for_each_of_its_cells_and_reads_the_others(tmp_path, template2019):
    import openpyxl

    from rollup.forms import editions

    edition = editions()["2019"]
    review = next(table for table in edition.tables if table.id == "C")
    values = {cell.code: 3 for table in edition.tables if table.id != "C" for cell in table.cells}
    filled = fill_template(template2019, tmp_path / "填好.xlsx", values, {"unit": "乐清市商务局", "year": 2019})
    wb = openpyxl.load_workbook(filled)
    del wb[review.sheet]
    damaged = tmp_path / "少一张表.xlsx"
    wb.save(damaged)

    submission = read_submission(damaged)

    missing = [f for f in submission.findings if f.rule == "missing_cell"]
    assert [(f.table, f.row, f.column) for f in missing] == [("C", c.row.code, c.column.code) for c in review.cells]
    assert all(f"找不到工作表“{review.sheet}”" in f.message and f.is_error for f in missing)
    assert dict(submission.values.items()) == values  # the other tables are read
    assert set(submission.sources) == set(values)  # a cell not read has no place it was read from
    assert all(not source.startswith(f"{review.sheet}!") for source in submission.sources.values())


def test_readings_of_one_template_hold_their_codes_and_sources_once(all_74):
    from rollup.ingest import read_files
    from rollup.model import Submission

    read = read_files(sorted(all_74.glob("*.xlsx"))[:2])
    first, second = (found for (found,) in read.values())
    assert first.values != second.values and first.sources == second.sources
    assert first.sources is second.sources  # one dict for every file of the template
    assert all(a is b for a, b in zip(first.values, second.values, strict=True))  # one string per code
    kept = Submission.from_record(first.record())  # as the ledger gives a reading back
    assert kept == first and kept.sources is first.sources


def test_a_file_that_grew_after_it_was_opened_is_read_whole(tmp_path, monkeypatch):
    import os

    from rollup.config import Limits
    from rollup.ingest import files

    path = tmp_path / "增长中.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    opened = os.fstat

    def smaller_when_opened(descriptor):  # the size as it was before the last bytes were written
        status = list(opened(descriptor))
        status[6] = 1000
        return os.stat_result(status)

    monkeypatch.setattr(files.os, "fstat", smaller_when_opened)
    taken = files.take(path, Limits())
    assert isinstance(taken, files.Taken) and taken.data == path.read_bytes()


def test_a_shared_formula_without_its_value_is_a_finding_not_a_zero(tmp_path, template2019, ed2019):
    """A cell that holds only a reference to a shared formula (``<f t="shared" si="0"/>``, no
    ``<v>``) carries no value: calamine reads it as empty, which must not count as 0."""
    filled = fill_template(template2019, tmp_path / "f.xlsx", dict.fromkeys(ed2019.codes, 0), COVER)
    sheet, address = read_submission(filled).sources["C.review.upheld"].split("!")
    cell = re.compile(rf'<c r="{address}"[^>]*?(?:/>|>.*?</c>)'.encode())

    def formula_only(xml: bytes) -> bytes:
        assert b"f>" not in xml and len(cell.findall(xml)) == 1
        return cell.sub(f'<c r="{address}"><f t="shared" si="0"/></c>'.encode(), xml)

    rezip(filled, tmp_path / "公式.xlsx", {sheet_member(filled, sheet): formula_only})
    submission = read_submission(tmp_path / "公式.xlsx")
    assert "C.review.upheld" not in submission.values
    (finding,) = [f for f in submission.findings if f.rule == "formula_without_value"]
    assert finding.source == f"{sheet}!{address}" and finding.is_error
