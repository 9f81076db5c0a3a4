"""The main job end to end, callable from Python: read the inbox, validate, record in the ledger,
consolidate, report every unit's standing (``track``), then write the outputs and the gaps email
(``run``). Also the office's decisions on what the ledger already holds (``accept``,
``unit_history``), which never read the inbox again."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from rollup import notify
from rollup.aggregate import Consolidation, consolidate
from rollup.config import ConfigError, Limits, Settings
from rollup.findings import Finding, catalogue
from rollup.forms import Number, edition_for_year, editions
from rollup.ingest import (
    SUBMISSION_SUFFIXES,
    code_digest,
    counted_by_name,
    entry_kind,
    is_candidate,
    kept_reading,
    read_files,
    reader_identity,
    unopened,
)
from rollup.ledger import Arrival, FileState, KeptOutputs, Ledger, Run, Version
from rollup.model import Acceptance, Submission
from rollup.outliers import Reported, find_outliers
from rollup.outputs import Outputs, OutputSet, few_collections, one_run_at_a_time
from rollup.receipts import Receipt, load_receipts, receipt_for
from rollup.reuse import Reuse, most_alike, reuse
from rollup.roster import Roster, Unit, load_roster, unit_key
from rollup.status import StatusReport, acceptance_figures, covers, dump_report, load_report, status_report
from rollup.validate import LastYear, validate
from rollup.versions import HistoryEntry, history

Progress = Callable[[list[Path]], Iterable[Path]]
# Times a stage of the main job: ``with clock("read"): ...`` (the benchmark passes one).
Clock = Callable[[str], AbstractContextManager[object]]


def _no_progress(paths: list[Path]) -> Iterable[Path]:
    return paths


def _untimed(stage: str) -> AbstractContextManager[object]:
    return nullcontext()


# --- the inbox ---------------------------------------------------------------------------------


def inbox_files(inbox: Path, year: int) -> tuple[list[Path], list[Path]]:
    """Submissions for ``year``: entries in the inbox and in any of its subfolders (any year, as
    clerks file them: ``inbox/乡镇/龙西乡.xlsx``), and in its per-year subfolder ``inbox/<year>/``
    (that year only); other years' folders are left for their runs. Hidden folders and system or
    lock files are never read; links, folders named like a report and other entries that are no
    regular file are listed (they get a finding), never followed."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        return [], []
    flat, dated = [], []
    for path in sorted(_walk(inbox), key=_in_path_order):
        parts = _inside(inbox, path)
        top = parts[0] if len(parts) > 1 else ""
        if top == str(year):
            dated.append(path)
        elif not _YEAR_FOLDER.fullmatch(top):
            flat.append(path)
    return flat, dated


_YEAR_FOLDER = re.compile(r"(19|20)\d\d")


def _in_path_order(path: Path) -> tuple[str, ...]:
    # the order of Path's own comparison (part by part, case-blind on Windows), compared in C:
    # a province's inbox sorted by Path.__lt__ took a quarter of a second
    return tuple(os.path.normcase(part) for part in path.parts)


def _inside(folder: Path, path: Path) -> tuple[str, ...]:
    """The parts of ``path`` below ``folder`` (which it is in)."""
    return path.parts[len(folder.parts) :]


def _walk(folder: Path) -> Iterator[Path]:
    """The entries under ``folder``, descending only into real folders (never through a link)."""
    for entry in folder.iterdir():
        if entry_kind(entry) == "文件夹" and entry.suffix.lower() not in SUBMISSION_SUFFIXES:
            if not entry.name.startswith("."):
                yield from _walk(entry)
        elif counted_by_name(entry.name):  # a folder named like a report, or no folder
            yield entry


def inbox_state(inbox: Path, year: int) -> str:
    """A digest of the year's inbox files (names, sizes, modification times): equal digests mean
    nothing was added, removed or changed, without reading a single file."""
    flat, dated = inbox_files(inbox, year)
    return _state_digest(inbox, file_states(flat + dated))


def file_states(paths: Iterable[Path]) -> dict[Path, FileState]:
    """Each file's size and modification time, without opening it (a file gone since it was
    listed has none)."""
    found = {}
    for path in paths:
        try:
            stat = path.lstat()
        except OSError:
            continue
        found[path] = FileState(stat.st_size, stat.st_mtime_ns)
    return found


def _state_digest(inbox: Path, states: Mapping[Path, FileState]) -> str:
    digest = hashlib.sha256()
    for path, state in states.items():
        name = "/".join(_inside(inbox, path))
        digest.update(f"{name}\0{state.size}\0{state.mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def expected_roster(settings: Settings, year: int, everyone: Roster | None = None) -> Roster:
    """The units expected to report on ``year`` (roster 启用年份 / 停用年份 applied) of
    ``everyone`` (default: the roster file); a year with none is a configuration mistake, not an
    empty result."""
    roster = (everyone or load_roster(settings.roster_path, settings.region)).for_year(year)
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


@dataclass(frozen=True)
class Inbox:
    """What the year's run found in the inbox: every submission, validated (``current``), the
    flat files that say another year (left for that year's run), and a digest of the files."""

    current: list[Submission]
    elsewhere: list[Submission]
    state: str


def read_inbox(
    settings: Settings,
    year: int,
    roster: Roster,
    *,
    ledger: Ledger | None = None,
    progress: Progress = _no_progress,
    last_year: Mapping[str, LastYear] | None = None,
    clock: Clock = _untimed,
) -> Inbox:
    """Every submission in the inbox for ``year``, validated against the whole ``roster`` (a
    unit not expected that year is told apart from one not on the roster at all) and against each
    unit's report of the year before where ``last_year`` has it. With a ``ledger``, only files
    new or changed since its last reading are read."""
    with clock("discover"):
        flat, dated = inbox_files(settings.inbox, year)
        states = file_states(flat + dated)
    read = _read_changed(flat + dated, states, settings.limits, ledger, progress, clock)
    with clock("validate"):
        in_flat = set(flat)
        current, elsewhere = [], []
        for path, submissions in read.items():
            for s in submissions:
                if path in in_flat and s.year is not None and s.year != year:
                    elsewhere.append(s)
                else:
                    current.append(validate(s, roster=roster, year=year, last_year=last_year))
    return Inbox(current, elsewhere, _state_digest(settings.inbox, states))


def _read_changed(
    paths: list[Path],
    states: Mapping[Path, FileState],
    limits: Limits,
    ledger: Ledger | None,
    progress: Progress,
    clock: Clock,
) -> dict[Path, list[Submission]]:
    """Every file's submissions, in the order of ``paths``: what the ledger kept of a file
    unchanged since it was read (same size and modification time, same reader), the rest read
    now and kept for the next run."""
    if ledger is None:
        with clock("read"):
            return read_files(paths, limits, progress=progress)
    reader = reader_identity(limits)
    with clock("read"):
        kept = ledger.readings(states, reader)
        read = read_files([p for p in paths if p not in kept], limits, progress=progress)
    with clock("ledger"):
        ledger.keep_readings(
            {p: (states[p], found) for p, found in read.items() if p in states and kept_reading(found)},
            reader,
            present=paths,
        )
    return {p: kept[p] if p in kept else read[p] for p in paths}


def last_year_reports(ledger: Ledger, year: int) -> dict[str, LastYear]:
    """Each unit's report of the year before ``year`` that the ledger holds, by unit id."""
    found = {}
    for unit_id, report in ledger.reports_of(year - 1).items():
        if report.edition in editions():
            found[unit_id] = LastYear(year - 1, editions()[report.edition], report.values)
    return found


# --- the main job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracked:
    """A run with the ledger: the consolidation, where every unit stands, and a digest of the
    inbox files it read."""

    consolidation: Consolidation
    status: StatusReport
    inbox_state: str = ""


@dataclass(frozen=True)
class Result:
    """The main job's result: where every unit stands, and the files written to outbox/<year>/
    (``kept``: the files an earlier run made from the same inputs, left as they were)."""

    status: StatusReport
    outputs: Outputs
    gaps_eml: Path | None  # the gaps email, as written
    report: Path  # the region's own report, drafted in Word
    made: Callable[[], Consolidation] = field(repr=False, compare=False)
    letter: Callable[[], notify.Letter] = field(repr=False, compare=False)
    kept: bool = False

    @cached_property
    def consolidation(self) -> Consolidation:
        """The consolidation the outputs show. A run that kept its outputs did not need it: it is
        made again from the ledger (no file is read) the first time it is asked for."""
        return self.made()

    @cached_property
    def gaps(self) -> notify.Letter:
        """The gaps email. A run that kept its outputs reads it back from its .eml (a province's
        carries a workbook of 10 MB) only when it is asked for: to be sent."""
        return self.letter()


def run(
    settings: Settings,
    year: int | None = None,
    *,
    as_of: date | None = None,
    received_at: datetime | None = None,
    exclude_invalid: bool = False,
    progress: Progress = _no_progress,
    csv_format: str = "zh",
    clock: Clock = _untimed,
) -> Result:
    """The main job (``rollup consolidate``): track the inbox, then write the consolidated
    workbook, JSON and CSV (``csv_format``: zh or codes), the region's report drafted in Word and
    the gaps email (.eml) into outbox/<year>/, swapped in as one set. When nothing the outputs
    are made from has changed since they were written, they are kept and nothing is read."""
    year = year or settings.year
    as_of = as_of or settings.as_of or date.today()
    folder = settings.outbox / str(year)
    choices = {"exclude_invalid": exclude_invalid, "received_at": received_at, "csv_format": csv_format}

    def tracked() -> Tracked:
        return track(
            settings,
            year,
            as_of=as_of,
            received_at=received_at,
            exclude_invalid=exclude_invalid,
            progress=progress,
            clock=clock,
        )

    with workspace(settings, year), few_collections():
        before = _outputs_made_from_the_same(settings, year, as_of, choices, clock)
        kept = _kept_outputs(folder, before, lambda: tracked().consolidation)
        if kept is not None:
            return kept
        now = tracked()
        with Ledger.open(settings.ledger_path) as ledger:
            years = ledger.city_years()
            key = _outputs_key(settings, year, as_of, now.inbox_state, ledger, choices)
        written = _write_outputs(settings, now, years, csv_format, clock)
        with Ledger.open(settings.ledger_path) as ledger:
            ledger.record_outputs(year, key, _outputs_record(folder, written), dump_report(now.status))
    return written


def _outputs_made_from_the_same(
    settings: Settings, year: int, as_of: date, choices: Mapping[str, object], clock: Clock
) -> KeptOutputs | None:
    """The year's outputs as the ledger remembers them, when they were made from what this run
    would make them from, told before a file is opened: the inbox's files as they lie, each with
    a reading the ledger kept (one whose reading failed for the moment is read again) or refused
    by its name alone, and everything else ``_outputs_key`` covers."""
    with clock("discover"):
        flat, dated = inbox_files(settings.inbox, year)
        states = file_states(flat + dated)
    with Ledger.open(settings.ledger_path) as ledger:
        # an entry refused by its name alone (a scan sent as .jpg, a .rar) has no reading to keep;
        # a province's inbox always holds one, and it must not make every run write all again
        if any(unopened(path) is None for path in ledger.unkept(states, reader_identity(settings.limits))):
            return None
        inbox = _state_digest(settings.inbox, states)
        return ledger.outputs(year, _outputs_key(settings, year, as_of, inbox, ledger, choices))


def _write_outputs(
    settings: Settings,
    tracked: Tracked,
    years: Mapping[int, Mapping[str, Number]],
    csv_format: str,
    clock: Clock,
) -> Result:
    """Every output of a run, staged and swapped into outbox/<year>/ as one set."""
    # the renderers (pandas, openpyxl, python-docx) load only for a run that writes: a re-run
    # that keeps its outputs starts without them
    from rollup.render.consolidation import write_outputs
    from rollup.render.word import write_region_report

    result = tracked.consolidation
    with OutputSet(settings.outbox / str(result.year)) as staged:
        with clock("outputs"):
            outputs = write_outputs(
                result,
                settings.outbox,
                tracked.status,
                staged,
                csv_format=csv_format,
                years=years,
                detail_in_workbook_max=settings.outputs.detail_in_workbook_max,
                clock=clock,
            )
        with clock("Word report"):
            report = write_region_report(result, staged, last=years.get(result.year - 1))
        with clock("gaps email"):
            gaps = notify.write_gaps(tracked.status, settings, workbook=outputs.workbook, staged=staged)
    assert gaps.eml is not None  # written into the set
    # the email as written, read back if it is to be sent: the workbook it attaches was encoded
    # from where the set was staged, and is not held in the message
    letter = partial(notify.written_gaps, gaps.eml)
    return Result(tracked.status, outputs, gaps.eml, report, made=lambda: result, letter=letter)


def _outputs_key(
    settings: Settings, year: int, as_of: date, inbox: str, ledger: Ledger, choices: Mapping[str, object]
) -> str:
    """A digest of everything a year's outputs are made from besides the time of day: the inbox
    (``inbox_state``), the config, roster and receipts, the ledger's other years and the office's
    decisions, the day they are as of, the run's options and this rollup's code. Known before
    anything is read, so that a run with nothing changed reads nothing."""
    digest = hashlib.sha256()
    made_from = [
        code_digest(),
        inbox,
        settings.model_dump_json(),
        ledger.fingerprint(year),
        json.dumps({**choices, "year": year, "as_of": as_of}, default=str, sort_keys=True),
    ]
    for part in made_from:
        digest.update(part.encode() + b"\0")
    for path in (settings.roster_path, settings.receipts_path):
        if path is not None and path.is_file():
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _folder_state(folder: Path) -> dict[str, list[int]]:
    stats = {p.name: p.stat() for p in sorted(folder.iterdir()) if p.is_file()}
    return {name: [stat.st_size, stat.st_mtime_ns] for name, stat in stats.items()}


def _outputs_record(folder: Path, result: Result) -> dict[str, object]:
    """What the ledger keeps of a run's outputs: their names, and the files as they lie."""
    outputs = {name: path.name if path is not None else None for name, path in vars(result.outputs).items()}
    gaps = result.gaps_eml.name if result.gaps_eml is not None else None
    return {"outputs": outputs, "report": result.report.name, "gaps": gaps, "files": _folder_state(folder)}


def _kept_outputs(folder: Path, kept: KeptOutputs | None, made: Callable[[], Consolidation]) -> Result | None:
    """The result of the run that made the outputs in ``folder``, when it made them from the same
    as this run and they still lie as it left them (none taken away, opened and saved, or added);
    None: make them again."""
    if kept is None or kept.standing is None or kept.files["gaps"] is None:
        return None
    if not folder.is_dir() or _folder_state(folder) != kept.files["files"]:
        return None
    status = load_report(kept.standing)
    if status is None:
        return None
    paths: dict[str, Any] = {name: folder / file if file else None for name, file in kept.files["outputs"].items()}
    gaps = folder / kept.files["gaps"]
    written = partial(notify.written_gaps, gaps)
    return Result(status, Outputs(**paths), gaps, folder / kept.files["report"], made, written, kept=True)


def track(
    settings: Settings,
    year: int | None = None,
    *,
    as_of: date | None = None,
    received_at: datetime | None = None,
    exclude_invalid: bool = False,
    progress: Progress = _no_progress,
    clock: Clock = _untimed,
) -> Tracked:
    """Record every submission in the inbox in the ledger (received time fixed on first sight),
    consolidate the newest version of each unit received by ``as_of`` (default: the config's
    ``as_of``, else today), report
    every expected unit's standing, and remember the run in the ledger."""
    year = year or settings.year
    as_of = as_of or settings.as_of or date.today()
    everyone = load_roster(settings.roster_path, settings.region)
    roster = expected_roster(settings, year, everyone)
    receipts = load_receipts(settings.receipts_path) if settings.receipts_path else {}
    with workspace(settings, year), few_collections(), Ledger.open(settings.ledger_path) as ledger:
        last_year = last_year_reports(ledger, year)
        inbox = read_inbox(settings, year, everyone, ledger=ledger, progress=progress, last_year=last_year, clock=clock)
        with clock("ledger"):
            recorded = _record_all(ledger, inbox.current + inbox.elsewhere, settings.inbox, receipts, received_at)
        with clock("aggregate"):
            # a file that could not be recorded (not a file, changed while read) is shown, not dated
            arrived = [
                s for s in inbox.current if s.file not in recorded or recorded[s.file].received_at.date() <= as_of
            ]
            unique, copies = _one_file_per_content(arrived, recorded)
            result = consolidate(
                unique,
                roster,
                edition_for_year(year),
                year,
                exclude_invalid=exclude_invalid,
                newest=lambda s: recorded[s.file].order,
            )
            result = replace(result, other_years=tuple(inbox.elsewhere))
        with clock("outliers and text reuse"):
            result = _flag_outliers(result, ledger, settings)
            result = _flag_reuse(result, ledger, settings)
        counted = {r.unit.id: recorded[r.submission.file] for r in result.units if r.submission is not None}
        with clock("status"):
            report = _standing(result, roster, ledger, settings, as_of, counted, copies)
        with clock("ledger"):
            ids = {unit_id: version.id for unit_id, version in counted.items()}
            ledger.record_run(Run(year, datetime.now(), as_of, inbox.state, ids, result.values))
    return Tracked(result, report, inbox.state)


def _standing(
    result: Consolidation,
    roster: Roster,
    ledger: Ledger,
    settings: Settings,
    as_of: date,
    counted: dict[str, Version],
    copies: list[tuple[str, Submission]],
) -> StatusReport:
    """Where every expected unit stands after ``result`` (``counted``: the version that counted
    for each unit, by unit id)."""
    year = result.year
    versions: dict[str, list[Version]] = {}
    for version in ledger.versions(year):
        versions.setdefault(version.unit_id or "", []).append(version)
    return status_report(
        result,
        roster,
        deadline=settings.deadline(year),
        as_of=as_of,
        versions=versions,
        counted=counted,
        acceptances=ledger.acceptances(year),
        copies=copies,
        last_year=_last_city(ledger, year),
    )


def _last_city(ledger: Ledger, year: int) -> LastYear | None:
    """The region's own tables of the year before, when the ledger consolidated that year."""
    run = ledger.last_run(year - 1)
    try:
        return LastYear(year - 1, edition_for_year(year - 1), run.values) if run else None
    except LookupError:
        return None


HISTORY_YEARS = 3  # how many earlier years a unit's figures are compared with


def _flag_outliers(result: Consolidation, ledger: Ledger, settings: Settings) -> Consolidation:
    """The consolidation with an outlier warning on each counted figure far from the unit's own
    earlier reports or from its peers."""
    earlier = [ledger.reports_of(result.year - back) for back in range(1, HISTORY_YEARS + 1)]
    reported = [
        Reported(report.unit, submission, [year[report.unit.id].values for year in earlier if report.unit.id in year])
        for report, submission in result.summed
    ]
    return _with_findings(result, find_outliers(result.edition, reported, settings.outliers))


def _flag_reuse(result: Consolidation, ledger: Ledger, settings: Settings) -> Consolidation:
    """The consolidation with a text_reuse note on each report whose words largely repeat the
    unit's own report of the year before, or another unit's report of this year."""
    texts = {report.unit.id: s.text for report, s in result.summed if s.text}
    if not texts:
        return result
    names = {u.unit.id: u.unit.name for u in result.units}
    common = result.edition.phrases
    last = ledger.reports_of(result.year - 1)
    found: dict[str, list[Finding]] = {}

    def note(unit_id: str, alike: Reuse, other: str) -> None:
        if alike.share >= settings.text_reuse.min_share and alike.passages:
            passage = alike.passages[0] if len(alike.passages[0]) <= 120 else alike.passages[0][:120] + "……"
            share = f"{alike.share:.0%}"
            finding = Finding.of(
                "text_reuse",
                unit=names[unit_id],
                actual=round(alike.share * 100),
                share=share,
                other=other,
                passage=passage,
            )
            found.setdefault(unit_id, []).append(finding)

    for unit_id, text in texts.items():
        if unit_id in last and last[unit_id].text:
            note(unit_id, reuse(text, last[unit_id].text, common), f"本单位 {result.year - 1} 年度的报告")
    for unit_id, (other, alike) in most_alike(texts, common).items():
        note(unit_id, alike, f"{names[other]}本年度的报告")
    return _with_findings(result, found)


def _with_findings(result: Consolidation, found: Mapping[str, list[Finding]]) -> Consolidation:
    """The consolidation with ``found`` (by unit id) added to each unit's counted submission."""
    if not found:
        return result
    units = tuple(
        replace(u, submission=u.submission.with_findings(found[u.unit.id]))
        if u.submission is not None and u.unit.id in found
        else u
        for u in result.units
    )
    return replace(result, units=units)


def _record_all(
    ledger: Ledger,
    submissions: list[Submission],
    inbox: Path,
    receipts: Mapping[str, datetime],
    given: datetime | None,
) -> dict[Path, Version]:
    """Record every submission of a run, in one transaction; the ledger's version of each file."""
    arrivals = [
        Arrival(s, s.sha256, s.size or 0, receipt_for(s.file, inbox, s.modified, receipts=receipts, given=given))
        for s in submissions
        if s.sha256 is not None  # else nothing that may be recorded was read
    ]
    versions = ledger.record_all(arrivals, seen_at=datetime.now())
    return {a.submission.file: versions[a.sha256] for a in arrivals}


def _one_file_per_content(
    submissions: list[Submission], recorded: Mapping[Path, Version]
) -> tuple[list[Submission], list[tuple[str, Submission]]]:
    """The same content under two names is one submission: keep the name seen first; each copy's
    name with the submission kept."""
    by_content: dict[str, Submission] = {}
    copies = []
    # a file nothing was read from is listed under each of its names, each with its reason
    unrecorded = [s for s in submissions if s.file not in recorded or s.edition is None]
    readable = (s for s in submissions if s.file in recorded and s.edition is not None)
    for s in sorted(readable, key=lambda s: (recorded[s.file].id, s.file.name)):
        if recorded[s.file].sha256 in by_content:
            copies.append((s.file.name, by_content[recorded[s.file].sha256]))
        else:
            by_content[recorded[s.file].sha256] = s
    return list(by_content.values()) + unrecorded, copies


# --- earlier years ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """What ``import_history`` did: the reports recorded, by year, and the files it could not
    place (no year, or no unit of that year's roster)."""

    recorded: dict[int, list[Submission]]
    refused: list[Submission]


def import_history(settings: Settings, paths: Iterable[Path], *, progress: Progress = _no_progress) -> Imported:
    """Load earlier years into the ledger: units' reports (any format rollup reads; folders are
    searched), or this region's earlier consolidated workbooks, which carry each unit's figures.
    Each unit is matched to the roster of its report's own year, so that the rules across years
    and the outlier check know what a unit reported before."""
    files = sorted({f for path in paths for f in _files_under(Path(path))})
    roster = load_roster(settings.roster_path, settings.region)
    recorded: dict[int, list[Submission]] = {}
    refused = []
    read = read_files(files, settings.limits, progress=progress)
    with (
        one_run_at_a_time(settings.outbox, settings.limits.lock_wait_seconds),
        Ledger.open(settings.ledger_path) as ledger,
    ):
        arrivals = []
        for file in (s for found in read.values() for s in found):
            for key, submission in _reports_in(file, settings.region):
                if submission.year is not None:
                    submission = validate(submission, roster=roster, year=submission.year)
                if key is None or submission.year is None or submission.unit_id is None:
                    refused.append(submission)
                    continue
                receipt = Receipt(datetime.fromtimestamp(submission.modified), "import")
                arrivals.append(Arrival(submission, key, file.size or 0, receipt))
                recorded.setdefault(submission.year, []).append(submission)
        ledger.record_all(arrivals, seen_at=datetime.now())
    return Imported(dict(sorted(recorded.items())), refused)


def _reports_in(submission: Submission, region: str) -> list[tuple[str | None, Submission]]:
    """The units' reports a file holds, each with the key the ledger knows it by (None: it may
    not be recorded): the file itself, or, for this region's own consolidated workbook, every unit
    it summed (keyed by the file and the unit)."""
    sha256 = submission.sha256
    own = submission.unit is not None and unit_key(submission.unit, region) in (unit_key(region, region), "人民政府")
    if sha256 is None or not (own and submission.constituents):
        return [(sha256, submission)]
    return [
        (
            hashlib.sha256(f"{sha256}:{part.name}".encode()).hexdigest(),
            replace(
                submission,
                unit=part.name,
                values=part.values,
                notes={},
                marks={},
                findings=(),
                text="",
                constituents=(),
            ),
        )
        for part in submission.constituents
    ]


def _files_under(path: Path) -> list[Path]:
    if path.is_dir():
        return [p for p in path.rglob("*") if is_candidate(p)]
    return [path]


def chase_templates(settings: Settings, report: StatusReport) -> dict[str, Path]:
    """The fill-in template of every unit with nothing received, written into
    outbox/templates/<year>/ to go with its 催报 (by unit id)."""
    missing = [u.unit for u in report.units if u.missing]
    folder = settings.outbox / "templates" / str(report.year)
    from rollup.render.template import write_templates  # only here: see _write_outputs

    written = write_templates(edition_for_year(report.year), report.year, missing, folder)
    return {unit.id: path for unit, path in zip(missing, written, strict=True)}


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
