"""The JSON contract (``rollup check --format json`` and 汇总数据.json): a submission's values in
the canonical cell codes, its notes, marks and findings."""

from __future__ import annotations

from rollup.findings import finding_rows
from rollup.forms import editions
from rollup.model import Submission


def submission_contract(submission: Submission) -> dict[str, object]:
    """One file as the ``check`` contract spells it."""
    edition = editions().get(submission.edition or "")
    return {
        "file": str(submission.file),
        "unit": submission.unit,
        "year": submission.year,
        "edition": submission.edition,
        "values": dict(submission.values.items()),
        "notes": dict(submission.notes),
        "marks": dict(submission.marks),
        "findings": [row.contract() for row in finding_rows(submission.findings, edition)],
    }
