"""Outliers: a planted spike is found, by the unit's own history and by its peers; the sample
city's ordinary (if very unequal) figures are left alone."""

from pathlib import Path

import pytest
from conftest import REPO, REPORTS

from rollup.config import OutlierSettings
from rollup.demo.sample import load_city, split_city
from rollup.forms import editions
from rollup.model import Submission
from rollup.outliers import Reported, find_outliers
from rollup.roster import load_roster

ROSTER = load_roster(REPO / "config" / "units.csv", "乐清市")
EDITION = editions()["2019"]


@pytest.fixture(scope="module")
def split():
    city = load_city(REPORTS / "expected.json")
    return split_city(EDITION, city.values, list(ROSTER), notes=city.notes)


def reported(split, changed=None, earlier=None) -> list[Reported]:
    changed, earlier = changed or {}, earlier or {}
    return [
        Reported(
            unit,
            Submission(Path(f"{unit.name}.xlsx"), values={**split[unit.id], **changed.get(unit.id, {})}),
            earlier.get(unit.id, ()),
        )
        for unit in ROSTER
    ]


def test_the_sample_citys_figures_are_no_outliers(split):
    assert find_outliers(EDITION, reported(split), OutlierSettings()) == {}


def test_a_township_with_76000_applications_stands_out_from_its_peers(split):
    town = ROSTER.match("岭底乡")
    planted = {
        town.id: {
            "B.1.natural": 76000,
            "B.1.total": 76000 + split[town.id]["B.1.total"] - split[town.id]["B.1.natural"],
        }
    }
    found = find_outliers(EDITION, reported(split, planted), OutlierSettings())
    assert list(found) == [town.id]
    assert sorted(f.column for f in found[town.id]) == ["natural", "total"]
    natural = next(f for f in found[town.id] if f.column == "natural")
    assert natural.rule == "outlier" and natural.actual == 76000 and natural.unit == "岭底乡"
    assert natural.message.startswith("依申请表 一、本年新收 自然人列：填报 76000，同类单位（乡镇街道）中有此项的")


def test_a_unit_far_beyond_its_own_history(split):
    police = ROSTER.match("公安局")
    this_year = split[police.id]["A.penalty.decisions"]
    last_year = {"A.penalty.decisions": this_year // 20}
    found = find_outliers(EDITION, reported(split, earlier={police.id: [last_year]}), OutlierSettings())
    (finding,) = found[police.id]
    assert finding.column == "decisions" and f"往年最多为 {this_year // 20}" in finding.message
    # within the ratio, or last year's figure under the floor with this year's under the minimum: silence
    assert (
        find_outliers(
            EDITION, reported(split, earlier={police.id: [{"A.penalty.decisions": this_year // 5}]}), OutlierSettings()
        )
        == {}
    )
    assert find_outliers(EDITION, reported(split), OutlierSettings(enabled=False)) == {}
