"""The versions of one unit's report that the ledger holds, and what changed cell by cell from
each to the next (``rollup history``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rollup.forms import Number
from rollup.ledger import Ledger, Version


@dataclass(frozen=True)
class Change:
    """One cell that differs between two versions (None: absent in that version)."""

    code: str
    before: Number | None
    after: Number | None


@dataclass(frozen=True)
class HistoryEntry:
    version: Version
    names: tuple[str, ...]
    changes: tuple[Change, ...]  # against the previous version (empty for the first)
    counted: bool = False  # the version that counted in the year's last run
    # why a version newer than the one counted did not count in the last run (the ledger keeps
    # every version it saw; the run only the files in the inbox, received by its as-of day)
    left_out: str = ""


def history(ledger: Ledger, year: int, unit_id: str, order: Iterable[str] = ()) -> list[HistoryEntry]:
    """Every version of a unit's report for ``year``, oldest first, each with what changed cell by
    cell since the one before (cells in ``order`` first, in that order), and which one counted in
    the last run."""
    rank = {code: i for i, code in enumerate(order)}
    run = ledger.last_run(year)
    counted = run.counted.get(unit_id) if run else None
    entries: list[HistoryEntry] = []
    before: dict[str, Number] | None = None
    versions = ledger.versions(year, unit_id)
    counted_order = next((v.order for v in versions if v.id == counted), None)
    for version in versions:
        after = ledger.values(version.id)
        changed: tuple[Change, ...] = ()
        if before is not None:
            codes = sorted(set(before) | set(after), key=lambda c: (rank.get(c, len(rank)), c))
            changed = tuple(Change(c, before.get(c), after.get(c)) for c in codes if before.get(c) != after.get(c))
        left_out = ""
        if run is not None and (counted_order is None or version.order > counted_order):
            if version.received_at.date() > run.as_of:
                left_out = f"收到时间晚于上次汇总的截至日期 {run.as_of:%Y-%m-%d}，未计入"
            else:
                left_out = "上次汇总时文件已不在收件箱中，未计入"
        entries.append(HistoryEntry(version, tuple(ledger.names(version.id)), changed, version.id == counted, left_out))
        before = after
    return entries
