"""The main job end to end: config → ingest → validate → aggregate (render lives in render/)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from rollup.aggregate import Consolidation, consolidate
from rollup.config import Roster, Settings, load_roster
from rollup.forms import edition_for_year
from rollup.ingest import is_candidate, read_submission
from rollup.model import Submission
from rollup.validate import validate

Progress = Callable[[Iterable[Path]], Iterable[Path]]


def _no_progress(paths: Iterable[Path]) -> Iterable[Path]:
    return paths


def inbox_files(inbox: Path, year: int) -> tuple[list[Path], list[Path]]:
    """Submissions for ``year``: files directly in the inbox (any year) and files in its
    per-year subfolder ``inbox/<year>/`` (that year only)."""
    inbox = Path(inbox)
    flat = sorted(p for p in inbox.iterdir() if is_candidate(p)) if inbox.is_dir() else []
    folder = inbox / str(year)
    dated = sorted(p for p in folder.rglob("*") if is_candidate(p)) if folder.is_dir() else []
    return flat, dated


def check_files(
    paths: Iterable[Path], *, roster: Roster | None = None, year: int | None = None, progress: Progress = _no_progress
) -> list[Submission]:
    """Read and validate files on their own (what ``rollup check`` does)."""
    return [validate(read_submission(path), roster=roster, year=year) for path in progress(list(paths))]


def run(
    settings: Settings, year: int | None = None, *, exclude_invalid: bool = False, progress: Progress = _no_progress
) -> Consolidation:
    """Read every submission in the inbox for the year, validate each, and consolidate."""
    year = year or settings.year
    roster = load_roster(settings.roster_path, settings.region)
    edition = edition_for_year(year)
    flat, dated = inbox_files(settings.inbox, year)
    read = {path: read_submission(path) for path in progress(flat + dated)}
    # Flat files may belong to other years; those are left for their own year's run.
    elsewhere = {p for p in flat if read[p].year is not None and read[p].year != year}
    other_years = [read[p] for p in flat if p in elsewhere]
    current = [validate(s, roster=roster, year=year) for p, s in read.items() if p not in elsewhere]
    result = consolidate(current, roster, edition, year, exclude_invalid=exclude_invalid)
    return replace(result, other_years=tuple(other_years))
