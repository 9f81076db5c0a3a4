"""Reading one file's bytes with the reader its extension names: the guard's checks first, then
the reader on a private copy of exactly those bytes (so what is read is what was hashed, and no
one else's change can reach it), every failure a finding. This is what a reading process of the
pool runs for each file, and what ``read_submission`` runs in the calling process."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rollup.config import Limits
from rollup.findings import Finding
from rollup.forms import editions
from rollup.ingest import failures
from rollup.ingest.document import SUFFIXES as REPORT_SUFFIXES
from rollup.ingest.guard import inspect
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


def unsupported(path: Path) -> Submission | None:
    """The finding for a file no reader reads (None when one does)."""
    if path.suffix.lower() in READERS:
        return None
    kinds = "、".join(sorted([*READERS, ".zip"]))
    return Submission.refused(path, "unsupported_format", suffix=path.suffix or "无扩展名", kinds=kinds)


def read_bytes(path: Path, data: bytes, limits: Limits, folder: Path) -> Submission:
    """What the file at ``path`` says, read from ``data`` (its bytes) through a copy in
    ``folder``. Never raises for anything the file holds."""
    refused = unsupported(path)
    if refused is not None:
        return refused
    inspection = inspect(path.suffix, data, limits)
    if inspection.refusal is not None:
        return failures.refused(path, inspection.refusal)
    copy = folder / path.name
    copy.write_bytes(data)
    try:
        submission = READERS[path.suffix.lower()](copy)
    except Exception as exc:  # a hostile or strange file must never stop the run: it becomes a finding
        return failures.failure(path, data, exc, memory_mb=limits.memory_mb)
    finally:
        with contextlib.suppress(OSError):  # a reader on Windows may still hold it; the folder goes later
            copy.unlink()
    submission = failures.explained(path, data, submission.moved(path, submission.modified))
    return uncalculated(submission, inspection.uncalculated)


def uncalculated(submission: Submission, cells: frozenset[str]) -> Submission:
    """Cells holding a formula the file carries no value for: calamine reads them as blank, which
    would count them as 0; they are findings instead, and absent from the values."""
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
