"""Per-stage times of ``rollup consolidate``, measured in-process by calling the package's stage
functions in the order the command calls them (cli.consolidate → pipeline.run: track, then
render.consolidation.write_outputs and notify.write_gaps; then the console).

This is the only module of the benchmark that knows the package's internals: when the
pipeline's functions move (issue 8, code shape), adapt ``run_stages`` and nothing else.
Where the pipeline fuses two stages in one loop (``_record_all`` hashes and records each file),
they are run as two loops here so each has its own time.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from rich.console import Console

from bench.clock import lap
from rollup import notify
from rollup.aggregate import consolidate
from rollup.config import load_settings
from rollup.forms import edition_for_year
from rollup.ingest import fingerprint, read_submission
from rollup.ledger import Ledger, Run, Version
from rollup.outputs import write_atomically, write_text_atomically
from rollup.pipeline import _one_file_per_content, expected_roster, inbox_files, inbox_state
from rollup.receipts import load_receipts, receipt_for
from rollup.render.console import print_consolidation
from rollup.render.consolidation import (
    Outputs,
    _frame_sheet,
    consolidated_json,
    consolidated_workbook,
    detail_frame,
    long_frame,
)
from rollup.status import status_report
from rollup.validate import validate

# Stages in pipeline order; "read" and "validate" together are what the read comparison uses.
STAGES = (
    "config and roster",
    "discover",
    "read",
    "validate",
    "ledger open",
    "hash",
    "ledger record",
    "aggregate",
    "status",
    "ledger: run record",
    "workbook: build",
    "workbook: save",
    "json",
    "long csv",
    "gaps email",
    "console",
)
# Measured on the side, once more after the stages: already inside a stage above (its value),
# so not added to the total.
PARTS = {"明细 sheet": "workbook: build"}


@dataclass
class StageRun:
    """One in-process run: seconds per stage (wall clock, and this process's CPU time: a stage
    whose CPU time is far below its wall time waits, e.g. for the disk), plus what it saw (to
    cross-check the baselines)."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)
    files: int = 0
    counted: int = 0
    findings: int = 0
    grand_total: float = 0.0  # sum of every consolidated cell: the naive loop must find the same

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @contextmanager
    def clock(self, stage: str, *, part: bool = False) -> Iterator[None]:
        with lap() as taken:
            yield
        if part:
            self.parts[stage] = taken.wall
        else:
            self.seconds[stage], self.cpu[stage] = taken.wall, taken.cpu


def run_stages(config: Path, *, year: int | None = None) -> StageRun:
    """Everything ``rollup consolidate --config CONFIG`` does, stage by stage, with the same
    defaults (as of today, received times from the files, errors summed)."""
    run = StageRun()
    with run.clock("config and roster"):
        settings = load_settings(config)
        year = year or settings.year
        roster = expected_roster(settings, year)
        receipts = load_receipts(settings.receipts_path) if settings.receipts_path else {}
    with run.clock("discover"):
        state = inbox_state(settings.inbox, year)
        flat, dated = inbox_files(settings.inbox, year)
    with run.clock("read"):
        read = {path: read_submission(path) for path in flat + dated}
    with run.clock("validate"):
        elsewhere = {p for p in flat if read[p].year is not None and read[p].year != year}
        current = [validate(s, roster=roster, year=year) for p, s in read.items() if p not in elsewhere]
        other_years = [read[p] for p in flat if p in elsewhere]
    as_of, seen_at = date.today(), datetime.now()
    with run.clock("ledger open"):
        ledger = Ledger.open(settings.ledger_path)
    with ledger:
        submissions = current + other_years
        with run.clock("hash"):
            prints = {s.file: fingerprint(s.file) for s in submissions}
        with run.clock("ledger record"):
            recorded = {}
            for s in submissions:
                sha256, size = prints[s.file]
                receipt = receipt_for(s.file, settings.inbox, s.modified, receipts=receipts, given=None)
                recorded[s.file] = ledger.record(s, sha256=sha256, size=size, receipt=receipt, seen_at=seen_at)
        with run.clock("aggregate"):
            arrived = [s for s in current if recorded[s.file].received_at.date() <= as_of]
            unique, copies = _one_file_per_content(arrived, recorded)
            result = consolidate(unique, roster, edition_for_year(year), year, newest=lambda s: recorded[s.file].order)
            result = replace(result, other_years=tuple(other_years))
        with run.clock("status"):
            counted = {r.unit.id: recorded[r.submission.file] for r in result.units if r.submission is not None}
            versions: dict[str, list[Version]] = {}
            for version in ledger.versions(year):
                versions.setdefault(version.unit_id or "", []).append(version)
            status = status_report(
                result,
                roster,
                deadline=settings.deadline(year),
                as_of=as_of,
                versions=versions,
                counted=counted,
                acceptances=ledger.acceptances(year),
                copies=copies,
            )
        with run.clock("ledger: run record"):
            ledger.record_run(Run(year, datetime.now(), as_of, state, {u: v.id for u, v in counted.items()}))
    folder = Path(settings.outbox) / str(result.year)
    stem = f"{result.region}{result.year}年度政府信息公开工作年度报告汇总"
    with run.clock("workbook: build"):
        workbook = consolidated_workbook(result, status)
    with run.clock("workbook: save"):
        workbook_path = write_atomically(folder / f"{stem}.xlsx", workbook.save)
    with run.clock("json"):
        data = consolidated_json(result, status)
        json_path = write_text_atomically(folder / "汇总数据.json", json.dumps(data, ensure_ascii=False, indent=1))
    with run.clock("long csv"):
        csv_path = write_atomically(
            folder / "明细数据.csv", lambda tmp: long_frame(result).to_csv(tmp, index=False, encoding="utf-8-sig")
        )
    outputs = Outputs(workbook=workbook_path, json=json_path, csv=csv_path)
    with run.clock("gaps email"):
        notify.write_gaps(status, settings, workbook=outputs.workbook)
    with run.clock("console"):
        print_consolidation(Console(file=io.StringIO(), soft_wrap=True), result, outputs, status)
    with run.clock(next(iter(PARTS)), part=True):
        _frame_sheet(workbook.create_sheet("明细 again"), detail_frame(result))
    run.seconds = {stage: run.seconds[stage] for stage in STAGES}
    run.cpu = {stage: run.cpu[stage] for stage in STAGES}
    run.files = len(read)
    run.counted = len(result.counted)
    run.findings = len(result.findings)
    run.grand_total = float(sum(result.values.values()))
    return run
