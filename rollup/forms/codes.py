"""Cell codes and the numbers in cells: the vocabulary every stage shares.

A cell code is ``<table>.<row>.<column>`` (DOMAIN.md): ``B.3.3.4.commercial`` is table B, row
3.3.4, column commercial. Row codes may contain dots; table and column codes never do."""

from __future__ import annotations

from typing import NamedTuple

Number = int | float


class CellPlace(NamedTuple):
    table: str
    row: str
    column: str


def cell_code(table: str, row: str, column: str) -> str:
    return f"{table}.{row}.{column}"


def parse_cell_code(code: str) -> CellPlace:
    """The table, row and column of a cell code; ``ValueError`` for text that is not one."""
    table, _, rest = code.partition(".")
    row, _, column = rest.rpartition(".")
    if not (table and row and column):
        raise ValueError(f"“{code}”不是单元格编码（应为 表.行.列，如 B.3.7.natural）")
    return CellPlace(table, row, column)


def is_cell_code(text: str) -> bool:
    """Finding codes are single words; cell codes are dotted."""
    return text.count(".") >= 2


def format_number(value: Number) -> str:
    """A number as the form prints it: whole numbers plain, money to at most 4 decimals."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(int(value))
