"""Where every roster unit stands for a year: received on time, late, missing, to correct or
corrected, with the office's 报送率 and 及时率. Built from the ledger; read by the console, the
报送情况 sheet and the emails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from rollup.aggregate import Consolidation
from rollup.findings import Finding
from rollup.forms import Number, format_number, is_cell_code, parse_cell_code
from rollup.ledger import Version
from rollup.model import Acceptance, Submission
from rollup.roster import Roster, Unit

TOTAL = "合计"


class Standing(StrEnum):
    """One standing per unit, in this order of precedence: nothing received → 未报送; the version
    that counts has errors not accepted → 待更正; an erroneous version was replaced by one
    without errors → 已更正; else 迟报 or 按时报送 by the first version's receipt. Lateness is kept apart in
    ``UnitStatus.late`` so a late unit that must now correct is still counted late."""

    ON_TIME = "按时报送"
    LATE = "迟报"
    MISSING = "未报送"
    TO_CORRECT = "待更正"  # the latest version has errors not accepted
    CORRECTED = "已更正"  # an erroneous version was replaced by a clean one


@dataclass(frozen=True)
class UnitStatus:
    unit: Unit
    standing: Standing
    deadline: date
    received_at: datetime | None  # of the first version: timeliness is judged on first receipt
    days_late: int | None  # received late: days late; missing: days overdue (None if not yet due)
    findings: tuple[Finding, ...] = ()  # open findings of the version that counts (accepted ones removed)
    accepted: tuple[Acceptance, ...] = ()  # the office's acceptances in force, with reasons
    explanation: str | None = None  # the unit's own text from the template's 说明 sheet
    file: str | None = None  # file name of the version that counts
    versions: int = 0
    late_received: bool = False  # first version arrived after the deadline (also when now 待更正/已更正)
    accepted_findings: tuple[Finding, ...] = ()  # findings of the counted version shown as 已说明

    @property
    def late(self) -> bool:
        return self.late_received

    @property
    def missing(self) -> bool:
        return self.standing is Standing.MISSING

    @property
    def overdue(self) -> bool:
        return self.missing and self.days_late is not None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)

    def reason(self, finding: Finding) -> str:
        """The office's reasons for accepting ``finding`` (empty when it is not accepted)."""
        if finding not in self.accepted_findings:
            return ""
        return "；".join(a.reason for a in self.accepted if covers(a.target, finding))


@dataclass(frozen=True)
class Rates:
    expected: int
    received: int
    on_time: int

    @property
    def submission_rate(self) -> float:
        """报送率 = received ÷ expected."""
        return self.received / self.expected if self.expected else 0.0

    @property
    def timeliness_rate(self) -> float:
        """及时率 = on time ÷ expected."""
        return self.on_time / self.expected if self.expected else 0.0


@dataclass(frozen=True)
class UnmatchedFile:
    file: str
    unit_text: str | None  # what the file says its unit is
    suggestions: tuple[str, ...] = ()  # closest roster names, best first
    reason: str | None = None  # why nothing could be read from it (a damaged, encrypted, … file)

    @property
    def unreadable(self) -> bool:
        return self.reason is not None


@dataclass(frozen=True)
class StatusReport:
    region: str
    year: int
    as_of: date
    units: tuple[UnitStatus, ...]  # every unit expected this year
    unmatched: tuple[UnmatchedFile, ...] = ()
    duplicates: tuple[str, ...] = ()  # file names superseded by a newer version of the same unit
    rates: dict[str, Rates] = field(default_factory=dict)  # "合计", then each category of the roster
    headlines: tuple[tuple[str, float | int], ...] = ()

    def with_standing(self, *standings: Standing) -> list[UnitStatus]:
        return [u for u in self.units if u.standing in standings]

    @property
    def late(self) -> list[UnitStatus]:
        """Units whose first version came after their deadline, whatever they stand at now."""
        return [u for u in self.units if u.late]


# --- acceptances -------------------------------------------------------------------------------


def covers(target: str, finding: Finding) -> bool:
    """Whether an acceptance of ``target`` (a rule id, or a cell code) is about ``finding``: the
    rule itself, or a finding on that cell, its row or its column."""
    if not is_cell_code(target):
        return finding.rule == target
    table, row, column = parse_cell_code(target)
    if finding.table != table or (finding.row is None and finding.column is None):
        return False
    return finding.row in (None, row) and finding.column in (None, column)


def _number(value: Number | None) -> str:
    return "" if value is None else format_number(value)


def _figure(finding: Finding) -> tuple[str, str]:
    place = f"{finding.rule}@{finding.table}.{finding.row}.{finding.column}"
    return place, f"{_number(finding.expected)}|{_number(finding.actual)}"


def acceptance_figures(
    target: str, findings: Iterable[Finding], values: Mapping[str, Number]
) -> tuple[tuple[str, str], ...]:
    """What an acceptance of ``target`` refers to in a version with ``findings`` and ``values``."""
    figures = [_figure(f) for f in findings if covers(target, f)]
    if is_cell_code(target):
        figures.append((target, _number(values.get(target))))
    return tuple(figures)


def is_accepted(finding: Finding, acceptance: Acceptance, values: Mapping[str, Number]) -> bool:
    """An acceptance holds for a finding while the figures it was given on are unchanged."""
    if not covers(acceptance.target, finding) or _figure(finding) not in acceptance.figures:
        return False
    return (
        not is_cell_code(acceptance.target)
        or (acceptance.target, _number(values.get(acceptance.target))) in acceptance.figures
    )


# --- building the report -----------------------------------------------------------------------


def unit_status(
    unit: Unit,
    *,
    deadline: date,
    as_of: date,
    versions: Sequence[Version],
    counted: Submission | None,
    acceptances: Iterable[Acceptance] = (),
) -> UnitStatus:
    """Where one unit stands. ``versions`` are its ledger versions received by ``as_of``, oldest
    first, ending with the one ``counted`` (the submission that counts, findings included)."""
    deadline = unit.deadline or deadline
    if counted is None or not versions:
        overdue = (as_of - deadline).days
        return UnitStatus(unit, Standing.MISSING, deadline, None, overdue if overdue > 0 else None)
    first = versions[0].received_at
    late = (first.date() - deadline).days
    in_force = [a for a in acceptances if any(is_accepted(f, a, counted.values) for f in counted.findings)]
    accepted = tuple(f for f in counted.findings if any(is_accepted(f, a, counted.values) for a in in_force))
    open_findings = tuple(f for f in counted.findings if f not in accepted)
    if any(f.is_error for f in open_findings):
        standing = Standing.TO_CORRECT
    elif not counted.has_errors and any(v.has_errors for v in versions[:-1]):
        standing = Standing.CORRECTED
    else:
        standing = Standing.LATE if late > 0 else Standing.ON_TIME
    return UnitStatus(
        unit=unit,
        standing=standing,
        deadline=deadline,
        received_at=first,
        days_late=late if late > 0 else None,
        findings=open_findings,
        accepted=tuple(in_force),
        explanation=counted.explanation,
        file=counted.file.name,
        versions=len(versions),
        late_received=late > 0,
        accepted_findings=accepted,
    )


def _unread(submission: Submission) -> str | None:
    """Why a file that names no unit could not be read (its reader's finding), if that is why."""
    if submission.edition is not None or not submission.errors:
        return None
    return submission.errors[0].message


def rates(units: Iterable[UnitStatus]) -> dict[str, Rates]:
    """报送率 and 及时率, overall (合计) and for each category that has units, in roster order."""
    units = list(units)
    categories = dict.fromkeys(u.unit.category for u in units)
    groups = {TOTAL: units} | {c: [u for u in units if u.unit.category == c] for c in categories}
    return {
        name: Rates(
            expected=len(group),
            received=sum(not u.missing for u in group),
            on_time=sum(not u.missing and not u.late for u in group),
        )
        for name, group in groups.items()
    }


def status_report(
    result: Consolidation,
    roster: Roster,
    *,
    deadline: date,
    as_of: date,
    versions: Mapping[str, Sequence[Version]],
    counted: Mapping[str, Version],
    acceptances: Iterable[Acceptance],
    copies: Sequence[str] = (),
) -> StatusReport:
    """Where every expected unit stands as of ``as_of``. ``versions`` are every unit's ledger
    versions of the year (bulk, by unit id), ``counted`` the version of each counted submission
    (by unit id), ``acceptances`` all of the year's; ``copies`` files whose content another name
    already brought."""
    accepted: dict[str, list[Acceptance]] = {}
    for acceptance in acceptances:
        accepted.setdefault(acceptance.unit_id, []).append(acceptance)
    units = []
    for report in result.units:
        version = counted.get(report.unit.id)
        earlier = [v for v in versions.get(report.unit.id, ()) if version and v.order < version.order]
        units.append(
            unit_status(
                report.unit,
                deadline=deadline,
                as_of=as_of,
                versions=earlier + ([version] if version else []),
                counted=report.submission,
                acceptances=accepted.get(report.unit.id, ()),
            )
        )
    unmatched = tuple(
        UnmatchedFile(s.file.name, s.unit, roster.suggest(s.unit or s.file.stem), _unread(s)) for s in result.unmatched
    )
    superseded = [old.file.name for report in result.units for old in report.superseded]
    return StatusReport(
        region=result.region,
        year=result.year,
        as_of=as_of,
        units=tuple(units),
        unmatched=unmatched,
        duplicates=tuple(superseded) + tuple(copies),
        rates=rates(units),
        headlines=tuple(result.edition.headline_figures(result.values)),
    )
