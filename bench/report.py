"""RESULTS.md from the stored results (bench/results.json, the latest run of each N): a summary
across N, the issue's targets and whether they are met, then each run in full."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any

MARKER = "<!-- Everything below this line is written by hand and kept when run.py rewrites the file. -->"

# Issue 13's targets.
NAIVE_RATIO = 20  # read + validate at least 20× faster than the naive pandas loop
CALAMINE_RATIO = 2  # and at most 2× slower than calamine's bare read
TARGET_N = 7000
FIRST_RUN_S, RERUN_S = 10.0, 2.0
HELP_S, CHECK_S = 0.3, 0.5
BOTH_CORES = 1.2  # CPU seconds per wall second that show a second core at work
LINEAR = 1.15  # ms/submission at the largest N within 15% of N=7000's
FLAT_MEMORY = 1.25  # peak memory at the largest N within 25% of N=7000's

Result = dict[str, Any]


def _ms(seconds: float, count: int) -> float:
    return seconds * 1000 / max(count, 1)


def _mib(size: float) -> str:
    return f"{size / 1024**2:,.0f} MiB"


def _size(size: float) -> str:
    return f"{size / 1024**2:,.1f} MB" if size >= 1024**2 else f"{size / 1024:,.0f} kB"


def _yes(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**not met**")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


# --- figures derived from one result -----------------------------------------------------------


def wall(result: Result, kind: str) -> float:
    return median(r["wall"] for r in result["process"][kind])


def peak(result: Result, kind: str = "first") -> float:
    return median(r["peak_rss"] for r in result["process"][kind])


def cpu_per_wall(result: Result, kind: str = "first") -> float:
    return median(r["cpu"] / r["wall"] for r in result["process"][kind])


def stage(result: Result, kind: str, name: str, clock: str = "stages") -> float:
    """A stage's median wall time (``clock="stages"``) or CPU time (``"stages_cpu"``)."""
    return median(run[name] for run in result[clock][kind])


@dataclass(frozen=True)
class Reading:
    """Milliseconds per file (medians over runs) of rollup's read + validate (first run,
    in-process), calamine's bare read and the naive loop; and the ratios, each the median of
    the runs' own ratios, so a busy moment on a shared machine weighs on both sides alike."""

    rollup: float
    calamine: float
    naive: float
    faster_than_naive: float
    slower_than_calamine: float


def reading(result: Result, clock: str = "wall") -> Reading:
    """The comparison by wall time (what issue 13's targets mean) or by CPU time (``"cpu"``,
    which another job on the machine disturbs far less)."""
    files, stages = result["files"], result["stages" if clock == "wall" else "stages_cpu"]["first"]
    rollup = [_ms(run["read"] + run["validate"], files) for run in stages]
    calamine = [_ms(run[clock], files) for run in result["calamine"]]
    naive = [_ms(run[clock], result["naive"]["files"]) for run in result["naive"]["runs"]]
    return Reading(
        rollup=median(rollup),
        calamine=median(calamine),
        naive=median(naive),
        faster_than_naive=median(n / r for n, r in zip(naive, rollup, strict=False)),
        slower_than_calamine=median(r / c for r, c in zip(rollup, calamine, strict=True)),
    )


# --- one run in full ---------------------------------------------------------------------------


def _process_rows(result: Result) -> list[list[Any]]:
    names = {
        "first": "`rollup consolidate`, empty ledger",
        "rerun": "`rollup consolidate` again, nothing changed",
        "touched": "`rollup consolidate` again, one file saved again",
        "help": "`rollup --help`",
        "check": "`rollup check` one xlsx (roster of N units)",
        "python": "`python -c pass` (interpreter start, for reference)",
    }
    rows = []
    for kind, name in names.items():
        runs = result["process"].get(kind)
        if not runs:  # a run of the benchmark from before it was measured
            continue
        walls = [r["wall"] for r in runs]
        rows.append(
            [
                name,
                f"{median(walls):.2f} s",
                f"{min(walls):.2f}–{max(walls):.2f} s",
                f"{cpu_per_wall(result, kind):.2f}",
                _mib(peak(result, kind)),
            ]
        )
    return rows


# Each run of ``rollup consolidate`` the stages are shown for: its columns' first words.
STAGE_KINDS = {"first": "empty ledger", "rerun": "unchanged re-run", "touched": "one file saved again"}


def _stage_kinds(result: Result) -> list[str]:
    return [kind for kind in STAGE_KINDS if result["stages"].get(kind)]


def stage_header(result: Result) -> list[str]:
    first, *others = (STAGE_KINDS[kind] for kind in _stage_kinds(result))
    header = ["stage", f"{first} s", "CPU s", "share", "ms/file"]
    for other in others:
        header += [f"{other} s", "CPU s", "share"]
    return header


def _stage_row(label: str, cells: list[list[str]], per_file: str) -> list[str]:
    first, *others = cells
    return [label, *first, per_file, *(cell for run in others for cell in run)]


def _stage_rows(result: Result) -> list[list[str]]:
    files, kinds = result["files"], _stage_kinds(result)

    def cells(seconds: float, cpu: float, total: float) -> list[str]:
        return [f"{seconds:.2f}", f"{cpu:.2f}", f"{seconds / total:.1%}"]

    totals = {kind: sum(stage(result, kind, s) for s in result["stage_names"]) for kind in kinds}
    cpu_totals = {kind: sum(stage(result, kind, s, "stages_cpu") for s in result["stage_names"]) for kind in kinds}
    rows = []
    for name in result["stage_names"]:
        runs = [
            cells(stage(result, kind, name), stage(result, kind, name, "stages_cpu"), totals[kind]) for kind in kinds
        ]
        rows.append(_stage_row(name, runs, f"{_ms(stage(result, 'first', name), files):.2f}"))
    empty = [["", "", ""] for _ in kinds[1:]]
    for part, inside in result["parts"].items():
        seconds = median(run.get(part, 0.0) for run in result["stage_parts"])  # 明细数据.xlsx: provinces only
        side = [f"({seconds:.2f})", "", f"({seconds / totals['first']:.1%})"]
        rows.append(_stage_row(f"  of which {part} (inside {inside})", [side, *empty], f"({_ms(seconds, files):.2f})"))
    runs = [cells(totals[kind], cpu_totals[kind], totals[kind]) for kind in kinds]
    rows.append(_stage_row("**in-process total**", runs, f"{_ms(totals['first'], files):.2f}"))
    runs = [
        [f"{wall(result, kind):.2f}", f"{median(r['cpu'] for r in result['process'][kind]):.2f}", ""] for kind in kinds
    ]
    rows.append(_stage_row("whole process (medians above)", runs, ""))
    return rows


READ_HEADER = ["reader", "ms/file", "÷ rollup's (median of runs' ratios)", "CPU ms/file", "CPU ÷ rollup's", "runs"]


def _read_rows(result: Result) -> list[list[str]]:
    wall, cpu = reading(result), reading(result, "cpu")
    naive, files = result["naive"], result["files"]
    subset = "" if naive["files"] == files else f" ({naive['files']:,} of the {files:,} files)"

    def row(name: str, ms: tuple[float, float], ratio: tuple[float, float], runs: str) -> list[str]:
        return [name, f"{ms[0]:.2f}", f"{ratio[0]:.2f}", f"{ms[1]:.2f}", f"{ratio[1]:.2f}", runs]

    return [
        row("rollup: read + validate (in-process stages)", (wall.rollup, cpu.rollup), (1, 1),
            str(len(result["stages"]["first"]))),
        row("python-calamine: bare read of every sheet", (wall.calamine, cpu.calamine),
            (1 / wall.slower_than_calamine, 1 / cpu.slower_than_calamine), str(len(result["calamine"]))),
        row("naive: pandas.read_excel(openpyxl) + sum of the tables", (wall.naive, cpu.naive),
            (wall.faster_than_naive, cpu.faster_than_naive), f"{len(naive['runs'])}{subset}"),
    ]  # fmt: skip


def section(result: Result) -> list[str]:
    n, files = result["n"], result["files"]
    ms = reading(result)
    lines = [f"## N = {n:,} ({result['edition']} edition, year {result['year']}) — {result['when']}", ""]
    machine = result["machine"]
    lines += _table(["machine", ""], [[k, v] for k, v in machine.items()])
    before, after = result["load"]["before"], result["load"]["after"]
    lines += [
        "",
        f"Load average (1/5/15 min) before the run {before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f}, after it "
        f"{after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} (the benchmark itself keeps about one core busy; more means "
        "someone else was working on the machine).",
    ]
    commit = result.get("commit_ms")
    if commit:
        lines += [
            "",
            f"One fully synced SQLite commit in the work folder took {commit['before']:.1f} ms before the run and "
            f"{commit['after']:.1f} ms after it (the ledger commits once per run: what it costs is the disk's latency once, not once a file).",
        ]
    if result.get("note"):
        lines += ["", f"Note: {result['note']}"]
    generated = (
        f"generated in {result['generation_s']:.0f} s (not part of any timing)"
        if result.get("generation_s") is not None
        else "reused from an earlier run"
    )
    lines += [
        "",
        f"{files:,} submissions, {_size(result['inbox_bytes'])} in the inbox, {generated}; "
        f"{result['runs']} runs of each measurement, medians shown; files in the OS page cache (warm)"
        + ("; rollup byte-compiled beforehand, as an installed package is." if result.get("byte_compiled") else "."),
        "",
    ]
    lines += ["### Whole process", ""]
    lines += _table(["command", "median", "range", "CPU s / wall s", "peak memory (max RSS)"], _process_rows(result))
    lines += [
        "",
        f"Per submission, empty ledger: {_ms(wall(result, 'first'), files):.2f} ms; "
        f"unchanged re-run: {_ms(wall(result, 'rerun'), files):.2f} ms"
        + (
            f"; one file saved again: {_ms(wall(result, 'touched'), files):.2f} ms."
            if result["process"].get("touched")
            else "."
        ),
        "",
    ]
    lines += ["### Per stage (in-process, same order as `rollup consolidate`)", ""]
    lines += _table(stage_header(result), _stage_rows(result))
    lines += ["", "### Reading: rollup vs the naive loop vs calamine (same files, same invocation)", ""]
    lines += _table(READ_HEADER, _read_rows(result))
    naive = result["naive"]
    cpu = reading(result, "cpu")
    same = abs(naive["total"] - naive["expected"]) <= 1e-6 * max(1.0, abs(naive["expected"]))
    lines += [
        "",
        f"rollup's read + validate is **{ms.faster_than_naive:.1f}× faster** than the naive loop "
        f"(target ≥ {NAIVE_RATIO}×) and **{ms.slower_than_calamine:.2f}× slower** than calamine's bare "
        f"read (target ≤ {CALAMINE_RATIO}×); by CPU time {cpu.faster_than_naive:.1f}× and {cpu.slower_than_calamine:.2f}×. "
        "The naive loop's sum of every number in the three tables "
        f"{'equals' if same else 'DIFFERS FROM'} the sum of the cells rollup reads from those files"
        f"{' (like for like)' if same else ''}.",
    ]
    lines += ["", "### Outputs of one run", ""]
    lines += _table(["file", "size"], [[name, _size(size)] for name, size in result["outputs"].items()])
    return [*lines, ""]


# --- across runs -------------------------------------------------------------------------------


def _summary(results: list[Result]) -> list[str]:
    rows = []
    for r in results:
        ms = reading(r)
        rows.append(
            [
                f"{r['n']:,}",
                f"{wall(r, 'first'):.1f} s",
                f"{wall(r, 'rerun'):.1f} s",
                f"{wall(r, 'touched'):.1f} s" if r["process"].get("touched") else "—",
                _mib(peak(r)),
                f"{_ms(wall(r, 'first'), r['files']):.2f}",
                f"{ms.rollup:.2f}",
                f"{ms.naive:.2f}",
                f"{ms.calamine:.2f}",
                f"{ms.faster_than_naive:.1f}×",
                f"{ms.slower_than_calamine:.2f}×",
                r["when"][:10],
            ]
        )
    return _table(
        [
            "N",
            "consolidate, empty ledger",
            "unchanged re-run",
            "one file saved again",
            "peak memory",
            "ms/submission",
            "read+validate ms/file",
            "naive ms/file",
            "calamine ms/file",
            "naive ÷ rollup",
            "rollup ÷ calamine",
            "measured",
        ],
        rows,
    )


def _targets(results: list[Result]) -> list[str]:
    at = {r["n"]: r for r in results}
    base = at.get(TARGET_N)
    largest = max(results, key=lambda r: r["n"])
    ratios = [(r["n"], reading(r), reading(r, "cpu")) for r in results]
    rows = [
        [
            f"read + validate ≥ {NAIVE_RATIO}× the naive loop",
            ", ".join(f"{w.faster_than_naive:.1f}× (N={n:,}; CPU {c.faster_than_naive:.1f}×)" for n, w, c in ratios),
            _yes(all(w.faster_than_naive >= NAIVE_RATIO for _, w, _ in ratios)),
        ],
        [
            f"read + validate within {CALAMINE_RATIO}× of calamine's bare read",
            ", ".join(
                f"{w.slower_than_calamine:.2f}× (N={n:,}; CPU {c.slower_than_calamine:.2f}×)" for n, w, c in ratios
            ),
            _yes(all(w.slower_than_calamine <= CALAMINE_RATIO for _, w, _ in ratios)),
        ],
    ]
    if base:
        rows += [
            [
                f"{TARGET_N:,} submissions, empty ledger, < {FIRST_RUN_S:.0f} s",
                f"{wall(base, 'first'):.1f} s",
                _yes(wall(base, "first") < FIRST_RUN_S),
            ],
            [
                f"{TARGET_N:,} submissions, nothing changed, < {RERUN_S:.0f} s",
                f"{wall(base, 'rerun'):.1f} s",
                _yes(wall(base, "rerun") < RERUN_S),
            ],
            [
                f"both cores used at {TARGET_N:,} (CPU s / wall s > {BOTH_CORES})",
                f"{cpu_per_wall(base):.2f}",
                _yes(cpu_per_wall(base) > BOTH_CORES),
            ],
        ]
    else:
        rows.append(
            [f"{TARGET_N:,} submissions: < {FIRST_RUN_S:.0f} s, re-run < {RERUN_S:.0f} s, both cores", "", _yes(None)]
        )
    if base and largest["n"] > TARGET_N:
        cost = _ms(wall(largest, "first"), largest["files"]) / _ms(wall(base, "first"), base["files"])
        memory = peak(largest) / peak(base)
        rows += [
            [
                f"{largest['n']:,} finish with linear cost (ms/submission within {LINEAR - 1:.0%} of N={TARGET_N:,})",
                f"{cost:.2f}× the ms/submission of N={TARGET_N:,}",
                _yes(cost <= LINEAR),
            ],
            [
                f"peak memory flat in N (N={largest['n']:,} within {FLAT_MEMORY - 1:.0%} of N={TARGET_N:,})",
                f"{_mib(peak(largest))} vs {_mib(peak(base))} ({memory:.2f}×)",
                _yes(memory <= FLAT_MEMORY),
            ],
        ]
    else:
        rows.append(["20,000 finish with linear cost and flat memory", "", _yes(None)])
    startup = largest
    rows += [
        [f"`rollup --help` ≤ {HELP_S} s", f"{wall(startup, 'help'):.2f} s", _yes(wall(startup, "help") <= HELP_S)],
        [
            f"`rollup check` one xlsx ≤ {CHECK_S} s",
            ", ".join(f"{wall(r, 'check'):.2f} s (N={r['n']:,})" for r in results),
            _yes(all(wall(r, "check") <= CHECK_S for r in results)),
        ],
    ]
    return _table(["target (issue 13)", "measured", "today"], rows)


def render(results: list[Result], kept: str = "") -> str:
    results = sorted(results, key=lambda r: r["n"])
    lines = [
        "# Benchmark results",
        "",
        "Written by `python bench/run.py` (see bench/README.md) from bench/results.json, which keeps the latest "
        "run of each N. Times are medians of several runs on a machine that may have been shared: see each "
        "run's load average.",
        "",
        "## Summary",
        "",
        *_summary(results),
        "",
        "## Issue 13's targets, today",
        "",
        *_targets(results),
        "",
    ]
    for result in results:
        lines += section(result)
    return "\n".join(lines) + "\n" + MARKER + "\n" + kept


def kept_notes(existing: str) -> str:
    """The hand-written part of an existing RESULTS.md (below the marker)."""
    return existing.split(MARKER, 1)[1].lstrip("\n") if MARKER in existing else ""
