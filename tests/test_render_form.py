from collections import Counter
from datetime import date

import openpyxl
import pytest
from helpers import fill_template
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from python_calamine import CalamineWorkbook

from rollup import codesheet
from rollup.forms import editions
from rollup.ingest import read_submission
from rollup.render.form import COVER_SHEET, EXPLANATION_SHEET, Span, form_workbook, label_spans, pad
from rollup.render.template import write_blank_template, write_templates
from rollup.roster import Unit

COVER = {"unit": "乐清市商务局", "year": 2020, "contact": "张三", "phone": "0577-61234567", "date": "2021年1月20日"}


@pytest.fixture(params=["2019", "2021"])
def edition(request):
    return editions()[request.param]


def sample_values(edition) -> dict:
    """A distinct value per code, of the code's kind: counts 1, 2, …; signed negative; money with decimals."""
    values = {}
    for i, cell in enumerate(edition.cells, start=1):
        values[cell.code] = {"count": i, "signed": -i, "money": i + 0.25}[cell.kind]
    return values


@pytest.fixture
def filled(edition, tmp_path):
    values = sample_values(edition)
    path = tmp_path / "filled.xlsx"
    form_workbook(edition, values=values, cover=COVER, notes={edition.codes[0]: "1（撤回）"}).save(path)
    return path, values


@pytest.fixture
def blank(edition, tmp_path):
    path = tmp_path / "blank.xlsx"
    form_workbook(edition).save(path)
    return path


def calamine_sheet(path, name) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python(skip_empty_area=False)


def calamine_code_map(path) -> codesheet.CodeMap:
    found = codesheet.parse(calamine_sheet(path, codesheet.SHEET))
    assert found is not None
    return found


def cell_at(grid: list[list], coordinate: str):
    row, col = coordinate_to_tuple(coordinate)
    return grid[row - 1][col - 1]


def merged_range_at(ws, text):
    """The merged range whose top-left cell holds ``text`` (as (min_col, min_row, max_col, max_row))."""
    starts = [c.coordinate for row in ws.iter_rows() for c in row if c.value == text]
    assert starts, f"{text!r} not on sheet {ws.title}"
    for rng in ws.merged_cells.ranges:
        if rng.start_cell.coordinate in starts:
            return range_boundaries(rng.coord)
    raise AssertionError(f"{text!r} is not merged on sheet {ws.title}")


def texts(ws) -> set[str]:
    return {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


# --- label spans -----------------------------------------------------------------------------


def test_label_spans_merge_equal_prefixes_and_extend_short_paths():
    paths = [pad(("一",), 3), pad(("三", "（一）"), 3), pad(("三", "（三）", "1."), 3), pad(("三", "（三）", "2."), 3)]
    assert label_spans(paths) == [
        Span(0, 2, 0, 0, "一"),
        Span(0, 0, 1, 3, "三"),
        Span(1, 2, 1, 1, "（一）"),
        Span(1, 1, 2, 3, "（三）"),
        Span(2, 2, 2, 2, "1."),
        Span(2, 2, 3, 3, "2."),
    ]


def test_label_spans_do_not_merge_equal_labels_under_different_parents():
    paths = [("复议", "维持"), ("诉讼", "维持")]
    assert [s.text for s in label_spans(paths)] == ["复议", "诉讼", "维持", "维持"]


# --- the workbook ----------------------------------------------------------------------------


def test_sheets_in_order_with_hidden_code_sheet(edition, blank):
    wb = openpyxl.load_workbook(blank)
    assert wb.sheetnames == [COVER_SHEET, "主动公开", "依申请公开", "复议诉讼", EXPLANATION_SHEET, codesheet.SHEET]
    assert [t.sheet for t in edition.tables] == wb.sheetnames[1:4]
    assert wb[codesheet.SHEET].sheet_state == "hidden"
    assert all(wb[name].sheet_state == "visible" for name in wb.sheetnames[:5])


def test_code_sheet_maps_every_code_and_cover_field_exactly_once(edition, blank):
    raw = calamine_sheet(blank, codesheet.SHEET)
    keys = Counter(line[0] for line in raw[1:] if line[1])
    expected = set(edition.codes) | set(codesheet.COVER_FIELDS) | {codesheet.EXPLANATION}
    assert set(keys) == expected
    assert all(n == 1 for n in keys.values())
    found = calamine_code_map(blank)
    assert found.edition == edition.edition
    places = list(found.locations.values())
    assert len(set(places)) == len(places), "two keys share one cell"


def test_mapped_cells_exist_on_their_sheets(edition, blank):
    wb = openpyxl.load_workbook(blank)
    for key, (sheet, coordinate) in calamine_code_map(blank).locations.items():
        cell = wb[sheet][coordinate]
        assert type(cell).__name__ == "Cell", f"{key} points into a merged range at {sheet}!{coordinate}"
        assert cell.value is None or key in codesheet.COVER_FIELDS


def test_values_found_by_code_with_openpyxl(filled):
    path, values = filled
    wb = openpyxl.load_workbook(path)
    locations = calamine_code_map(path).locations
    for code, value in values.items():
        sheet, coordinate = locations[code]
        got = wb[sheet][coordinate].value
        assert got == value and type(got) is type(value), code


def test_values_found_by_code_with_calamine(filled):
    path, values = filled
    locations = calamine_code_map(path).locations
    grids = {}
    for code, value in values.items():
        sheet, coordinate = locations[code]
        grid = grids.setdefault(sheet, calamine_sheet(path, sheet))
        assert cell_at(grid, coordinate) == value, code


def test_cover_prefilled_and_found_by_field(filled):
    path, _ = filled
    locations = calamine_code_map(path).locations
    grid = calamine_sheet(path, COVER_SHEET)
    got = {key: cell_at(grid, locations[key][1]) for key in codesheet.COVER_FIELDS}
    assert got == {**COVER, "year": 2020.0}
    ws = openpyxl.load_workbook(path)[COVER_SHEET]
    label_cells = {ws[locations[key][1]].offset(column=-1).value for key in codesheet.COVER_FIELDS}
    assert label_cells == set(codesheet.COVER_FIELDS.values())


def test_cover_names_the_edition_and_explains_filling(edition, blank):
    cover = texts(openpyxl.load_workbook(blank)[COVER_SHEET])
    assert {edition.name, edition.source, "政府信息公开工作年度报告统计表", "填报说明"} <= cover
    rules = " ".join(cover)
    for words in ("整数", "万元", "小数", "总计", "工作表名称", "填 0"):
        assert words in rules
    # signed cells only exist in the 2019 edition (本年增/减)
    assert ("“本年增/减”可填负数" in rules) == (edition.edition == "2019")


def test_cover_date_as_date(edition, tmp_path):
    path = tmp_path / "d.xlsx"
    form_workbook(edition, cover={"date": date(2021, 1, 20)}).save(path)
    sheet, coordinate = calamine_code_map(path).locations["date"]
    assert openpyxl.load_workbook(path)[sheet][coordinate].value.date() == date(2021, 1, 20)


def test_notes_become_comments(edition, filled):
    path, _ = filled
    sheet, coordinate = calamine_code_map(path).locations[edition.codes[0]]
    wb = openpyxl.load_workbook(path)
    assert wb[sheet][coordinate].comment.text == "1（撤回）"
    other_sheet, other = calamine_code_map(path).locations[edition.codes[1]]
    assert wb[other_sheet][other].comment is None


def test_inputs_unlocked_everything_else_locked(edition, blank):
    wb = openpyxl.load_workbook(blank)
    locations = calamine_code_map(blank).locations
    inputs = set(locations.values())
    for sheet, coordinate in inputs:
        assert wb[sheet][coordinate].protection.locked is False, (sheet, coordinate)
    assert wb.security.lockStructure  # sheets cannot be renamed, moved or unhidden
    for name in wb.sheetnames:
        assert wb[name].protection.sheet is True
    for name in wb.sheetnames[:4]:
        ws = wb[name]
        written = [c for row in ws.iter_rows() for c in row if c.value is not None]
        assert written
        for cell in written:
            if (name, cell.coordinate) not in inputs:
                assert cell.protection.locked is True, (name, cell.coordinate, cell.value)
    for table in edition.tables:
        ws = wb[table.sheet]
        label = next(c for row in ws.iter_rows() for c in row if c.value == table.rows[0].label)
        assert label.protection.locked is True


def test_unprotected_when_asked(edition, tmp_path):
    path = tmp_path / "open.xlsx"
    form_workbook(edition, protect=False).save(path)
    wb = openpyxl.load_workbook(path)
    assert not any(wb[name].protection.sheet for name in wb.sheetnames)
    assert wb.security is None or not wb.security.lockStructure


def test_unknown_codes_are_refused(edition):
    with pytest.raises(ValueError, match=r"X\.nope"):
        form_workbook(edition, values={"X.nope.total": 1})
    with pytest.raises(ValueError, match="nickname"):
        form_workbook(edition, cover={"nickname": "x"})


def test_table_b_headers_and_labels_merged_as_on_the_form(edition, blank):
    table = edition.table("B")
    ws = openpyxl.load_workbook(blank)[table.sheet]
    label_columns = max(len(r.path) + 1 for r in table.rows)
    assert label_columns == 3
    # 申请人情况 spans the seven applicant columns, 法人或其他组织 the five
    left, top, right, bottom = merged_range_at(ws, "申请人情况")
    assert (right - left + 1, bottom - top + 1) == (7, 1)
    assert left == label_columns + 1
    left, _, right, _ = merged_range_at(ws, "法人或其他组织")
    assert right - left + 1 == 5
    # 自然人 and 总计 reach down to the bottom header line
    for text in ("自然人", "总计"):
        _, top, _, bottom = merged_range_at(ws, text)
        assert bottom - top + 1 == 2
    # the note sits over the label columns of all header lines
    assert merged_range_at(ws, table.blocks[0].corner) == (1, top - 1, label_columns, bottom)
    # 三、本年度办理结果 spans every 3.x row; （三）不予公开 its eight rows
    _, top, _, bottom = merged_range_at(ws, "三、本年度办理结果")
    results = [r for r in table.rows if r.path[:1] == ("三、本年度办理结果",)]
    assert bottom - top + 1 == len(results) == {"2019": 20, "2021": 22}[edition.edition]
    _, top, _, bottom = merged_range_at(ws, "（三）不予公开")
    assert bottom - top + 1 == 8
    # a row with a short path spans the remaining label columns
    assert merged_range_at(ws, "一、本年新收政府信息公开申请数量")[0::2] == (1, label_columns)
    assert merged_range_at(ws, "（一）予以公开")[0::2] == (2, label_columns)


def test_table_b_input_cells_line_up_with_their_labels(edition, blank):
    table = edition.table("B")
    ws = openpyxl.load_workbook(blank)[table.sheet]
    locations = calamine_code_map(blank).locations
    for row in table.rows:
        label_row = next(c.row for line in ws.iter_rows() for c in line if c.value == row.label)
        for col in table.columns:
            assert coordinate_to_tuple(locations[f"B.{row.code}.{col.code}"][1])[0] == label_row


def test_table_c_is_one_line_of_fifteen_under_a_three_level_header(edition, blank):
    table = edition.table("C")
    ws = openpyxl.load_workbook(blank)[table.sheet]
    left, top, right, bottom = merged_range_at(ws, "行政诉讼")
    assert (right - left + 1, bottom - top + 1) == (10, 1)
    for text in ("未经复议直接起诉", "复议后起诉"):
        left, _, right, _ = merged_range_at(ws, text)
        assert right - left + 1 == 5
    left, top, right, bottom = merged_range_at(ws, "行政复议")
    assert (right - left + 1, bottom - top + 1) == (5, 2)
    cells = [coordinate_to_tuple(calamine_code_map(blank).locations[c.code][1]) for c in table.cells]
    assert len(cells) == 15 and len({r for r, _ in cells}) == 1
    assert [c for _, c in cells] == list(range(1, 16))
    # the printed order: review, suit_direct, suit_after_review, each upheld … total
    assert [c.code for c in table.cells][:6] == [
        "C.review.upheld",
        "C.review.corrected",
        "C.review.other",
        "C.review.pending",
        "C.review.total",
        "C.suit_direct.upheld",
    ]


def test_table_a_blocks_have_title_header_and_rows(edition, blank):
    table = edition.table("A")
    ws = openpyxl.load_workbook(blank)[table.sheet]
    locations = calamine_code_map(blank).locations
    for block in table.blocks:
        title_row = next(c.row for line in ws.iter_rows() for c in line if c.value == block.title)
        assert ws.cell(title_row + 1, 1).value == block.corner
        assert [ws.cell(title_row + 1, 2 + j).value for j in range(len(block.columns))] == [
            c.header for c in block.columns
        ]
        for i, row in enumerate(block.rows, start=title_row + 2):
            assert ws.cell(i, 1).value == row.label
            assert [locations[f"A.{row.code}.{c.code}"][1] for c in block.columns] == [
                ws.cell(i, 2 + j).coordinate for j in range(len(block.columns))
            ]


def test_every_spec_label_appears(edition, blank):
    wb = openpyxl.load_workbook(blank)
    for table in edition.tables:
        shown = texts(wb[table.sheet])
        assert table.title in shown
        for block in table.blocks:
            assert {block.title, block.corner} - {None} <= shown
            for column in block.columns:
                assert column.header in shown and set(column.path) <= shown
            for row in block.rows:
                assert row.label in shown and set(row.path) <= shown


def test_every_table_cell_bordered(edition, blank):
    wb = openpyxl.load_workbook(blank)
    for table in edition.tables:
        ws = wb[table.sheet]
        for line in ws.iter_rows(min_row=2):
            for cell in line:
                if cell.value is not None:
                    assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin", cell.coordinate


def validation_of(ws, coordinate):
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, coordinate
    return found[0]


def test_validation_by_kind(edition, blank):
    wb = openpyxl.load_workbook(blank)
    locations = calamine_code_map(blank).locations
    for cell in edition.cells:
        sheet, coordinate = locations[cell.code]
        dv = validation_of(wb[sheet], coordinate)
        assert dv.showErrorMessage and dv.error and dv.errorTitle
        if cell.kind == "count":
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
        elif cell.kind == "signed":
            assert dv.type == "whole" and float(dv.formula1) < 0 < float(dv.formula2)
        else:
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    for table in edition.tables:
        kinds = {c.kind for c in table.cells}
        assert len(wb[table.sheet].data_validations.dataValidation) == len(kinds)


def test_named_kinds(tmp_path):
    for edition, code, kind in (
        (editions()["2019"], "A.licensing.delta", "whole"),
        (editions()["2019"], "A.procurement.amount_wan", "decimal"),
        (editions()["2021"], "A.fees.amount_wan", "decimal"),
    ):
        path = tmp_path / f"{edition.edition}.xlsx"
        form_workbook(edition).save(path)
        sheet, coordinate = calamine_code_map(path).locations[code]
        dv = validation_of(openpyxl.load_workbook(path)[sheet], coordinate)
        assert dv.type == kind
        if code.endswith("delta"):
            assert float(dv.formula1) < 0


def test_print_setup(edition, blank):
    wb = openpyxl.load_workbook(blank)
    for table in edition.tables:
        ws = wb[table.sheet]
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.orientation == ("portrait" if table.id == "A" else "landscape")


# --- templates -------------------------------------------------------------------------------


def unit(uid, name, **kw):
    return Unit(id=uid, name=name, category="部门", **kw)


def test_write_templates_one_file_per_unit_with_cover(edition, tmp_path):
    units = [unit("001", "乐清市商务局", contact="张三", phone="0577-61234567"), unit("002", "市住建局/城管")]
    paths = write_templates(edition, 2020, units, tmp_path / "out")
    assert [p.name for p in paths] == ["乐清市商务局.xlsx", "市住建局_城管.xlsx"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    for path, u in zip(paths, units, strict=False):
        locations = calamine_code_map(path).locations
        grid = calamine_sheet(path, COVER_SHEET)
        got = {key: cell_at(grid, locations[key][1]) for key in ("unit", "year", "contact", "phone", "date")}
        assert got == {"unit": u.name, "year": 2020.0, "contact": u.contact, "phone": u.phone, "date": ""}
        assert calamine_code_map(path).edition == edition.edition


def test_write_templates_tells_colliding_names_apart(edition, tmp_path):
    paths = write_templates(edition, 2020, [unit("001", "a/b"), unit("002", "a:b")], tmp_path)
    assert [p.name for p in paths] == ["a_b.xlsx", "a_b_002.xlsx"]


def test_blank_template_has_only_the_year(edition, tmp_path):
    path = write_blank_template(edition, 2021, tmp_path / "空白模板.xlsx")
    assert path.exists()
    locations = calamine_code_map(path).locations
    grid = calamine_sheet(path, COVER_SHEET)
    assert cell_at(grid, locations["year"][1]) == 2021.0
    assert cell_at(grid, locations["unit"][1]) == ""
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_layout_follows_a_changed_spec(tmp_path):
    """Nothing about the tables is hard-coded: rename a sheet and nest table A's rows under a
    parent label, and the sheet, the label columns and the code sheet follow."""
    base = editions()["2019"]
    a = base.table("A")
    block = a.blocks[0]
    nested = block.model_copy(update={"rows": tuple(r.model_copy(update={"path": ("文件",)}) for r in block.rows)})
    table = a.model_copy(update={"sheet": "表一", "blocks": (nested, *a.blocks[1:])})
    edition = base.model_copy(update={"tables": (table, *base.tables[1:])})
    path = tmp_path / "changed.xlsx"
    form_workbook(edition, values={"A.normative.total": 7}).save(path)
    ws = openpyxl.load_workbook(path)["表一"]
    assert merged_range_at(ws, "文件")[1::2] == (ws["A1"].row + 3, ws["A1"].row + 4)
    assert merged_range_at(ws, "行政许可")[0::2] == (1, 2)
    sheet, coordinate = calamine_code_map(path).locations["A.normative.total"]
    assert (sheet, ws[coordinate].value) == ("表一", 7)


def test_explanation_sheet_is_part_of_the_locked_layout_and_reads_back(edition, blank, tmp_path):
    wb = openpyxl.load_workbook(blank)
    sheet, coordinate = calamine_code_map(blank).locations[codesheet.EXPLANATION]
    assert sheet == EXPLANATION_SHEET and wb[sheet].protection.sheet and wb.security.lockStructure
    assert wb[sheet][coordinate].protection.locked is False
    assert read_submission(blank).meta.get(codesheet.EXPLANATION) is None
    text = "依申请表 三(三)不予公开 第4项较上年明显增加，系某企业集中提出申请所致。"
    filled = fill_template(blank, tmp_path / "explained.xlsx", {codesheet.EXPLANATION: f"  {text}\n"})
    assert read_submission(filled).meta[codesheet.EXPLANATION] == text
