import tomllib
from importlib import resources

import pytest
from pydantic import ValidationError

from rollup.forms import Edition, edition_for_year, editions


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
