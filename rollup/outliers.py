"""Follow-up of unusual figures (like DHIS2's outlier analysis): a unit's figure far beyond its
own earlier reports, or far outside the other units of its category in the same year, is worth a
look before the city publishes it.

Most cells are small counts and many are 0, so nothing here uses a mean or a standard deviation:
a unit is compared with its own largest earlier figure (a ratio, with a floor so that 0 → 3 is
no news), and with its peers by the median and the median absolute deviation of the figures'
logarithms (so that one big department among small ones is not an outlier, a township with a
thousand times its peers is). Figures below a minimum are never outliers."""

from __future__ import annotations

import bisect
import math
import statistics
from array import array
from collections import defaultdict
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
    checked = {cell.code: (position, cell) for position, cell in enumerate(edition.cells) if cell.kind != "signed"}
    # each cell's figures of a category as a C array (8 bytes a figure, not a float object and a
    # list slot): a province's hundreds of thousands of figures took 70 MB at once as floats
    logs: dict[tuple[str, str], array[float]] = defaultdict(lambda: array("d"))
    candidates = []
    # unit by unit through the figures each has, not cell by cell through every unit: a province
    # has a million figures; 0 says nothing about a work's size and is never an outlier
    for order, r in enumerate(reports):
        for code, value in r.submission.values.items():
            if value > 0 and code in checked:
                mine = _log(value)
                logs[(code, r.unit.category)].append(mine)
                if value >= settings.min_value:
                    candidates.append((checked[code][0], order, code, value, mine, r))
    peers = {key: _Peers(found) for key, found in logs.items()}
    found: dict[str, list[Finding]] = {}
    for _, _, code, value, mine, r in sorted(candidates, key=lambda c: c[:2]):
        reasons = (
            _beyond_history(code, value, r.earlier, settings) if r.earlier else "",
            _beyond_peers(mine, peers[(code, r.unit.category)], r.unit.category, settings),
        )
        why = "；".join(reason for reason in reasons if reason)
        if why:
            cell = checked[code][1]
            finding = Finding.of(
                "outlier",
                edition=edition,
                table=cell.table,
                row=cell.row.code,
                column=cell.column.code,
                file=r.submission.file.name,
                unit=r.unit.name,
                source=r.submission.sources.get(code),
                actual=value,
                why=why,
            )
            found.setdefault(r.unit.id, []).append(finding)
    return found


def _log(value: Number) -> float:
    return math.log10(1 + value)


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


def _beyond_peers(mine: float, peers: _Peers, category: str, settings: OutlierSettings) -> str:
    count, middle, spread = peers.without(mine)
    if count < settings.min_peers:
        return ""
    if mine - middle <= settings.peer_spread * max(spread, settings.peer_spread_floor):
        return ""
    return f"同类单位（{category}）中有此项的 {count} 家，中位数为 {format_number(round(10**middle - 1))}"


class _Peers:
    """One cell's figures (logarithms) in one category, for the median and the scaled median
    absolute deviation of every unit's peers: all of them but the unit itself. Units without
    such work (0) say nothing about its size. Each unit's figures come from the sorted lists by
    position, not by sorting its peers anew: a province has thousands of units in a category."""

    def __init__(self, logs: array[float]):
        self._sorted = array("d", sorted(logs))
        self._deviations: dict[float, array[float]] = {}

    def without(self, mine: float) -> tuple[int, float, float]:
        """How many peers ``mine``'s unit has, their median and their spread."""
        drop = mine if mine > 0 else None
        count = len(self._sorted) - (drop is not None)
        if count == 0:
            return 0, 0.0, 0.0
        middle = _median_without(self._sorted, drop)
        if middle not in self._deviations:
            self._deviations[middle] = array("d", sorted(abs(p - middle) for p in self._sorted))
        spread = _median_without(self._deviations[middle], None if drop is None else abs(drop - middle))
        return count, middle, _MAD_SCALE * spread


def _median_without(ordered: Sequence[float], drop: float | None) -> float:
    """The median of ``ordered`` (sorted) with one occurrence of ``drop`` left out."""
    if drop is None:
        return statistics.median(ordered)
    gone = bisect.bisect_left(ordered, drop)

    def at(index: int) -> float:
        return ordered[index if index < gone else index + 1]

    count = len(ordered) - 1
    half = count // 2
    return at(half) if count % 2 else (at(half - 1) + at(half)) / 2
