"""The machine a result was measured on, in the words RESULTS.md prints."""

from __future__ import annotations

import compileall
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
import time
from importlib import metadata
from pathlib import Path
from statistics import median


def _first(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _ram() -> str:
    kib = _first("/proc/meminfo", "MemTotal")
    if kib:
        return f"{int(kib.split()[0]) / 1024**2:.1f} GiB"
    return "unknown"


def _mount(path: Path) -> tuple[str, str, str]:
    """(device, mount point, file system type) of the longest mount point holding ``path``."""
    best = ("?", "/", "?")
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return best
    resolved = str(path.resolve())
    for line in lines:
        device, point, kind = line.split()[:3]
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[1]):
            best = (device, point, kind)
    return best


def _disk(path: Path) -> str:
    device, point, kind = _mount(path)
    rotational = Path(f"/sys/block/{Path(device).name}/queue/rotational")
    flag = rotational.read_text().strip() if rotational.is_file() else ""
    medium = {"0": "kernel reports non-rotational", "1": "kernel reports rotational"}.get(flag, "")
    free = shutil.disk_usage(path).free / 1024**3
    return f"{device} ({kind}{', ' + medium if medium else ''}) mounted on {point}, {free:.0f} GiB free"


def _commit(repo: Path) -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def describe(work: Path, repo: Path) -> dict[str, str]:
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("pandas", "openpyxl", "python-calamine"))
    return {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": f"{cores} logical ({usable} usable by this process)",
        "ram": _ram(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "disk": _disk(work),
        "libraries": versions,
        "rollup commit": _commit(repo),
    }


def byte_compile(package: Path) -> bool:
    """Compile ``package``'s modules to bytecode, as installing a package does, so that every
    timed command starts as it does on a user's machine. Without it, a machine that sets
    PYTHONDONTWRITEBYTECODE (this one does) makes every command compile rollup again: 0.1 to
    0.2 s of each start-up. Python still reads bytecode that exists under that setting."""
    return compileall.compile_dir(package, quiet=1)


def load() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages: above the core count, someone else was busy."""
    return os.getloadavg()


def commit_latency(folder: Path, commits: int = 40) -> float:
    """Milliseconds per committed SQLite transaction (default, fully synced) in ``folder``: what
    one durable write costs on this disk right now. The ledger commits once per file, so its
    stage moves with this figure, and with whoever else is writing to the disk."""
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        db = sqlite3.connect(Path(scratch) / "probe.sqlite")
        db.execute("CREATE TABLE probe (n INTEGER, text TEXT)")
        times = []
        for n in range(commits):
            start = time.perf_counter()
            with db:
                db.execute("INSERT INTO probe VALUES (?, ?)", (n, "x" * 200))
            times.append(time.perf_counter() - start)
        db.close()
    return median(times) * 1000
