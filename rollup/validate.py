"""Validation: every rule of the form, plus who and which year a submission is for.

Validation returns findings; it never raises on bad data. Sum rules come from the edition's
spec (one rule kind, ``sum(left) == sum(right)``, written out over a table's rows or columns
by ``Edition.rule_lines``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from rollup.findings import Finding
from rollup.forms import Edition, Number, Operand, RuleLine, cell_code, edition_for_year, editions
from rollup.model import Submission
from rollup.roster import Roster, unit_key

# Sums of money may differ in the last float digits; a whole yuan is 0.0001 万元.
_TOLERANCE = 1e-6


def validate(
    submission: Submission,
    *,
    roster: Roster | None = None,
    year: int | None = None,
    last_year: Mapping[str, LastYear] | None = None,
) -> Submission:
    """The submission with its unit matched to the roster and every finding of the form added;
    with ``last_year`` (each unit's report of the year before, by unit id) also the rules across
    years, for a report of ``year``."""
    unit = roster.match(submission.unit) if roster else None
    if unit is not None:
        submission = replace(
            submission,
            unit_id=unit.id,
            findings=tuple(replace(f, unit=unit.name) for f in submission.findings),
        )
    findings = check_identity(submission, roster=roster, year=year)
    edition = editions().get(submission.edition or "")
    if edition is not None:
        findings += check_values(edition, submission.values, sources=submission.sources)
    if edition is not None and unit is not None and last_year is not None and year and submission.year == year:
        findings += check_across_years(
            edition, submission.values, last_year.get(unit.id), year=year, sources=submission.sources
        )
    label = unit.name if unit else (submission.unit or "")
    return submission.with_findings([replace(f, file=submission.file.name, unit=label) for f in findings])


def check_values(
    edition: Edition, values: Mapping[str, Number], *, sources: Mapping[str, str] | None = None
) -> list[Finding]:
    """Every arithmetic rule of the form, on the cells that are present (absent cells are never
    taken as 0: a rule with a missing operand is not evaluated)."""
    sources = sources or {}
    findings = [
        f for code, value in values.items() if code in edition.cell_index for f in _cell_kind(edition, code, value)
    ]
    findings += [f for line in edition.rule_lines if (f := _sum_line(edition, line, values)) is not None]
    return [
        replace(f, source=sources.get(cell_code(f.table, f.row, f.column))) if f.table and f.row and f.column else f
        for f in findings
    ]


def _cell_kind(edition: Edition, code: str, value: Number) -> list[Finding]:
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
    if not all(code in values for code in line.codes):
        return None
    left, right = sum(values[c] for c in line.left), sum(values[c] for c in line.right)
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


def is_own_report(unit: str, region: str) -> bool:
    """The region's own government report (乐清市人民政府 for region 乐清市): a consolidation of
    this level, not one of its units."""
    return bool(region) and unit_key(unit, region) in ("人民政府", "政府")


def check_identity(submission: Submission, *, roster: Roster | None = None, year: int | None = None) -> list[Finding]:
    """Whose submission this is and for which year: on the roster, the year consolidated, the
    year's edition of the form."""
    if submission.edition is None:
        return []  # nothing could be read; the reader already said why
    findings = []
    if not submission.unit:
        findings.append(Finding.of("no_unit"))
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
