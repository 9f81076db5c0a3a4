"""Ingest: one reader per kind of file, all returning the same ``Submission``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from rollup.ingest.document import SUFFIXES as REPORT_SUFFIXES
from rollup.ingest.report import read_report
from rollup.ingest.workbook import read_workbook
from rollup.model import Submission
from rollup.text import UnreadableText

READERS: dict[str, Callable[[Path], Submission]] = {
    ".xlsx": read_workbook,
    ".xlsm": read_workbook,
    ".xls": read_workbook,
    ".ods": read_workbook,
    **dict.fromkeys(REPORT_SUFFIXES, read_report),
}


def read_submission(path: Path) -> Submission:
    """Read one file; a file that cannot be read comes back as a submission with an error finding."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        kinds = "、".join(sorted(READERS))
        return Submission.refused(path, "unsupported_format", suffix=path.suffix or "无扩展名", kinds=kinds)
    try:
        return reader(path)
    except UnreadableText as exc:
        return Submission.refused(path, "unreadable_file", reason=str(exc))
    except Exception as exc:  # a hostile or strange file must never stop the run: it becomes a finding
        return Submission.refused(
            path, "unreadable_file", reason="文件已损坏或内容与扩展名不符", detail=f"{type(exc).__name__}: {exc}"
        )


# What Windows, macOS and office programs leave beside the files a clerk saves.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db"})


def is_candidate(path: Path) -> bool:
    """Files a clerk would count as submissions: not hidden (.DS_Store, LibreOffice's .~lock
    files), not Office lock files (~$…), not Windows' Thumbs.db or desktop.ini."""
    name = path.name
    return path.is_file() and not name.startswith((".", "~$")) and name.lower() not in SYSTEM_FILES


def fingerprint(path: Path) -> tuple[str, int]:
    """sha256 and size of a file's content: what makes two files the same submission."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
