"""Consolidation: which submission counts for each roster unit, and the sum of the units'
tables into the region's own tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rollup.findings import Finding
from rollup.forms import Edition, Number
from rollup.model import Submission
from rollup.roster import Roster, Unit, short_name

Status = Literal["已报送", "有错误", "未报送"]


@dataclass(frozen=True)
class UnitReport:
    """Where one roster unit stands: its counted submission (if any) and the ones it replaced."""

    unit: Unit
    submission: Submission | None
    superseded: tuple[Submission, ...] = ()
    counted: bool = False

    @property
    def status(self) -> Status:
        if self.submission is None:
            return "未报送"
        return "有错误" if self.submission.has_errors else "已报送"


@dataclass(frozen=True)
class Consolidation:
    """The result of one run: the region's tables and the state of every unit and file."""

    region: str
    year: int
    edition: Edition
    values: dict[str, Number]
    notes: dict[str, str]
    units: tuple[UnitReport, ...]
    unmatched: tuple[Submission, ...] = ()
    other_years: tuple[Submission, ...] = ()
    marks: dict[str, str] = field(default_factory=dict)  # a cell every counted unit left blank or marked "-"

    @property
    def received(self) -> list[UnitReport]:
        return [u for u in self.units if u.submission is not None]

    @property
    def missing(self) -> list[UnitReport]:
        return [u for u in self.units if u.submission is None]

    @property
    def counted(self) -> list[UnitReport]:
        """Units whose submission is in the sums."""
        return [u for u in self.units if u.counted]

    @property
    def excluded(self) -> list[UnitReport]:
        """Units that sent something left out of the sums (errors, with ``exclude_invalid``)."""
        return [u for u in self.received if not u.counted]

    @property
    def sent(self) -> list[tuple[UnitReport, Submission]]:
        """Every unit that sent something, with the submission that counts for it."""
        return [(u, u.submission) for u in self.units if u.submission is not None]

    @property
    def summed(self) -> list[tuple[UnitReport, Submission]]:
        """Every unit in the sums, with its submission."""
        return [(u, s) for u, s in self.sent if u.counted]

    @property
    def submissions(self) -> list[Submission]:
        """Every file read for this year, counted or not."""
        seen = [s for _, s in self.sent]
        seen += [s for u in self.units for s in u.superseded]
        return seen + list(self.unmatched)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.submissions for f in s.findings]


def consolidate(
    submissions: list[Submission],
    roster: Roster,
    edition: Edition,
    year: int,
    *,
    exclude_invalid: bool = False,
    newest: Callable[[Submission], Any] | None = None,
) -> Consolidation:
    """Sum the newest submission of every roster unit. ``newest`` is the sort key that puts newer
    submissions later (the ledger's order); by default the file modification time. Submissions
    with errors are summed and flagged, or left out with ``exclude_invalid``."""
    order = newest or _modified
    by_unit: dict[str, list[Submission]] = defaultdict(list)
    unmatched = []
    for submission in submissions:
        if submission.unit_id is None:
            unmatched.append(submission)
        else:
            by_unit[submission.unit_id].append(submission)
    reports = _same_figures(
        tuple(_unit_report(unit, by_unit.get(unit.id, []), exclude_invalid, order) for unit in roster)
    )
    counted = [(r.unit, r.submission) for r in reports if r.counted and r.submission is not None]
    return Consolidation(
        region=roster.region,
        year=year,
        edition=edition,
        values=(values := sum_values(edition, [s for _, s in counted])),
        notes=region_notes(edition, counted, values, roster.region),
        marks=region_marks(edition, [s for _, s in counted]),
        units=reports,
        unmatched=tuple(unmatched),
    )


def _modified(submission: Submission) -> float:
    return submission.modified


def _unit_report(
    unit: Unit, submissions: list[Submission], exclude_invalid: bool, order: Callable[[Submission], Any]
) -> UnitReport:
    if not submissions:
        return UnitReport(unit, None)
    newest_first = sorted(submissions, key=lambda s: (order(s), s.file.name), reverse=True)
    newest, older = newest_first[0], newest_first[1:]
    counted = not (exclude_invalid and newest.has_errors)
    if not older:
        return UnitReport(unit, newest, counted=counted)
    note = Finding.of(
        "duplicate_submission",
        file=newest.file.name,
        unit=unit.name,
        source=newest.file.name,
        unit_name=unit.name,
        count=len(newest_first),
        newest=newest.file.name,
        older="、".join(s.file.name for s in older),
    )
    return UnitReport(unit, newest.with_findings([note]), tuple(older), counted)


# Many small units report nothing at all, or next to nothing; figures identical down to the last
# cell say "copied" only when there are enough of them.
MIN_FIGURES_FOR_COPY = 5


def _same_figures(reports: tuple[UnitReport, ...]) -> tuple[UnitReport, ...]:
    """Each unit's report whose figures are identical to another unit's gets a warning naming the
    other's file: one unit's report sent under another's name is counted twice otherwise."""
    # grouped by a hash of the figures, not by the figures: a province's thousands of figure
    # tuples held at once took as much memory as its readings
    groups: dict[int, list[UnitReport]] = defaultdict(list)
    for report in reports:
        s = report.submission
        if s is not None and sum(1 for v in s.values.values() if v) >= MIN_FIGURES_FOR_COPY:
            groups[hash(frozenset(s.values.items()))].append(report)
    twins = {}
    for group in groups.values():
        for report in group if len(group) > 1 else ():
            same = [other for other in group if _figures(other) == _figures(report)]
            if len(same) > 1:
                twins[id(report)] = same
    return tuple(_with_twins(r, twins[id(r)]) if id(r) in twins else r for r in reports)


def _figures(report: UnitReport) -> Mapping[str, Number]:
    assert report.submission is not None
    return report.submission.values


def _with_twins(report: UnitReport, group: list[UnitReport]) -> UnitReport:
    assert report.submission is not None
    notes = [
        Finding.of(
            "duplicate_figures",
            file=report.submission.file.name,
            unit=report.unit.name,
            source=report.submission.file.name,
            other_unit=other.unit.name,
            other_file=other.submission.file.name,
        )
        for other in group
        if other is not report and other.submission is not None
    ]
    return replace(report, submission=report.submission.with_findings(notes))


def sum_values(edition: Edition, submissions: list[Submission]) -> dict[str, Number]:
    """Cell by cell sum over the submissions, in the edition's code order."""
    sums: dict[str, Number] = {cell.code: 0 for cell in edition.cells}
    for submission in submissions:
        for code, value in submission.values.items():
            if code in sums:
                sums[code] += value
    return {code: int(total) if float(total).is_integer() else round(total, 4) for code, total in sums.items()}


def region_marks(edition: Edition, submissions: Sequence[Submission]) -> dict[str, str]:
    """The cells every counted unit left blank, or every one marked not applicable: the region's
    0 there is no figure either."""
    # the first unit's marks, narrowed unit by unit: most regions have a unit with none at once,
    # where a look at every unit for every cell went through a province's units 206 times
    common: dict[str, str] | None = None
    for submission in submissions:
        marks = submission.marks
        common = dict(marks) if common is None else {c: m for c, m in common.items() if marks.get(c) == m}
        if not common:
            return {}
    return {cell.code: common[cell.code] for cell in edition.cells if cell.code in common} if common else {}


def region_notes(
    edition: Edition, counted: Sequence[tuple[Unit, Submission]], values: Mapping[str, Number], region: str
) -> dict[str, str]:
    """The region's notes, as its own report writes them: a figure of a named column (结果纠正)
    names the units behind it ("市自然资源和规划局"), or what their notes say when they name
    someone themselves (a county's note carries its unit's name up); any other cell repeats the
    units' notes once each ("撤回")."""
    named = [cell.code for cell in edition.cells if cell.column.named and values.get(cell.code)]
    notes: dict[str, list[str]] = defaultdict(list)
    for unit, submission in counted:  # each unit's notes and named figures, not every cell of every unit
        # a "-" written for 0 is a mark, not something to tell the level above
        told = {
            code: note
            for code, note in submission.notes.items()
            if note and code in edition.cell_index and submission.marks.get(code) != "not_applicable"
        }
        behind = {code for code in named if submission.values.get(code)}
        for code in behind:
            notes[code].append(told.get(code) or short_name(unit.name, region))
        for code, note in told.items():
            if code not in behind:
                notes[code].append(note)
    return {cell.code: "、".join(dict.fromkeys(notes[cell.code])) for cell in edition.cells if cell.code in notes}
