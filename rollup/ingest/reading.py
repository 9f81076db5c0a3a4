"""Reading one file's bytes with the reader for what they hold: the guard's checks first, then
the reader on exactly those bytes (a workbook in memory, a document through a private copy of
them), so that what is read is what was hashed and no one else's change can reach it; every
failure a finding. This is what a reading process of the pool runs for each file, and what
``read_submission`` runs in the calling process."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

from rollup.config import Limits
from rollup.findings import Finding
from rollup.forms import editions
from rollup.ingest import failures
from rollup.ingest.convert import ConversionFailed, converted, soffice
from rollup.ingest.document import read_documents
from rollup.ingest.guard import inspect
from rollup.ingest.report import read_report, report_from
from rollup.ingest.sniff import SUFFIXES, TEXT_SUFFIXES, Kind, ole_holds_workbook, sniff
from rollup.ingest.workbook import read_workbook
from rollup.model import Submission

# What an office file that needs converting is, in a clerk's words.
_CONVERTED = {
    "ole": "旧版 Word（.doc）或 WPS 文字（.wps）文件",
    "rtf": "RTF 文件",
    "odt": "OpenDocument 文本（.odt）文件",
}


def unsupported(path: Path) -> Submission | None:
    """The finding for a file taken under a name rollup reads no file by (None when it reads it)."""
    return None if path.suffix.lower() in SUFFIXES else _not_read(path, path.suffix or "无扩展名")


def _not_read(path: Path, what: str) -> Submission:
    kinds = "、".join(sorted([*SUFFIXES, ".zip"]))
    return Submission.refused(path, "unsupported_format", suffix=what, kinds=kinds)


def read_by_content(path: Path, data: bytes, folder: Path) -> Submission:
    """What ``data`` (the bytes of the file at ``path``) says, read by what they hold (``sniff``),
    not by the file's name: a web page saved as .doc as a web page, an old .xls named .xlsx as a
    workbook. A workbook is read from the bytes themselves; the other readers take a file, a
    private copy in ``folder``."""
    kind = sniff(data)
    if kind == "workbook" or (kind == "ole" and ole_holds_workbook(data)):
        return read_workbook(path, data)
    if kind == "zip":
        return _not_read(path, "压缩包")
    if kind == "damaged" or (kind == "text" and path.suffix.lower() not in TEXT_SUFFIXES):
        return Submission.refused(path, "unreadable_file", reason="文件已损坏或内容与扩展名不符")
    copy = folder / path.name
    copy.write_bytes(data)
    try:
        return _read_converted(copy, kind) if kind in _CONVERTED else read_report(copy, kind)
    finally:
        with contextlib.suppress(OSError):  # a reader on Windows may still hold it; the folder goes later
            copy.unlink()


def _read_converted(path: Path, kind: Kind) -> Submission:
    """An old binary document, read through a .docx copy LibreOffice makes of it."""
    if soffice() is None:
        return Submission.refused(path, "needs_conversion", what=_CONVERTED[kind])
    try:
        with converted(path) as copy:
            return report_from(path, read_documents(copy, "docx"))
    except ConversionFailed as exc:
        return Submission.refused(path, "unreadable_file", reason="LibreOffice 无法转换该文件", detail=str(exc))


def read_bytes(path: Path, data: bytes, limits: Limits, folder: Path) -> Submission:
    """What the file at ``path`` says, read from ``data`` (its bytes), with ``folder`` for the
    copy a reader may need. Never raises for anything the file holds."""
    refused = unsupported(path)
    if refused is not None:
        return refused
    inspection = inspect(path.suffix, data, limits)
    if inspection.refusal is not None:
        return failures.refused(path, inspection.refusal)
    try:
        submission = read_by_content(path, data, folder)
    except Exception as exc:  # a hostile or strange file must never stop the run: it becomes a finding
        return failures.failure(path, data, exc, memory_mb=limits.memory_mb)
    submission = failures.explained(path, data, submission.moved(path, submission.modified))
    return uncalculated(submission, inspection.uncalculated)


def uncalculated(submission: Submission, cells: frozenset[str]) -> Submission:
    """Cells holding a formula the file carries no value for: calamine reads them as blank, which
    would count them as 0; they are findings instead, and absent from the values."""
    if not cells:
        return submission
    edition = editions().get(submission.edition or "")
    hit = {code for code, source in submission.sources.items() if _normal(source) in cells}
    if edition is None or not hit:
        return submission
    kept = [f for f in submission.findings if not (f.rule == "blank_cell" and _normal(f.source or "") in cells)]
    found = [
        Finding.of(
            "formula_without_value",
            edition=edition,
            file=submission.file.name,
            unit=submission.unit or "",
            table=cell.table,
            row=cell.row.code,
            column=cell.column.code,
            source=submission.sources[cell.code],
        )
        for cell in edition.cells
        if cell.code in hit
    ]
    return replace(
        submission,
        values={code: v for code, v in submission.values.items() if code not in hit},
        marks={code: m for code, m in submission.marks.items() if code not in hit},
        findings=tuple(kept + found),
    )


def _normal(source: str) -> str:
    sheet, _, cell = source.rpartition("!")
    return f"{sheet}!{cell.replace('$', '').upper()}"
