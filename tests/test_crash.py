"""Crash and concurrency safety: a consolidate killed (SIGKILL) at random moments on a couple of
hundred files never corrupts the ledger, never loses or duplicates a receipt, always leaves the
previous complete set of outputs or the new one, and the next run tidies up and completes; two
consolidates at once on a fresh ledger both end cleanly, the second after waiting for the first
(or saying who holds the workspace)."""

from __future__ import annotations

import email
import json
import multiprocessing
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from email import policy
from pathlib import Path

import openpyxl
import pytest
from helpers import settings_for

from rollup.outputs import MANIFEST, STAGING, TEMP_PREFIX, RunLock

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is a POSIX signal")

KILLS = 20
VARIANTS = 3  # versions per unit: a couple of hundred files in all


def _variant(source: Path, target: Path, number: int) -> None:
    """The same report with different bytes (a comment in its document properties): a new
    version of the unit's submission, as a re-sent file is."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "docProps/core.xml":
                data = data.replace(b"</cp:coreProperties>", f"<!-- {number} --></cp:coreProperties>".encode())
            new.writestr(item, data)


@pytest.fixture(scope="module")
def versions(tmp_path_factory, all_74) -> list[Path]:
    """Every unit but one (so that the outputs depend on the as-of day) in three versions."""
    folder = tmp_path_factory.mktemp("versions")
    made = []
    for number in range(VARIANTS):
        for source in sorted(all_74.iterdir())[1:]:
            target = folder / f"{source.stem}-{number}.xlsx"
            _variant(source, target, number)
            os.utime(target, (1_580_000_000 + number * 3600, 1_580_000_000 + number * 3600))
            made.append(target)
    return made


def _consolidate(config: Path, as_of: str) -> None:
    from rollup.cli import app

    raise SystemExit(app(["consolidate", "--config", str(config), "--as-of", as_of], standalone_mode=False) or 0)


def _run(config: Path, as_of: str, *, kill_after: float | None = None) -> tuple[int | None, int]:
    """A consolidate in a process forked from this one (the imports already done, so a run is
    only its own work), killed after ``kill_after`` seconds if still running."""
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_consolidate, args=(config, as_of))
    started = time.monotonic()
    process.start()
    if kill_after is not None:
        process.join(kill_after)
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGKILL)
    process.join(300)
    assert process.pid is not None
    assert time.monotonic() - started < 300
    return process.exitcode, process.pid


def _as_of_in_outputs(folder: Path) -> set[str]:
    """The as-of day each output of the set says: the JSON, the gaps email, the workbook (the
    missing unit's days overdue). A committed staging set counts as the set (the next run moves it
    in before anything else)."""
    staging = folder / STAGING
    files = {p.name: p for p in folder.iterdir() if p.is_file()}
    if (staging / MANIFEST).is_file():
        for name in json.loads((staging / MANIFEST).read_text(encoding="utf-8"))["names"]:
            if (staging / name).exists():
                files[name] = staging / name
    data = json.loads(files["汇总数据.json"].read_text(encoding="utf-8"))
    message = email.message_from_bytes(files["缺报情况.eml"].read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None
    mail_day = re.search(r"情况截至(\d{4})年(\d+)月(\d+)日", body.get_content())
    assert mail_day is not None
    workbook = next(p for name, p in files.items() if name.endswith(".xlsx"))
    rows = list(openpyxl.load_workbook(workbook)["报送情况"].iter_rows(values_only=True))
    overdue = next(row[6] for row in rows if row[3] == "未报送")
    by_workbook = date(2020, 1, 31) + timedelta(days=int(str(overdue)))
    by_mail = date(int(mail_day[1]), int(mail_day[2]), int(mail_day[3]))
    return {data["status"]["as_of"], by_mail.isoformat(), by_workbook.isoformat()}


def _receipts(ledger: Path) -> dict[str, str]:
    db = sqlite3.connect(ledger)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT sha256, received_at FROM submissions").fetchall()
    finally:
        db.close()
    assert len(rows) == len({sha for sha, _ in rows})
    return dict(rows)


def test_killed_at_random_moments_nothing_is_lost_or_mixed(tmp_path, versions):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = settings_for(tmp_path, inbox)
    config = tmp_path / "rollup.toml"
    folder, ledger = settings.outbox / "2019", settings.ledger_path
    arriving = list(versions)

    def arrive(count: int) -> None:
        for path in arriving[:count]:
            (inbox / path.name).write_bytes(path.read_bytes())
            os.utime(inbox / path.name, (path.stat().st_mtime, path.stat().st_mtime))
        del arriving[:count]

    arrive(len(versions) * 2 // 3)  # most files first, so that every run takes about as long as the first
    started = time.monotonic()
    assert _run(config, "2020-03-01")[0] == 0
    full = time.monotonic() - started
    previous = "2020-03-01"
    known = _receipts(ledger)
    killed = []
    rng = random.Random(12)
    for kill in range(KILLS):
        arrive(len(versions) // 3 // KILLS)
        as_of = f"2020-03-{kill + 2:02d}"
        _, pid = _run(config, as_of, kill_after=rng.uniform(0.05, full))
        killed.append(pid)
        receipts = _receipts(ledger)
        assert all(receipts.get(sha) == at for sha, at in known.items())  # none lost, none moved
        known = receipts
        days = _as_of_in_outputs(folder)
        assert len(days) == 1 and days <= {previous, as_of}, (kill, days)  # one complete set: the old or the new
        (previous,) = days
    arrive(len(arriving))
    assert _run(config, "2020-04-01")[0] == 0
    receipts = _receipts(ledger)
    assert len(receipts) == len(versions)  # every file recorded exactly once
    assert all(receipts[sha] == at for sha, at in known.items())
    assert _as_of_in_outputs(folder) == {"2020-04-01"}
    leftovers = [p for p in settings.outbox.rglob("*") if p.name.startswith((TEMP_PREFIX, STAGING))]
    assert leftovers == []
    readers = [p for p in Path(tempfile.gettempdir()).glob("rollup-read-*") if int(p.name.split("-")[2]) in killed]
    assert readers == []


def _consolidate_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "rollup", "consolidate", "--config", str(config), "--as-of", "2020-03-01"]


def test_two_consolidates_at_once_on_a_fresh_ledger_both_end_cleanly(tmp_path, versions):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in versions[:73]:
        (inbox / path.name).write_bytes(path.read_bytes())
    settings = settings_for(tmp_path, inbox)
    config = tmp_path / "rollup.toml"
    env = {**os.environ, "COLUMNS": "200"}
    runs = [
        subprocess.Popen(
            _consolidate_command(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    results = [(run.wait(300), *run.communicate()) for run in runs]
    for code, _, err in results:
        assert "Traceback" not in err and "IntegrityError" not in err
        assert code == 0 or (code == 2 and "另一个 rollup 正在使用" in err), (code, err)
    assert any(code == 0 for code, _, _ in results)
    assert len(_receipts(settings.ledger_path)) == 73


def test_a_second_run_says_who_holds_the_workspace(tmp_path, versions):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = settings_for(tmp_path, inbox, "[limits]\nlock_wait_seconds = 0.5\n")
    with RunLock(settings.outbox):
        done = subprocess.run(
            _consolidate_command(tmp_path / "rollup.toml"), capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 2
    assert "另一个 rollup 正在使用" in done.stderr and f"进程 {os.getpid()}" in done.stderr
    assert "等待 0.5 秒" in done.stderr
