"""The reader pool gives a worker its next file while it still reads the one before. A file that
waited behind one that stopped its worker (past its time, or dead) is read by the worker that
takes its place: never lost, never read twice, never blamed for the file before it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from rollup.config import Limits
from rollup.ingest import isolation
from rollup.model import Submission

pytestmark = pytest.mark.skipif(not isolation.can_fork(), reason="the fake readers below reach workers by fork")

STUCK, DIES, SLOW = Path("stuck.xlsx"), Path("dies.xlsx"), Path("slow.xlsx")


def fake_reader(path: Path, data: bytes, *args) -> Submission:
    """Reads a file's bytes back as its unit's name; hangs or dies on the files named so."""
    if path == STUCK:
        time.sleep(30)
    if path == DIES:
        os._exit(3)
    if path == SLOW:
        time.sleep(0.6)
    return Submission(file=path, unit=data.decode())


def read_all(tasks, workers=1, seconds=2.0):
    pool = isolation.ReaderPool(Limits(seconds=seconds), workers)
    try:
        return list(pool.read(tasks)), pool
    finally:
        pool.close()


def tasks(*paths: Path):
    return [(number, path, f"单位{number}".encode()) for number, path in enumerate(paths)]


@pytest.fixture(autouse=True)
def fake(monkeypatch):
    monkeypatch.setattr(isolation, "read_bytes", fake_reader)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a socket's send buffer is known on Linux")
def test_a_worker_is_given_its_next_small_file_while_it_reads(monkeypatch):
    given = []
    give = isolation.ReaderPool._give

    def counting(pool, worker, task):
        give(pool, worker, task)
        given.append(len(worker.tasks))

    monkeypatch.setattr(isolation.ReaderPool, "_give", counting)
    answers, _ = read_all(tasks(*(Path(f"{n}.xlsx") for n in range(6))))
    assert max(given) == 2  # one read, one waiting: never more
    assert sorted(key for key, _ in answers) == list(range(6))


@pytest.mark.parametrize("room", [None, 0], ids=["queued", "one at a time"])
@pytest.mark.parametrize("bad", [STUCK, DIES], ids=["past its time", "dead"])
def test_files_behind_a_worker_that_stopped_are_read_once_and_not_blamed(monkeypatch, room, bad):
    if room is not None:
        monkeypatch.setattr(isolation, "_room", lambda connection: room)
    given = tasks(Path("a.xlsx"), bad, Path("b.xlsx"), Path("c.xlsx"), bad, Path("d.xlsx"))
    answers, _ = read_all(given, seconds=0.5)
    assert sorted(key for key, _ in answers) == list(range(6))  # each once
    by_key = dict(answers)
    expected_rule = "reader_timeout" if bad == STUCK else "reader_crashed"
    for number, path, data in given:
        if path == bad:
            assert [f.rule for f in by_key[number].findings] == [expected_rule]
        else:
            assert by_key[number].unit == data.decode() and not by_key[number].findings


def test_a_waiting_file_has_its_whole_time_from_when_its_worker_takes_it():
    answers, _ = read_all(tasks(SLOW, SLOW, SLOW), seconds=1.0)  # 1.8 s in all, each within its second
    assert [a.findings for _, a in answers] == [(), (), ()]


def test_a_large_file_is_not_queued_behind_another(monkeypatch):
    monkeypatch.setattr(isolation, "_room", lambda connection: 100)
    pool = isolation.ReaderPool(Limits(), 1)
    try:
        worker = pool._workers[0]
        worker.tasks.append((0, Path("a.xlsx"), b"x" * 60))
        assert isolation._fits(worker, (1, Path("b.xlsx"), b"x" * 40))
        assert not isolation._fits(worker, (1, Path("b.xlsx"), b"x" * 41))
        worker.tasks.clear()
    finally:
        pool.close()
