"""The pieces under the report reader: the one cell reader for every grid, the ruled-PDF table
joiner, format by content, and identity from the report's own words."""

import pytest

from rollup.ingest.grid import BLANK, FILLER, delimited_line, is_figure, row_line
from rollup.ingest.identity import find_title, named_unit, overview_year, sign_off_unit
from rollup.ingest.pdf_tables import Cell, Table, _append
from rollup.ingest.sniff import sniff

# --- one cell reader -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cells, line",
    [
        (["规章", None, "1", "2"], "规章\t1\t2"),  # a covered position is no cell
        (["规章", "1", "", "3"], f"规章\t1\t{BLANK}\t3"),  # empty among numbers: a blank cell
        (["行政事业性收费", "42", "0", ""], f"行政事业性收费\t42\t0\t{FILLER}"),  # after the last: filler
        (["", "（七）总计", "351", "92"], "（七）总计\t351\t92"),  # a merged label's continuation
        (["", "1", "2"], f"{FILLER}\t1\t2"),  # no label: may be a blank first cell
        (["规章", "", "", ""], f"规章\t{FILLER}\t{FILLER}\t{FILLER}"),  # a blank row keeps its cells
        (["", None, ""], ""),
    ],
)
def test_row_line(cells, line):
    assert row_line(cells) == line


def test_text_wrapped_inside_a_pdf_cell_is_one_text():
    cells = ["一、本年新收政府信息\n公开申请数量", "35\n4", "1\n（\n撤\n回\n）", "1 5", "增 3"]
    assert row_line(cells, wrapped=True) == "一、本年新收政府信息公开申请数量\t354\t1（撤回）\t15\t增 3"


@pytest.mark.parametrize(
    "text, line",
    [
        ("| 规章 | 0 |  | 3 |", f"规章\t0\t{BLANK}\t3"),
        ("│ 行政事业性收费 │ 42 │ 0 │  │", f"行政事业性收费\t42\t0\t{FILLER}"),
        ("｜规章｜1｜2｜3｜", "规章\t1\t2\t3"),
        ("\t\t353", "353"),  # tabs at the ends are indentation
        ("规章 0 0 0", "规章 0 0 0"),  # no delimiter: the table reader tells the cells apart
    ],
)
def test_delimited_line(text, line):
    assert delimited_line(text) == line


@pytest.mark.parametrize("text", ["12", "1,234", "增 338", "-2", "258590万元", "1（撤回）", "-", "无"])
def test_figures(text):
    assert is_figure(text)


@pytest.mark.parametrize("text", ["1.属于国家秘密", "2020年", "规章", "第二十条第（一）项", "（七）总计"])
def test_labels(text):
    assert not is_figure(text)


# --- a table row Word split over a page break ----------------------------------------------


def table(page: int, rows: list[list[Cell | None]]) -> Table:
    bottom = max(c.bottom for row in rows for c in row if c)
    return Table(page, 0, 100, bottom, rows, [f"p{page}r{i}" for i in range(len(rows))])


def cells(*texts: str, bottom: float = 10) -> list[Cell | None]:
    return [Cell(text, 20 * i, 20 * (i + 1), bottom) for i, text in enumerate(texts)]


@pytest.mark.parametrize(
    "after, joined",
    [
        (cells("情形）", "", ""), "（二）部分公开（区分处理的，只计这一情形）"),  # the rest of a label
        (cells("（三）不予公开", "0", "0"), None),  # a new row
        (cells("信息内容", "本年制发件数", "本年废止件数"), None),  # a header row repeated on the new page
    ],
)
def test_split_rows_are_joined_and_others_kept(after, joined):
    before = table(1, [cells("（二）部分公开（区分处理的，只计这一", "47", "3")])
    _append(before, table(2, [after]))
    assert (before.rows[0][0].text if joined else len(before.rows)) == (joined or 2)


def test_a_note_cut_by_a_page_break_is_joined():
    before = table(1, [cells("2", "1（市自然资源和规划", "1（撤回）")])
    _append(before, table(2, [cells("", "局）", "")]))
    assert [c.text for c in before.rows[0]] == ["2", "1（市自然资源和规划局）", "1（撤回）"]


# --- format by content ---------------------------------------------------------------------

# An OLE compound file's 512-byte header (MS-CFB 2.2): magic, version 3, byte order FFFE, 512-byte sectors.
_COMPOUND_HEADER = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00").ljust(
    512, b"\x00"
)


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"%PDF-1.4 ...", "pdf"),
        (_COMPOUND_HEADER + bytes(512), "ole"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "damaged"),  # the magic, then nothing
        (_COMPOUND_HEADER, "damaged"),  # the header, cut short before its first sector
        (b"{\\rtf1\\ansi ...", "rtf"),
        (b"<html xmlns:o='urn:schemas-microsoft-com:office:office'><body>", "html"),
        ("\ufeff<!DOCTYPE html><html>".encode("utf-16"), "html"),
        (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n", "mhtml"),
        (b"PK\x03\x04 cut short", "damaged"),
        ("二、主动公开政府信息情况\n规章 0 0 0\n".encode("gb18030"), "text"),
    ],
)
def test_sniff(data, kind):
    assert sniff(data) == kind


# --- identity ------------------------------------------------------------------------------


def test_title_and_no_title():
    assert find_title(["首页 > 政府信息公开", "乐清市商务局 2020 年度政府信息公开", "工作年度报告"]) == (
        "乐清市商务局2020年度政府信息公开工作年度报告"
    )
    assert find_title(["根据《中华人民共和国政府信息公开条例》", "一、总体情况"]) == ""


@pytest.mark.parametrize(
    "tail, unit",
    [
        (["本单位无其他需要报告的事项。", "乐清市商务局 2021年1月"], "乐清市商务局"),
        (["六、其他需要报告的事项", "无。", "乐清市人民政府", "2020年 1月 19日"], "乐清市人民政府"),
        (["我局将继续努力，于2021年1月", "2021年1月20日"], None),  # a sentence is no issuing body
    ],
)
def test_sign_off(tail, unit):
    assert sign_off_unit(tail) == unit


def test_overview_year_is_the_most_frequent_and_never_a_tie():
    assert overview_year(["2021年，我局…", "较2020年增长", "2021年共收到申请"]) == 2021
    assert overview_year(["2021年比2020年"]) is None


def test_named_unit():
    assert named_unit("报告由乐清市商务局（单位名称）编制而成".replace("（", "(").replace("）", ")")) == "乐清市商务局"
    assert named_unit("填报单位：大荆镇人民政府\t统计期限") == "大荆镇人民政府"


def test_a_cell_boundary_ends_a_note_and_an_explanation():
    """ "（三" is a merged label cut by a page break, not a note of the number before it nor an
    explanation swallowing the numbers after it."""
    from rollup.ingest.document import Line
    from rollup.ingest.tables import _groups, _tokens, label_key, normalize

    rows = [
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）\t3\t0\t0\t0\t0\t0\t3",
        "（三\t1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0",
        "办理结果\t）不予公开\t2.其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t0\t0",
    ]
    groups = _groups(_tokens([Line(normalize(row), "") for row in rows]))
    keys = ["部分公开", "属于国家秘密", "其他法律行政法规禁止公开"]
    assert [(key in label_key(g.text), len(g.values)) for key, g in zip(keys, groups, strict=True)] == [(True, 7)] * 3
    assert [v.text for v in groups[0].values] == ["3", "0", "0", "0", "0", "0", "3"]
