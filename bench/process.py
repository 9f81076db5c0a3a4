"""Whole-process timings: a command as the user runs it, with its wall time, CPU time and peak
memory (from the kernel's accounting of that one child, ``os.wait4``). Unix only."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessRun:
    wall: float  # seconds
    cpu: float  # user + system seconds: above ``wall`` means more than one core was busy
    peak_rss: int  # bytes

    def as_dict(self) -> dict[str, float]:
        return {"wall": self.wall, "cpu": self.cpu, "peak_rss": self.peak_rss}


def rollup_command() -> list[str]:
    """The ``rollup`` script of this interpreter's environment (what the README installs)."""
    script = Path(sys.executable).with_name("rollup")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "rollup"]


# The kernel charges a child with the peak memory of the process it was forked from until it
# execs (vfork shares the parent's memory, fork copies it), so a child of this big benchmark
# process would report at least the benchmark's own size. A bare interpreter (a few MiB) starts
# the command instead and reports its times and peak as JSON.
_LAUNCHER = """
import json, os, sys, time
log, argv = sys.argv[1], sys.argv[2:]
actions = [
    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
    (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    (os.POSIX_SPAWN_DUP2, 1, 2),
]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]))
"""


def _peak_bytes(maxrss: int) -> int:
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # Linux reports KiB


def measure(argv: list[str], *, log: Path) -> ProcessRun:
    """Run ``argv`` to the end, its output to ``log``; fail loudly if it fails."""
    launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(log), *argv]
    done = subprocess.run(launcher, capture_output=True, text=True, check=True)
    wall, cpu, maxrss, code = json.loads(done.stdout)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {code}; see {log}")
    return ProcessRun(wall, cpu, _peak_bytes(maxrss))


def fresh(outbox: Path) -> None:
    """An empty ledger and no outputs: what a first run of the year sees."""
    shutil.rmtree(outbox, ignore_errors=True)
    outbox.mkdir(parents=True)
