"""The objects that travel between the stages: a unit's figures held compactly (``Figures``),
and a submission kept by the ledger and given back the same."""

import json
import pickle
from array import array
from pathlib import Path

import pytest

from rollup import model
from rollup.findings import Finding
from rollup.forms import edition_for_year
from rollup.model import Constituent, Figures, Submission

EDITION = edition_for_year(2025)
CODES = [cell.code for cell in EDITION.cells]


def _figures(start: int = 0) -> dict[str, int | float]:
    return {code: start + n * 37 for n, code in enumerate(CODES)}


def test_figures_equal_the_dict_they_were_built_from_either_way_round():
    cells = _figures()
    figures = Figures(cells)

    assert figures == cells
    assert cells == figures
    assert figures == Figures(cells)
    changed = {**cells, CODES[-1]: -1}
    assert figures != changed
    assert changed != figures
    assert figures != dict(list(cells.items())[:-1])
    assert figures != list(cells.items())  # not a mapping: never equal


def test_figures_held_apart_compare_by_their_figures():
    whole = Figures({"A.1.a": 1, "A.1.b": 2})

    assert whole == Figures({"A.1.a": 1, "A.1.b": 2.0})  # an array and a tuple, equal as a dict says
    assert whole == Figures({"A.1.b": 2, "A.1.a": 1})  # another order
    assert whole != Figures({"A.1.a": 1, "A.1.b": 3})
    assert Figures({"A.1.a": 0.5, "A.1.b": 2}) != Figures({"A.1.a": 0.25, "A.1.b": 2})


def test_figures_read_like_the_dict_in_its_order():
    cells = dict(reversed(_figures().items()))  # an order not the edition's
    figures = Figures(cells)

    assert list(figures) == list(cells)
    assert list(figures.items()) == list(cells.items())
    assert list(figures.values()) == list(cells.values())
    assert len(figures) == len(cells)
    assert CODES[3] in figures
    assert "Z.9.none" not in figures
    assert 3 not in figures
    assert figures[CODES[3]] == cells[CODES[3]]
    assert figures.get(CODES[3]) == cells[CODES[3]]
    assert figures.get("Z.9.none") is None
    assert figures.get("Z.9.none", 0) == 0
    with pytest.raises(KeyError, match=r"Z\.9\.none"):
        figures["Z.9.none"]
    assert frozenset(figures.items()) == frozenset(cells.items())
    assert repr(figures) == repr(cells)


def test_figures_cannot_be_changed():
    figures = Figures(_figures())

    with pytest.raises(TypeError):
        figures[CODES[0]] = 5


def test_whole_numbers_of_64_bits_are_held_in_an_array_and_read_back_as_ints():
    cells = {"A.1.a": -(2**63), "A.1.b": 2**63 - 1, "A.1.c": 0, "A.1.d": 70000}
    figures = Figures(cells)

    assert figures.integers and isinstance(figures._numbers, array)  # what makes them small
    assert [(code, type(value)) for code, value in figures.items()] == [(code, int) for code in cells]
    assert figures == cells


@pytest.mark.parametrize(
    ("largest", "bytes_each"),
    [(0, 2), (2**15 - 1, 2), (-(2**15) + 1, 2), (2**15, 4), (-(2**31) + 1, 4), (2**31, 8), (-(2**63), 8)],
)
def test_whole_numbers_take_the_narrowest_machine_integer_that_holds_them_all(largest, bytes_each):
    cells = {"A.1.a": 3, "A.1.b": largest, "A.1.c": -1}
    figures = Figures(cells)

    assert isinstance(figures._numbers, array) and figures._numbers.itemsize == bytes_each
    assert figures == cells and [type(v) for v in figures.values()] == [int] * 3


@pytest.mark.parametrize(
    "odd",
    [2**63, -(2**63) - 1, 10**30, 0.1, 1e300, True],
    ids=["one past 64 bits", "one below 64 bits", "far beyond", "a fraction", "a huge float", "a bool"],
)
def test_figures_no_machine_integer_holds_are_read_back_exactly(odd):
    cells = {"A.1.a": 12, "A.1.b": odd, "A.1.c": 7}
    figures = Figures(cells)

    assert not figures.integers  # not for SQLite as they are
    assert figures["A.1.b"] == figures.get("A.1.b") == odd
    assert type(figures["A.1.b"]) is type(odd)
    assert type(figures["A.1.a"]) is int
    assert figures == cells
    assert list(figures.items()) == list(cells.items()) and list(figures.values()) == list(cells.values())
    assert [type(v) for v in figures.values()] == [type(v) for v in cells.values()]


def test_a_few_figures_that_are_no_integer_leave_the_others_in_a_machine_array():
    cells: dict[str, int | float] = {**_figures(), CODES[3]: 7.64, CODES[10]: True}
    figures = Figures(cells)

    assert isinstance(figures._numbers, array) and figures._numbers.itemsize == 2
    assert figures == cells and dict(figures.items()) == cells and not figures.integers
    assert [type(v) for v in figures.values()] == [type(v) for v in cells.values()]
    assert (figures[CODES[3]], figures[CODES[10]], figures[CODES[4]]) == (7.64, True, 4 * 37)
    assert figures != Figures({**cells, CODES[3]: 7.65})
    assert figures == Figures(dict(reversed(cells.items())))
    # a unit's every figure with decimals: held as they are
    fractions = {code: n + 0.5 for n, code in enumerate(CODES)}
    assert not isinstance(Figures(fractions)._numbers, array) and Figures(fractions) == fractions


@pytest.mark.parametrize(
    "changed",
    [
        {},  # every figure a whole number of zero or more: nothing to look at
        {CODES[3]: 7.64, CODES[10]: True},  # held beside the array
        {CODES[5]: -4, CODES[2]: -1},  # negative, in the array
        {CODES[5]: -4, CODES[1]: 0.5},
        {CODES[0]: 2**40, CODES[7]: -(2**40)},  # an array of 8 bytes
        {code: n + 0.5 for n, code in enumerate(CODES)},  # every figure an object
    ],
)
def test_the_irregular_figures_are_those_not_whole_or_below_zero_in_order(changed):
    cells = {**_figures(), **changed}
    expected = [(code, v) for code, v in cells.items() if not (type(v) is int and v >= 0)]

    found = Figures(cells).irregular()

    assert found == expected
    assert [type(v) for _, v in found] == [type(v) for _, v in expected]


def test_figures_survive_pickling_as_figures_sharing_their_codes():
    for cells in (_figures(), {**_figures(), CODES[0]: 0.5}):
        figures = Figures(cells)

        back = pickle.loads(pickle.dumps(figures))

        assert type(back) is Figures
        assert back == cells
        assert list(back.items()) == list(cells.items())
        assert back._codes is figures._codes


def test_figures_of_the_same_codes_share_one_tuple_of_codes():
    first, second = Figures(_figures()), Figures(_figures(start=5))
    other = Figures(dict(reversed(_figures().items())))

    assert first != second
    assert first._codes is second._codes
    assert other._codes is not first._codes  # the same codes in another order are another layout


def _submission() -> Submission:
    return Submission(
        file=Path("乐清市商务局.xlsx"),
        unit="乐清市商务局",
        year=2025,
        edition=EDITION.edition,
        values={**_figures(), CODES[5]: 2**70, CODES[6]: 1.25},
        notes={CODES[1]: "撤回"},
        sources={CODES[0]: "C12"},
        marks={CODES[2]: "blank"},
        findings=(Finding.of("negative_value", table="A", row="1", column="a", actual=-1),),
        unit_id="D1",
        constituents=(Constituent("乐成街道", _figures(start=1)),),
        sha256="ab" * 32,
        size=1234,
    )


def test_a_compact_submission_holds_its_figures_and_its_constituents_as_figures():
    submission = _submission()

    compact = submission.compact()

    assert isinstance(compact.values, Figures)
    assert isinstance(compact.constituents[0].values, Figures)
    assert compact == submission


def test_a_submission_is_recorded_as_json_and_read_back_the_same():
    submission = _submission().compact()

    record = json.loads(json.dumps(submission.record(), ensure_ascii=False))
    back = Submission.from_record(record)

    assert type(record["values"]) is dict
    assert record["values"][CODES[5]] == 2**70
    assert back == submission
    assert list(back.values.items()) == list(submission.values.items())
    assert back.constituents == submission.constituents
    assert isinstance(back.values, Figures)


def test_once_the_layouts_held_are_full_new_codes_stay_a_dict(monkeypatch):
    known = Submission(file=Path("a.xlsx"), values=_figures()).compact()
    monkeypatch.setattr(model, "_LAYOUTS", len(model._CODES))

    again = Submission(file=Path("b.xlsx"), values=_figures(start=3)).compact()
    new = Submission(file=Path("c.xlsx"), values=dict(list(_figures().items())[:-3])).compact()

    assert isinstance(known.values, Figures)
    assert isinstance(again.values, Figures)  # a layout already held costs nothing more
    assert type(new.values) is dict
    assert new.values == dict(list(_figures().items())[:-3])
