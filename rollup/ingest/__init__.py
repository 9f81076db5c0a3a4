"""Ingest: one reader per kind of file, all returning the same ``Submission``, behind one safe
way in. Every file is taken once (``files``: regular files only, within the size limit, hashed
from the bytes read), checked on its bytes before any reader sees it (``guard``), read in a
worker process under memory and time budgets (``isolation``), and every failure becomes a
finding in a clerk's words (``failures``). The run goes on whatever a file holds."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

from rollup.config import Limits
from rollup.ingest.convert import soffice
from rollup.ingest.files import SUBMISSION_SUFFIXES, Taken, as_text, entry_kind, finish, take, unpack
from rollup.ingest.isolation import Reader, pool_for
from rollup.ingest.reading import unsupported
from rollup.model import Submission

__all__ = [
    "SUBMISSION_SUFFIXES",
    "code_digest",
    "counted_by_name",
    "entry_kind",
    "is_candidate",
    "kept_reading",
    "read_files",
    "read_submission",
    "reader_identity",
    "unopened",
]

Progress = Callable[[list[Path]], Iterable[Path]]


def _no_progress(paths: list[Path]) -> Iterable[Path]:
    return paths


def read_submission(path: Path, limits: Limits | None = None, *, isolate: bool | None = None) -> Submission:
    """Read one file (a .zip: its first submission); a file that cannot be read comes back as a
    submission with an error finding."""
    read = read_files([Path(path)], limits or Limits(), isolate=isolate)[Path(path)]
    return read[0] if read else Submission.refused(Path(path), "not_a_report", parts="压缩包中没有可读取的报告")


def read_files(
    paths: list[Path],
    limits: Limits | None = None,
    *,
    progress: Progress = _no_progress,
    isolate: bool | None = None,
) -> dict[Path, list[Submission]]:
    """Every file's submissions (one per file; one per report inside a .zip), read in worker
    processes where that is cheap or there are many files. ``progress`` is stepped as each
    file's reading is done, in the order given."""
    limits = limits or Limits()
    paths = list(paths)
    done: dict[Path, list[Submission]] = {}
    with pool_for(limits, files=len(paths), isolate=isolate) as pool:
        readings = _in_order(paths, limits, pool)
        for _ in progress(paths):
            path, submissions = next(readings)
            done[path] = submissions
    return done


def _in_order(paths: list[Path], limits: Limits, pool: Reader) -> Iterator[tuple[Path, list[Submission]]]:
    """Each path's submissions, in the order of ``paths``, while the pool reads ahead."""
    known: dict[int, list[Submission]] = {}
    expected: dict[int, int] = {}
    taken: dict[tuple[int, int], Taken] = {}
    found: dict[int, list[tuple[int, Submission]]] = {}

    def tasks() -> Iterator[tuple[tuple[int, int], Path, bytes]]:
        for index, path in enumerate(paths):
            parts = _take(path, limits)
            if isinstance(parts, Submission):
                known[index] = [parts]
                continue
            expected[index] = len(parts)
            found[index] = []
            for number, part in enumerate(parts):
                taken[(index, number)] = part
                yield (index, number), part.path, part.data

    next_index = 0

    def ready() -> Iterator[tuple[Path, list[Submission]]]:
        nonlocal next_index
        while next_index < len(paths):
            if next_index in known:
                yield paths[next_index], known.pop(next_index)
            elif next_index in expected and len(found[next_index]) == expected[next_index]:
                parts = sorted(found.pop(next_index), key=lambda pair: pair[0])
                yield paths[next_index], [submission for _, submission in parts]
            else:
                return
            next_index += 1

    for (index, number), submission in pool.read(tasks()):
        found[index].append((number, finish(taken.pop((index, number)), submission)))
        yield from ready()
    yield from ready()


def _take(path: Path, limits: Limits) -> list[Taken] | Submission:
    """A file's parts to read: itself, or the members of a .zip; or the finding that stops it."""
    refused = unopened(path)
    if refused is not None:
        return refused
    whole = take(path, limits)
    if isinstance(whole, Submission) or path.suffix.lower() != ".zip":
        return whole if isinstance(whole, Submission) else [whole]
    return unpack(whole, limits)


def unopened(path: Path) -> Submission | None:
    """The finding for an entry refused by its name or kind alone, never opened (a name that is no
    text, an entry that is no regular file, a kind of file rollup reads none of); None for a file
    to open. Such a refusal has no bytes to be kept by, and costs nothing to make again."""
    shown = as_text(path)
    if shown != path:  # a name no ledger, table or email can hold: told under the name it reads as
        return Submission.refused(shown, "unreadable_file", reason=UNREADABLE_NAME)
    kind = entry_kind(path)
    if kind is not None:
        return Submission.refused(path, "not_a_regular_file", kind=kind)
    return None if path.suffix.lower() == ".zip" else unsupported(path)


def reader_identity(limits: Limits) -> str:
    """What decides how a file reads, besides its bytes: this rollup's code and form specs, the
    limits, and whether LibreOffice can convert an old Word file. A reading made by another
    rollup, under other limits, or before LibreOffice was installed (or after it was removed) is
    read again."""
    converts = soffice() is not None
    return hashlib.sha256(f"{code_digest()}:{limits.model_dump_json()}:{converts}".encode()).hexdigest()


@cache
def code_digest() -> str:
    """A digest of this rollup's code and form specs: what was made by another rollup is made again."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".toml"):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


UNREADABLE_NAME = (
    "文件名不是有效的文字（多半是在别的电脑上以 GBK 等编码保存的名字），无法记录和汇总；请把文件改名后重新放入收件箱"
)

# A reading that may turn out otherwise on another try with the same bytes (a busy machine):
# never kept. LibreOffice installed since is told by ``reader_identity``.
PASSING_FAILURES = frozenset({"reader_timeout", "reader_crashed"})


def kept_reading(submissions: list[Submission]) -> bool:
    """Whether a file's reading may be kept for the next run: every submission was read from
    bytes it is keyed on, and no failure came from the moment rather than from the file."""
    return all(s.sha256 is not None and not any(f.rule in PASSING_FAILURES for f in s.findings) for s in submissions)


# What Windows, macOS and office programs leave beside the files a clerk saves.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db"})


def is_candidate(path: Path) -> bool:
    """Entries a clerk would count as submissions: named like one (``counted_by_name``), and no
    folder unless named like a report. Links, folders so named and devices count too (they get a
    finding), but only regular files are ever opened."""
    if not counted_by_name(path.name):
        return False
    kind = entry_kind(path)
    return kind is None or kind != "文件夹" or path.suffix.lower() in SUBMISSION_SUFFIXES


def counted_by_name(name: str) -> bool:
    """Not hidden (.DS_Store, LibreOffice's .~lock files), not an Office lock file (~$…), not
    Windows' Thumbs.db or desktop.ini."""
    return not (name.startswith((".", "~$")) or name.lower() in SYSTEM_FILES)
