"""How a rollup workbook carries its cell codes: a hidden sheet mapping each code (and each
cover field) to the sheet and cell that holds it. The template writer writes it; the workbook
reader finds every value through it, never by a hard-coded position. A consolidated workbook also
carries its cells' notes and marks there, as data, so the level above keeps them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from rollup.forms import Cell, Edition, Table, editions
from rollup.text import cell_text

SHEET = "_rollup"
HEADER = ("key", "sheet", "cell", "value")
MARKER = "rollup-template"
FORMAT_VERSION = 1

# Cover fields a unit fills in besides the tables.
COVER_FIELDS = {
    "unit": "填报单位",
    "year": "报告年度",
    "contact": "联系人",
    "phone": "联系电话",
    "date": "填报日期",
}

# The free-text cell of the 说明 sheet, where a unit explains an unusual figure.
EXPLANATION = "explanation"


# Keys of the rows that carry a cell's note or mark ("note:C.review.corrected"), and the figures
# of each unit a consolidation summed ("part:乐清市商务局", its figures as JSON).
NOTE, MARK, PART = "note:", "mark:", "part:"


@dataclass(frozen=True)
class CodeMap:
    edition: str
    locations: dict[str, tuple[str, str]]  # code or cover field -> (sheet, cell)
    notes: dict[str, str] = field(default_factory=dict)  # code -> note
    marks: dict[str, str] = field(default_factory=dict)  # code -> blank | not_applicable
    parts: dict[str, dict[str, float]] = field(default_factory=dict)  # unit -> code -> figure


_ADDRESS = re.compile(r"^\$?([A-Z]{1,3})\$?([1-9]\d{0,6})$")


def cell_position(address: str) -> tuple[int, int]:
    """(row, column), 1-based, of an A1-style address such as ``B23``; ``ValueError`` otherwise."""
    match = _ADDRESS.match(address.strip().upper())
    if match is None:
        raise ValueError(f"“{address}”不是单元格地址")
    column = 0
    for letter in match[1]:
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(match[2]), column


def rows(
    edition: str,
    locations: dict[str, tuple[str, str]],
    notes: Mapping[str, str] | None = None,
    marks: Mapping[str, str] | None = None,
) -> list[tuple]:
    """The hidden sheet's rows for a workbook of ``edition`` with cells at ``locations``, and the
    cells' ``notes`` and ``marks`` (by code); a consolidation's ``part_rows`` follow them."""
    head = [
        HEADER,
        ("format", "", "", MARKER),
        ("format_version", "", "", FORMAT_VERSION),
        ("edition", "", "", edition),
    ]
    data = [(NOTE + code, "", "", note) for code, note in (notes or {}).items()]
    data += [(MARK + code, "", "", mark) for code, mark in (marks or {}).items()]
    return head + [(key, sheet, cell, "") for key, (sheet, cell) in locations.items()] + data


def part_rows(parts: Iterable[tuple[str, Mapping[str, float]]]) -> Iterator[tuple]:
    """The hidden sheet's last rows in a consolidation: the figures it summed, unit by unit."""
    for unit, figures in parts:
        yield (PART + unit, None, None, json.dumps(dict(figures.items())))


def parse(table: list[list]) -> CodeMap | None:
    """Read the hidden sheet back; ``None`` when it is not a rollup code sheet."""
    if not table or tuple(str(v) for v in table[0][:4]) != HEADER:
        return None
    constants: dict[str, str] = {}
    locations: dict[str, tuple[str, str]] = {}
    for line in table[1:]:
        key, sheet, cell, value = line[:4] if len(line) >= 4 else [*line, "", "", ""][:4]
        if not key:
            continue
        if sheet and cell:
            locations[str(key)] = (str(sheet), str(cell))
        else:
            constants[str(key)] = cell_text(value)
    if constants.get("format") != MARKER or "edition" not in constants:
        return None
    notes = {key.removeprefix(NOTE): text for key, text in constants.items() if key.startswith(NOTE) and text}
    marks = {key.removeprefix(MARK): text for key, text in constants.items() if key.startswith(MARK) and text}
    parts = {key.removeprefix(PART): _figures(text) for key, text in constants.items() if key.startswith(PART)}
    return CodeMap(edition=constants["edition"], locations=locations, notes=notes, marks=marks, parts=parts)


def _figures(text: str) -> dict[str, float]:
    """A part's figures as written; anything else (hand-edited, damaged) is no figures."""
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): v for k, v in found.items() if isinstance(v, int | float) and not isinstance(v, bool)}


@dataclass(frozen=True)
class Place:
    """Where a value is in a workbook: its sheet, its row and column counted from 0 (as a
    sheet's rows are indexed), and its address as a finding names it ("主动公开!B4")."""

    sheet: str
    row: int
    column: int
    source: str


@lru_cache(maxsize=4096)  # a template's few hundred addresses, looked up in every file
def place(sheet: str, cell: str) -> Place:
    """The place of ``cell`` (an address such as ``B23``) on ``sheet``; ``ValueError`` when it is
    no address."""
    row, column = cell_position(cell)
    return Place(sheet, row - 1, column - 1, f"{sheet}!{cell}")


@dataclass(frozen=True)
class Layout:
    """A code sheet judged once for every workbook that has the same: why it cannot be one
    rollup wrote (None when it can), and the place of each of the edition's cells (None where
    the code sheet names none), in the form's order."""

    problem: str | None
    places: tuple[tuple[Cell, Place | None], ...] = ()

    @cached_property
    def sheets(self) -> tuple[str, ...]:
        """The sheets the cells are on."""
        return tuple(dict.fromkeys(place.sheet for _, place in self.places if place is not None))

    @cached_property
    def sources(self) -> dict[str, str]:
        """Where each cell is ("主动公开!B4"), by code: one dict for every workbook of the
        layout, which none of them changes."""
        return {cell.code: place.source for cell, place in self.places if place is not None}


def layout(codemap: CodeMap, edition: Edition) -> Layout:
    """The layout of ``codemap``'s workbook of ``edition``. The layout may differ between
    template versions, but never its shape: every cell of a table on that table's sheet, in the
    form's order (a row's cells left to right on one sheet row, rows top to bottom), no two keys
    on one cell, the cover's fields off the tables. A code pointed at the year, a label or
    another cell would otherwise be read as a figure."""
    # the units of a region fill in the same few templates: each layout is judged once
    return _layout(edition.edition, tuple(codemap.locations.items()))


@lru_cache(maxsize=64)
def _layout(name: str, locations: tuple[tuple[str, tuple[str, str]], ...]) -> Layout:
    edition = editions()[name]
    places: dict[str, Place] = {}
    owners: dict[tuple[str, int, int], str] = {}
    for key, (sheet, cell) in locations:
        try:
            places[key] = place(sheet, cell)
        except ValueError:
            return Layout(f"“{key}”的位置“{cell}”不是单元格地址")
        here = places[key]
        spot = (sheet, here.row, here.column)
        if spot in owners:
            return Layout(f"“{owners[spot]}”和“{key}”指向同一个单元格 {here.source}")
        owners[spot] = key
    table_sheets = {table.sheet for table in edition.tables}
    for key in (*COVER_FIELDS, EXPLANATION):
        if key in places and places[key].sheet in table_sheets:
            return Layout(f"封面项“{COVER_FIELDS.get(key, key)}”指向了统计表“{places[key].sheet}”")
    for table in edition.tables:
        problem = _out_of_order(table, places)
        if problem:
            return Layout(problem)
    return Layout(None, tuple((cell, places.get(cell.code)) for cell in edition.cells))


def _out_of_order(table: Table, places: dict[str, Place]) -> str | None:
    previous: tuple[str, Place] | None = None
    for cell in table.cells:
        here = places.get(cell.code)
        if here is None:
            continue  # a missing cell is a finding of its own
        if here.sheet != table.sheet:
            return f"{cell.code} 应在工作表“{table.sheet}”，却指向“{here.sheet}”"
        if previous is not None:
            row_before, there = previous
            same_row = row_before == cell.row.code
            if (here.row, here.column) <= (there.row, there.column) or (same_row and here.row != there.row):
                return (
                    f"{cell.code} 的位置不符合表格的排列（在 {here.sheet}!{_address((here.row + 1, here.column + 1))}）"
                )
        previous = (cell.row.code, here)
    return None


def _address(position: tuple[int, int]) -> str:
    row, column = position
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row}"
