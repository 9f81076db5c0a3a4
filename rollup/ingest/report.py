"""Reading a unit's annual report itself (text, Word, PDF, web page): the three statistical
tables (``tables.py``), the edition from the tables' structure, the year and the unit from the
title, and the checks the office does by eye (all six parts there, the narrative's figures
against the tables). Everything is keyed on the edition specs in ``rollup/forms``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rollup.findings import Finding
from rollup.forms import Edition, Number, edition_for_year, editions
from rollup.ingest.document import Line, read_document
from rollup.ingest.tables import TableReading, label_key, normalize, read_table
from rollup.model import Submission

_FOOTER = re.compile(r"[-—–―]+\s*\d+\s*[-—–―]+|第\s*\d+\s*页(?:\s*[,/]?\s*共\s*\d+\s*页)?|https?://\S+")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PERIOD = re.compile(
    r"统计[^。\d]{0,8}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*[至到\-—~]\s*((?:19|20)\d{2})\s*年\s*12\s*月\s*31\s*日"
)
_TITLE = re.compile(r"^(?P<before>.*?)((?:19|20)\d{2})年度?(?P<after>.*?)(?:政府信息公开|政务公开|信息公开)")
_UNIT_IN_TEXT = re.compile(r"由(?P<unit>[^\s,，。]{2,30}?)(?:\(单位名称\))?编制")
_PHONE = re.compile(r"电话[:\s]*([\d][\d\- ]{6,}\d)")
_EMAIL = re.compile(r"(?:电子邮件|电子邮箱|邮箱|e-?mail)[:\s]*([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.IGNORECASE)


def _headings(edition: Edition, lines: list[Line]) -> dict[str, int]:
    """Line index of each part's heading found, in order; numbering optional."""
    found, start = {}, 0
    for part in edition.parts:
        keys = [label_key(t) for t in (part.title, *part.aliases)]
        for index in range(start, len(lines)):
            if _is_heading(lines, index, keys):
                found[part.number] = index
                start = index + 1
                break
    return found


def _is_heading(lines: list[Line], index: int, keys: list[str]) -> bool:
    key = label_key(lines[index].text)
    if not key:
        return False
    joined = key + (label_key(lines[index + 1].text) if index + 1 < len(lines) else "")
    for wanted in keys:
        if key.startswith(wanted) and len(key) <= len(wanted) + 6:
            return True
        if len(key) >= 6 and wanted.startswith(key) and joined.startswith(wanted):
            return True  # a heading broken over two lines
    return False


def _sections(edition: Edition, lines: list[Line], headings: dict[str, int]) -> dict[str, list[Line]]:
    """Lines of each table's part: from its heading to the next heading found."""
    starts = sorted(headings.values())
    sections = {}
    for part in edition.parts:
        if part.table and part.number in headings:
            begin = headings[part.number]
            end = next((s for s in starts if s > begin), len(lines))
            sections[part.table] = lines[begin + 1 : end]
    return sections


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


@dataclass(frozen=True)
class _Layout:
    """One edition's reading of where the report's parts and tables are."""

    edition: Edition
    headings: dict[str, int]
    sections: dict[str, list[Line]]


def _layout_of(lines: list[Line], year: int | None) -> _Layout:
    """The edition whose distinctive labels the tables use, with its parts and tables found."""
    layouts, scores = {}, {}
    for name, edition in editions().items():
        headings = _headings(edition, lines)
        layouts[name] = _Layout(edition, headings, _sections(edition, lines, headings))
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


def _title(lines: list[Line]) -> str:
    """The report's title (…2019年政府信息公开工作年度报告), which may be broken over lines and
    preceded by a web page's breadcrumbs. The shortest run of lines that reads as a title wins;
    when it starts with the year, the unit is on the line before."""
    texts = ["".join(line.text.split()) for line in lines if line.text.strip()][:15]
    for size in (1, 2, 3):
        for i in range(len(texts) - size + 1):
            title = "".join(texts[i : i + size])
            if _YEAR.search(title) and re.search(r"(?:信息公开|政务公开).*(?:报告|年报)$", title):
                if i > 0 and not _unit_in_title(title):
                    title = texts[i - 1] + title
                return title
    return texts[0] if texts else ""


def _year(title: str, text: str, file: str) -> tuple[int | None, list[Finding]]:
    stated = _YEAR.search(title)
    period = _PERIOD.search(text)
    year = int(stated[1]) if stated else (int(period[1]) if period else None)
    if stated and period and int(period[1]) != int(stated[1]):
        return year, [
            Finding.of(
                "conflicting_year", file=file, expected=int(stated[1]), actual=int(period[1]), period_end=period[2]
            )
        ]
    return year, []


def _unit_in_title(title: str) -> str:
    match = _TITLE.match(title)
    if match:
        unit = match["before"] or match["after"]
    else:
        unit = (
            re.split(r"政府信息公开|信息公开|政务公开", title)[0] if "信息公开" in title or "政务公开" in title else ""
        )
    return unit.replace("(单位名称)", "").strip()


def _unit(title: str, text: str) -> str | None:
    unit = _unit_in_title(title)
    if not unit and (found := _UNIT_IN_TEXT.search(text)):
        unit = found["unit"]
    return unit or None


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
    """The narrative's own figures against the tables (what the office checks by eye)."""
    text = "".join(line.text for line in lines)
    findings = []
    for claim in edition.claims:
        if not all(code in values for code in claim.codes):
            continue
        match = next((m for p in claim.patterns if (m := re.search(p, text))), None)
        if match is None:
            continue
        stated, table_sum = int(match[1]), sum(values[code] for code in claim.codes)
        if stated == table_sum:
            continue
        first = edition.cell(claim.codes[0])
        one = len(claim.codes) == 1
        cells = edition.where(first.table, first.row.code, first.column.code) if one else None
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
                cells=cells or f"{edition.where(first.table)}中{claim.label}各项",
            )
        )
    return findings


def _place_of(lines: list[Line], position: int) -> str | None:
    for line in lines:
        if position < len(line.text):
            return line.place
        position -= len(line.text)
    return None


def read_report(path: Path) -> Submission:
    path = Path(path)
    document = read_document(path)
    if not document.has_text:
        return Submission.refused(path, "no_text_layer")
    lines = [Line(normalize(line.text), line.place) for line in document.lines]
    lines = [line for line in lines if not _FOOTER.fullmatch(line.text.strip())]
    title = _title(lines)
    whole = "\n".join(line.text for line in lines)
    year, findings = _year(title, whole, path.name)
    layout = _layout_of(lines, year)
    edition, headings, sections = layout.edition, layout.headings, layout.sections
    if not sections:
        parts = " ".join(part.heading for part in edition.parts if part.table)
        return Submission.refused(path, "not_a_report", parts=parts)
    reading = TableReading(edition, path.name)
    for table in edition.tables:
        if table.id in sections:
            read_table(reading, table, sections[table.id])
        else:
            part = next(p for p in edition.parts if p.table == table.id)
            reading.finding("missing_table", table=table.id, heading=part.heading)
    first_table = min(headings[p.number] for p in edition.parts if p.table and p.number in headings)
    findings += reading.findings + _missing_parts(edition, headings, path.name)
    findings += _narrative_checks(edition, lines[:first_table], reading.values, path.name)
    return Submission(
        file=path,
        unit=_unit(title, whole),
        year=year,
        edition=edition.edition,
        values=reading.values,
        notes=reading.notes,
        sources=reading.sources,
        marks=reading.marks,
        meta=_meta("\n".join(line.text for line in lines[:first_table])),
        findings=tuple(findings),
        modified=path.stat().st_mtime,
        text=_narrative(lines, headings, sections),
    )


def _narrative(lines: list[Line], headings: dict[str, int], sections: dict[str, list[Line]]) -> str:
    """The report's own words: outside its tables and the parts' headings (总体情况,
    存在的主要问题, 其他需要报告的事项)."""
    form = {id(line) for section in sections.values() for line in section} | {id(lines[i]) for i in headings.values()}
    return "\n".join(line.text for line in lines if id(line) not in form)
