"""The main job end to end: config → ingest → validate → ledger → aggregate → status (render
lives in render/)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from rollup.aggregate import Consolidation, consolidate
from rollup.config import Roster, Settings, Unit, load_roster
from rollup.forms import edition_for_year
from rollup.ingest import is_candidate, read_submission
from rollup.ledger import HistoryEntry, Ledger, Version, history, load_receipts, record_all
from rollup.model import Finding, Submission
from rollup.status import Acceptance, StatusReport, UnmatchedFile, acceptance_figures, covers, rates, unit_status
from rollup.validate import CATALOGUE, validate

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


def expected_roster(settings: Settings, year: int) -> Roster:
    """The units expected to report on ``year`` (roster 启用年份 / 停用年份 applied)."""
    return load_roster(settings.roster_path, settings.region).for_year(year)


def read_inbox(settings: Settings, year: int, roster: Roster, progress: Progress = _no_progress) -> tuple[list[Submission], list[Submission]]:
    """Every submission in the inbox for ``year``, validated, and the flat files that say
    another year (left for that year's run)."""
    flat, dated = inbox_files(settings.inbox, year)
    read = {path: read_submission(path) for path in progress(flat + dated)}
    elsewhere = {p for p in flat if read[p].year is not None and read[p].year != year}
    current = [validate(s, roster=roster, year=year) for p, s in read.items() if p not in elsewhere]
    return current, [read[p] for p in flat if p in elsewhere]


@dataclass(frozen=True)
class Tracked:
    """A run with the ledger: the consolidation, and where every unit stands."""

    consolidation: Consolidation
    status: StatusReport


def track(
    settings: Settings,
    year: int | None = None,
    *,
    as_of: date | None = None,
    received_at: datetime | None = None,
    exclude_invalid: bool = False,
    progress: Progress = _no_progress,
) -> Tracked:
    """The main job with the ledger: record every submission in the inbox (received time fixed on
    first sight), consolidate the newest version of each unit received by ``as_of`` (default
    today), and report every expected unit's standing."""
    year = year or settings.year
    as_of = as_of or date.today()
    roster = expected_roster(settings, year)
    receipts = load_receipts(settings.receipts_path) if settings.receipts_path else {}
    current, other_years = read_inbox(settings, year, roster, progress)
    with Ledger.open(settings.ledger_path) as ledger:
        recorded = record_all(ledger, current + other_years, inbox=settings.inbox, receipts=receipts,
                              given=received_at, seen_at=datetime.now())
        arrived = [s for s in current if recorded[s.file].received_at.date() <= as_of]
        unique, copies = _one_file_per_content(arrived, recorded)
        result = consolidate(
            unique, roster, edition_for_year(year), year, exclude_invalid=exclude_invalid,
            newest=lambda s: recorded[s.file].order,
        )
        result = replace(result, other_years=tuple(other_years))
        report = status_report(settings, result, ledger, roster, as_of=as_of, recorded=recorded, copies=copies)
    return Tracked(result, report)


def _one_file_per_content(submissions: list[Submission], recorded: dict[Path, Version]) -> tuple[list[Submission], list[str]]:
    """The same content under two names is one submission: keep the name seen first."""
    by_content: dict[str, Submission] = {}
    copies = []
    for s in sorted(submissions, key=lambda s: (recorded[s.file].id, s.file.name)):
        if recorded[s.file].sha256 in by_content:
            copies.append(s.file.name)
        else:
            by_content[recorded[s.file].sha256] = s
    return list(by_content.values()), copies


def status_report(
    settings: Settings, result: Consolidation, ledger: Ledger, roster: Roster, *, as_of: date,
    recorded: dict[Path, Version], copies: list[str],
) -> StatusReport:
    """Where every expected unit stands as of ``as_of``, from the run and the ledger's memory."""
    deadline = settings.deadline(result.year)
    units = []
    for report in result.units:
        counted = recorded[report.submission.file] if report.submission else None
        earlier = [v for v in ledger.versions(result.year, report.unit.id) if counted and v.order < counted.order]
        units.append(unit_status(
            report.unit, deadline=deadline, as_of=as_of, versions=earlier + ([counted] if counted else []),
            counted=report.submission, acceptances=ledger.acceptances(result.year, report.unit.id),
        ))
    unmatched = tuple(
        UnmatchedFile(s.file.name, s.unit, roster.suggest(s.unit or s.file.stem)) for s in result.unmatched
    )
    superseded = [old.file.name for report in result.units for old in report.superseded]
    return StatusReport(
        region=result.region, year=result.year, as_of=as_of, units=tuple(units), unmatched=unmatched,
        duplicates=tuple(superseded + copies), rates=rates(units),
        headlines=tuple(result.edition.headline_figures(result.values)),
    )


def find_unit(settings: Settings, name: str, year: int):
    """The roster unit expected on ``year`` that ``name`` (its name, an alias, or its id) means."""
    roster = expected_roster(settings, year)
    unit = roster.match(name) or next((u for u in roster if u.id == name), None)
    if unit is None:
        close = roster.suggest(name)
        hint = f"，是否为：{'、'.join(close)}？" if close else ""
        raise LookupError(f"{year} 年度的单位名册中没有“{name}”{hint}")
    return unit


def accept(
    settings: Settings, unit_name: str, target: str, reason: str, *, year: int | None = None,
    at: datetime | None = None,
) -> tuple[Acceptance, list[Finding]]:
    """Accept the findings of a unit's current report about ``target`` (a rule id such as
    blank_cell, or a cell code such as B.3.7.natural) with the office's ``reason``. Returns the
    acceptance and the findings it covers now. It holds across re-runs and new versions while
    the figures it refers to stay the same."""
    year = year or settings.year
    unit = find_unit(settings, unit_name, year)
    if not reason.strip():
        raise ValueError("请用 --reason 写明接受的理由")
    if target not in CATALOGUE and target not in edition_for_year(year).cell_index:
        raise ValueError(f"“{target}”既不是问题代码（如 blank_cell），也不是 {year} 年度表格的单元格编码（如 B.3.7.natural）")
    tracked = track(settings, year)
    report = next(u for u in tracked.consolidation.units if u.unit.id == unit.id)
    if report.submission is None:
        raise LookupError(f"尚未收到{unit.name} {year} 年度的报告，没有可接受的问题")
    covered = [f for f in report.submission.findings if covers(target, f)]
    if not covered:
        raise LookupError(f"{unit.name}当前的报告 {report.submission.file.name} 中没有与“{target}”相关的问题")
    acceptance = Acceptance(
        unit_id=unit.id, target=target, reason=reason.strip(), accepted_at=(at or datetime.now()).replace(microsecond=0),
        figures=acceptance_figures(target, report.submission.findings, report.submission.values),
    )
    with Ledger.open(settings.ledger_path) as ledger:
        ledger.accept(acceptance, year)
    return acceptance, covered


def unit_history(settings: Settings, unit_name: str, *, year: int | None = None) -> tuple[Unit, list[HistoryEntry]]:
    """Every version the ledger holds of a unit's report (the inbox is read and recorded first)."""
    year = year or settings.year
    unit = find_unit(settings, unit_name, year)
    track(settings, year)
    with Ledger.open(settings.ledger_path) as ledger:
        return unit, history(ledger, year, unit.id, edition_for_year(year).codes)
