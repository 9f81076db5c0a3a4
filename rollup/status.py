"""Where every roster unit stands for a year: received on time, late, missing, to correct or
corrected, with the office's 报送率 and 及时率. Built from the ledger; read by the console, the
报送情况 sheet and the emails."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from functools import cache, cached_property

from pydantic import TypeAdapter, ValidationError

from rollup.aggregate import Consolidation
from rollup.findings import Finding
from rollup.forms import Number, format_number, is_cell_code, place_cells
from rollup.ledger import Version
from rollup.model import Acceptance, Submission
from rollup.roster import Roster, Unit
from rollup.validate import Imbalance, LastYear, check_consolidation

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
class Counts:
    """The office's counts over a group of units: the one definition the console, the sheets, the
    JSON and the emails all use. 按时 and 迟报 are judged on the first version received, so
    按时 + 迟报 = 已报 and 已报 + 未报送 = 应报; 待更正 and 已更正 are among 已报, whatever their
    timeliness (a late unit that must correct is counted both late and to correct)."""

    expected: int
    received: int
    on_time: int
    overdue: int = 0
    to_correct: int = 0
    corrected: int = 0

    @classmethod
    def of(cls, units: Iterable[UnitStatus]) -> Counts:
        units = list(units)
        return cls(
            expected=len(units),
            received=sum(not u.missing for u in units),
            on_time=sum(not u.missing and not u.late for u in units),
            overdue=sum(u.overdue for u in units),
            to_correct=sum(u.standing is Standing.TO_CORRECT for u in units),
            corrected=sum(u.standing is Standing.CORRECTED for u in units),
        )

    @property
    def late(self) -> int:
        return self.received - self.on_time

    @property
    def missing(self) -> int:
        return self.expected - self.received

    @property
    def submission_rate(self) -> float:
        """报送率 = received ÷ expected."""
        return self.received / self.expected if self.expected else 0.0

    @property
    def timeliness_rate(self) -> float:
        """及时率 = on time ÷ expected."""
        return self.on_time / self.expected if self.expected else 0.0

    @property
    def sentence(self) -> str:
        """The counts in one sentence, as every output says them."""
        overdue = f"（其中已逾期 {self.overdue} 家）" if self.overdue else ""
        return (
            f"应报 {self.expected} 家，已报 {self.received} 家（按时 {self.on_time} 家、迟报 {self.late} 家），"
            f"未报送 {self.missing} 家{overdue}，待更正 {self.to_correct} 家，已更正 {self.corrected} 家"
        )


@dataclass(frozen=True)
class UnmatchedFile:
    file: str
    unit_text: str | None  # what the file says its unit is
    suggestions: tuple[str, ...] = ()  # closest roster names, best first
    reason: str = ""  # why it counts for no unit, in the words of its first error
    unreadable: bool = False  # nothing could be read from it (a damaged, encrypted, … file)


@dataclass(frozen=True)
class Superseded:
    """A file that claims a unit but does not count: an older version, or a copy of a file
    already read; ``counted`` is the file that counts instead, ``why`` says why in words."""

    file: str
    unit: str
    counted: str
    why: str


@dataclass(frozen=True)
class StatusReport:
    region: str
    year: int
    as_of: date
    units: tuple[UnitStatus, ...]  # every unit expected this year
    unmatched: tuple[UnmatchedFile, ...] = ()
    superseded: tuple[Superseded, ...] = ()  # files of a unit that do not count, and why
    headlines: tuple[tuple[str, float | int], ...] = ()
    imbalances: tuple[Imbalance, ...] = ()  # rules the consolidated tables break, and why
    excluded: tuple[str, ...] = ()  # units left out of the sums (errors, with --exclude-invalid)
    edition: str = ""  # the form's edition, in its own words (2021年版)
    counted: int = 0  # units whose figures are in the sums
    other_years: int = 0  # inbox files of another year, left for that year's run

    @property
    def balanced(self) -> bool:
        """Whether the consolidated tables satisfy every rule of the form."""
        return not any(i.finding.is_error and not i.across_years for i in self.imbalances)

    @property
    def verdict(self) -> str:
        """平衡 or 不平衡, as the console, the cover and the email say it."""
        return "平衡" if self.balanced else "不平衡"

    @property
    def verdict_reason(self) -> str:
        """Why the consolidated tables do or do not add up, in one sentence."""
        left_out = f"；未计入有错误的单位：{'、'.join(self.excluded)}" if self.excluded else ""
        if self.balanced:
            return f"汇总表符合表内全部勾稽关系{left_out}"
        within = [i for i in self.imbalances if not i.across_years]
        units = list(dict.fromkeys(name for i in within for name in i.units))
        because = f"，原因是计入了报告有错误的单位：{'、'.join(units)}" if units else ""
        return f"汇总表有 {len(within)} 处不符合表内勾稽关系{because}{left_out}"

    @cached_property
    def counts(self) -> dict[str, Counts]:
        """合计, then each category of the roster that has units this year, in roster order."""
        return group_counts(self.units)

    @property
    def total(self) -> Counts:
        return self.counts[TOTAL]

    def with_standing(self, *standings: Standing) -> list[UnitStatus]:
        return [u for u in self.units if u.standing in standings]

    @property
    def late(self) -> list[UnitStatus]:
        """Units whose first version came after their deadline, whatever they stand at now."""
        return [u for u in self.units if u.late]


# --- acceptances -------------------------------------------------------------------------------


def covers(target: str, finding: Finding) -> bool:
    """Whether an acceptance of ``target`` (a rule id, or a cell code) is about ``finding``: the
    rule itself; or, for a cell, a finding on that cell or on a sum the cell takes part in (its
    row's total, its column's total, the balance of its column)."""
    if not is_cell_code(target):
        return finding.rule == target
    return target in place_cells(finding.rule, finding.table, finding.row, finding.column)


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


def _unreadable(submission: Submission) -> bool:
    """Whether a file that names no unit is one nothing could be read from (its reader's finding)."""
    return submission.edition is None and bool(submission.errors)


def group_counts(units: Iterable[UnitStatus]) -> dict[str, Counts]:
    """The counts overall (合计) and for each category that has units, in roster order: a
    category without units this year is not shown (no "报送率 0.0%（0/0）")."""
    units = list(units)
    categories = dict.fromkeys(u.unit.category for u in units)
    groups = {TOTAL: units} | {c: [u for u in units if u.unit.category == c] for c in categories}
    return {name: Counts.of(group) for name, group in groups.items()}


def status_report(
    result: Consolidation,
    roster: Roster,
    *,
    deadline: date,
    as_of: date,
    versions: Mapping[str, Sequence[Version]],
    counted: Mapping[str, Version],
    acceptances: Iterable[Acceptance],
    copies: Sequence[tuple[str, Submission]] = (),
    last_year: LastYear | None = None,
) -> StatusReport:
    """Where every expected unit stands as of ``as_of``. ``versions`` are every unit's ledger
    versions of the year (bulk, by unit id), ``counted`` the version of each counted submission
    (by unit id), ``acceptances`` all of the year's; ``copies`` files whose content another name
    already brought, with the submission read under that name; ``last_year`` the region's own
    tables of the year before, for the rules across years on the consolidation itself."""
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
        UnmatchedFile(
            s.file.name,
            s.unit,
            roster.suggest(s.unit or s.file.stem),
            s.errors[0].message if s.errors else "",
            _unreadable(s),
        )
        for s in result.unmatched
    )
    superseded = [
        Superseded(
            old.file.name, r.unit.name, r.submission.file.name, f"收到较早，以较晚收到的 {r.submission.file.name} 为准"
        )
        for r in result.units
        if r.submission is not None
        for old in r.superseded
    ]
    names = {s.file.name: r.unit.name for r, s in result.sent}
    superseded += [
        Superseded(copy, names.get(s.file.name, ""), s.file.name, f"与 {s.file.name} 内容相同，是同一份报告")
        for copy, s in copies
    ]
    reasons = [
        (u.unit.name, [(f, u.reason(f)) for f in u.findings + u.accepted_findings])
        for u, report in zip(units, result.units, strict=True)
        if report.counted
    ]
    return StatusReport(
        region=result.region,
        year=result.year,
        as_of=as_of,
        units=tuple(units),
        unmatched=unmatched,
        superseded=tuple(superseded),
        headlines=tuple(result.edition.headline_figures(result.values)),
        imbalances=tuple(
            check_consolidation(
                result.edition, result.values, reasons, region=result.region, year=result.year, last=last_year
            )
        ),
        excluded=tuple(u.unit.name for u in result.excluded),
        edition=result.edition.name,
        counted=len(result.counted),
        other_years=len(result.other_years),
    )


# --- kept with a run's outputs ---------------------------------------------------------------------


@cache
def _as_json() -> TypeAdapter[StatusReport]:
    return TypeAdapter(StatusReport)


@cache
def _units_as_json() -> TypeAdapter[tuple[UnitStatus, ...]]:
    return TypeAdapter(tuple[UnitStatus, ...])


_UNITS_AT_ONCE = 500
_UNITS = b'"units":['


def dump_report(report: StatusReport) -> bytes:
    """The report as compressed JSON, kept in the ledger with the outputs it was written into, so
    that a run with nothing changed shows it without consolidating again. Compressed as it is
    made, some units at a time: a province's report as one JSON text took 30 MB at once."""
    # the report without its units, and theirs spliced in where its empty list stands (the
    # first '"units":[' is that key's: in a string before it, a quote would be escaped)
    rest = _as_json().dump_json(replace(report, units=()))
    at = rest.index(_UNITS) + len(_UNITS)
    packer = zlib.compressobj(1)
    packed = [packer.compress(rest[:at])]
    for start in range(0, len(report.units), _UNITS_AT_ONCE):
        units = _units_as_json().dump_json(report.units[start : start + _UNITS_AT_ONCE])[1:-1]
        packed.append(packer.compress(b"," + units if start else units))
    packed += [packer.compress(rest[at:]), packer.flush()]
    return b"".join(packed)


def load_report(data: bytes) -> StatusReport | None:
    """A report ``dump_report`` made; None for bytes that are not one (the run then starts over)."""
    try:
        return _as_json().validate_json(zlib.decompress(data))
    except (zlib.error, ValidationError):
        return None
