import tomllib
from importlib import resources

import pytest
from pydantic import ValidationError

from rollup.forms import Edition, cell_code, edition_for_year, editions, parse_cell_code


def test_both_editions_ship_with_every_cell_of_the_domain(ed2019, ed2021):
    assert len(ed2019.cells) == 198 and len(ed2021.cells) == 200
    assert "A.procurement.amount_wan" in ed2019.codes and "A.procurement.amount_wan" not in ed2021.codes
    assert "B.3.6.natural" in ed2019.codes and "B.3.6.1.natural" not in ed2019.codes
    assert {"B.3.6.1.total", "B.3.6.2.total", "B.3.6.3.total"} <= set(ed2021.codes)
    assert ed2021.cell("A.fees.amount_wan").kind == "money"
    assert ed2019.cell("A.licensing.delta").kind == "signed"


@pytest.mark.parametrize("year, name", [(2019, "2019"), (2020, "2019"), (2021, "2021"), (2025, "2021")])
def test_the_year_picks_the_edition(year, name):
    assert edition_for_year(year).edition == name


def test_no_edition_before_2019():
    with pytest.raises(LookupError):
        edition_for_year(2018)


def test_column_total_rule_sums_exactly_the_leaf_rows(ed2019, ed2021):
    for edition, other in ((ed2019, ["3.6"]), (ed2021, ["3.6.1", "3.6.2", "3.6.3"])):
        rule = next(r for r in edition.rules if r.id == "column_total")
        assert rule.left == ("3.7",)
        assert len(rule.right) == 2 + 8 + 3 + 5 + len(other)
        assert rule.right[-len(other) :] == tuple(other)


def test_where_names_a_place_in_the_forms_words(ed2019):
    assert ed2019.where("B", "3.7", "natural") == "依申请表 三(七)总计 自然人列"
    assert ed2019.where("B", None, "total") == "依申请表 总计列"


def test_spec_loader_is_strict():
    text = resources.files("rollup.forms").joinpath("edition_2019.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    data["tables"][0]["colour"] = "red"
    with pytest.raises(ValidationError):
        Edition.model_validate(data)
    data = tomllib.loads(text)
    data["rules"][0]["right"] = ["natural", "nobody"]
    with pytest.raises(ValidationError, match="nobody"):
        Edition.model_validate(data)


def test_spec_round_trips_through_its_own_serialisation():
    for edition in editions().values():
        again = Edition.model_validate(edition.model_dump())
        assert again == edition and again.codes == edition.codes


def test_cell_codes_are_made_and_taken_apart_in_one_place(ed2021):
    for cell in ed2021.cells:
        assert parse_cell_code(cell.code) == (cell.table, cell.row.code, cell.column.code)
        assert cell_code(*parse_cell_code(cell.code)) == cell.code
    assert parse_cell_code("B.3.3.4.commercial") == ("B", "3.3.4", "commercial")
    for text in ("row_total", "B.natural", ".3.x", "B.3."):
        with pytest.raises(ValueError, match="不是单元格编码"):
            parse_cell_code(text)


def test_each_sum_rule_is_written_out_once_over_its_rows_or_columns(ed2019, ed2021):
    for edition in (ed2019, ed2021):
        counts = {rule.id: sum(1 for line in edition.rule_lines if line.rule.id == rule.id) for rule in edition.rules}
        assert counts == {
            "row_total": 23 if edition is ed2019 else 25,
            "column_total": 7,
            "balance": 7,
            "group_total": 3,
        }
    line = next(x for x in ed2019.rule_lines if x.rule.id == "column_total" and x.column == "natural")
    assert (line.table, line.row, line.left) == ("B", "3.7", ("B.3.7.natural",))
    assert line.right[0] == "B.3.1.natural" and line.right[-1] == "B.3.6.natural" and len(line.right) == 19
    balance = next(x for x in ed2021.rule_lines if x.rule.id == "balance" and x.column == "total")
    assert (balance.row, balance.left, balance.right) == (
        None,
        ("B.1.total", "B.2.total"),
        ("B.3.7.total", "B.4.total"),
    )


def test_places_in_words_tolerate_codes_of_another_edition(ed2019, ed2021):
    assert ed2021.place("B", "3.6", "natural") == ("依申请表", "3.6", "自然人列")  # 3.6 is a 2019 row
    assert ed2019.place("X") == ("X", "", "")
    assert ed2019.place(None) == ("", "", "")
    assert ed2019.describe("B.1.natural") == "依申请表 一、本年新收 自然人列（B.1.natural）"
    assert ed2019.describe("B.9.natural") == "B.9.natural"
