"""The form as data: each edition of the report form is a TOML spec in this folder.

Adding an edition means adding an ``edition_<name>.toml`` file; the reader, validator,
aggregator and renderer all take their tables, codes, labels and rules from here.
"""

from __future__ import annotations

import re
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
    "Operand",
    "Part",
    "Place",
    "Row",
    "RuleLine",
    "SumRule",
    "Table",
    "YearLine",
    "YearRule",
    "cell_code",
    "edition_for_year",
    "editions",
    "format_number",
    "is_cell_code",
    "parse_cell_code",
    "place_cells",
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
    # the region's figure names the units behind it, as the official report writes
    # "1（市自然资源和规划局）" in 结果纠正
    named: bool = False

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


LAST_YEAR = "@last"


class YearRule(SumRule):
    """A rule across two years of one unit's reports: ``sum(left) == sum(right) - sum(minus)``,
    where an operand ending in ``@last`` is the cell of the report of the year before (in that
    report's edition) and the others are this year's. A line whose cells one of the two editions
    lacks does not apply (across the change of edition only the rules that still apply hold)."""

    minus: tuple[str, ...] = ()

    @property
    def operands(self) -> tuple[str, ...]:
        return tuple(o.removesuffix(LAST_YEAR) for o in self.left + self.right + self.minus)

    def year_lines(self, table: Table, codes: frozenset[str], last_codes: frozenset[str]) -> list[YearLine]:
        lines = []
        for line in table.rows if self.each == "row" else table.columns:

            def operand(text: str, line_code: str = line.code) -> Operand:
                name = text.removesuffix(LAST_YEAR)
                row, column = (line_code, name) if self.each == "row" else (name, line_code)
                return Operand(cell_code(table.id, row, column), text.endswith(LAST_YEAR))

            sides = tuple(tuple(map(operand, side)) for side in (self.left, self.right, self.minus))
            if all((last_codes if o.last else codes).__contains__(o.code) for side in sides for o in side):
                row, column = (line.code, self.left[0]) if self.each == "row" else (self.left[0], line.code)
                lines.append(YearLine(self, table.id, row, column, *sides))
        return lines


class Operand(NamedTuple):
    code: str
    last: bool  # the cell of the year before


class YearLine(NamedTuple):
    """One instance of a year rule and where in the form a finding about it belongs."""

    rule: YearRule
    table: str
    row: str
    column: str
    left: tuple[Operand, ...]
    right: tuple[Operand, ...]
    minus: tuple[Operand, ...]


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
    """One of the report's six parts (一 … 六); three of them hold a table. ``core`` is the
    phrase (a regular expression) that identifies the part's heading after its number, however
    a unit words the rest ("二、行政机关主动公开政府信息情况")."""

    number: str
    title: str
    core: str
    aliases: tuple[str, ...] = ()
    table: str | None = None

    @model_validator(mode="after")
    def _core_matches_title(self) -> Part:
        if re.search(self.core, self.title) is None:
            raise ValueError(f"part {self.number}: core {self.core!r} does not match its own title")
        return self

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"


class Claim(_Spec):
    """A figure the report's narrative (the text outside its tables) states in words, and the
    table cells whose sum it must equal. Each pattern is a regular expression whose first group is
    the number; each of ``none_patterns`` a sentence saying there was none (the figure 0)."""

    label: str
    codes: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    none_patterns: tuple[str, ...] = ()


_PLACEHOLDER = re.compile(r"\{(?:(?P<kind>change|items|who):)?(?P<codes>[A-Z][\w.]*(?:\+[A-Z][\w.]*)*)\}")


class Placeholder(NamedTuple):
    start: int
    end: int
    kind: str  # "" (the figure), "change", "items" or "who"
    codes: tuple[str, ...]


class Draft(_Spec):
    """A draft paragraph of the region's own report for one part, as a template of the
    consolidated figures (see the edition specs for its placeholders; {year} and {region} are
    filled in too)."""

    part: str
    text: str

    @property
    def placeholders(self) -> list[Placeholder]:
        return [
            Placeholder(m.start(), m.end(), m["kind"] or "", tuple(m["codes"].split("+")))
            for m in _PLACEHOLDER.finditer(self.text)
        ]


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
    year_rules: tuple[YearRule, ...] = ()
    drafts: tuple[Draft, ...] = ()

    @model_validator(mode="after")
    def _rules_name_real_cells(self) -> Edition:
        codes = set(self.codes)
        for rule in self.rules + self.year_rules:
            if rule.table not in {t.id for t in self.tables}:
                raise ValueError(f"edition {self.edition}: rule {rule.id} names unknown table {rule.table}")
            table = self.table(rule.table)
            lines = table.columns if rule.each == "row" else table.rows
            known = {line.code for line in lines}
            operands = rule.operands if isinstance(rule, YearRule) else rule.left + rule.right
            unknown = [o for o in operands if o not in known]
            if unknown:
                raise ValueError(f"edition {self.edition}: rule {rule.id} names unknown {unknown}")
        for draft in self.drafts:
            named = [c for p in draft.placeholders for c in p.codes]
            if unknown := [c for c in named if c not in codes]:
                raise ValueError(f"edition {self.edition}: draft of part {draft.part} names unknown cells {unknown}")
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

    @cached_property
    def phrases(self) -> tuple[str, ...]:
        """The form's own words, which every report repeats: part headings, table titles, labels."""
        found = [p.heading for p in self.parts] + [t for p in self.parts for t in (p.title, *p.aliases)]
        for table in self.tables:
            found.append(table.title)
            for block in table.blocks:
                found += [x for x in (block.title, block.corner) if x]
                found += [r.label for r in block.rows] + [c.label for c in block.columns]
        return tuple(dict.fromkeys(found))

    def year_lines(self, last: Edition) -> tuple[YearLine, ...]:
        """The year rules written out for a report of this edition after one of ``last``."""
        codes, last_codes = frozenset(self.codes), frozenset(last.codes)
        return tuple(
            line for rule in self.year_rules for line in rule.year_lines(self.table(rule.table), codes, last_codes)
        )

    @cached_property
    def _lines_by_place(self) -> dict[tuple[str, str, str | None, str | None], RuleLine]:
        return {(line.rule.id, line.table, line.row, line.column): line for line in self.rule_lines}

    def cells_at(self, rule: str, table: str | None, row: str | None, column: str | None) -> frozenset[str]:
        """The cells a finding at this place is about: a sum rule's operands; else the cells of
        its row, its column or both (the cell itself); nothing for a whole table or file."""
        if table is None or (row is None and column is None):
            return frozenset()
        line = self._lines_by_place.get((rule, table, row, column))
        if line is not None:
            return frozenset(line.codes)
        return frozenset(
            c.code
            for c in self.cells
            if c.table == table and row in (None, c.row.code) and column in (None, c.column.code)
        )

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


@cache
def place_cells(rule: str, table: str | None, row: str | None, column: str | None) -> frozenset[str]:
    """``Edition.cells_at`` in every edition (a finding read back from the ledger does not say
    its edition; codes of another edition are never asked about)."""
    return frozenset().union(*(e.cells_at(rule, table, row, column) for e in editions().values()))


def edition_for_year(year: int) -> Edition:
    """The edition a report on ``year`` must use (the year decides the edition)."""
    for edition in editions().values():
        if edition.covers(year):
            return edition
    raise LookupError(f"没有适用于 {year} 年度的报告格式")
