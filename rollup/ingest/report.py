"""Reading a unit's annual report itself (text, Word, PDF, web page, or a workbook of the unit's
own layout): where its parts and tables are (``parts.py``), the three statistical tables
(``tables.py``), the edition from the tables' structure, the year and the unit from the report's
own words (``identity.py``), and the checks the office does by eye (all six parts there, the
narrative's figures against the tables). Everything is keyed on the edition specs in
``rollup/forms``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from rollup.findings import Finding
from rollup.forms import Claim, Edition, Number, edition_for_year, editions
from rollup.ingest import identity
from rollup.ingest.document import Document, Line, read_documents
from rollup.ingest.parts import Layout, layout
from rollup.ingest.sniff import Kind
from rollup.ingest.tables import TableReading, label_key, normalize, read_table
from rollup.model import Submission

_FOOTER = re.compile(r"[-—–―]+\s*\d+\s*[-—–―]+|第\s*\d+\s*页(?:\s*[,/]?\s*共\s*\d+\s*页)?|https?://\S+")
_PHONE = re.compile(r"电话[:\s]*([\d][\d\- ]{6,}\d)")
_EMAIL = re.compile(r"(?:电子邮件|电子邮箱|邮箱|e-?mail)[:\s]*([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.IGNORECASE)


def read_report(path: Path, kind: Kind = "text") -> Submission:
    """The report in ``path``, a file of ``kind`` (see ``sniff``)."""
    path = Path(path)
    return report_from(path, read_documents(path, kind))


def report_from(path: Path, documents: Sequence[Document], *, tables_only: bool = False) -> Submission:
    """The best reading of a report among ``documents`` (readings of the same file, best first:
    a PDF's ruled tables, then its plain text): the one with the most cells, then the fewest
    errors. ``tables_only`` documents (a workbook) have no narrative parts to miss."""
    readings = [_read(path, document, tables_only) for document in documents if document.has_text]
    if not readings:
        return Submission.refused(path, "no_text_layer")
    return max(readings, key=lambda s: (len(s.values), -len(s.errors)))


def _read(path: Path, document: Document, tables_only: bool) -> Submission:
    lines = [Line(normalize(line.text), line.place) for line in document.lines]
    lines = [line for line in lines if not _FOOTER.fullmatch(line.text.strip())]
    texts = [line.text for line in lines]
    title = identity.find_title(texts)
    whole = "\n".join(texts)
    stated, findings = _stated_year(title, whole, path.name)
    found = _layout_of(lines, stated)
    edition = found.edition
    if not found.spans:
        parts = " ".join(part.heading for part in edition.parts if part.table)
        return Submission.refused(path, "not_a_report", parts=parts)
    reading = TableReading(edition, path.name)
    for table in edition.tables:
        if table.id in found.spans:
            read_table(reading, table, found.sections[table.id])
        else:
            part = next(p for p in edition.parts if p.table == table.id)
            reading.finding("missing_table", table=table.id, heading=part.heading)
    findings += reading.findings
    if not tables_only:
        findings += _missing_parts(edition, found.headings, path.name)
    findings += _narrative_checks(edition, found.narrative(), reading.values, path.name)
    overview = [line.text for line in found.part_lines(edition.parts[0].number)]
    return Submission(
        file=path,
        unit=_unit(title, found),
        year=stated or identity.filled_year(whole) or identity.overview_year(overview),
        edition=edition.edition,
        values=reading.values,
        notes=reading.notes,
        sources=reading.sources,
        marks=reading.marks,
        meta=_meta("\n".join(line.text for line in found.before_tables())),
        findings=tuple(findings),
        text="\n".join(line.text for line in found.narrative()),
    )


@cache
def _distinctive_keys() -> dict[str, frozenset[str]]:
    """Labels only one edition has (本年新制作数量 vs 本年制发件数; one 其他处理 row or three)."""
    labels = {
        name: {
            label_key(x)
            for t in e.tables
            for b in t.blocks
            for x in [*(c.label for c in b.columns), *(r.label for r in b.rows)]
        }
        for name, e in editions().items()
    }
    labels = {name: {k for k in keys if len(k) >= 2} for name, keys in labels.items()}
    return {
        name: frozenset(
            k for k in keys if not any(k in other for o, others in labels.items() if o != name for other in others)
        )
        for name, keys in labels.items()
    }


def _layout_of(lines: list[Line], year: int | None) -> Layout:
    """The edition whose distinctive labels the tables use, with its parts and tables found."""
    layouts, scores = {}, {}
    for name, edition in editions().items():
        layouts[name] = layout(edition, lines)
        text = label_key("".join(line.text for section in layouts[name].sections.values() for line in section))
        scores[name] = sum(1 for key in _distinctive_keys()[name] if key in text)
    best = max(scores.values())
    candidates = [name for name, score in scores.items() if score == best]
    if len(candidates) > 1 and year is not None:
        try:
            by_year = edition_for_year(year).edition
        except LookupError:
            by_year = None
        if by_year in candidates:
            return layouts[by_year]
    return layouts[max(candidates)]


def _stated_year(title: str, text: str, file: str) -> tuple[int | None, list[Finding]]:
    """The year the title states, else the statistics period's; a title and period that disagree
    are an error for the unit to settle."""
    stated = identity.YEAR.search(title)
    period = identity.PERIOD.search(text)
    year = int(stated[1]) if stated else (int(period[1]) if period else None)
    if stated and period and int(period[1]) != int(stated[1]):
        return year, [
            Finding.of(
                "conflicting_year", file=file, expected=int(stated[1]), actual=int(period[1]), period_end=period[2]
            )
        ]
    return year, []


def _unit(title: str, found: Layout) -> str | None:
    """The unit as the title names it, else the issuing line at the end, else the unit the text
    says made the report; never some other line."""
    texts = [line.text for line in found.lines]
    return (
        identity.unit_in_title(title)
        or identity.sign_off_unit([line.text for line in found.narrative()])
        or identity.named_unit("\n".join(texts))
        or None
    )


def _meta(text: str) -> dict[str, str]:
    meta = {}
    if phone := _PHONE.search(text):
        meta["phone"] = phone[1].strip()
    if email := _EMAIL.search(text):
        meta["email"] = email[1]
    return meta


def _missing_parts(edition: Edition, headings: dict[str, int], file: str) -> list[Finding]:
    return [
        Finding.of("missing_part", file=file, table=part.table, number=part.number, heading=part.heading)
        for part in edition.parts
        if part.number not in headings
    ]


def _narrative_checks(edition: Edition, lines: list[Line], values: dict[str, Number], file: str) -> list[Finding]:
    """The narrative's own figures against the tables (what the office checks by eye): each claim's
    first statement in the text, a number or "none", against the sum of its cells."""
    text = "".join(line.text for line in lines)
    findings = []
    for claim in edition.claims:
        if not all(code in values for code in claim.codes):
            continue
        statement = _first_statement(claim, text)
        if statement is None:
            continue
        stated, match = statement
        table_sum = sum(values[code] for code in claim.codes)
        if stated == table_sum:
            continue
        first = edition.cell(claim.codes[0])
        one = len(claim.codes) == 1
        findings.append(
            Finding.of(
                "narrative_mismatch",
                edition=edition,
                file=file,
                table=first.table,
                row=first.row.code if one else None,
                column=first.column.code,
                source=_place_of(lines, match.start()),
                expected=table_sum,
                actual=stated,
                sentence=match.group().strip(),
                cells=edition.where(first.table, first.row.code, first.column.code)
                if one
                else f"{edition.where(first.table)}中{claim.label}各项",
            )
        )
    return findings


def _first_statement(claim: Claim, text: str) -> tuple[int, re.Match[str]] | None:
    """The figure a claim's first statement gives, and the statement."""
    found = [(m.start(), int(m[1]), m) for p in claim.patterns if (m := re.search(p, text))]
    found += [(m.start(), 0, m) for p in claim.none_patterns if (m := re.search(p, text))]
    if not found:
        return None
    _, stated, match = min(found, key=lambda f: f[0])
    return stated, match


def _place_of(lines: list[Line], position: int) -> str | None:
    for line in lines:
        if position < len(line.text):
            return line.place
        position -= len(line.text)
    return None
