"""Validation: every rule of the form, plus who and which year a submission is for.

Validation returns findings; it never raises on bad data. Sum rules come from the edition's
spec (one rule kind, ``sum(left) == sum(right)``, written out over a table's rows or columns
by ``Edition.rule_lines``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rollup.config import Limits
from rollup.findings import Finding, Severity
from rollup.forms import Edition, Number, Operand, RuleLine, cell_code, edition_for_year, editions
from rollup.ingest import Progress, read_files
from rollup.model import Figures, Submission
from rollup.roster import Roster, Unit, unit_key

# Sums of money may differ in the last float digits; a whole yuan is 0.0001 万元.
_TOLERANCE = 1e-6


def validate(
    submission: Submission,
    *,
    roster: Roster | None = None,
    year: int | None = None,
    last_year: Mapping[str, LastYear] | None = None,
) -> Submission:
    """The submission with its unit matched to the roster (the units of ``year``, else of the year
    the submission says) and every finding of the form added; with ``last_year`` (each unit's
    report of the year before, by unit id) also the rules across years, for a report of ``year``."""
    unit, inactive = roster.lookup(submission.unit, year or submission.year) if roster else (None, None)
    if unit is not None:
        submission = replace(
            submission,
            unit_id=unit.id,
            findings=tuple(replace(f, unit=unit.name) for f in submission.findings),
        )
    findings = check_identity(submission, roster=roster, year=year, inactive=inactive)
    if roster is not None and unit is not None:
        findings += check_file_name(submission.file.name, unit, roster)
    edition = editions().get(submission.edition or "")
    if edition is not None:
        findings += check_values(edition, submission.values, sources=submission.sources)
    if edition is not None and unit is not None and last_year is not None and year and submission.year == year:
        findings += check_across_years(
            edition, submission.values, last_year.get(unit.id), year=year, sources=submission.sources
        )
    label = unit.name if unit else (submission.unit or "")
    return submission.with_findings([replace(f, file=submission.file.name, unit=label) for f in findings])


def check_files(
    paths: Iterable[Path],
    *,
    roster: Roster | None = None,
    year: int | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> list[Submission]:
    """Read and validate files on their own, without the ledger (what ``rollup check`` does)."""
    paths = [Path(p) for p in paths]
    read = read_files(paths, limits) if progress is None else read_files(paths, limits, progress=progress)
    return [validate(s, roster=roster, year=year) for path in dict.fromkeys(paths) for s in read[path]]


def check_values(
    edition: Edition, values: Mapping[str, Number], *, sources: Mapping[str, str] | None = None
) -> list[Finding]:
    """Every arithmetic rule of the form, on the cells that are present (absent cells are never
    taken as 0: a rule with a missing operand is not evaluated)."""
    # whole numbers of zero or more are right for every kind of cell: a unit's Figures tell the others
    irregular = values.irregular() if isinstance(values, Figures) else values.items()
    findings = [f for code, value in irregular if code in edition.cell_index for f in _cell_kind(edition, code, value)]
    values = dict(values.items())  # hundreds of look-ups a submission, at a dict's speed
    sources = sources or {}
    findings += [f for line in edition.rule_lines if (f := _sum_line(edition, line, values)) is not None]
    return [
        replace(f, source=sources.get(cell_code(f.table, f.row, f.column))) if f.table and f.row and f.column else f
        for f in findings
    ]


def _cell_kind(edition: Edition, code: str, value: Number) -> list[Finding]:
    if type(value) is int and value >= 0:
        return []  # right for every kind of cell: most cells, decided without a look-up
    cell = edition.cell(code)
    if cell.kind != "signed" and value < 0:
        rule = "negative_value"
    elif cell.kind != "money" and not float(value).is_integer():
        rule = "not_whole_number"
    else:
        return []
    return [
        Finding.of(rule, edition=edition, table=cell.table, row=cell.row.code, column=cell.column.code, actual=value)
    ]


def _sum_line(edition: Edition, line: RuleLine, values: Mapping[str, Number]) -> Finding | None:
    try:
        left, right = sum(map(values.__getitem__, line.left)), sum(map(values.__getitem__, line.right))
    except KeyError:  # a cell is absent: the rule is not evaluated
        return None
    if abs(left - right) < _TOLERANCE:
        return None
    return Finding.of(
        line.rule.id,
        edition=edition,
        table=line.table,
        row=line.row,
        column=line.column,
        expected=right,
        actual=left,
        left=left,
        right=right,
    )


@dataclass(frozen=True)
class LastYear:
    """What a unit reported for the year before (the version that counted), for the rules
    across years."""

    year: int
    edition: Edition
    values: Mapping[str, Number]


def check_across_years(
    edition: Edition,
    values: Mapping[str, Number],
    last: LastYear | None,
    *,
    year: int,
    sources: Mapping[str, str] | None = None,
) -> list[Finding]:
    """The edition's year rules between this year's ``values`` and the year before. Nothing to
    say when the year before had no edition of this form (before 2019); one ``no_last_year``
    when it had but the ledger does not hold that year's report."""
    try:
        edition_for_year(year - 1)
    except LookupError:
        return []
    if last is None:
        return [Finding.of("no_last_year", last_year=year - 1)]
    sources = sources or {}
    findings = []
    for line in edition.year_lines(last.edition):

        def total(side: tuple[Operand, ...]) -> Number:
            return sum((last.values if o.last else values)[o.code] for o in side)

        if not all(o.code in (last.values if o.last else values) for o in line.left + line.right + line.minus):
            continue
        left, right = total(line.left), total(line.right) - total(line.minus)
        if abs(left - right) < _TOLERANCE:
            continue
        findings.append(
            Finding.of(
                line.rule.id,
                edition=edition,
                table=line.table,
                row=line.row,
                column=line.column,
                source=sources.get(cell_code(line.table, line.row, line.column)),
                expected=right,
                actual=left,
                left=left,
                right=right,
                last_year=last.year,
            )
        )
    return findings


# --- the consolidation, checked like a submission -------------------------------------------


@dataclass(frozen=True)
class Cause:
    """A unit's own finding on the cells of a rule the consolidation breaks; ``reason`` is the
    office's when it accepted the finding (已说明)."""

    unit: str
    finding: Finding
    reason: str = ""

    @property
    def words(self) -> str:
        accepted = f"（已说明：{self.reason}）" if self.reason else ""
        return f"{self.unit}：{self.finding.message}{accepted}"


@dataclass(frozen=True)
class Imbalance:
    """A rule of the form the consolidated tables break, as a finding of the consolidation (its
    message names the units), and the units' own findings that explain it."""

    finding: Finding
    causes: tuple[Cause, ...] = ()
    across_years: bool = False  # against last year's tables, not within this year's

    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(c.unit for c in self.causes))

    @property
    def label(self) -> str:
        """What kind of finding of the consolidation this is, in a word or two."""
        if not self.across_years:
            return "不平衡"
        return "提示" if self.finding.severity is Severity.INFO else "与上年不符"


def check_consolidation(
    edition: Edition,
    values: Mapping[str, Number],
    units: Iterable[tuple[str, Sequence[tuple[Finding, str]]]],
    *,
    region: str = "",
    file: str = "",
    year: int | None = None,
    last: LastYear | None = None,
) -> list[Imbalance]:
    """Every rule of the form on the consolidated ``values`` (and, for ``year``, the rules across
    years against the region's tables of the year before, ``last``); each finding names the units
    (of ``units``: name, and each of its findings with the office's reason if accepted) whose own
    findings are about the cells of the broken rule."""
    units = list(units)
    found = []
    within = check_values(edition, values)
    across = check_across_years(edition, values, last, year=year) if year else []
    for finding in within + across:
        cells = edition.cells_at(finding.rule, finding.table, finding.row, finding.column)
        touching = [
            Cause(name, f, reason)
            for name, findings in units
            for f, reason in findings
            if cells & edition.cells_at(f.rule, f.table, f.row, f.column)
        ]
        # the same rule broken at the same place in a unit's report is the cause; other findings
        # on those cells only when no unit breaks that very rule there
        here = (finding.rule, finding.table, finding.row, finding.column)
        same = [c for c in touching if (c.finding.rule, c.finding.table, c.finding.row, c.finding.column) == here]
        causes = tuple(same or touching)
        names = "、".join(dict.fromkeys(c.unit for c in causes))
        cause = f"，涉及：{names}" if names else "，各单位报告中未发现对应的问题"
        message = finding.message + (cause if finding.table else "")
        found.append(Imbalance(replace(finding, unit=region, file=file, message=message), causes, finding in across))
    return found


def is_own_report(unit: str, region: str) -> bool:
    """The region's own government report (乐清市人民政府 for region 乐清市): a consolidation of
    this level, not one of its units."""
    return bool(region) and unit_key(unit, region) in ("人民政府", "政府")


def _inactive(unit: Unit, year: int) -> Finding:
    if unit.active_until is not None and year >= unit.active_until:
        when = f"已于 {unit.active_until} 年停用"
    else:
        when = f"自 {unit.active_from} 年起才报送"
    return Finding.of("inactive_unit", unit_name=unit.name, when=when, year=year)


def check_file_name(file_name: str, unit: Unit, roster: Roster) -> list[Finding]:
    """A file named after one unit whose report says it is another's (a copy sent under the wrong
    cover, or the wrong file attached): it counts for the unit its report names, with a warning."""
    named = roster.named_in(Path(file_name).stem)
    if not named or unit in named:
        return []
    return [
        Finding.of("name_mismatch", file=file_name, source=file_name, file_unit=named[0].name, cover_unit=unit.name)
    ]


def check_identity(
    submission: Submission, *, roster: Roster | None = None, year: int | None = None, inactive: Unit | None = None
) -> list[Finding]:
    """Whose submission this is and for which year: on the roster (``inactive``: the roster unit
    it names, which does not report that year), the year consolidated, the year's edition."""
    if submission.edition is None:
        return []  # nothing could be read; the reader already said why
    findings = []
    if not submission.unit:
        findings.append(Finding.of("no_unit"))
    elif inactive is not None:
        findings.append(_inactive(inactive, year or submission.year or 0))
    elif roster is not None and submission.unit_id is None and not is_own_report(submission.unit, roster.region):
        findings.append(Finding.of("unknown_unit", unit_text=submission.unit))
    if submission.year is None:
        findings.append(Finding.of("no_year"))
        return findings
    if year is not None and submission.year != year:
        findings.append(Finding.of("wrong_year", expected=year, actual=submission.year))
    try:
        expected = edition_for_year(submission.year)
    except LookupError:
        return findings
    if expected.edition != submission.edition:
        used = editions()[submission.edition].name
        findings.append(Finding.of("wrong_edition", year=submission.year, expected_name=expected.name, used_name=used))
    return findings
