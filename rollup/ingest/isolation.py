"""Readers in worker processes: a third-party reader that aborts (a Rust allocation failure), runs
out of memory or never returns takes down a worker, never the run. Each worker reads one file at
a time under a memory budget (Linux: ``RLIMIT_AS``) and a time budget (enforced by the pool, which
kills a worker past its deadline, on every system); a worker that dies or is killed becomes a
``reader_crashed`` or ``reader_timeout`` finding for that file, and a fresh worker takes its place.

Workers are reused across files, so the start-up is paid once per worker, not per file: forked
where the system can fork (Linux, macOS: about 10 ms), spawned on Windows (a fresh interpreter,
about 0.3 s), which is why ``pool_for`` reads a handful of files in the calling process there.
Several workers read in parallel (one per core) from ``THRESHOLD`` files up.

    with pool_for(limits, files=len(paths)) as pool:
        for key, submission in pool.read((key, path, data) for ...):
            ...
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rollup.config import Limits
from rollup.forms import editions
from rollup.ingest.reading import read_bytes
from rollup.model import Submission

if TYPE_CHECKING:  # multiprocessing is imported when a pool starts, not by every command
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

THRESHOLD = 16  # files from which more than one worker pays for itself
SPAWN_THRESHOLD = 64  # files from which spawned workers (Windows) pay for themselves
Task = tuple[Any, Path, bytes]  # a caller's key, the file's path, its bytes


class Reader(Protocol):
    def read(self, tasks: Iterable[Task]) -> Iterator[tuple[Any, Submission]]: ...


def can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def workers_for(files: int) -> int:
    """How many workers read ``files`` files: one, or one per core when there are many."""
    if files < THRESHOLD:
        return 1
    return max(1, min(os.cpu_count() or 1, 8, files // (THRESHOLD // 2)))


@contextlib.contextmanager
def pool_for(limits: Limits, *, files: int, isolate: bool | None = None) -> Iterator[Reader]:
    """The reader for a run of ``files`` files: worker processes, or the calling process where
    workers would cost more than they protect (a few files on a system that must spawn them;
    there the size checks still apply, the time and memory budgets do not). ``isolate`` forces
    the choice."""
    if isolate is None:
        isolate = can_fork() or files >= SPAWN_THRESHOLD
    remove_orphans()
    reader: InProcess | ReaderPool = ReaderPool(limits, workers_for(files)) if isolate else InProcess(limits)
    try:
        yield reader
    finally:
        reader.close()


class InProcess:
    """Reading in the calling process, with the same interface as the pool. Each file is read in
    a thread of its own, so that one that never returns is given up after the time budget (a
    finding) and the run goes on; the abandoned thread ends with the process. No memory budget."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._folder = Path(tempfile.mkdtemp(prefix=f"rollup-read-{os.getpid()}-"))

    def read(self, tasks: Iterable[Task]) -> Iterator[tuple[Any, Submission]]:
        for number, (key, path, data) in enumerate(tasks):
            yield key, self._read_one(path, data, self._folder / str(number))

    def _read_one(self, path: Path, data: bytes, folder: Path) -> Submission:
        folder.mkdir()
        done: list[Submission] = []

        def read() -> None:
            # an abandoned reading may outlive its folder: what it raises then concerns no one
            with contextlib.suppress(Exception):
                done.append(read_bytes(path, data, self.limits, folder))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(self.limits.seconds)
        if not done and reader.is_alive():
            return Submission.refused(path, "reader_timeout", seconds=f"{self.limits.seconds:g}")
        if not done:
            return Submission.refused(path, "reader_crashed", reason="读取时出错")
        shutil.rmtree(folder, ignore_errors=True)
        return done[0]

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    folder: Path
    log: Path
    room: int  # bytes of tasks that may wait in the worker's pipe without a send ever blocking
    tasks: deque[Task] = field(default_factory=deque)  # given, oldest (the one being read) first
    deadline: float = 0.0
    log_start: int = 0


class _Backlog:
    """The tasks not yet given: first those a dead worker was given but never read."""

    def __init__(self, tasks: Iterable[Task]):
        self._tasks = iter(tasks)
        self._front: deque[Task] = deque()

    def peek(self) -> Task | None:
        if not self._front:
            task = next(self._tasks, None)
            if task is None:
                return None
            self._front.append(task)
        return self._front[0]

    def pop(self) -> Task:
        return self._front.popleft()

    def give_back(self, tasks: Iterable[Task]) -> None:
        self._front.extendleft(reversed(list(tasks)))


class ReaderPool:
    """Worker processes reading files under the limits' memory and time budgets.

    A worker is given its next file while it still reads the one before, where the pipe holds
    it without the send blocking: a worker then never waits for the run between two files, and
    the run never waits for a worker to take a file (waking an idle process costs more than
    reading a small file's bytes)."""

    def __init__(self, limits: Limits, workers: int = 1):
        import multiprocessing

        self.limits = limits
        self._context: Any = multiprocessing.get_context("fork" if can_fork() else "spawn")
        editions()  # parsed once, here: forked workers inherit them rather than each parse them again
        self._root = Path(tempfile.mkdtemp(prefix=f"rollup-read-{os.getpid()}-"))
        self._workers = [self._start(number) for number in range(max(1, workers))]

    def _start(self, number: int) -> _Worker:
        folder = self._root / f"worker-{number}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        log = self._root / f"worker-{number}.log"
        log.write_bytes(b"")
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, folder, log, self.limits), name=f"rollup-reader-{number}", daemon=True
        )
        process.start()
        theirs.close()  # so that a dead worker's pipe reads as closed
        return _Worker(process, ours, folder, log, _room(ours))

    def read(self, tasks: Iterable[Task]) -> Iterator[tuple[Any, Submission]]:
        """Each task's reading, in the order they finish."""
        import multiprocessing.connection

        backlog = _Backlog(tasks)
        while True:
            self._hand_out(backlog)
            busy = [w for w in self._workers if w.tasks]
            if not busy:
                return
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = set(multiprocessing.connection.wait([w.connection for w in busy], timeout=timeout))
            for worker in busy:
                outcome = self._outcome(worker, worker.connection in ready)
                if outcome is not None:
                    key = self._done(worker, backlog)
                    self._hand_out(backlog)  # before the caller takes its turn: the worker reads on
                    yield key, outcome

    def _hand_out(self, backlog: _Backlog) -> None:
        """A task to every idle worker, then a next one to each worker whose pipe holds it."""
        for queued in (0, 1):
            for worker in self._workers:
                task = backlog.peek()
                if task is None:
                    return
                if len(worker.tasks) == queued and (not queued or _fits(worker, task)):
                    self._give(worker, backlog.pop())

    def _give(self, worker: _Worker, task: Task) -> None:
        if not worker.tasks:
            self._begin(worker)
        worker.tasks.append(task)
        with contextlib.suppress(OSError, ValueError):  # the worker is gone; _outcome finds out
            worker.connection.send((task[1], task[2]))

    def _begin(self, worker: _Worker) -> None:
        """The clock and the log of the task the worker reads now."""
        worker.deadline = time.monotonic() + self.limits.seconds
        worker.log_start = worker.log.stat().st_size if worker.log.exists() else 0

    def _done(self, worker: _Worker, backlog: _Backlog) -> Any:
        """The key of the task the worker answered for; a dead worker is replaced, and what it
        was given besides goes back to the backlog."""
        task = worker.tasks.popleft()
        if not worker.process.is_alive():
            backlog.give_back(worker.tasks)
            worker.tasks.clear()
            self._replace(worker)
        elif worker.tasks:
            self._begin(worker)
        return task[0]

    def _outcome(self, worker: _Worker, ready: bool) -> Submission | None:
        """The worker's answer, the finding for its death or its overrun, or None (still reading)."""
        path = worker.tasks[0][1]
        if ready:
            try:
                answer = worker.connection.recv()
            except (EOFError, OSError):
                worker.process.join(5)
                return self._crash(worker, path)
            if isinstance(answer, Submission):
                return answer
            return self._crash(worker, path)
        if time.monotonic() >= worker.deadline:
            worker.process.kill()
            worker.process.join(5)
            return Submission.refused(path, "reader_timeout", seconds=f"{self.limits.seconds:g}")
        return None

    def _crash(self, worker: _Worker, path: Path) -> Submission:
        said = _tail(worker.log, worker.log_start)
        exitcode = worker.process.exitcode
        detail = json.dumps({"error": "reader process died", "exitcode": exitcode, "output": said}, ensure_ascii=False)
        return Submission.refused(path, "reader_crashed", reason=_death_words(exitcode, said), detail=detail)

    def _replace(self, worker: _Worker) -> _Worker:
        number = self._workers.index(worker)
        with contextlib.suppress(OSError):
            worker.connection.close()
        self._workers[number] = self._start(number)
        return self._workers[number]

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError, ValueError):
                worker.connection.send(None)
        for worker in self._workers:
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(2)
            with contextlib.suppress(OSError):
                worker.connection.close()
        shutil.rmtree(self._root, ignore_errors=True)


def _room(connection: Connection) -> int:
    """The bytes of tasks that may wait in a worker's pipe: a quarter of the socket's send buffer
    (the kernel counts its own overhead against it too); none where that cannot be told (a pipe
    on Windows), and then a worker is given one file at a time."""
    import socket

    try:
        with socket.fromfd(connection.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as duplicate:
            return int(duplicate.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)) // 4
    except (OSError, AttributeError, ValueError):
        return 0


def _fits(worker: _Worker, task: Task) -> bool:
    """Whether ``task`` may wait behind what the worker reads now: a send to a worker that is
    stuck must never block, or the pool could not keep its deadline."""
    return sum(len(given[2]) for given in worker.tasks) + len(task[2]) <= worker.room


def remove_orphans(age: float = 3600) -> None:
    """Working folders of readers whose run was killed: removed once their process is gone
    (where that can be asked without harm) or after ``age`` seconds."""
    for folder in Path(tempfile.gettempdir()).glob("rollup-read-*"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(folder.name.split("-")[2])
            old = time.time() - folder.stat().st_mtime > age
            if pid != os.getpid() and (old or _gone(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def _gone(pid: int) -> bool:
    if sys.platform == "win32":
        return False  # os.kill would end the process there, not ask about it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _tail(log: Path, start: int) -> str:
    """What a worker wrote to its error output while reading (a Rust panic says why it aborted)."""
    try:
        with open(log, "rb") as handle:
            handle.seek(start)
            said = handle.read(2000)  # the first lines say why; a backtrace follows
    except OSError:
        return ""
    return said.decode("utf-8", "replace").strip()


def _death_words(exitcode: int | None, said: str) -> str:
    if "memory allocation" in said or "MemoryError" in said or "bad_alloc" in said:
        return "需要的内存超过限制"
    if exitcode is not None and exitcode < 0:  # killed by a signal (POSIX)
        words = {"SIGABRT": "异常中止", "SIGSEGV": "内存访问错误", "SIGKILL": "被系统终止，可能是内存不足"}
        names = {getattr(signal, name, None): text for name, text in words.items()}
        return names.get(-exitcode, f"收到信号 {-exitcode}")
    return f"退出码 {exitcode}"


# --- the worker ------------------------------------------------------------------------------------


def _serve(connection: Connection, folder: Path, log: Path, limits: Limits) -> None:
    """A worker's life: confine itself, then read each file it is sent until told to stop."""
    _confine(log, limits)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return  # the run is over (or was killed)
        if task is None:
            return
        path, data = task
        _alarm(limits.seconds * 2 + 5)  # the pool kills it sooner; this only ends an orphan
        submission = read_bytes(path, data, limits, folder)
        _alarm(0)
        connection.send(submission)


def _confine(log: Path, limits: Limits) -> None:
    """Errors to the worker's log, no core dumps, the memory budget, death with the parent."""
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND)
    for stream in (1, 2):
        os.dup2(descriptor, stream)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 (lives as long as the worker)
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    if faulthandler.is_enabled():  # it keeps the parent's error output: a crash dump belongs in the log
        faulthandler.enable(sys.stderr)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        import resource
    except ImportError:  # Windows: no process limits; the pool's deadline still applies
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        _die_with_parent()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        budget = _address_space() + limits.memory_mb * 2**20
        if hard != resource.RLIM_INFINITY:
            budget = min(budget, hard)
        resource.setrlimit(resource.RLIMIT_AS, (budget, hard))


def _address_space() -> int:
    """The worker's address space now (inherited from the parent by fork), which the budget comes on top of."""
    with open("/proc/self/status", encoding="ascii", errors="replace") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _die_with_parent() -> None:
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _alarm(seconds: float) -> None:
    if hasattr(signal, "alarm"):
        signal.alarm(int(seconds) if seconds else 0)
