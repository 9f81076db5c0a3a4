"""Per-stage times of ``rollup consolidate``, measured in-process: ``pipeline.run`` times its own
stages through the clock it accepts (``with clock("read"): ...``), so what is measured is the
code a user runs, not a copy of it. A stage the pipeline enters twice (the ledger: recording the
files, then the run) is summed; what falls outside every stage (config, roster, last year's
reports from the ledger) is ``other``; the console is timed here, after the run.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from bench.clock import lap
from rollup import pipeline
from rollup.config import load_settings
from rollup.render.console import print_consolidation

# The stages in the order ``pipeline.run`` enters them, then the benchmark's own.
STAGES = (
    "discover",
    "read",
    "validate",
    "ledger",
    "aggregate",
    "outliers and text reuse",
    "status",
    "outputs",
    "Word report",
    "gaps email",
    "other",
    "console",
)
# Parts measured on the side, inside a stage above (so not added to the total): each output file.
PARTS: dict[str, str] = {
    "workbook": "outputs",
    "汇总数据.json": "outputs",
    "明细数据.csv": "outputs",
    "明细数据.xlsx": "outputs",
}


@dataclass
class StageRun:
    """One in-process run: seconds per stage (wall clock, and this process's CPU time: a stage
    whose CPU time is far below its wall time waits, e.g. for the disk or for reading workers),
    plus what it saw (to cross-check the baselines)."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    parts: dict[str, float] = field(default_factory=dict)
    files: int = 0
    counted: int = 0
    findings: int = 0
    grand_total: float = 0.0  # sum of every consolidated cell: the naive loop must find the same

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @contextmanager
    def clock(self, stage: str) -> Iterator[None]:
        if stage not in self.seconds and stage not in PARTS:
            raise KeyError(f"the pipeline has a stage the benchmark does not know: {stage!r} (add it to STAGES)")
        with lap() as taken:
            yield
        if stage in PARTS:  # inside a stage that counts it already
            self.parts[stage] = self.parts.get(stage, 0.0) + taken.wall
            return
        self.seconds[stage] += taken.wall
        self.cpu[stage] += taken.cpu


def run_stages(config: Path, *, year: int | None = None) -> StageRun:
    """Everything ``rollup consolidate --config CONFIG`` does, stage by stage, with the same
    defaults (as of the config's day or today, received times from the files, errors summed)."""
    run = StageRun()
    with lap() as whole:
        result = pipeline.run(load_settings(config), year, clock=run.clock)
    staged = sum(run.seconds.values()), sum(run.cpu.values())
    run.seconds["other"], run.cpu["other"] = whole.wall - staged[0], whole.cpu - staged[1]
    with run.clock("console"):
        print_consolidation(Console(file=io.StringIO(), soft_wrap=True), result.status, result.outputs)
    run.files = len(result.status.units)  # one file per unit in the generated inbox
    run.counted = result.status.counted
    if not result.kept:  # a kept run consolidated nothing; asking for it here would consolidate
        run.findings = len(result.consolidation.findings)
        run.grand_total = float(sum(result.consolidation.values.values()))
    return run
