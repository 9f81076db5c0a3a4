"""The few plain objects that travel between the pipeline's stages."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

Number = int | float


def format_number(value: Number) -> str:
    """A number as the form prints it: whole numbers plain, money to at most 4 decimals."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(int(value))


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth a look) in one submission, pinned to its place in the form
    and in the file. Validation returns findings; it never raises on bad data."""

    rule: str
    severity: Severity
    message: str
    file: str = ""
    unit: str = ""
    table: str | None = None
    row: str | None = None
    column: str | None = None
    source: str | None = None
    expected: Number | None = None
    actual: Number | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def contract(self) -> dict:
        """The finding as the ``rollup check --format json`` contract spells it."""
        return {
            "severity": str(self.severity),
            "rule": self.rule,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True)
class Submission:
    """What one file says: the unit's values in canonical cell codes, and what went wrong
    reading and checking it."""

    file: Path
    unit: str | None = None
    year: int | None = None
    edition: str | None = None
    values: dict[str, Number] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    # Cells read as 0 that were not written as a number: "blank" (left empty) or
    # "not_applicable" ("-", "—", "/", "无"); zero, blank and not applicable stay distinguishable.
    marks: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    unit_id: str | None = None
    modified: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    @classmethod
    def refused(cls, path: Path, rule: str, message: str) -> Submission:
        """A file that could not be read at all: no values, one error naming the file."""
        finding = Finding(rule=rule, severity=Severity.ERROR, message=message, file=path.name, source=path.name)
        try:
            modified = path.stat().st_mtime
        except OSError:
            modified = 0.0
        return cls(file=path, findings=(finding,), modified=modified)

    def with_findings(self, findings: list[Finding] | tuple[Finding, ...]) -> Submission:
        return replace(self, findings=self.findings + tuple(findings))

    def contract(self) -> dict:
        """The submission as the ``rollup check --format json`` contract spells it."""
        return {
            "file": str(self.file),
            "unit": self.unit,
            "year": self.year,
            "edition": self.edition,
            "values": dict(self.values),
            "notes": dict(self.notes),
            "marks": dict(self.marks),
            "findings": [f.contract() for f in self.findings],
        }
