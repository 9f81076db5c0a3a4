"""Ingest: one reader per kind of file, all returning the same ``Submission``. The kind is told
by the file's content (``sniff``), not its name: a web page saved as .doc is read as a web page,
an old .xls named .xlsx as a workbook."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rollup.ingest.convert import ConversionFailed, converted, soffice
from rollup.ingest.document import read_documents
from rollup.ingest.report import read_report, report_from
from rollup.ingest.sniff import Kind, ole_holds_workbook, sniff
from rollup.ingest.workbook import read_workbook
from rollup.model import Submission
from rollup.text import UnreadableText

# Names under which a file is taken for a submission; what it holds decides how it is read.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et")
REPORT_SUFFIXES = (".txt", ".text", ".docx", ".doc", ".wps", ".rtf", ".odt", ".pdf", ".html", ".htm", ".mht", ".mhtml")
SUFFIXES = WORKBOOK_SUFFIXES + REPORT_SUFFIXES
# Names under which plain text is a report (a .doc may be text saved from Notepad or a web page);
# plain text under the name of a binary format is a damaged or mislabelled file.
TEXT_SUFFIXES = (".txt", ".text", ".doc", ".wps", ".html", ".htm", ".mht", ".mhtml")

# What an office file that needs converting is, in a clerk's words.
_CONVERTED = {
    "ole": "旧版 Word（.doc）或 WPS 文字（.wps）文件",
    "rtf": "RTF 文件",
    "odt": "OpenDocument 文本（.odt）文件",
}


def read_submission(path: Path) -> Submission:
    """Read one file; a file that cannot be read comes back as a submission with an error finding."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        return _unsupported(path, path.suffix or "无扩展名")
    try:
        return _read(path, sniff(path))
    except UnreadableText as exc:
        return Submission.refused(path, "unreadable_file", reason=str(exc))
    except Exception as exc:  # a hostile or strange file must never stop the run: it becomes a finding
        return Submission.refused(
            path, "unreadable_file", reason="文件已损坏或内容与扩展名不符", detail=f"{type(exc).__name__}: {exc}"
        )


def _read(path: Path, kind: Kind) -> Submission:
    if kind == "workbook" or (kind == "ole" and ole_holds_workbook(path)):
        return read_workbook(path)
    if kind in _CONVERTED:
        return _read_converted(path, kind)
    if kind == "zip":
        return _unsupported(path, "压缩包")
    if kind == "damaged" or (kind == "text" and path.suffix.lower() not in TEXT_SUFFIXES):
        return Submission.refused(path, "unreadable_file", reason="文件已损坏或内容与扩展名不符")
    return read_report(path, kind)


def _read_converted(path: Path, kind: Kind) -> Submission:
    """An old binary document, read through a .docx copy LibreOffice makes of it."""
    if soffice() is None:
        return Submission.refused(path, "needs_conversion", what=_CONVERTED[kind])
    try:
        with converted(path) as copy:
            return report_from(path, read_documents(copy, "docx"))
    except ConversionFailed as exc:
        return Submission.refused(path, "unreadable_file", reason="LibreOffice 无法转换该文件", detail=str(exc))


def _unsupported(path: Path, what: str) -> Submission:
    return Submission.refused(path, "unsupported_format", suffix=what, kinds="、".join(SUFFIXES))


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
