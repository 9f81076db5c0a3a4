"""Where a report's six parts and its three tables are.

A part heading is known by its number and a core phrase of its title (二 … 主动公开), so that
"二、行政机关主动公开政府信息情况" or "四、因政府信息公开工作被申请行政复议提起行政诉讼情况" are
found, whether the number is followed by 、 . ． or nothing, or the 、 sits on a line of its own;
or, without a number, by the official title itself. A table whose heading is missing is found by
its own header rows (信息内容 / 申请人情况 / 行政复议 行政诉讼): a missing heading costs that
part, not the whole file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rollup.forms import Edition, Part, Table
from rollup.ingest.document import Line
from rollup.ingest.tables import label_key

# A part's number: 二、 二. 二． or a bare 二 (a PDF may put its 、 elsewhere). A bracketed （二） is
# a sub-heading inside a part, never a part.
_NUMBERED = re.compile(r"^(?P<number>[一二三四五六七八九十]+)\s*(?P<mark>[、.．])?\s*")
# Without its 、 a number is also how an enumeration starts ("二是加强主动公开工作"): then only a
# line shaped like a heading counts, ending as the form's headings end.
_HEADING_END = re.compile(r"(?:情况|事项|措施|问题)$")
_SENTENCE = re.compile(r"[，。；：,;:!?！？]")
_ENUMERATION = re.compile(r"[是要则]")
_MARK_ONLY = re.compile(r"^[、.．]$")
_HEADING_LENGTH = 48  # characters: a heading longer than this is a sentence that mentions one
_TITLE_SLACK = 6  # characters a heading may add to the official title ("的情况", a note)
_HEADER_REST = 2  # characters a header row may hold besides the table's own header labels


@dataclass(frozen=True)
class Layout:
    """One edition's reading of where the report's parts and tables are."""

    edition: Edition
    lines: list[Line]
    headings: dict[str, int]  # part number -> line index of its heading
    spans: dict[str, range]  # table id -> the line indexes of its table

    @property
    def sections(self) -> dict[str, list[Line]]:
        return {table: self.lines[span.start : span.stop] for table, span in self.spans.items()}

    def part_lines(self, number: str) -> list[Line]:
        """The lines of a part, from under its heading to the next heading or table found."""
        if number not in self.headings:
            return []
        start = self.headings[number] + 1
        bounds = [*self.headings.values(), *(span.start for span in self.spans.values()), len(self.lines)]
        return self.lines[start : min(b for b in bounds if b >= start)]

    def narrative(self) -> list[Line]:
        """Every line outside the tables: what the report says in words."""
        inside = {i for span in self.spans.values() for i in span}
        return [line for i, line in enumerate(self.lines) if i not in inside]

    def before_tables(self) -> list[Line]:
        first = min((span.start for span in self.spans.values()), default=len(self.lines))
        heads = [
            i for number, i in self.headings.items() if any(p.number == number and p.table for p in self.edition.parts)
        ]
        return self.lines[: min([first, *heads])]


def layout(edition: Edition, lines: list[Line]) -> Layout:
    headings = find_headings(edition, lines)
    return Layout(edition, lines, headings, _spans(edition, lines, headings))


def find_headings(edition: Edition, lines: list[Line]) -> dict[str, int]:
    """Line index of each part's heading found, in the form's order."""
    found, start = {}, 0
    for part in edition.parts:
        index = next((i for i in range(start, len(lines)) if is_heading(lines, i, part)), None)
        if index is not None:
            found[part.number] = index
            start = index + 1
    return found


def is_heading(lines: list[Line], index: int, part: Part) -> bool:
    text = _joined(lines, index)
    if not text or _MARK_ONLY.match(text):
        return False
    numbered = _NUMBERED.match(text)
    if numbered and numbered["number"] == part.number:
        rest = text[numbered.end() :]
        shaped = numbered["mark"] or (
            _HEADING_END.search(rest) and not _SENTENCE.search(rest) and not _ENUMERATION.match(rest)
        )
        return bool(shaped) and len(rest) <= _HEADING_LENGTH and re.search(part.core, rest) is not None
    return not numbered and _is_titled(text, lines, index, part)


def _joined(lines: list[Line], index: int) -> str:
    """The line without white space; a part number standing alone (maybe with its 、 alone on the
    next line) is joined to the title that follows, as a PDF's text layer may split a heading. A
    、 alone after a whole heading ("二主动公开政府信息情况" / "、") is left where it is."""
    text = "".join(lines[index].text.split())
    if not _NUMBERED.fullmatch(text):
        return text
    following = ["".join(line.text.split()) for line in lines[index + 1 : index + 3]]
    if following and _MARK_ONLY.match(following[0]):
        text += following.pop(0)
    return text + (following[0] if following else "")


def _is_titled(text: str, lines: list[Line], index: int, part: Part) -> bool:
    """A heading without its number: the official title (or an alias), maybe broken over two lines."""
    key = label_key(text)
    if not key:
        return False
    following = label_key(lines[index + 1].text) if index + 1 < len(lines) else ""
    for wanted in (label_key(t) for t in (part.title, *part.aliases)):
        if key.startswith(wanted) and len(key) <= len(wanted) + _TITLE_SLACK:
            return True
        if len(key) >= _TITLE_SLACK and wanted.startswith(key) and (key + following).startswith(wanted):
            return True
    return False


def _spans(edition: Edition, lines: list[Line], headings: dict[str, int]) -> dict[str, range]:
    """Lines of each table: from its part's heading (or, without one, from its first header row)
    to the next heading or table found."""
    starts: dict[str, int] = {}
    for position, part in enumerate(edition.parts):
        if not part.table:
            continue
        if part.number in headings:
            starts[part.table] = headings[part.number] + 1
            continue
        before = [headings[p.number] for p in edition.parts[:position] if p.number in headings]
        after = [headings[p.number] for p in edition.parts[position + 1 :] if p.number in headings]
        begin = max([*before, *starts.values()], default=-1) + 1
        header = _header_row(edition.table(part.table), edition, lines, begin, min(after, default=len(lines)))
        if header is not None:
            starts[part.table] = header
    bounds = sorted({*headings.values(), *starts.values(), len(lines)})
    return {table: range(start, next(b for b in bounds if b > start)) for table, start in starts.items()}


def _header_row(table: Table, edition: Edition, lines: list[Line], begin: int, end: int) -> int | None:
    """The first line in ``begin:end`` made of the table's own header labels."""
    own = header_keys(edition)[table.id]
    for index in range(begin, end):
        key = label_key(lines[index].text)
        hits = [k for k in own if k in key]
        if hits and len(_without(key, hits)) <= _HEADER_REST:
            return index
    return None


def _without(key: str, parts: list[str]) -> str:
    for part in sorted(parts, key=len, reverse=True):
        key = key.replace(part, "")
    return key


@cache
def header_keys(edition: Edition) -> dict[str, frozenset[str]]:
    """Per table, the labels of its header rows that no other table of the edition has: block
    titles, corners, column labels and groups, and for a wide table its row labels and groups."""
    labels: dict[str, set[str]] = {}
    for table in edition.tables:
        found = labels.setdefault(table.id, set())
        for block in table.blocks:
            found.update(label_key(t) for t in (block.title, block.corner) if t)
            found.update(label_key(t) for c in block.columns for t in (c.label, *c.path))
            if table.orientation == "wide":
                found.update(label_key(t) for r in block.rows for t in (r.label, *r.path))
    return {
        table: frozenset(k for k in keys if len(k) >= 3 and not any(k in labels[o] for o in labels if o != table))
        for table, keys in labels.items()
    }
