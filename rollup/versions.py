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


def history(ledger: Ledger, year: int, unit_id: str, order: Iterable[str] = ()) -> list[HistoryEntry]:
    """Every version of a unit's report for ``year``, oldest first, each with what changed cell by
    cell since the one before (cells in ``order`` first, in that order), and which one counted in
    the last run."""
    rank = {code: i for i, code in enumerate(order)}
    run = ledger.last_run(year)
    counted = run.counted.get(unit_id) if run else None
    entries: list[HistoryEntry] = []
    before: dict[str, Number] | None = None
    for version in ledger.versions(year, unit_id):
        after = ledger.values(version.id)
        changed: tuple[Change, ...] = ()
        if before is not None:
            codes = sorted(set(before) | set(after), key=lambda c: (rank.get(c, len(rank)), c))
            changed = tuple(Change(c, before.get(c), after.get(c)) for c in codes if before.get(c) != after.get(c))
        entries.append(HistoryEntry(version, tuple(ledger.names(version.id)), changed, version.id == counted))
        before = after
    return entries
