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


def whole_process(workload: Workload, runs: int) -> dict[str, list[dict]]:
    """`rollup consolidate` on an empty ledger then unchanged, ``runs`` times; start-up commands."""
    rollup = process.rollup_command()
    consolidate = [*rollup, "consolidate", "--config", str(workload.config)]
    logs = workload.folder / "logs"
    logs.mkdir(exist_ok=True)
    first, rerun = [], []
    for index in range(runs):
        process.fresh(workload.outbox)
        for kind, into in (("first", first), ("rerun", rerun)):
            run = process.measure(consolidate, log=logs / f"consolidate-{kind}-{index + 1}.log")
            into.append(run.as_dict())
            say(
                f"  consolidate, {'empty ledger' if kind == 'first' else 'unchanged'} {index + 1}/{runs}: "
                f"{run.wall:.2f} s, {run.peak_rss / 1024**2:,.0f} MiB, CPU/wall {run.cpu / run.wall:.2f}"
            )
    startup = {
        "help": [*rollup, "--help"],
        "check": [*rollup, "check", "--config", str(workload.config), str(workload.files[0])],
        "python": [sys.executable, "-c", "pass"],
    }
    timed = {"first": first, "rerun": rerun}
    for kind, argv in startup.items():
        timed[kind] = []
        for index in range(runs):
            run = process.measure(argv, log=logs / f"{kind}.log")
            timed[kind].append(run.as_dict())
            say(f"  {kind} {index + 1}/{runs}: {run.wall:.2f} s")
    return timed


def _spread(files: list[Path], limit: int | None) -> list[Path]:
    if not limit or limit >= len(files):
        return files
    step = len(files) / limit
    return [files[int(i * step)] for i in range(limit)]


def in_process(workload: Workload, args: argparse.Namespace) -> dict:
    """The stages (empty ledger, then unchanged) and both baselines, run after run, so a busy
    moment on a shared machine hits them alike."""
    files = workload.files
    sheets = [table.sheet for table in edition_for_year(workload.year).tables]
    naive_files = _spread(files, args.naive_limit)
    found: dict = {
        "stages": {"first": [], "rerun": []},
        "stages_cpu": {"first": [], "rerun": []},
        "stage_parts": [],
        "calamine": [],
        "naive": {"runs": [], "files": len(naive_files), "total": 0.0},
    }
    for index in range(args.runs):
        process.fresh(workload.outbox)
        for kind in ("first", "rerun"):
            gc.collect()
            run = stages.run_stages(workload.config)
            found["stages"][kind].append(run.seconds)
            found["stages_cpu"][kind].append(run.cpu)
            if kind == "first":
                found["stage_parts"].append(run.parts)
                found["checksum"], found["findings"] = run.grand_total, run.findings
            say(
                f"  stages, {'empty ledger' if kind == 'first' else 'unchanged'} {index + 1}/{args.runs}: "
                f"{run.total:.2f} s (read + validate {run.seconds['read'] + run.seconds['validate']:.2f} s)"
            )
        calamine = baselines.calamine_bare(files)
        found["calamine"].append(calamine.as_dict())
        say(f"  calamine bare read {index + 1}/{args.runs}: {calamine.wall:.2f} s")
        if index < (args.runs if args.naive_runs is None else args.naive_runs):
            naive, total = baselines.naive_pandas(naive_files, sheets)
            found["naive"]["runs"].append(naive.as_dict())
            found["naive"]["total"] = total
            say(f"  naive pandas loop {index + 1} ({len(naive_files):,} files): {naive.wall:.2f} s")
    found["naive"]["expected"] = baselines.rollup_sum(naive_files)
    return found


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
    say("whole process:")
    timed = whole_process(workload, args.runs)
    outputs = output_sizes(workload)
    say("in-process:")
    inner = in_process(workload, args)
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
        "inbox_bytes": sum(p.stat().st_size for p in files),
        "process": timed,
        "stage_names": list(stages.STAGES),
        "parts": stages.PARTS,
        "outputs": outputs,
        **inner,
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
