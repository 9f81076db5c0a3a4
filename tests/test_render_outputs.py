"""The consolidation's outputs at province scale: the long CSV written a row at a time, the 明细
sheet moved into a companion file 明细数据.xlsx above ``[outputs] detail_in_workbook_max``, and
the gaps email carrying the summary workbook only."""

import copy
import random
import shutil
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from helpers import settings_for
from openpyxl.utils import get_column_letter

from rollup import pipeline
from rollup.ingest import read_submission
from rollup.model import Submission
from rollup.notify import write_gaps
from rollup.outputs import OutputSet
from rollup.render.breakdown import NAMED, contributions, listed
from rollup.render.consolidation import DETAIL_FILE, long_header, write_outputs
from rollup.text import sheet_text
from rollup.validate import validate

FEW = 10  # a threshold the sample's 74 units are above


@pytest.fixture(scope="module")
def office(tmp_path_factory, all_74):
    """The sample's 74 units tracked once, with a config that keeps at most 10 units' detail in the workbook."""
    folder = tmp_path_factory.mktemp("office")
    shutil.copytree(all_74, folder / "inbox")
    settings = settings_for(folder, folder / "inbox", f"[outputs]\ndetail_in_workbook_max = {FEW}\n")
    return settings, pipeline.track(settings)


def _long_rows(result, csv_format):
    """明细数据.csv's rows as it has always held them, made here from the consolidation: a line per
    counted unit and cell, the cell's place in the form's words (zh), its figure, mark and note."""
    edition, words = result.edition, {"blank": "空白", "not_applicable": "不适用"} if csv_format == "zh" else {}
    decimals = any(isinstance(v, float) for _, s in result.summed for v in s.values.values())
    for report, s in result.summed:
        for code, figure in s.values.items():
            cell = edition.cell_index[code]
            place = (edition.table(cell.table).name, cell.row.name, cell.column.header) if csv_format == "zh" else ()
            mark = s.marks.get(code, "")
            figure = float(figure) if decimals else figure
            yield (report.unit.name, *place, code, figure, words.get(mark, mark), s.notes.get(code, ""))


def test_the_streamed_csv_is_byte_for_byte_what_pandas_wrote(office, tmp_path):
    _, tracked = office
    result = copy.deepcopy(tracked.consolidation)
    (_, first), (second_unit, second) = result.summed[:2]
    first.notes["B.1.natural"] = '=HYPERLINK("http://evil")'  # a formula from a unit's file
    decimals = {**first.values, "A.procurement.amount_wan": 12.5}  # one figure with decimals
    object.__setattr__(first, "values", decimals)  # a copy: the fixture's stays
    # text that CSV must quote: a comma, quotes, a line break; a mark with a note, a mark alone
    object.__setattr__(second_unit, "unit", second_unit.unit._replace(name='乐清市"试点",单位'))
    second.notes["B.2.total"] = '含"撤回"，共 2 件,\n另见说明'
    second.marks.update({"B.2.total": "not_applicable", "B.3.total": "blank"})
    for csv_format in ("zh", "codes"):
        written = write_outputs(result, tmp_path / csv_format, tracked.status, csv_format=csv_format).csv
        before = tmp_path / f"pandas-{csv_format}.csv"  # how 明细数据.csv was written before it was streamed
        frame = pd.DataFrame(list(_long_rows(result, csv_format)), columns=list(long_header(csv_format)), dtype=object)
        frame.map(sheet_text).to_csv(before, index=False, encoding="utf-8-sig")
        assert written.read_bytes() == before.read_bytes()
        text = written.read_text(encoding="utf-8-sig")
        assert text.count("\n") == 1 + 74 * 198 + 1  # one line break is inside a quoted note
        assert text.count('\n"乐清市""试点"",单位",') == 198
        assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
        assert ",12.5," in text and ",0.0," in text
    assert written.read_bytes().startswith(b"\xef\xbb\xbfunit,code,value,mark,note")


def test_below_the_threshold_the_detail_stays_in_the_workbook(office, tmp_path):
    _, tracked = office
    outputs = write_outputs(tracked.consolidation, tmp_path, tracked.status, detail_in_workbook_max=74)
    assert outputs.detail is None and not (tmp_path / "2019" / DETAIL_FILE).exists()
    book = openpyxl.load_workbook(outputs.workbook)
    assert book["明细"].max_row == 4 + 74
    assert DETAIL_FILE not in " ".join(str(c.value) for row in book["封面"].iter_rows() for c in row)


def test_above_the_threshold_the_detail_is_a_companion_file_the_cover_names(office, tmp_path):
    settings, tracked = office
    result = tracked.consolidation
    limit = settings.outputs.detail_in_workbook_max
    outputs = write_outputs(result, tmp_path / "apart", tracked.status, detail_in_workbook_max=limit)
    inside = write_outputs(result, tmp_path / "inside", tracked.status, detail_in_workbook_max=74)

    assert outputs.detail == tmp_path / "apart" / "2019" / DETAIL_FILE and outputs.detail.is_file()
    book = openpyxl.load_workbook(outputs.workbook)
    assert "明细" not in book.sheetnames and {"封面", "校验问题", "报送情况", "数字来源"} <= set(book.sheetnames)
    for name in ("封面", "说明"):
        texts = [str(c.value) for row in book[name].iter_rows() for c in row if c.value]
        assert any(f"《{DETAIL_FILE}》" in text and "74 家" in text for text in texts), name
    # still a submission of the level above, with every unit's figures
    again = validate(read_submission(outputs.workbook), year=2019)
    assert again.values == result.values and again.findings == ()

    # the companion holds every unit's row, laid out as the sheet in the workbook is
    apart = openpyxl.load_workbook(outputs.detail)
    assert apart.sheetnames == ["明细"]
    detail, sheet = apart["明细"], openpyxl.load_workbook(inside.workbook)["明细"]
    rows = [list(r) for r in detail.iter_rows(values_only=True)]
    same = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[3:] == same[3:] and [r[3:] for r in rows[:3]] == [r[3:] for r in same[:3]]
    # 编码, 单位名称, 计入汇总 boxed over the three header rows (a merge down the rows cannot be streamed)
    assert [r[:3] for r in rows[:3]] == [[None] * 3, ["编码", "单位名称", "计入汇总"], [None] * 3]
    codes = rows[3]
    assert len(rows) == 4 + 74 and [r[1] for r in rows[4:]] == [u.unit.name for u, _ in result.sent]
    for (report, submission), row in zip(result.sent, rows[4:], strict=True):
        assert row[0] == report.unit.id and row[2] == "是"
        assert dict(zip(codes[3:], row[3:], strict=True)) == submission.values
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {str(r) for r in detail.merged_cells.ranges} == merged - {"A1:A3", "B1:B3", "C1:C3"}
    assert [b.id for b in detail.col_breaks.brk] == [b.id for b in sheet.col_breaks.brk]
    assert detail.row_dimensions[4].hidden and detail.freeze_panes == sheet.freeze_panes == "D5"
    assert (detail.print_title_rows, detail.print_title_cols) == (sheet.print_title_rows, sheet.print_title_cols)
    assert detail.page_setup.orientation == "landscape" and detail.oddFooter.center.text == "&A　第 &P 页"
    assert detail.column_dimensions["B"].width == pytest.approx(sheet.column_dimensions["B"].width, abs=0.8)
    assert detail["B5"].font.b is False and detail["A1"].font.b is True and detail["D5"].border.left.style == "thin"
    # a unit's code stays on its line however long (shrunk, never wrapped past the row's height)
    for box in (detail["A5"], sheet["A5"]):
        assert box.alignment.shrink_to_fit and not box.alignment.wrap_text


def test_unit_text_in_the_companion_file_is_never_a_formula(office, tmp_path):
    _, tracked = office
    result = copy.deepcopy(tracked.consolidation)
    first, _ = result.sent[0]
    object.__setattr__(first, "unit", first.unit._replace(name="=1+2"))  # a copy: the fixture's stays
    detail = write_outputs(result, tmp_path, tracked.status, detail_in_workbook_max=FEW).detail
    assert detail is not None
    cell = openpyxl.load_workbook(detail)["明细"]["B5"]
    assert (cell.value, cell.data_type) == ("'=1+2", "s")


def test_the_companion_files_figures_are_numbers_in_boxes_and_a_missing_one_an_empty_box(office, tmp_path):
    _, tracked = office
    result = copy.deepcopy(tracked.consolidation)
    _, first = result.sent[0]
    _, second = result.sent[1]
    object.__setattr__(first, "values", {**first.values, "A.procurement.amount_wan": 12.5})  # copies
    object.__setattr__(second, "values", {c: v for c, v in second.values.items() if c != "A.rules.made"})
    detail = write_outputs(result, tmp_path, tracked.status, detail_in_workbook_max=FEW).detail
    assert detail is not None
    sheet = openpyxl.load_workbook(detail)["明细"]
    column = {code: index for index, code in enumerate(next(sheet.iter_rows(min_row=4, max_row=4, values_only=True)))}
    amount = sheet.cell(5, column["A.procurement.amount_wan"] + 1)
    missing = sheet.cell(6, column["A.rules.made"] + 1)
    assert (amount.value, amount.data_type) == (12.5, "n") and missing.value is None
    counted = sheet["C5"]  # 计入汇总, written by xlsxwriter itself: the figures have its style
    assert (counted.font.name, counted.font.sz, counted.border.left.style) == ("宋体", 9, "thin")
    assert {box.style_id for box in (amount, missing, sheet.cell(7, sheet.max_column))} == {counted.style_id}
    assert sheet.dimensions == f"A1:{get_column_letter(len(column))}{4 + len(result.sent)}"


def test_the_gaps_email_attaches_the_summary_workbook_not_the_detail(office, tmp_path):
    settings, tracked = office
    with OutputSet(tmp_path / "2019") as staged:
        outputs = write_outputs(
            tracked.consolidation,
            tmp_path,
            tracked.status,
            staged,
            detail_in_workbook_max=settings.outputs.detail_in_workbook_max,
        )
        letter = write_gaps(tracked.status, settings, workbook=outputs.workbook, staged=staged)
    assert letter.eml is not None and outputs.detail is not None
    message = message_from_bytes(letter.eml.read_bytes(), policy=policy.default)
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == outputs.workbook.name
    assert attachment.get_content() == outputs.workbook.read_bytes()
    summary = tmp_path / "attached.xlsx"
    summary.write_bytes(attachment.get_content())
    assert "明细" not in openpyxl.load_workbook(summary, read_only=True).sheetnames
    text = message.get_body(("plain",)).get_content()
    assert f"附件为汇总表《{outputs.workbook.name}》" in text and DETAIL_FILE not in text
    # base64 makes a file a third larger; nothing else of size rides along
    assert letter.eml.stat().st_size < outputs.workbook.stat().st_size * 1.4 + 300_000


def _counted(figures: list[dict]) -> SimpleNamespace:
    """A consolidation's counted units, as ``contributions`` reads them."""
    return SimpleNamespace(
        summed=[
            (SimpleNamespace(unit=SimpleNamespace(name=f"第{i:04d}县商务局")), Submission(Path(f"{i}.xlsx"), values=v))
            for i, v in enumerate(figures)
        ]
    )


def test_a_figure_of_thousands_of_units_names_the_largest_and_counts_the_rest():
    shares = contributions(_counted([{"B.1.total": 1000 - i} for i in range(NAMED + 50)]))["B.1.total"]
    words = listed(shares)
    assert len(shares) == NAMED + 50
    assert words.startswith("第0000县商务局 1000；") and f"第{NAMED - 1:04d}县商务局" in words
    assert f"第{NAMED:04d}县商务局" not in words
    assert words.endswith(f"；其余 50 家共 {sum(1000 - i for i in range(NAMED, NAMED + 50))}")
    few = contributions(_counted([{"B.1.total": 1000 - i} for i in range(3)]))["B.1.total"]
    assert listed(few) == "第0000县商务局 1000；第0001县商务局 999；第0002县商务局 998"


def test_the_units_named_for_a_figure_are_the_largest_shares_in_the_units_order_among_equals():
    draw = random.Random(7)
    figures = [{"A.x": draw.choice([0, 5, 5, 7, -3, 12.5, 40, 40, 2]), "B.y": draw.randint(0, 3)} for _ in range(900)]
    found = contributions(_counted(figures))
    for code in ("A.x", "B.y"):
        ranked = sorted(
            ((f[code], i) for i, f in enumerate(figures) if f[code]), key=lambda pair: pair[0], reverse=True
        )  # every share, largest first, stable: what 数字来源 listed before it kept only the largest
        shares = found[code]
        assert [(c.value, c.unit) for c in shares.named] == [(v, f"第{i:04d}县商务局") for v, i in ranked[:NAMED]]
        assert shares.more == len(ranked) - NAMED
        assert shares.rest == pytest.approx(sum(v for v, _ in ranked[NAMED:]))


def test_consolidate_honours_the_configured_threshold(office):
    settings, _ = office
    outputs = pipeline.run(settings).outputs
    assert outputs.detail is not None and outputs.detail.is_file()


def test_the_console_names_the_detail_file(office):
    from typer.testing import CliRunner

    from rollup.cli import app

    settings, _ = office
    shown = CliRunner().invoke(app, ["consolidate", "--config", str(settings.base_dir / "rollup.toml")])
    assert shown.exit_code == 0, shown.output
    assert f"{DETAIL_FILE}（各单位明细，单位较多，未放入汇总表）" in shown.output.replace("\n", "")
