"""A PDF's ruled tables read cell by cell (pdfplumber's table finder), with the text around
them, in reading order.

A table printed from Word keeps its structure in the ruling lines: a merged cell is one cell
(its text in the row where it starts), an empty cell is an empty cell, a label wrapped inside
a narrow cell is still one cell. Tables continue over page breaks: a table whose top is the
first thing on a page and whose left and right edges are those of the last table on the page
before is the same table, and when Word splits a row at the break, the two pieces are joined
into one row again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rollup.ingest.grid import cell_text, delimited_line, is_figure, row_line

# Lines a page may carry besides its content: page numbers ("— 3 —", "第3页 共5页", "3/5").
_PAGE_FURNITURE = re.compile(r"^[\s\-—–―·第页共/\d]*$")
# What starts a new row's label rather than continuing one: 一、 （三） 1. and their variants.
_ITEM_START = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、．])")
_EDGE = 3.0  # points: table edges closer than this are the same edge


@dataclass
class Cell:
    text: str
    x0: float
    x1: float
    bottom: float


@dataclass
class Table:
    page: int
    x0: float
    x1: float
    bottom: float
    rows: list[list[Cell | None]]
    places: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """A text line or a table, where it sits on its page."""

    page: int
    top: float
    text: str | None = None
    table: Table | None = None


def page_items(page: Any, number: int) -> list[Item]:
    """The page's tables and the text lines outside them, top to bottom."""
    found = page.find_tables()
    tables = [_table(t, number) for t in found]
    boxes = [t.bbox for t in found]

    def outside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    text = page.filter(outside) if boxes else page
    items = [Item(number, line["top"], text=line["text"]) for line in text.extract_text_lines()]
    items += [Item(number, box[1], table=table) for box, table in zip(boxes, tables, strict=True)]
    return sorted(items, key=lambda item: item.top)


def _table(found: Any, page: int) -> Table:
    texts = found.extract()
    rows = []
    for row, row_texts in zip(found.rows, texts, strict=True):
        rows.append(
            [
                None if box is None else Cell(cell_text(text, wrapped=True), box[0], box[2], box[3])
                for box, text in zip(row.cells, row_texts, strict=True)
            ]
        )
    x0, _, x1, bottom = found.bbox
    return Table(page, x0, x1, bottom, rows, [f"第{page}页表格第{r}行" for r in range(1, len(rows) + 1)])


def join_pages(pages: list[list[Item]]) -> list[Item]:
    """Every page's items in order, a table continuing from the page before joined to it."""
    items: list[Item] = []
    for page in pages:
        content = [i for i, item in enumerate(page) if not _is_furniture(item)]
        first = page[content[0]] if content else None
        previous = _last_table(items)
        if first is not None and first.table is not None and previous is not None and _continues(previous, first.table):
            _append(previous, first.table)
            page = [item for i, item in enumerate(page) if i != content[0]]
        items += page
    return items


def _is_furniture(item: Item) -> bool:
    return item.text is not None and bool(_PAGE_FURNITURE.match(item.text))


def _last_table(items: list[Item]) -> Table | None:
    """The last table of the previous page, when nothing but page furniture follows it."""
    for item in reversed(items):
        if item.table is not None:
            return item.table
        if not _is_furniture(item):
            return None
    return None


def _continues(previous: Table, table: Table) -> bool:
    return (
        table.page == previous.page + 1 and abs(table.x0 - previous.x0) < _EDGE and abs(table.x1 - previous.x1) < _EDGE
    )


def _append(previous: Table, table: Table) -> None:
    rows, places = table.rows, table.places
    if previous.rows and rows and _is_split_row(previous, rows[0]):
        for cell in rows[0]:
            if cell is not None and cell.text:
                target = _cell_above(previous, cell)
                if target is not None:
                    target.text += cell.text
        rows, places = rows[1:], places[1:]
    previous.rows += rows
    previous.places += places
    previous.bottom = table.bottom


def _is_split_row(previous: Table, after: list[Cell | None]) -> bool:
    """Word broke the last row of ``previous`` over the page break, and ``after`` is its rest:
    the piece after the break does not start a new item, and either it holds no figure and
    continues only the row's labels (or a figure's unfinished note: "1（市自然资源和规划" / "局）"),
    or the piece before it held only labels and the figures came after the break. A header row
    repeated on the new page, or a block's title row, continues no label and is kept."""
    labels = [c for c in after if c is not None and c.text and not is_figure(c.text)]
    if labels and _ITEM_START.match(labels[-1].text):
        return False
    before = previous.rows[-1]
    texts = [c for c in after if c is not None and c.text]
    if not any(is_figure(c.text) for c in texts):
        return bool(texts) and all(_continues_cell(previous, c, _figures_from(before)) for c in texts)
    return _label_piece(before, _figures_from(after))


def _figures_from(row: list[Cell | None]) -> float | None:
    """Where a row's figures begin (the left edge of its first figure cell)."""
    return min((c.x0 for c in row if c is not None and c.text and is_figure(c.text)), default=None)


def _continues_cell(previous: Table, cell: Cell, figures: float | None) -> bool:
    if figures is None or cell.x1 <= figures + _EDGE:
        return True  # under the row's labels
    above = _cell_above(previous, cell)
    return above is not None and above.text.count("（") + above.text.count("(") > above.text.count(
        "）"
    ) + above.text.count(")")


def _label_piece(piece: list[Cell | None], figures: float | None) -> bool:
    cells = [c for c in piece if c is not None and c.text]
    if figures is None or any(is_figure(c.text) for c in cells):
        return False
    return all(c.x1 <= figures + _EDGE for c in cells)


def _cell_above(table: Table, cell: Cell) -> Cell | None:
    """The cell of ``table`` that reaches its bottom edge over most of ``cell``'s width: the
    last row's cell, or a label cell merged down to it."""
    candidates = [c for row in table.rows for c in row if c is not None and abs(c.bottom - table.bottom) < _EDGE]
    overlap = {id(c): min(c.x1, cell.x1) - max(c.x0, cell.x0) for c in candidates}
    best = max(candidates, key=lambda c: overlap[id(c)], default=None)
    return best if best is not None and overlap[id(best)] > 0 else None


def table_lines(table: Table) -> list[tuple[str, str]]:
    """(line, place) for each row of a table, through the one cell reader."""
    return [
        (row_line([None if c is None else c.text for c in row]), place)
        for row, place in zip(table.rows, table.places, strict=True)
    ]


def read_ruled(pdf: Any) -> tuple[list[tuple[str, str]], bool]:
    """The PDF as (line, place) pairs, its ruled tables read cell by cell and its other text line by
    line, and whether it has any ruled table at all (without one, the plain text reading is all
    there is)."""
    pages = [page_items(page, number) for number, page in enumerate(pdf.pages, 1)]
    has_tables = any(item.table is not None for page in pages for item in page)
    lines: list[tuple[str, str]] = []
    numbers: dict[int, int] = {}
    for item in join_pages(pages):
        if item.table is not None:
            lines += table_lines(item.table)
        else:
            numbers[item.page] = numbers.get(item.page, 0) + 1
            lines.append((delimited_line(item.text or ""), f"第{item.page}页第{numbers[item.page]}行"))
    return lines, has_tables
