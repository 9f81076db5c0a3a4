"""The form as data: each edition of the report form is a TOML spec in this folder.

Adding an edition means adding an ``edition_<name>.toml`` file; the reader, validator,
aggregator and renderer all take their tables, codes, labels and rules from here.
"""

from __future__ import annotations

import tomllib
from functools import cache, cached_property
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

CellKind = Literal["count", "signed", "money"]


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
            Cell(code=f"{self.id}.{row.code}.{col.code}", table=self.id, row=row, column=col)
            for block in self.blocks
            for row in block.rows
            for col in block.columns
        )

    def row(self, code: str) -> Row:
        return next(r for b in self.blocks for r in b.rows if r.code == code)

    def column(self, code: str) -> Column:
        return next(c for b in self.blocks for c in b.columns if c.code == code)

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
    or within each column (operands are row codes) of one table."""

    id: str
    table: str
    each: Literal["row", "column"]
    left: tuple[str, ...]
    right: tuple[str, ...]
    message: str


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
        return next(t for t in self.tables if t.id == table_id)

    def where(self, table_id: str, row: str | None = None, column: str | None = None) -> str:
        """A place in the form in the words a clerk uses, e.g. ``依申请表 三(七)总计 自然人列``."""
        table = self.table(table_id)
        parts = [table.name]
        if row is not None:
            parts.append(table.row(row).name)
        if column is not None:
            parts.append(f"{table.column(column).label}列")
        return " ".join(parts)

    def headline_figures(self, values: dict) -> list[tuple[str, float | int]]:
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
