"""Reading one cell as people write it: "12", "１２", "12件", "1,234", "增 338", "减 313",
"380000元", "9282.3866万元", "1（撤回）", "-" or nothing at all."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from rollup.forms import MAXIMUM, CellKind, Number

Status = Literal["number", "blank", "not_applicable", "invalid", "negative", "out_of_range"]

NOT_APPLICABLE = {"-", "—", "--", "——", "/", "无", "－", "―", "–"}
_COUNT_UNITS = "件|条|个|项|次|家|人|期|篇"
_NUMBER = re.compile(
    rf"""^(?P<sign>增|减|\+|-|−)?\s*
         (?P<digits>\d+(?:\.\d+)?)\s*
         (?P<unit>万元|元|{_COUNT_UNITS})?\s*
         (?:[(（](?P<note>.*?)[)）]*)?\s*$""",
    re.VERBOSE,
)
# Why a cell gave no value, as a finding code.
_RULES = {"negative": "negative_value", "out_of_range": "value_out_of_range"}


@dataclass(frozen=True)
class Reading:
    """What a cell says: a number (or none), how it was written, and any note beside it. A
    negative figure where the form forbids one, or a figure beyond the form's maximum, is no
    value: ``figure`` keeps the negative number for the finding, ``text`` what was written."""

    status: Status
    value: Number | None = None
    note: str | None = None
    text: str = ""
    figure: Number | None = None
    kind: CellKind = "count"

    @property
    def rule(self) -> str:
        """The finding code for a cell that gave no value."""
        return _RULES.get(self.status, "not_a_number")

    @property
    def words(self) -> dict[str, Any]:
        """What the finding about a cell that gave no value says: the text, the figure, the limit."""
        return {"text": self.text, "actual": self.figure, "maximum": MAXIMUM[self.kind][1]}


def read_cell(raw: object, kind: CellKind = "count") -> Reading:
    """Interpret one raw cell value (from a workbook or a report's text). Never raises."""
    if type(raw) is int or type(raw) is float:  # a workbook's cells, first (a bool is neither)
        return _number(raw, kind)
    if raw is None:
        return Reading("blank", 0, kind=kind)
    if isinstance(raw, bool):
        return Reading("invalid", text=str(raw), kind=kind)
    if isinstance(raw, int | float):
        return _number(raw, kind)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return Reading("blank", 0, kind=kind)
    if text in NOT_APPLICABLE:
        return Reading("not_applicable", 0, note=text, text=text, kind=kind)
    match = _NUMBER.match(re.sub(r"(?<=\d)[,，](?=\d{3})", "", text))
    if match is None:
        return Reading("invalid", text=text, kind=kind)
    value = float(match["digits"])
    if match["sign"] in ("减", "-", "−"):
        value = -value
    if match["unit"] == "元" and kind == "money":
        value = value / 10000
    note = (match["note"] or "").strip() or None
    return _checked(value, kind, note, text)


@lru_cache(maxsize=8192, typed=True)  # a workbook's numbers: the same few figures in cell after cell
def _number(raw: int | float, kind: CellKind) -> Reading:
    return _checked(raw, kind, None, _shown(raw))


def _checked(value: float | int, kind: CellKind, note: str | None, text: str) -> Reading:
    """A figure within the form's bounds as a value; beyond them (or not finite) as no value, so
    that nothing downstream (sums, the ledger) ever holds it."""
    if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAXIMUM[kind][0]:
        return Reading("out_of_range", note=note, text=text[:40], kind=kind)
    if value < 0 and kind != "signed":
        return Reading("negative", note=note, text=text, figure=_tidy(value), kind=kind)
    return Reading("number", _tidy(value), note=note, text=text, kind=kind)


def _shown(number: int | float) -> str:
    try:
        return str(number)
    except ValueError:  # an int of more digits than Python will print
        return "（位数过多的数字）"


def _tidy(value: float | int) -> Number:
    """Whole numbers as int; other numbers rounded to 6 decimals, which drops float noise
    ("0.1 + 0.2") while keeping every yuan of an amount in 万元 (4 decimals)."""
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return round(value, 6)
    return value
