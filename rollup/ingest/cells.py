"""Reading one cell as people write it: "12", "１２", "12件", "1,234", "增 338", "减 313",
"380000元", "9282.3866万元", "1（撤回）", "-" or nothing at all."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rollup.forms import CellKind, Number

Status = Literal["number", "blank", "not_applicable", "invalid"]

NOT_APPLICABLE = {"-", "—", "--", "——", "/", "无", "－", "―", "–"}
_COUNT_UNITS = "件|条|个|项|次|家|人|期|篇"
_NUMBER = re.compile(
    rf"""^(?P<sign>增|减|\+|-|−)?\s*
         (?P<digits>\d+(?:\.\d+)?)\s*
         (?P<unit>万元|元|{_COUNT_UNITS})?\s*
         (?:[(（](?P<note>.*?)[)）]*)?\s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Reading:
    """What a cell says: a number (or none), how it was written, and any note beside it."""

    status: Status
    value: Number | None = None
    note: str | None = None
    text: str = ""


def read_cell(raw: object, kind: CellKind = "count") -> Reading:
    """Interpret one raw cell value (from a workbook or a report's text)."""
    if raw is None:
        return Reading("blank", 0)
    if isinstance(raw, bool):
        return Reading("invalid", text=str(raw))
    if isinstance(raw, (int, float)):
        return Reading("number", _tidy(raw), text=str(raw))
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return Reading("blank", 0)
    if text in NOT_APPLICABLE:
        return Reading("not_applicable", 0, note=text, text=text)
    match = _NUMBER.match(re.sub(r"(?<=\d)[,，](?=\d{3})", "", text))
    if match is None:
        return Reading("invalid", text=text)
    value = float(match["digits"])
    if match["sign"] in ("减", "-", "−"):
        value = -value
    if match["unit"] == "元" and kind == "money":
        value = value / 10000
    note = (match["note"] or "").strip() or None
    return Reading("number", _tidy(value), note=note, text=text)


def _tidy(value: float | int) -> Number:
    """Whole numbers as int; other numbers rounded to 6 decimals, which drops float noise
    ("0.1 + 0.2") while keeping every yuan of an amount in 万元 (4 decimals)."""
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return round(value, 6)
    return value
