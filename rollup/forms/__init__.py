"""The form as data: each edition of the report form is a TOML spec in this folder.

Adding an edition means adding an ``edition_<name>.toml`` file; the reader, validator,
aggregator and renderer all take their tables, codes, labels and rules from here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache, cached_property
from importlib import resources
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, model_validator

from rollup.forms.codes import CellPlace, Number, cell_code, format_number, is_cell_code, parse_cell_code

__all__ = [
    "MAXIMUM",
    "Block",
    "Cell",
    "CellKind",
    "CellPlace",
    "Claim",
    "Column",
    "Edition",
    "Headline",
    "Number",
    "Part",
    "Place",
    "Row",
    "RuleLine",
    "SumRule",
    "Table",
    "cell_code",
    "edition_for_year",
    "editions",
    "format_number",
    "is_cell_code",
    "parse_cell_code",
]

CellKind = Literal["count", "signed", "money"]
# The largest figure a cell may hold, by kind, in the form's words too: far above any real unit's
# (a province's yearly applications are counted in hundred thousands), far below what breaks a
# sum or the ledger (SQLite integers end at 2**63).
MAXIMUM: dict[CellKind, tuple[int, str]] = {
    "count": (10**9, "件数不超过 10 亿"),
    "signed": (10**9, "增减不超过 10 亿"),
    "money": (10**10, "金额不超过 100 亿万元"),
}
Severity = Literal["error", "warning"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Spec):
    code: str
    label: str
    path: tuple[str, ...] = ()
    kind: CellKind = "count"
    unit: str | None = None

    @property
    def header(self) -> str:
        """The column label as printed, with its unit when the label does not carry it."""
        if self.unit and self.unit not in self.label:
            return f"{self.label}（{self.unit}）"
        return self.label


class Row(_Spec):
    code: str
    label: str
    path: tuple[str, ...] = ()
    short: str | None = None

    @property
    def name(self) -> str:
        return self.short or self.label


class Block(_Spec):
    title: str | None = None
    corner: str | None = None
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


class Cell(_Spec):
    """One input cell of the form, with everything needed to find, check and name it."""

    code: str
    table: str
    row: Row
    column: Column

    @property
    def kind(self) -> CellKind:
        return self.column.kind


class Table(_Spec):
    id: str
    name: str
    title: str
    sheet: str
    orientation: Literal["tall", "wide"] = "tall"
    blocks: tuple[Block, ...]

    @cached_property
    def cells(self) -> tuple[Cell, ...]:
        return tuple(
            Cell(code=cell_code(self.id, row.code, col.code), table=self.id, row=row, column=col)
            for block in self.blocks
            for row in block.rows
            for col in block.columns
        )

    def row(self, code: str) -> Row:
        found = next((r for b in self.blocks for r in b.rows if r.code == code), None)
        if found is None:
            raise KeyError(f"table {self.id} has no row {code}")
        return found

    def column(self, code: str) -> Column:
        found = next((c for b in self.blocks for c in b.columns if c.code == code), None)
        if found is None:
            raise KeyError(f"table {self.id} has no column {code}")
        return found

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(r for b in self.blocks for r in b.rows)

    @property
    def columns(self) -> tuple[Column, ...]:
        seen: dict[str, Column] = {}
        for b in self.blocks:
            for c in b.columns:
                seen.setdefault(c.code, c)
        return tuple(seen.values())


class SumRule(_Spec):
    """``sum(left) == sum(right)``, applied within each row (operands are column codes)
    or within each column (operands are row codes) of one table. ``title`` is the rule in the
    form's words (README, 校验问题); ``message`` the finding's text, with ``{where}``, ``{left}``
    and ``{right}`` filled in."""

    id: str
    table: str
    each: Literal["row", "column"]
    left: tuple[str, ...]
    right: tuple[str, ...]
    title: str
    message: str
    severity: Severity = "error"

    def lines(self, table: Table, codes: frozenset[str]) -> list[RuleLine]:
        """The rule written out for every row (or column) of ``table`` whose operands are all
        cells of the form."""
        lines = []
        for line in table.rows if self.each == "row" else table.columns:

            def code(operand: str, line_code: str = line.code) -> str:
                row, column = (line_code, operand) if self.each == "row" else (operand, line_code)
                return cell_code(table.id, row, column)

            left, right = tuple(map(code, self.left)), tuple(map(code, self.right))
            if not codes.issuperset(left + right):
                continue
            # a finding sits on the line, and on the total's cell when one cell is the total
            row, column = (line.code, None) if self.each == "row" else (None, line.code)
            if len(self.left) == 1:
                row, column = (row, self.left[0]) if self.each == "row" else (self.left[0], column)
            lines.append(RuleLine(self, table.id, row, column, left, right))
        return lines


class RuleLine(NamedTuple):
    """One instance of a sum rule: ``sum(left) == sum(right)`` on these cells, and where in the
    form a finding about it belongs."""

    rule: SumRule
    table: str
    row: str | None
    column: str | None
    left: tuple[str, ...]
    right: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return self.left + self.right


class Place(NamedTuple):
    """A place in the form in a clerk's words: table name, row name, column label (blank parts
    where the place is a whole table, row or column)."""

    table: str
    row: str = ""
    column: str = ""

    @property
    def words(self) -> str:
        return " ".join(part for part in self if part)


class Headline(_Spec):
    label: str
    codes: tuple[str, ...]


class Part(_Spec):
    """One of the report's six parts (一 … 六); three of them hold a table."""

    number: str
    title: str
    aliases: tuple[str, ...] = ()
    table: str | None = None

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"


class Claim(_Spec):
    """A figure the report's narrative (总体情况) states in words, and the table cells whose sum it
    must equal. Each pattern is a regular expression whose first group is the number."""

    label: str
    codes: tuple[str, ...]
    patterns: tuple[str, ...]


class Edition(_Spec):
    spec_version: Literal[1]
    edition: str
    name: str
    source: str
    first_year: int
    last_year: int | None = None
    headlines: tuple[Headline, ...] = ()
    parts: tuple[Part, ...] = ()
    claims: tuple[Claim, ...] = ()
    tables: tuple[Table, ...]
    rules: tuple[SumRule, ...] = ()

    @model_validator(mode="after")
    def _rules_name_real_cells(self) -> Edition:
        codes = set(self.codes)
        for rule in self.rules:
            if rule.table not in {t.id for t in self.tables}:
                raise ValueError(f"edition {self.edition}: rule {rule.id} names unknown table {rule.table}")
            table = self.table(rule.table)
            lines = table.columns if rule.each == "row" else table.rows
            known = {line.code for line in lines}
            unknown = [o for o in rule.left + rule.right if o not in known]
            if unknown:
                raise ValueError(f"edition {self.edition}: rule {rule.id} names unknown {unknown}")
        if len(codes) != len(self.codes):
            raise ValueError(f"edition {self.edition}: duplicate cell codes")
        unknown = [c for h in self.headlines + self.claims for c in h.codes if c not in codes]
        if unknown:
            raise ValueError(f"edition {self.edition}: headlines or claims name unknown cells {unknown}")
        tables = {t.id for t in self.tables}
        if {p.table for p in self.parts if p.table} != tables and self.parts:
            raise ValueError(f"edition {self.edition}: parts must hold each table exactly once")
        return self

    @cached_property
    def cells(self) -> tuple[Cell, ...]:
        return tuple(cell for table in self.tables for cell in table.cells)

    @cached_property
    def cell_index(self) -> dict[str, Cell]:
        return {cell.code: cell for cell in self.cells}

    @property
    def codes(self) -> list[str]:
        return [cell.code for cell in self.cells]

    def cell(self, code: str) -> Cell:
        return self.cell_index[code]

    def table(self, table_id: str) -> Table:
        found = next((t for t in self.tables if t.id == table_id), None)
        if found is None:
            raise KeyError(f"edition {self.edition} has no table {table_id}")
        return found

    @cached_property
    def rule_lines(self) -> tuple[RuleLine, ...]:
        """Every sum rule written out over the rows or columns it applies to."""
        codes = frozenset(self.codes)
        return tuple(line for rule in self.rules for line in rule.lines(self.table(rule.table), codes))

    def place(self, table_id: str | None, row: str | None = None, column: str | None = None) -> Place:
        """A place in the form in the words a clerk uses; codes this edition does not know (a
        finding from a report of another edition) are shown as they are."""
        if not table_id or table_id not in {t.id for t in self.tables}:
            return Place(table_id or "", row or "", column or "")
        table = self.table(table_id)
        rows = {r.code: r.name for r in table.rows}
        columns = {c.code: f"{c.label}列" for c in table.columns}
        return Place(table.name, rows.get(row, row) if row else "", columns.get(column, column) if column else "")

    def where(self, table_id: str | None, row: str | None = None, column: str | None = None) -> str:
        """A place in the form as one phrase, e.g. ``依申请表 三(七)总计 自然人列``."""
        return self.place(table_id, row, column).words

    def describe(self, code: str) -> str:
        """A cell code in words with the code beside it: ``依申请表 一、本年新收 自然人列（B.1.natural）``."""
        cell = self.cell_index.get(code)
        return f"{self.where(cell.table, cell.row.code, cell.column.code)}（{code}）" if cell else code

    def headline_figures(self, values: Mapping[str, Number]) -> list[tuple[str, Number]]:
        return [(h.label, sum(values.get(c, 0) for c in h.codes)) for h in self.headlines]

    def covers(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)


@cache
def editions() -> dict[str, Edition]:
    """Every edition shipped in this package, by name."""
    found = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if entry.name.startswith("edition_") and entry.name.endswith(".toml"):
            edition = Edition.model_validate(tomllib.loads(entry.read_text(encoding="utf-8")))
            found[edition.edition] = edition
    return found


def edition_for_year(year: int) -> Edition:
    """The edition a report on ``year`` must use (the year decides the edition)."""
    for edition in editions().values():
        if edition.covers(year):
            return edition
    raise LookupError(f"没有适用于 {year} 年度的报告格式")
