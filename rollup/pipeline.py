"""The main job end to end, callable from Python: read the inbox, validate, record in the ledger,
consolidate, report every unit's standing (``track``), then write the outputs and the gaps email
(``run``). Also the office's decisions on what the ledger already holds (``accept``,
``unit_history``), which never read the inbox again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from rollup import notify
from rollup.aggregate import Consolidation, consolidate
from rollup.config import ConfigError, Limits, Settings
from rollup.findings import Finding, catalogue
from rollup.forms import edition_for_year
from rollup.ingest import SUBMISSION_SUFFIXES, entry_kind, is_candidate, read_files
from rollup.ledger import Ledger, Run, Version
from rollup.model import Acceptance, Submission
from rollup.outputs import OutputSet, one_run_at_a_time
from rollup.receipts import load_receipts, receipt_for
from rollup.render.consolidation import Outputs, write_outputs
from rollup.roster import Roster, Unit, load_roster
from rollup.status import StatusReport, acceptance_figures, covers, status_report
from rollup.validate import validate
from rollup.versions import HistoryEntry, history

Progress = Callable[[list[Path]], Iterable[Path]]


def _no_progress(paths: list[Path]) -> Iterable[Path]:
    return paths


# --- the inbox ---------------------------------------------------------------------------------


def inbox_files(inbox: Path, year: int) -> tuple[list[Path], list[Path]]:
    """Submissions for ``year``: entries directly in the inbox (any year) and in its per-year
    subfolder ``inbox/<year>/`` (that year only). Links, folders named like a report and other
    entries that are no regular file are listed too (they get a finding), never followed."""
    inbox = Path(inbox)
    flat = sorted(p for p in inbox.iterdir() if is_candidate(p)) if inbox.is_dir() else []
    folder = inbox / str(year)
    dated = sorted(_walk(folder)) if folder.is_dir() and entry_kind(folder) == "文件夹" else []
    return flat, dated


def _walk(folder: Path) -> Iterator[Path]:
    for entry in folder.iterdir():
        if entry.name.startswith((".", "~$")):
            continue
        if entry_kind(entry) == "文件夹" and entry.suffix.lower() not in SUBMISSION_SUFFIXES:
            yield from _walk(entry)
        else:
            yield entry


def inbox_state(inbox: Path, year: int) -> str:
    """A digest of the year's inbox files (names, sizes, modification times): equal digests mean
    nothing was added, removed or changed, without reading a single file."""
    digest = hashlib.sha256()
    flat, dated = inbox_files(inbox, year)
    for path in flat + dated:
        try:
            stat = path.lstat()
        except OSError:
            continue  # gone since it was listed
        digest.update(f"{path.relative_to(inbox).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def expected_roster(settings: Settings, year: int) -> Roster:
    """The units expected to report on ``year`` (roster 启用年份 / 停用年份 applied); a year
    with none is a configuration mistake, not an empty result."""
    roster = load_roster(settings.roster_path, settings.region).for_year(year)
    if not len(roster):
        raise ConfigError(
            f"单位名册 {settings.roster_path} 中没有 {year} 年度应报送的单位（请检查名册和启用、停用年份）"
        )
    return roster


def check_workspace(settings: Settings, year: int) -> None:
    """Stop before reading anything when the run could only be meaningless or fail half way:
    no inbox folder, or an outbox (or its year folder, or the ledger's folder) blocked by a file."""
    if not settings.inbox.is_dir():
        raise ConfigError(
            f"收件箱文件夹 {settings.inbox} 不存在（配置文件 [paths] inbox）；请检查路径，或先建好这个文件夹"
        )
    for folder in (settings.outbox, settings.outbox / str(year), settings.ledger_path.parent):
        if folder.exists() and not folder.is_dir():
            raise ConfigError(
                f"输出位置 {folder} 被一个同名文件占着，无法写入；请移走这个文件，或在配置文件 [paths] 中换一个文件夹"
            )


@contextmanager
def workspace(settings: Settings, year: int) -> Iterator[None]:
    """The workspace checked and held for one run (a second run waits, then says who holds it)."""
    check_workspace(settings, year)
    with one_run_at_a_time(settings.outbox, settings.limits.lock_wait_seconds):
        yield


def check_files(
    paths: Iterable[Path],
    *,
    roster: Roster | None = None,
    year: int | None = None,
    progress: Progress = _no_progress,
    limits: Limits | None = None,
) -> list[Submission]:
    """Read and validate files on their own (what ``rollup check`` does)."""
    paths = [Path(p) for p in paths]
    read = read_files(paths, limits, progress=progress)
    return [validate(s, roster=roster, year=year) for path in dict.fromkeys(paths) for s in read[path]]


def read_inbox(
    settings: Settings, year: int, roster: Roster, progress: Progress = _no_progress
) -> tuple[list[Submission], list[Submission]]:
    """Every submission in the inbox for ``year``, validated, and the flat files that say
    another year (left for that year's run)."""
    flat, dated = inbox_files(settings.inbox, year)
    read = read_files(flat + dated, settings.limits, progress=progress)
    in_flat = set(flat)
    current, elsewhere = [], []
    for path, submissions in read.items():
        for s in submissions:
            if path in in_flat and s.year is not None and s.year != year:
                elsewhere.append(s)
            else:
                current.append(validate(s, roster=roster, year=year))
    return current, elsewhere


# --- the main job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracked:
    """A run with the ledger: the consolidation, and where every unit stands."""

    consolidation: Consolidation
    status: StatusReport


@dataclass(frozen=True)
class Result:
    """The main job's result: what ``track`` found, and the files written to outbox/<year>/."""

    consolidation: Consolidation
    status: StatusReport
    outputs: Outputs
    gaps: notify.Letter


def run(
    settings: Settings,
    year: int | None = None,
    *,
    as_of: date | None = None,
    received_at: datetime | None = None,
    exclude_invalid: bool = False,
    progress: Progress = _no_progress,
) -> Result:
    """The main job (``rollup consolidate``): track the inbox, then write the consolidated
    workbook, JSON and CSV and the gaps email (.eml) into outbox/<year>/."""
    year = year or settings.year
    with workspace(settings, year):
        tracked = track(
            settings, year, as_of=as_of, received_at=received_at, exclude_invalid=exclude_invalid, progress=progress
        )
        with OutputSet(settings.outbox / str(year)) as staged:
            outputs = write_outputs(tracked.consolidation, settings.outbox, tracked.status, staged)
            gaps = notify.write_gaps(tracked.status, settings, workbook=outputs.workbook, staged=staged)
    return Result(tracked.consolidation, tracked.status, outputs, gaps)


def track(
    settings: Settings,
    year: int | None = None,
    *,
    as_of: date | None = None,
    received_at: datetime | None = None,
    exclude_invalid: bool = False,
    progress: Progress = _no_progress,
) -> Tracked:
    """Record every submission in the inbox in the ledger (received time fixed on first sight),
    consolidate the newest version of each unit received by ``as_of`` (default today), report
    every expected unit's standing, and remember the run in the ledger."""
    year = year or settings.year
    as_of = as_of or date.today()
    roster = expected_roster(settings, year)
    receipts = load_receipts(settings.receipts_path) if settings.receipts_path else {}
    with workspace(settings, year), Ledger.open(settings.ledger_path) as ledger:
        state = inbox_state(settings.inbox, year)
        current, other_years = read_inbox(settings, year, roster, progress)
        recorded = _record_all(ledger, current + other_years, settings.inbox, receipts, received_at)
        # a file that could not be recorded (not a file, changed while read) is shown, not dated
        arrived = [s for s in current if s.file not in recorded or recorded[s.file].received_at.date() <= as_of]
        unique, copies = _one_file_per_content(arrived, recorded)
        result = consolidate(
            unique,
            roster,
            edition_for_year(year),
            year,
            exclude_invalid=exclude_invalid,
            newest=lambda s: recorded[s.file].order,
        )
        result = replace(result, other_years=tuple(other_years))
        counted = {r.unit.id: recorded[r.submission.file] for r in result.units if r.submission is not None}
        versions: dict[str, list[Version]] = {}
        for version in ledger.versions(year):
            versions.setdefault(version.unit_id or "", []).append(version)
        report = status_report(
            result,
            roster,
            deadline=settings.deadline(year),
            as_of=as_of,
            versions=versions,
            counted=counted,
            acceptances=ledger.acceptances(year),
            copies=copies,
        )
        ledger.record_run(
            Run(year, datetime.now(), as_of, state, {unit_id: version.id for unit_id, version in counted.items()})
        )
    return Tracked(result, report)


def _record_all(
    ledger: Ledger,
    submissions: list[Submission],
    inbox: Path,
    receipts: Mapping[str, datetime],
    given: datetime | None,
) -> dict[Path, Version]:
    """Record every submission of a run; the ledger's version of each file."""
    seen_at = datetime.now()
    recorded = {}
    for submission in submissions:
        if submission.sha256 is None:
            continue  # nothing that may be recorded was read
        receipt = receipt_for(submission.file, inbox, submission.modified, receipts=receipts, given=given)
        recorded[submission.file] = ledger.record(
            submission, sha256=submission.sha256, size=submission.size or 0, receipt=receipt, seen_at=seen_at
        )
    return recorded


def _one_file_per_content(
    submissions: list[Submission], recorded: Mapping[Path, Version]
) -> tuple[list[Submission], list[str]]:
    """The same content under two names is one submission: keep the name seen first."""
    by_content: dict[str, Submission] = {}
    copies = []
    # a file nothing was read from is listed under each of its names, each with its reason
    unrecorded = [s for s in submissions if s.file not in recorded or s.edition is None]
    readable = (s for s in submissions if s.file in recorded and s.edition is not None)
    for s in sorted(readable, key=lambda s: (recorded[s.file].id, s.file.name)):
        if recorded[s.file].sha256 in by_content:
            copies.append(s.file.name)
        else:
            by_content[recorded[s.file].sha256] = s
    return list(by_content.values()) + unrecorded, copies


# --- what the ledger holds ---------------------------------------------------------------------


def find_unit(settings: Settings, name: str, year: int) -> Unit:
    """The roster unit expected on ``year`` that ``name`` (its name, an alias, or its id) means."""
    roster = expected_roster(settings, year)
    unit = roster.find(name)
    if unit is None:
        close = roster.suggest(name)
        hint = f"，是否为：{'、'.join(close)}？" if close else ""
        raise LookupError(f"{year} 年度的单位名册中没有“{name}”{hint}")
    return unit


def inbox_changed(settings: Settings, year: int | None = None) -> bool:
    """Whether the inbox differs from what the year's last run read (or there was no run)."""
    year = year or settings.year
    with Ledger.open(settings.ledger_path) as ledger:
        last = ledger.last_run(year)
    return last is None or last.inbox_state != inbox_state(settings.inbox, year)


def accept(
    settings: Settings,
    unit_name: str,
    target: str,
    reason: str,
    *,
    year: int | None = None,
    at: datetime | None = None,
) -> tuple[Acceptance, list[Finding]]:
    """Accept the findings about ``target`` (a finding code such as blank_cell, or a cell code
    such as B.3.7.natural) of the unit's report that counted in the year's last run, with the
    office's ``reason``. Returns the acceptance and the findings it covers now. It holds across
    re-runs and new versions while the figures it refers to stay the same."""
    year = year or settings.year
    unit = find_unit(settings, unit_name, year)
    if not reason.strip():
        raise ValueError("请用 --reason 写明接受的理由")
    if target not in catalogue() and target not in edition_for_year(year).cell_index:
        raise ValueError(
            f"“{target}”既不是问题代码（如 blank_cell），也不是 {year} 年度表格的单元格编码（如 B.3.7.natural）"
        )
    with (
        one_run_at_a_time(settings.outbox, settings.limits.lock_wait_seconds),
        Ledger.open(settings.ledger_path) as ledger,
    ):
        version = _counted_version(ledger, unit, year)
        covered = [f for f in version.findings if covers(target, f)]
        if not covered:
            raise LookupError(f"{unit.name}当前的报告 {version.file_name} 中没有与“{target}”相关的问题")
        acceptance = Acceptance(
            unit_id=unit.id,
            target=target,
            reason=reason.strip(),
            accepted_at=(at or datetime.now()).replace(microsecond=0),
            figures=acceptance_figures(target, version.findings, ledger.values(version.id)),
        )
        ledger.accept(acceptance, year)
    return acceptance, covered


def _counted_version(ledger: Ledger, unit: Unit, year: int) -> Version:
    last = ledger.last_run(year)
    if last is None:
        raise LookupError(f"台账中还没有 {year} 年度的汇总记录，请先运行 rollup consolidate（或 rollup status）")
    if unit.id not in last.counted:
        raise LookupError(f"尚未收到{unit.name} {year} 年度的报告，没有可接受的问题")
    return ledger.version(last.counted[unit.id])


def unit_history(settings: Settings, unit_name: str, *, year: int | None = None) -> tuple[Unit, list[HistoryEntry]]:
    """Every version the ledger holds of a unit's report, and which one counted in the last run."""
    year = year or settings.year
    unit = find_unit(settings, unit_name, year)
    with Ledger.open(settings.ledger_path) as ledger:
        return unit, history(ledger, year, unit.id, edition_for_year(year).codes)
