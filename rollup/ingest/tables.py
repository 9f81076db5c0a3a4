"""The three statistical tables read out of a report's lines, by the form's labels: rows found
in the form's order, numbers placed in its columns. Where the layout cannot say which cell a
number belongs to, the reader says so instead of guessing."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rollup.findings import Finding
from rollup.forms import Cell, Edition, Number, Row, Table
from rollup.ingest.cells import read_cell
from rollup.ingest.document import Line
from rollup.ingest.grid import BLANK, FILLER

_BRACKETED = re.compile(r"\([^()]*\)")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBERING = re.compile(r"[一二三四五六七八九十]+、|\d+[.、]")
_NOT_LABEL = re.compile(r"[\W\d_]")
# A value in a report's text: a blank cell, layout filler, "not applicable", or a number with its
# sign ("增 338", "-2", "−2") and unit; never a year ("2020 年"), a date or a list number ("1.").
_VALUE = re.compile(
    rf"""(?P<blank>{BLANK})
       | (?P<filler>{FILLER})
       | (?<!\S)(?P<na>-{{1,2}}|—{{1,2}}|/|无|–|―)(?!\S)
       | (?P<number>(?:(?<!/)[增减+][ \t]*|(?<![\w.\-])[-−])?(?<![\d.(])(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)(?!\d)
                    (?![ \t\u3000]*[年月日号页%])(?![.、](?!\d))(?:[ \t]*(?:万元|元|件|条|个|项|次))?)""",
    re.VERBOSE,
)
# Text that holds a label: anything but punctuation, which between numbers only separates them
# ("41 ? 1 ? 2", "|", a stray 、).
_LABEL_TEXT = re.compile(r"[^\W\d_]")
# A figure's note in brackets: "1（撤回）", maybe after a line break; never across a cell boundary.
_NOTE = re.compile(r"[ \u3000\n]*\(([^()\t]*)\)+")
_LIST_MARK = re.compile(r"[一二三四五六七八九十\d]+")
_LAYOUT_BLANKS = 4  # a run of at least this many spaces can stand for skipped cells
_ROW_SKIP = 3  # rows a report may leave out before the next label is no longer searched for
_EXPLANATION = 40  # how far back an unclosed bracket still makes a figure part of a label
_PREFIX = 4  # characters of a label that identify it when numbers cut the label in two


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Full-width to half-width (brackets, colons, digits) and traditional to simplified
    characters, so that labels compare whatever the report's typesetting. A lone surrogate
    (pdfminer makes one of an embedded font's code that names none) becomes U+FFFD: no
    converter, ledger, workbook or email can hold it."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return _t2s().convert(text)


def label_key(text: str) -> str:
    """A label reduced to what identifies it: no numbering, no explanations in brackets, no
    punctuation, spaces or line breaks."""
    text, previous = normalize(text), None
    while previous != text:
        previous, text = text, _BRACKETED.sub("", text)
    return _NOT_LABEL.sub("", _NUMBERING.sub("", text))


# --- the document as tokens -------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    text: str
    place: str
    value: bool = False
    gap: int = 0  # spaces before the token on its line
    line: int = 0
    soft: bool = False  # layout filler: a blank cell only if the form's row needs it


@dataclass
class _Group:
    """Label text, then the run of values that follows it."""

    text: str = ""
    values: list[_Token] = field(default_factory=list)


def _tokens(lines: list[Line]) -> list[_Token]:
    text = "\n".join(line.text for line in lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line.text) + 1)

    def at(position: int) -> int:
        return bisect_right(starts, position) - 1

    tokens, position, search = [], 0, 0
    while (match := _VALUE.search(text, search)) is not None:
        search = match.end()
        label = text[position : match.start()]
        opened = label.rfind("(")
        if opened > label.rfind(")") and len(label) - opened <= _EXPLANATION and "\t" not in label[opened:]:
            # a figure inside a label's explanation ("申请数量（含网上申请1件）"), unless a cell
            # boundary lies between: "（三" is then a merged label cut by a page break
            continue
        if match.start() > position:
            tokens.append(_Token(text[position : match.start()], lines[at(position)].place))
        raw, end = match.group(), match.end()
        if match["number"]:
            note = _NOTE.match(text, end)
            if note and _is_note(note[1]):
                raw, end = f"{raw}({''.join(note[1].split())})", note.end()
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()]
        gap = len(before) - len(before.rstrip(" \u3000"))
        row = at(match.start())
        tokens.append(_Token(raw, lines[row].place, value=True, gap=gap, line=row, soft=bool(match["filler"])))
        position = search = end
    if position < len(text):
        tokens.append(_Token(text[position:], lines[at(position)].place))
    return tokens


def _is_note(content: str) -> bool:
    """ "1（撤回）" carries a note; "191 （二）部分公开" is a number followed by the next label."""
    content = "".join(content.split())
    return bool(content) and not _LIST_MARK.fullmatch(content) and len(content) <= 40


def _groups(tokens: list[_Token]) -> list[_Group]:
    """Label text and the values after it. Prose after the table (a sentence ending in 。) ends
    it, so that figures in a following paragraph are never read as cells."""
    groups = [_Group()]
    for token in tokens:
        if token.value:
            groups[-1].values.append(token)
        elif _LABEL_TEXT.search(token.text):
            if "。" in token.text and any(g.values for g in groups):
                break
            if groups[-1].values:
                groups.append(_Group())
            groups[-1].text += token.text
    return [g for g in groups if g.values]


# --- one table --------------------------------------------------------------------------------


@dataclass
class TableReading:
    """What one table of the report says, and what went wrong reading it."""

    edition: Edition
    file: str
    values: dict[str, Number] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    marks: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def finding(self, rule: str, **place_and_words: Any) -> None:
        self.findings.append(Finding.of(rule, edition=self.edition, file=self.file, **place_and_words))

    def put(self, cell: Cell, token: _Token | None, place: str) -> None:
        """One cell from one token; ``None`` is a cell the layout shows as blank."""
        reading = read_cell(None if token is None or token.text in (BLANK, FILLER) else token.text, cell.kind)
        self.sources[cell.code] = place
        if reading.value is None:
            self.finding(
                reading.rule,
                table=cell.table,
                row=cell.row.code,
                column=cell.column.code,
                source=place,
                **reading.words,
            )
            return
        self.values[cell.code] = reading.value
        if reading.note:
            self.notes[cell.code] = reading.note
        if reading.status in ("blank", "not_applicable"):
            self.marks[cell.code] = reading.status

    def put_row(self, cells: Sequence[Cell], tokens: Sequence[_Token | None], place: str) -> None:
        for cell, token in zip(cells, tokens, strict=True):
            self.put(cell, token, token.place if token else place)
        blanks = [cell for cell, token in zip(cells, tokens, strict=True) if self.marks.get(cell.code) == "blank"]
        if blanks:
            self.blank_finding(blanks, place)

    def blank_finding(self, blanks: list[Cell], place: str) -> None:
        first = blanks[0]
        columns = "、".join(c.column.label for c in blanks)
        self.finding(
            "blank_cell",
            table=first.table,
            row=first.row.code,
            column=first.column.code if len(blanks) == 1 else None,
            source=place,
            cells=f"{columns} {len(blanks)} 格" if len(blanks) > 1 else "",
        )


def read_table(reading: TableReading, table: Table, lines: list[Line]) -> None:
    groups = _groups(_tokens(lines))
    if not groups:
        reading.finding("incomplete_table", table=table.id, what=f"“{table.title}”中没有任何数字")
        return
    if table.orientation == "wide":
        _read_wide(reading, table, [t for g in groups for t in g.values])
    else:
        _read_tall(reading, table, groups)
    missing = [cell for cell in table.cells if cell.code not in reading.values]
    if missing and not any(f.rule == "ambiguous_cells" and f.table == table.id for f in reading.findings):
        reading.finding(
            "incomplete_table",
            table=table.id,
            row=missing[0].row.code,
            source=groups[-1].values[-1].place,
            where=table.name,
            what=f"报告中缺少 {len(missing)} 格：{_describe(table, missing)}",
        )


def _describe(table: Table, cells: list[Cell]) -> str:
    """Missing cells by row, in the form's words: whole rows by name, part rows with their columns."""
    by_row: dict[str, list[Cell]] = {}
    for cell in cells:
        by_row.setdefault(cell.row.code, []).append(cell)
    parts = []
    for row_code, row_cells in by_row.items():
        all_columns = [c for c in table.cells if c.row.code == row_code]
        name = table.row(row_code).name
        parts.append(
            name if len(row_cells) == len(all_columns) else f"{name}（{'、'.join(c.column.label for c in row_cells)}）"
        )
    return "；".join(parts)


def _read_wide(reading: TableReading, table: Table, values: list[_Token]) -> None:
    cells = list(table.cells)
    values = _fit(values, len(cells))
    if len(values) > len(cells):
        reading.finding(
            "ambiguous_cells",
            table=table.id,
            source=values[0].place,
            expected=len(cells),
            actual=len(values),
            numbers="",
        )
        return
    placed = _layout(values, len(cells))
    if placed is not None:
        reading.put_row(cells, placed, values[0].place)
    else:
        _keep_checked(reading, cells, values, values[0].place)


def _read_tall(reading: TableReading, table: Table, groups: list[_Group]) -> None:
    rows = list(table.rows)
    keys = [label_key(row.label) for row in rows]
    columns = {row.code: [c for c in table.cells if c.row.code == row.code] for row in rows}
    next_row = 0
    for number, group in enumerate(groups):
        matched = _match_rows(label_key(group.text), keys, next_row)
        if not matched and all(v.soft for v in group.values):
            continue  # a header or title row and the empty cells beside it
        if not matched:
            reading.finding(
                "extra_row", table=table.id, source=group.values[0].place, label=" ".join(group.text.split())[-40:]
            )
            continue
        cells = [columns[rows[i].code] for i in matched]
        last_group = number == len(groups) - 1
        _place_group(reading, table, [rows[i] for i in matched], cells, group, last_group)
        next_row = matched[-1] + 1


def _match_rows(text: str, keys: list[str], start: int) -> list[int]:
    """The form's rows whose labels appear in ``text``, in the form's order. A label the numbers
    cut in two ("5.属于三类内部 0 事务信息") is known by its beginning at the end of the text."""
    found, position, i = [], 0, start
    while i < len(keys):
        hits = ((j, text.find(keys[j], position)) for j in range(i, min(i + _ROW_SKIP + 1, len(keys))))
        j, at = next(((j, at) for j, at in hits if at >= 0), (None, -1))
        if j is None:
            break
        found.append(j)
        position, i = at + len(keys[j]), j + 1
    if i < len(keys) and _ends_with_start_of(text[position:], keys[i]):
        found.append(i)
    return found


def _ends_with_start_of(text: str, key: str) -> bool:
    shortest = min(_PREFIX, len(key))
    return any(key.startswith(text[-n:]) for n in range(min(len(text), len(key)), shortest - 1, -1))


def _place_group(
    reading: TableReading, table: Table, rows: list[Row], cells: list[list[Cell]], group: _Group, last_group: bool
) -> None:
    place = group.values[0].place
    values = _fit(group.values, sum(len(c) for c in cells))
    if len(values) == sum(len(c) for c in cells):
        # several labels, then all their numbers in the same order
        for row_cells in cells:
            reading.put_row(row_cells, values[: len(row_cells)], place)
            values = values[len(row_cells) :]
        return
    for row_cells in cells[:-1]:
        reading.put_row(row_cells, [None] * len(row_cells), place)  # a label with nothing after it: a blank row
    row_cells = cells[-1]
    values = _fit(group.values, len(row_cells))
    if len(values) > len(row_cells):
        _ambiguous(reading, table, rows[-1], len(row_cells), values, place)
        return
    placed = _layout(values, len(row_cells))
    if placed is not None:
        reading.put_row(row_cells, placed, place)
    elif last_group:
        _keep_checked(reading, row_cells, values, place)  # cut short: only what checks
    else:
        _ambiguous(reading, table, rows[-1], len(row_cells), values, place)


def _fit(values: list[_Token], width: int) -> list[_Token]:
    """The values without the layout filler a row of ``width`` cells does not need: first filler on
    lines holding no number, then filler after the last number, then between numbers, then
    before the first (where a row without a label may begin with a blank cell)."""
    excess = len(values) - width
    if excess <= 0 or not any(v.soft for v in values):
        return values
    hard = [i for i, v in enumerate(values) if not v.soft]
    lines = {values[i].line for i in hard}
    first, last = (hard[0], hard[-1]) if hard else (len(values), -1)

    def order(i: int) -> tuple[int, int]:
        if values[i].line not in lines:
            return 0, -i
        if i > last:
            return 1, -i
        return (2, -i) if i > first else (3, i)

    dropped = set(sorted((i for i, v in enumerate(values) if v.soft), key=order)[:excess])
    return [v for i, v in enumerate(values) if i not in dropped]


def _keep_checked(reading: TableReading, cells: list[Cell], values: list[_Token], place: str) -> None:
    """A row whose numbers cannot all be placed (some are missing, from anywhere in the row):
    never guess. Taken in order from the row's start, each of the form's rows in it is kept only
    while it is complete and its own totals check ("41 1 2 6 50 0 0 78": the 行政复议 group, whose
    total is the sum of its parts, and nothing after it); the rest stays absent."""
    position = 0
    for row_cells in _form_rows(cells):
        part = values[position : position + len(row_cells)]
        if len(part) < len(row_cells) or not _totals_check(reading.edition, row_cells, part):
            return
        reading.put_row(row_cells, part, place)
        position += len(row_cells)


def _form_rows(cells: list[Cell]) -> list[list[Cell]]:
    rows: dict[str, list[Cell]] = {}
    for cell in cells:
        rows.setdefault(cell.row.code, []).append(cell)
    return list(rows.values())


def _totals_check(edition: Edition, cells: list[Cell], values: list[_Token]) -> bool:
    """Whether the form's sum rules within these cells hold for these values; a row without any
    such rule cannot be checked, so it does not."""
    numbers = {
        c.code: read_cell(None if v.soft or v.text == BLANK else v.text, c.kind).value
        for c, v in zip(cells, values, strict=True)
    }
    lines = [line for line in edition.rule_lines if set(line.codes) <= numbers.keys()]
    if not lines or any(n is None for n in numbers.values()):
        return False
    return all(
        abs(sum(numbers[c] or 0 for c in line.left) - sum(numbers[c] or 0 for c in line.right)) < 1e-6 for line in lines
    )


def _ambiguous(reading: TableReading, table: Table, row: Row, width: int, values: list[_Token], place: str) -> None:
    numbers = f"（{' '.join(v.text for v in values)}）"
    reading.finding(
        "ambiguous_cells",
        table=table.id,
        row=row.code,
        source=place,
        expected=width,
        actual=len(values),
        numbers=numbers,
    )


def _layout(values: list[_Token], width: int) -> list[_Token | None] | None:
    """Values placed in ``width`` cells when the layout says where the missing ones were: all
    there, or one run of spaces, on one line, wide enough to have held the missing cells."""
    missing = width - len(values)
    if missing == 0:
        return list(values)
    if missing < 0 or len({v.line for v in values}) != 1:
        return None
    wide = [i for i, v in enumerate(values) if v.gap >= max(_LAYOUT_BLANKS, missing)]
    others = [v.gap for i, v in enumerate(values) if i not in wide]
    if len(wide) != 1 or any(gap * 2 > values[wide[0]].gap for gap in others):
        return None
    at = wide[0]
    return list(values[:at]) + [None] * missing + list(values[at:])
