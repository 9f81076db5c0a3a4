"""The province-scale benchmark of issue 13: generate N valid submissions, time `rollup
consolidate` as a whole process (empty ledger, then unchanged) and stage by stage in-process,
compare rollup's reading with the naive pandas loop and with calamine's bare read, and write
the table into bench/RESULTS.md.

    python bench/run.py                 # 7,000 submissions (a province)
    python bench/run.py --n 74          # a county;  --n 20000: a large province
    python bench/run.py --help

A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a script: make the bench package importable

from bench import baselines, machine, process, report, stages  # noqa: E402
from bench.generate import Workload, generate  # noqa: E402
from rollup.forms import edition_for_year  # noqa: E402

PRESETS = {"county": 74, "province": 7000, "large": 20000}
DEFAULT_YEAR = 2025  # the reports due in January 2026: the current (2021) edition of the form
RESULTS = REPO / "bench" / "RESULTS.md"
STORE = REPO / "bench" / "results.json"
# The naive loop costs ~20-40 ms a file: on a spread sample of this many files it is timed in
# every run, beside rollup and calamine, rather than once on all files.
NAIVE_FILES = 1000
# The start-up commands take a fraction of a second: each is timed at least this many times,
# whatever --runs says, so that their median is not one moment of the machine.
STARTUP_RUNS = 7


def _count(text: str) -> int:
    if text in PRESETS:
        return PRESETS[text]
    value = int(text.replace(",", "").replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("N must be at least 1")
    return value


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n",
        type=_count,
        default=PRESETS["province"],
        help="number of submissions, or a preset: county (74), province (7000, default), large (20000)",
    )
    parser.add_argument(
        "--year", type=int, default=DEFAULT_YEAR, help=f"report year; it decides the edition (default {DEFAULT_YEAR})"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each measurement; medians are reported (default 3)"
    )
    parser.add_argument(
        "--naive-runs", type=int, default=None, help="runs of the naive pandas loop, the slowest part (default: --runs)"
    )
    parser.add_argument(
        "--naive-limit",
        type=int,
        default=NAIVE_FILES,
        help=f"time the naive loop on this many of the files, spread evenly (default {NAIVE_FILES}; 0: all)",
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="work folder (default bench/work/<year>-n<N>, git-ignored)"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="write the submissions again even if the work folder has them"
    )
    parser.add_argument("--seed", type=int, default=2024, help="seed of the generated values")
    parser.add_argument("--note", default="", help="a remark stored with the result, e.g. that the machine was shared")
    parser.add_argument("--generate-only", action="store_true", help="only write the workload and say where it is")
    parser.add_argument("--no-save", action="store_true", help="print the table without updating bench/RESULTS.md")
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(text, flush=True)


def _spread(files: list[Path], limit: int | None) -> list[Path]:
    if not limit or limit >= len(files):
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]


# The runs of ``rollup consolidate`` each round makes, one after the other on the same ledger:
# the year's first, a re-run with nothing changed, and a re-run after one file was saved again
# (January's everyday case, as reports trickle in: that file is read, the rest is not).
KINDS = ("first", "rerun", "touched")


def _ledger_words(kind: str) -> str:
    return {"first": "empty ledger", "rerun": "unchanged", "touched": "one file saved again"}[kind]


def _touch(path: Path) -> None:
    """``path`` saved again, its bytes as they were: a new modification time, a second later."""
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))


class Measurements:
    """Everything measured on one workload. Each round runs every measurement once, one after
    the other (the command, the stages, both baselines), so a busy moment on a shared machine
    weighs on all of them alike; medians are taken over the rounds."""

    def __init__(self, workload: Workload, args: argparse.Namespace):
        self.workload, self.args = workload, args
        self.rollup = process.rollup_command()
        self.logs = workload.folder / "logs"
        self.logs.mkdir(exist_ok=True)
        self.naive_files = _spread(workload.files, args.naive_limit)
        self.found: dict = {
            "process": {kind: [] for kind in (*KINDS, "help", "check", "python")},
            "stages": {kind: [] for kind in KINDS},
            "stages_cpu": {kind: [] for kind in KINDS},
            "stage_parts": [],
            "calamine": [],
            "naive": {"runs": [], "files": len(self.naive_files), "total": 0.0},
        }

    def round(self, index: int) -> None:
        runs = self.args.runs
        process.fresh(self.workload.outbox)
        for kind in KINDS:
            self._prepare(kind, index)
            argv = [*self.rollup, "consolidate", "--config", str(self.workload.config)]
            run = process.measure(argv, log=self.logs / f"consolidate-{kind}-{index + 1}.log")
            self.found["process"][kind].append(run.as_dict())
            say(
                f"  rollup consolidate, {_ledger_words(kind)} {index + 1}/{runs}: {run.wall:.2f} s, "
                f"{run.peak_rss / 1024**2:,.0f} MiB, CPU/wall {run.cpu / run.wall:.2f}"
            )
        if index == 0:
            self.found["outputs"] = output_sizes(self.workload)
        process.fresh(self.workload.outbox)
        for kind in KINDS:
            self._prepare(kind, index)
            self.stages(kind, index)
        self.baselines(index)

    def _prepare(self, kind: str, index: int) -> None:
        if kind == "touched":  # another file each round
            _touch(self.workload.files[index % len(self.workload.files)])

    def stages(self, kind: str, index: int) -> None:
        gc.collect()
        run = stages.run_stages(self.workload.config)
        self.found["stages"][kind].append(run.seconds)
        self.found["stages_cpu"][kind].append(run.cpu)
        if kind == "first":
            self.found["stage_parts"].append(run.parts)
            self.found["checksum"], self.found["findings"] = run.grand_total, run.findings
        read = run.seconds["read"] + run.seconds["validate"]
        say(
            f"  stages, {_ledger_words(kind)} {index + 1}/{self.args.runs}: {run.total:.2f} s (read + validate {read:.2f} s)"
        )

    def baselines(self, index: int) -> None:
        calamine = baselines.calamine_bare(self.workload.files)
        self.found["calamine"].append(calamine.as_dict())
        say(f"  calamine bare read {index + 1}/{self.args.runs}: {calamine.wall:.2f} s")
        if index < (self.args.runs if self.args.naive_runs is None else self.args.naive_runs):
            sheets = [table.sheet for table in edition_for_year(self.workload.year).tables]
            naive, total = baselines.naive_pandas(self.naive_files, sheets)
            self.found["naive"]["runs"].append(naive.as_dict())
            self.found["naive"]["total"] = total
            say(f"  naive pandas loop {index + 1} ({len(self.naive_files):,} files): {naive.wall:.2f} s")

    def startup(self) -> None:
        """The commands whose whole cost is start-up: help, checking one file, the interpreter."""
        commands = {
            "help": [*self.rollup, "--help"],
            "check": [*self.rollup, "check", "--config", str(self.workload.config), str(self.workload.files[0])],
            "python": [sys.executable, "-c", "pass"],
        }
        if hasattr(os, "sync"):  # not on Windows
            os.sync()  # the runs' outputs and ledger written back to disk now, not while these are timed
        runs = max(self.args.runs, STARTUP_RUNS)
        for index in range(runs):
            for kind, argv in commands.items():
                run = process.measure(argv, log=self.logs / f"{kind}.log")
                self.found["process"][kind].append(run.as_dict())
            say(
                f"  start-up {index + 1}/{runs}: "
                + ", ".join(f"{kind} {self.found['process'][kind][-1]['wall']:.2f} s" for kind in commands)
            )

    def all(self) -> dict:
        for index in range(self.args.runs):
            self.round(index)
        self.startup()
        self.found["naive"]["expected"] = baselines.rollup_sum(self.naive_files)
        return self.found


def output_sizes(workload: Workload) -> dict[str, int]:
    folder = workload.outbox / str(workload.year)
    sizes = {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}
    ledger = workload.outbox / "rollup.sqlite"
    if ledger.is_file():
        sizes[ledger.name] = ledger.stat().st_size
    return sizes


def store(result: dict) -> list[dict]:
    """Keep ``result`` as the latest of its N in bench/results.json; every stored result."""
    stored = json.loads(STORE.read_text(encoding="utf-8")) if STORE.is_file() else {}
    stored[str(result["n"])] = result
    STORE.write_text(json.dumps(stored, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return list(stored.values())


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    folder = args.work or REPO / "bench" / "work" / f"{args.year}-n{args.n}"
    workload = Workload(folder, args.n, args.year, args.seed)
    folder.mkdir(parents=True, exist_ok=True)
    described = machine.describe(folder, REPO)  # before the run: the code it runs is the code at start
    load_before, commit_before = machine.load(), machine.commit_latency(folder)
    generation = None
    if args.regenerate or not workload.is_ready():
        say(f"generating {args.n:,} submissions for {args.year} in {folder} …")
        start = time.perf_counter()
        workload = generate(folder, args.n, year=args.year, seed=args.seed)
        generation = time.perf_counter() - start
        say(f"  done in {generation:.1f} s")
    else:
        say(f"reusing the {args.n:,} submissions in {folder}")
    if args.generate_only:
        say(f"rollup consolidate --config {workload.config}")
        return 0
    files = workload.files
    compiled = machine.byte_compile(REPO / "rollup")
    measured = Measurements(workload, args).all()
    result = {
        "n": args.n,
        "year": args.year,
        "edition": edition_for_year(args.year).edition,
        "when": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "files": len(files),
        "runs": args.runs,
        "machine": described,
        "load": {"before": load_before, "after": machine.load()},
        "commit_ms": {"before": commit_before, "after": machine.commit_latency(folder)},
        "note": args.note,
        "generation_s": generation,
        "byte_compiled": bool(compiled),
        "inbox_bytes": sum(p.stat().st_size for p in files),
        "stage_names": list(stages.STAGES),
        "parts": stages.PARTS,
        **measured,
    }
    say("")
    say("\n".join(report.section(result)))
    if not args.no_save:
        existing = RESULTS.read_text(encoding="utf-8") if RESULTS.is_file() else ""
        RESULTS.write_text(report.render(store(result), report.kept_notes(existing)), encoding="utf-8")
        say(f"written: {RESULTS.relative_to(REPO)} and {STORE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
