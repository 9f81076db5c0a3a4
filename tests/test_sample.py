"""The sample city: the sample roster and settings, the split of the city totals across the
units, and the demo inbox."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rollup.config import load_settings
from rollup.demo.sample import apply_fault, apportion, demo, load_city, split_city, write_sample_inbox
from rollup.forms import edition_for_year
from rollup.roster import load_roster
from rollup.validate import check_values

DEMO_OMITTED, DEMO_FAULTY = demo().omitted, demo().faulty

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT.parent / "shared" / "reports" / "expected.json"
EDITION = edition_for_year(2019)


@pytest.fixture(scope="module")
def roster():
    return load_roster(ROOT / "config" / "units.csv", region="乐清市")


@pytest.fixture(scope="module")
def city_report():
    return load_city(EXPECTED)


@pytest.fixture(scope="module")
def city(city_report):
    return city_report.values


@pytest.fixture(scope="module")
def split(roster, city_report):
    return split_city(EDITION, city_report.values, list(roster), notes=city_report.notes)


def test_roster_has_49_departments_and_25_townships(roster):
    categories = [u.category for u in roster]
    assert categories.count("部门") == 49
    assert categories.count("乡镇街道") == 25
    assert len({u.id for u in roster}) == 74


def test_roster_matches_short_names(roster):
    assert roster.match("市府办").id == roster.match("乐清市人民政府办公室").id
    assert roster.match("市市场监管局").name == "乐清市市场监督管理局"
    assert roster.match("柳市镇人民政府").name == "柳市镇"


def test_roster_contacts_are_fictitious(roster):
    for unit in roster:
        assert unit.email.endswith("@example.gov.cn"), unit
        assert re.fullmatch(r"0577-6\d{7}", unit.phone), unit
        assert unit.contact


def test_roster_is_marked_as_sample():
    first = (ROOT / "config" / "units.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and "示例" in first


def test_sample_settings_load():
    settings = load_settings(ROOT / "config" / "rollup.toml")
    assert (settings.region, settings.year) == ("乐清市", 2019)
    assert settings.deadline(2019).isoformat() == "2020-01-31"
    assert settings.roster_path.resolve() == (ROOT / "config" / "units.csv").resolve()


# --- the split -----------------------------------------------------------------------------------


def test_units_add_up_to_the_city_for_every_code(split, city):
    for code in EDITION.codes:
        total = sum(values[code] for values in split.values())
        assert round(total, 4) == city[code], code


def test_every_unit_satisfies_every_rule(split):
    for unit_id, values in split.items():
        assert check_values(EDITION, values) == [], unit_id


def test_the_demo_fault_breaks_the_forms_arithmetic(split):
    values = apply_fault(next(iter(split.values())), "B.3.7.natural+1")
    broken = {f.rule for f in check_values(EDITION, values)}
    assert broken == {"column_total", "row_total", "balance"}


def test_cell_kinds(split):
    for unit_id, values in split.items():
        assert set(values) == set(EDITION.codes)
        for cell in EDITION.cells:
            value = values[cell.code]
            if cell.kind == "count":
                assert type(value) is int and value >= 0, (unit_id, cell.code, value)
            elif cell.kind == "signed":
                assert type(value) is int, (unit_id, cell.code, value)
            else:
                assert value >= 0 and round(value, 2) == value, (unit_id, cell.code, value)


def test_no_unit_loses_more_items_than_it_had(split):
    for unit_id, values in split.items():
        for code, value in values.items():
            if code.endswith(".delta"):
                items = values[code.replace(".delta", ".prev_items")]
                assert items + value >= 0, (unit_id, code)


def test_a_big_decrease_never_takes_a_unit_below_zero(roster, city):
    # nearly every item withdrawn: the split must respect each unit's own items
    steep = dict(city, **{"A.other_services.delta": 5 - city["A.other_services.prev_items"]})
    split = split_city(EDITION, steep, list(roster))
    assert sum(v["A.other_services.delta"] for v in split.values()) == steep["A.other_services.delta"]
    for unit_id, values in split.items():
        assert values["A.other_services.prev_items"] + values["A.other_services.delta"] >= 0, unit_id


def test_apportion_respects_caps_and_adds_up():
    assert apportion(10, [1, 100], caps=[8, 3]) == [7, 3]
    assert apportion(5, [0, 0, 0]) == [2, 2, 1]  # no weights: spread evenly
    assert sum(apportion(1000, [0.3, 2.5, 0, 7.1])) == 1000
    with pytest.raises(ValueError):
        apportion(10, [1, 1], caps=[4, 5])


def test_split_is_deterministic(roster, city_report, split):
    again = split_city(EDITION, city_report.values, list(roster), seed=2019, notes=city_report.notes)
    assert again == split
    assert split_city(EDITION, city_report.values, list(roster), seed=7, notes=city_report.notes) != split


def test_split_looks_like_a_city(roster, split, city):
    applications = {u.name: split[u.id]["B.1.total"] for u in roster}
    assert sum(1 for n in applications.values() if n == 0) >= 15  # many small units have none
    big = ("自然资源和规划局", "市场监督管理局", "综合行政执法局", "公安局", "住房和城乡建设局")
    carried = sum(n for name, n in applications.items() if any(b in name for b in big))
    assert carried > city["B.1.total"] / 3
    corrected = [u.name for u in roster if split[u.id]["C.review.corrected"]]
    assert corrected == ["乐清市自然资源和规划局"]


def test_split_handles_carried_over_applications(roster, city):
    # 2019 carried nothing over; a city that did must still split with row 一 never negative
    moved = dict(city)
    for col, n in (("natural", 40), ("commercial", 5)):
        moved[f"B.2.{col}"] += n
        moved[f"B.1.{col}"] -= n
    moved["B.2.total"] += 45
    moved["B.1.total"] -= 45
    split = split_city(EDITION, moved, list(roster))
    for code in EDITION.codes:
        assert sum(v[code] for v in split.values()) == pytest.approx(moved[code]), code
    for unit_id, values in split.items():
        assert check_values(EDITION, values) == [], unit_id
        assert all(values[f"B.1.{c.code}"] >= 0 for c in EDITION.table("B").columns), unit_id


def test_money_keeps_four_decimals_exact(roster, city):
    odd = dict(city, **{"A.procurement.amount_wan": 9282.3866})
    split = split_city(EDITION, odd, list(roster))
    assert round(sum(v["A.procurement.amount_wan"] for v in split.values()), 4) == 9282.3866


def test_inconsistent_city_is_refused(roster, city):
    broken = dict(city, **{"B.3.7.natural": city["B.3.7.natural"] + 1})
    with pytest.raises(ValueError, match="勾稽关系"):
        split_city(EDITION, broken, list(roster))


def test_apply_fault():
    assert apply_fault({"B.3.7.natural": 3}, "B.3.7.natural+1") == {"B.3.7.natural": 4}
    assert apply_fault({"B.4.total": 3}, "B.4.total - 2") == {"B.4.total": 1}
    with pytest.raises(ValueError):
        apply_fault({"B.3.7.natural": 3}, "make it wrong")


# --- the demo inbox ------------------------------------------------------------------------------


def test_demo_choices_are_in_the_roster(roster):
    ids = {u.id for u in roster}
    assert len(DEMO_OMITTED) == 3 and set(DEMO_OMITTED) <= ids
    assert [roster.get(i).category for i in DEMO_OMITTED].count("乡镇街道") == 1
    assert len(DEMO_FAULTY) == 1 and set(DEMO_FAULTY) <= ids - set(DEMO_OMITTED)


def test_write_sample_inbox(tmp_path, roster, city_report, split):
    import openpyxl

    from rollup import codesheet

    # rendering a book takes a while: write three units (one faulty), leave out the rest
    (faulty_id,) = DEMO_FAULTY
    kept = [roster.units[0], roster.get(faulty_id), roster.units[-1]]
    omit = [u.id for u in roster if u not in kept]
    paths = write_sample_inbox(tmp_path, roster, 2019, city_report, omit=omit, faulty=DEMO_FAULTY)
    assert sorted(p.name for p in paths) == sorted(f"{u.name}.xlsx" for u in kept)
    assert sorted(tmp_path.iterdir()) == sorted(paths)
    for unit in kept:
        book = openpyxl.load_workbook(tmp_path / f"{unit.name}.xlsx", data_only=True)
        found = codesheet.parse([list(r) for r in book[codesheet.SHEET].iter_rows(values_only=True)])
        assert found is not None and found.edition == "2019"
        read = {code: book[sheet][cell].value for code, (sheet, cell) in found.locations.items()}
        assert read["unit"] == unit.name
        expected = split[unit.id]
        if unit.id == faulty_id:
            expected = apply_fault(expected, DEMO_FAULTY[faulty_id])
        for code in EDITION.codes:
            assert (read[code] or 0) == pytest.approx(expected[code]), (unit.name, code)


def test_write_sample_inbox_refuses_unknown_units(tmp_path, roster, city_report):
    with pytest.raises(ValueError, match="X99"):
        write_sample_inbox(tmp_path, roster, 2019, city_report, omit=["X99"])
    assert list(tmp_path.iterdir()) == []
