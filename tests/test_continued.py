"""Rows a sheet goes on with, written into the saved file's XML: what openpyxl, calamine and
LibreOffice read back is what the rows said, in the style of the row above them."""

import zipfile

import openpyxl
import pytest
from openpyxl.styles import Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from rollup.render.continued import ContinuedWorkbook


def _book() -> tuple[ContinuedWorkbook, Worksheet]:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "报送情况"
    sheet.append(["单位", "错误数", "说明"])
    sheet.append(["乐清市教育局", 0, "按时"])
    thin = Side(style="thin")
    for cell in sheet[2]:
        cell.font, cell.border = Font(name="宋体", bold=True), Border(left=thin, bottom=thin)
    return ContinuedWorkbook(workbook), sheet


def test_rows_go_on_below_the_sheet_in_its_styles_and_read_back_as_given(tmp_path):
    book, sheet = _book()
    rows = [
        ["乐清市商务局", 2, '=HYPERLINK("http://x")'],
        ["柳市镇 <b>&amp;</b>", 1.5, "第一行\n第二行\x07"],
        ["", None, " 前后有空格 "],
    ]
    styles = [cell.style_id for cell in sheet[2]]
    book.continue_sheet(sheet, iter(rows), count=len(rows), styles=styles, heights=[30, None, 16])
    path = tmp_path / "汇总.xlsx"
    book.save(path)

    read = openpyxl.load_workbook(path)["报送情况"]
    assert [[c.value for c in row] for row in read.iter_rows(min_row=3)] == [
        ["乐清市商务局", 2, '=HYPERLINK("http://x")'],
        ["柳市镇 <b>&amp;</b>", 1.5, "第一行\n第二行"],
        [None, None, " 前后有空格 "],
    ]
    assert read.dimensions == "A1:C5"
    assert read["C3"].data_type == "s"  # text that looks like a formula stays text
    assert [read.row_dimensions[r].height for r in (3, 4, 5)] == [30, None, 16]
    for cell in read[5]:  # even an empty box keeps the row's borders and font
        assert cell.font.b and cell.font.name == "宋体" and cell.border.left.style == "thin"
    assert read["A1"].font.b is False  # the header row kept its own look

    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("报送情况").to_python()
    assert calamine[2][:2] == ["乐清市商务局", 2] and calamine[4][2] == " 前后有空格 "
    with zipfile.ZipFile(path) as written:
        assert sorted(written.namelist()) == sorted(zipfile.ZipFile(path).namelist())
        assert not any(name.endswith(".openpyxl") for name in written.namelist())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["汇总.xlsx"]  # openpyxl's own save is gone


def test_a_sheet_with_no_rows_of_its_own_goes_on_from_its_first_row(tmp_path):
    workbook = openpyxl.Workbook()
    book = ContinuedWorkbook(workbook)
    assert isinstance(workbook.active, Worksheet)
    book.continue_sheet(workbook.active, [("key", None, None, "value")], count=1, styles=[None] * 4)
    book.save(tmp_path / "a.xlsx")

    read = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    assert [c.value for c in read[1]] == ["key", None, None, "value"]


def test_writing_below_the_rows_a_sheet_goes_on_with_is_refused(tmp_path):
    book, sheet = _book()
    book.continue_sheet(sheet, [["乐清市商务局", 2, ""]], count=1, styles=[None] * 3)
    sheet["A9"] = "写在了后面"

    with pytest.raises(ValueError, match="报送情况"):
        book.save(tmp_path / "b.xlsx")
    with pytest.raises(ValueError, match="one table"):
        book.continue_sheet(sheet, [["乐清市民政局", 0, ""]], count=1, styles=[None] * 3)
    assert not list(tmp_path.glob("*.openpyxl"))  # openpyxl's own save is gone even then
