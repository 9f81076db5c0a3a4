"""Consolidation on its own: which units' reports are told apart as copies of each other, and
which of the region's cells are no figure but a mark every unit made."""

from pathlib import Path

import pytest

from rollup import aggregate
from rollup.forms import edition_for_year
from rollup.model import Submission
from rollup.roster import Roster, Unit

EDITION = edition_for_year(2025)
CODES = [cell.code for cell in EDITION.cells][:8]


def _report(unit_id: str, name: str, figures: list[int]) -> Submission:
    return Submission(
        file=Path(f"{name}.xlsx"),
        unit=name,
        year=2025,
        edition=EDITION.edition,
        values=dict(zip(CODES, figures, strict=True)),
        unit_id=unit_id,
    )


@pytest.mark.parametrize("colliding", [False, True], ids=["figures hashed apart", "every hash the same"])
def test_only_units_with_the_very_same_figures_are_told_they_are_copies(monkeypatch, colliding):
    if colliding:  # the figures are grouped by a hash: within a group only equal figures are copies
        monkeypatch.setattr(aggregate, "hash", lambda figures: 0, raising=False)
    units = [Unit(id=f"D{n}", name=name, category="部门") for n, name in enumerate(("教育局", "商务局", "民政局"))]
    same, other = [1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 9]
    submissions = [_report("D0", "教育局", same), _report("D1", "商务局", same), _report("D2", "民政局", other)]

    result = aggregate.consolidate(submissions, Roster(units, region="乐清市"), EDITION, 2025)

    copies = {
        r.unit.name: [f.message for f in r.submission.findings if f.rule == "duplicate_figures"]
        for r in result.units
        if r.submission is not None
    }
    assert copies["民政局"] == []
    assert len(copies["教育局"]) == 1 and "与商务局的报告（商务局.xlsx）数字完全相同" in copies["教育局"][0]
    assert len(copies["商务局"]) == 1 and "与教育局的报告（教育局.xlsx）数字完全相同" in copies["商务局"][0]


def _marked(marks: dict[str, str]) -> Submission:
    return Submission(file=Path("x.xlsx"), edition=EDITION.edition, marks=marks)


def test_a_region_cell_is_marked_only_where_every_counted_unit_made_the_same_mark():
    first, second, third, fourth = CODES[:4]
    units = [
        _marked({first: "not_applicable", second: "blank", third: "blank", fourth: "blank"}),
        _marked({fourth: "not_applicable", third: "blank", first: "not_applicable", second: "blank"}),
        _marked({second: "blank", first: "not_applicable", third: "not_applicable"}),
    ]
    # in the form's order, whatever order the units' marks came in
    assert list(aggregate.region_marks(EDITION, units).items()) == [(first, "not_applicable"), (second, "blank")]
    assert aggregate.region_marks(EDITION, [*units, _marked({})]) == {}  # one unit wrote a figure everywhere
    assert aggregate.region_marks(EDITION, [_marked({"Z.not.a_cell": "blank"})]) == {}
    assert aggregate.region_marks(EDITION, []) == {}
