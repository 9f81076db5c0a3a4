"""Where every roster unit stands for a year: received on time, late, missing, to correct or
corrected, with the office's 报送率 and 及时率. Built from the ledger; read by the console, the
报送情况 sheet and the emails."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from rollup.config import Unit
from rollup.model import Finding

TOTAL = "合计"


class Standing(StrEnum):
    """One standing per unit, in this order of precedence: nothing received → 未报送; the version
    that counts has open errors → 待更正; an erroneous version was replaced by a clean one →
    已更正; else 迟报 or 按时报送 by the first version's receipt. Lateness is kept apart in
    ``UnitStatus.late`` so a late unit that must now correct is still counted late."""

    ON_TIME = "按时报送"
    LATE = "迟报"
    MISSING = "未报送"
    TO_CORRECT = "待更正"  # the latest version has errors not accepted
    CORRECTED = "已更正"  # an erroneous version was replaced by a clean one


@dataclass(frozen=True)
class Acceptance:
    """The office accepted a finding (by rule id or by cell code) of one unit, with a reason.
    ``values`` are the figures it refers to when accepted: it lapses when they change."""

    unit_id: str
    target: str
    reason: str
    accepted_at: datetime
    values: tuple[tuple[str, float | int | None], ...] = ()


@dataclass(frozen=True)
class UnitStatus:
    unit: Unit
    standing: Standing
    deadline: date
    received_at: datetime | None  # of the first version: timeliness is judged on first receipt
    days_late: int | None  # received late: days late; missing: days overdue (None if not yet due)
    findings: tuple[Finding, ...] = ()  # open findings of the version that counts (accepted ones removed)
    accepted: tuple[Acceptance, ...] = ()  # accepted findings, shown as 已说明
    explanation: str | None = None  # the unit's own text from the template's 说明 sheet
    file: str | None = None  # file name of the version that counts
    versions: int = 0
    late_received: bool = False  # first version arrived after the deadline (also when now 待更正/已更正)

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


@dataclass(frozen=True)
class StatusReport:
    region: str
    year: int
    as_of: date
    units: tuple[UnitStatus, ...]  # every unit expected this year
    unmatched: tuple[UnmatchedFile, ...] = ()
    duplicates: tuple[str, ...] = ()  # file names superseded by a newer version of the same unit
    rates: dict[str, Rates] = field(default_factory=dict)  # keys "合计", "部门", "乡镇街道"
    headlines: tuple[tuple[str, float | int], ...] = ()

    def with_standing(self, *standings: Standing) -> list[UnitStatus]:
        return [u for u in self.units if u.standing in standings]

    @property
    def late(self) -> list[UnitStatus]:
        """Units whose first version came after their deadline, whatever they stand at now."""
        return [u for u in self.units if u.late]
