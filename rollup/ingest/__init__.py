"""Ingest: one reader per kind of file, all returning the same ``Submission``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rollup.ingest.document import SUFFIXES as REPORT_SUFFIXES
from rollup.ingest.report import read_report
from rollup.ingest.workbook import read_workbook
from rollup.model import Submission

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
        return Submission.refused(path, "unsupported_format", f"文件 {path.name} 的格式（{path.suffix or '无扩展名'}）暂不支持，可读取：{kinds}")
    try:
        return reader(path)
    except Exception as exc:  # a hostile or strange file must never stop the run: it becomes a finding
        return Submission.refused(path, "unreadable_file", f"文件 {path.name} 读取失败：{type(exc).__name__}: {exc}")


def is_candidate(path: Path) -> bool:
    """Files a clerk would count as submissions: not hidden, not Office lock files."""
    return path.is_file() and not path.name.startswith((".", "~$"))
