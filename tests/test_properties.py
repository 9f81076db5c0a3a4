"""Properties that must hold for any input, checked with generated examples (hypothesis): the cell
reader never raises and never hands on a figure the form forbids; any valid form data survives
template → file → reading unchanged in both editions; the validator agrees with a recomputation of
every sum written from DOMAIN.md alone; the report reader never raises on a real report with lines
deleted, duplicated or swapped, and what it does not flag is never wrong."""

from __future__ import annotations

import math
from pathlib import Path

from conftest import REPORTS, expected_report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollup.findings import Finding
from rollup.forms import MAXIMUM, Edition, editions
from rollup.ingest import read_submission
from rollup.ingest.cells import read_cell
from rollup.render.form import form_workbook
from rollup.validate import check_values, validate

KINDS = st.sampled_from(["count", "signed", "money"])
NUMBER_LIKE = st.from_regex(
    r"[增减+\-]?\s?[0-9０-９]{1,40}([.,][0-9]{1,12})?\s?(万元|元|件|条)?([(（][^)）]{0,6}[)）]{0,2})?",
    fullmatch=True,
)
RAW = st.one_of(
    st.text(),
    NUMBER_LIKE,
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.none(),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(raw=RAW, kind=KINDS)
def test_the_cell_reader_never_raises_and_never_gives_a_forbidden_figure(raw, kind):
    reading = read_cell(raw, kind)
    if reading.value is None:
        assert reading.rule in ("not_a_number", "negative_value", "value_out_of_range")
        Finding.of(reading.rule, **reading.words)  # its finding can always be written
        return
    assert isinstance(reading.value, int | float) and not isinstance(reading.value, bool)
    assert math.isfinite(reading.value) and abs(reading.value) <= MAXIMUM[kind][0]
    if kind != "signed":
        assert reading.value >= 0


def _values(edition: Edition) -> st.SearchStrategy[dict[str, int | float]]:
    """Valid data for every cell of the form: counts, signed changes, 万元 to 4 decimals."""
    kinds = {
        "count": st.integers(0, 10**9),
        "signed": st.integers(-(10**9), 10**9),
        "money": st.integers(0, 10**14).map(lambda n: n / 10**4),
    }
    return st.fixed_dictionaries({cell.code: kinds[cell.kind] for cell in edition.cells})


def _round_trip(edition: Edition, year: int, values: dict[str, int | float], folder: Path) -> None:
    path = folder / f"往返-{edition.edition}.xlsx"
    form_workbook(edition, values=values, cover={"unit": "乐清市商务局", "year": year}).save(path)
    read = read_submission(path, isolate=False)
    assert [f.rule for f in read.errors] == []
    assert read.values == values
    assert (read.unit, read.year, read.edition) == ("乐清市商务局", year, edition.edition)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(values=_values(editions()["2019"]))
def test_any_valid_2019_data_round_trips_through_the_template(tmp_path, values):
    _round_trip(editions()["2019"], 2019, values, tmp_path)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(values=_values(editions()["2021"]))
def test_any_valid_2021_data_round_trips_through_the_template(tmp_path, values):
    _round_trip(editions()["2021"], 2021, values, tmp_path)


# --- the form's arithmetic, recomputed from DOMAIN.md --------------------------------------------

APPLICANTS = ("natural", "commercial", "research", "nonprofit", "legal", "other")
B_COLUMNS = (*APPLICANTS, "total")
GROUPS = ("review", "suit_direct", "suit_after_review")
RESULTS = ("upheld", "corrected", "other", "pending")


def _outcome_rows(edition: Edition) -> list[str]:
    """Table B's 办理结果 leaf rows: 3.1, 3.2, 3.3.x, 3.4.x, 3.5.x and 3.6 (2019) or 3.6.x (2021)."""
    return [
        row.code
        for row in edition.table("B").rows
        if row.code.startswith("3.")
        and row.code != "3.7"
        and not any(other.code.startswith(row.code + ".") for other in edition.table("B").rows)
    ]


def expected_breaks(edition: Edition, v: dict[str, int]) -> set[tuple[str, str, str | None, str | None]]:
    """Every sum DOMAIN.md states, each as (rule, table, row, column) where it fails."""
    breaks: set[tuple[str, str, str | None, str | None]] = set()
    rows = [row.code for row in edition.table("B").rows]
    for row in rows:  # B, each row: total = the six applicant columns
        if v[f"B.{row}.total"] != sum(v[f"B.{row}.{c}"] for c in APPLICANTS):
            breaks.add(("row_total", "B", row, "total"))
    for column in B_COLUMNS:
        if v[f"B.3.7.{column}"] != sum(v[f"B.{r}.{column}"] for r in _outcome_rows(edition)):
            breaks.add(("column_total", "B", "3.7", column))
        if v[f"B.1.{column}"] + v[f"B.2.{column}"] != v[f"B.3.7.{column}"] + v[f"B.4.{column}"]:
            breaks.add(("balance", "B", None, column))
    for group in GROUPS:  # C, each group: total = upheld + corrected + other + pending
        if v[f"C.{group}.total"] != sum(v[f"C.{group}.{r}"] for r in RESULTS):
            breaks.add(("group_total", "C", group, "total"))
    return breaks


@st.composite
def _tables(draw, edition: Edition) -> dict[str, int]:
    """Tables B and C that add up, then some cells knocked off by a little."""
    leaves = st.integers(0, 50)
    values = {cell.code: draw(leaves) for cell in edition.cells if cell.kind == "count"}
    values |= {cell.code: draw(st.integers(-20, 20)) for cell in edition.cells if cell.kind == "signed"}
    for row in [r.code for r in edition.table("B").rows]:
        values[f"B.{row}.total"] = sum(values[f"B.{row}.{c}"] for c in APPLICANTS)
    for column in B_COLUMNS:
        values[f"B.3.7.{column}"] = sum(values[f"B.{r}.{column}"] for r in _outcome_rows(edition))
        values[f"B.4.{column}"] = draw(st.integers(0, 30))
        values[f"B.2.{column}"] = draw(st.integers(0, values[f"B.3.7.{column}"] + values[f"B.4.{column}"]))
        values[f"B.1.{column}"] = values[f"B.3.7.{column}"] + values[f"B.4.{column}"] - values[f"B.2.{column}"]
    for group in GROUPS:
        values[f"C.{group}.total"] = sum(values[f"C.{group}.{r}"] for r in RESULTS)
    codes = sorted(code for code in values if code[0] in "BC")
    for code in draw(st.lists(st.sampled_from(codes), max_size=4)):
        values[code] += draw(st.integers(1, 3))
    return values


@settings(max_examples=200, deadline=None)
@given(data=st.data(), name=st.sampled_from(["2019", "2021"]))
def test_the_validator_agrees_with_a_recomputation_of_every_sum(data, name):
    edition = editions()[name]
    values = data.draw(_tables(edition))
    found = {
        (f.rule, f.table, f.row, f.column)
        for f in check_values(edition, values)
        if f.rule in ("row_total", "column_total", "balance", "group_total")
    }
    assert found == expected_breaks(edition, values)


# --- real reports, mutilated ---------------------------------------------------------------------

REAL = ["yueqing-2019-city.txt", "yueqing-govoffice-2021.txt", "yueqing-commerce-2020.txt"]


@st.composite
def _mutilated(draw) -> tuple[str, list[str], set[str]]:
    name = draw(st.sampled_from(REAL))
    lines = (REPORTS / name).read_text(encoding="utf-8").splitlines()
    done = set()
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap"]))
        done.add(action)
        if action == "delete":
            del lines[where]
        elif action == "duplicate":
            lines.insert(where, lines[where])
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[where], lines[other] = lines[other], lines[where]
    return name, lines, done


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(report=_mutilated())
def test_a_mutilated_real_report_never_crashes_the_reader_and_reports_what_it_lost(tmp_path, report):
    """Never raises; a cell it could not read is never silently absent (its table carries an
    error); and when lines were only deleted, every figure given without an error about its table
    is the report's own: what is lost is reported, not filled in by shifting what is left."""
    name, lines, done = report
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = validate(read_submission(path, isolate=False))
    if read.edition is None:
        assert read.errors  # refused as a whole, with its reason
        return
    flagged = {f.table for f in read.errors if f.table}
    if any(not f.table for f in read.errors):
        flagged |= {"A", "B", "C"}
    absent = [code for code in editions()[read.edition].codes if code not in read.values]
    assert all(code.split(".")[0] in flagged for code in absent), absent
    if done == {"delete"}:
        truth = expected_report(name)["values"]
        for code, value in read.values.items():
            assert code.split(".")[0] in flagged or value == truth.get(code), (code, value, truth.get(code))
