"""Follow-up of unusual figures (like DHIS2's outlier analysis): a unit's figure far beyond its
own earlier reports, or far outside the other units of its category in the same year, is worth a
look before the city publishes it.

Most cells are small counts and many are 0, so nothing here uses a mean or a standard deviation:
a unit is compared with its own largest earlier figure (a ratio, with a floor so that 0 → 3 is
no news), and with its peers by the median and the median absolute deviation of the figures'
logarithms (so that one big department among small ones is not an outlier, a township with a
thousand times its peers is). Figures below a minimum are never outliers."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rollup.config import OutlierSettings
from rollup.findings import Finding
from rollup.forms import Edition, Number, format_number
from rollup.model import Submission
from rollup.roster import Unit

_MAD_SCALE = 1.4826  # makes the MAD comparable to a standard deviation for normal data


@dataclass(frozen=True)
class Reported:
    """One unit's figures of the year, and of earlier years (most recent first)."""

    unit: Unit
    submission: Submission
    earlier: Sequence[Mapping[str, Number]] = ()


def find_outliers(edition: Edition, reports: Sequence[Reported], settings: OutlierSettings) -> dict[str, list[Finding]]:
    """Outlier findings by unit id (units with none are left out)."""
    if not settings.enabled:
        return {}
    found: dict[str, list[Finding]] = {}
    for cell in edition.cells:
        if cell.kind == "signed":
            continue
        by_category: dict[str, list[float]] = {}
        for r in reports:
            if cell.code in r.submission.values:
                by_category.setdefault(r.unit.category, []).append(_log(r.submission.values[cell.code]))
        for r in reports:
            value = r.submission.values.get(cell.code)
            if value is None or value < settings.min_value:
                continue
            reasons = [_beyond_history(cell.code, value, r.earlier, settings)]
            reasons.append(_beyond_peers(value, by_category[r.unit.category], r.unit.category, settings))
            why = "；".join(reason for reason in reasons if reason)
            if why:
                finding = Finding.of(
                    "outlier",
                    edition=edition,
                    table=cell.table,
                    row=cell.row.code,
                    column=cell.column.code,
                    file=r.submission.file.name,
                    unit=r.unit.name,
                    source=r.submission.sources.get(cell.code),
                    actual=value,
                    why=why,
                )
                found.setdefault(r.unit.id, []).append(finding)
    return found


def _log(value: Number) -> float:
    return math.log10(1 + max(float(value), 0.0))


def _beyond_history(
    code: str, value: Number, earlier: Sequence[Mapping[str, Number]], settings: OutlierSettings
) -> str:
    before = [figures[code] for figures in earlier if code in figures]
    if not before:
        return ""
    most = max(before)
    if value <= settings.history_ratio * max(most, settings.history_floor):
        return ""
    return f"往年最多为 {format_number(most)}"


def _beyond_peers(value: Number, peers_with_self: list[float], category: str, settings: OutlierSettings) -> str:
    mine = _log(value)
    peers = list(peers_with_self)
    peers.remove(mine)
    peers = [p for p in peers if p > 0]  # units without such work say nothing about its size
    if len(peers) < settings.min_peers:
        return ""
    middle = statistics.median(peers)
    spread = _MAD_SCALE * statistics.median(abs(p - middle) for p in peers)
    if mine - middle <= settings.peer_spread * max(spread, settings.peer_spread_floor):
        return ""
    return f"同类单位（{category}）中有此项的 {len(peers)} 家，中位数为 {format_number(round(10**middle - 1))}"
