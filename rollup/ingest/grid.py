"""One reader for the cells of every grid a report comes in: Word, web-page and PDF tables,
spreadsheets, and lines of delimited text. Each row becomes one line in the form the table
reader takes (cells separated by tabs), so that every container is read by the same rules:

- a cell covered by a merged cell is no cell at all;
- text wrapped inside a cell is one text;
- an empty cell among a row's numbers is a blank cell (``BLANK``);
- an empty cell after a row's last number, or before its first one when the row has no label,
  is layout rather than data (``FILLER``): Word leaves such cells where a block of the form has
  fewer columns than the table's grid; the table reader counts one as a blank cell only when the
  form's row needs it;
- empty cells among the labels are the continuation of merged label cells, not cells.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

BLANK = "\u2400"  # an empty cell that is a cell of the form; never occurs in real text
FILLER = "\u2402"  # an empty cell at either end of a row's numbers: a cell only if needed

# Delimiters that make a line of text a row of cells: tab, ASCII, full-width and box-drawing
# vertical bars.
_DELIMITED = re.compile(r"[\t|│┃｜]")
_BORDER = re.compile(r"^[ \u3000]*[|│┃｜]|[|│┃｜][ \u3000]*$")
# A cell that holds a figure (or says it does not apply): everything else in a row is label.
_FIGURE = re.compile(
    r"""^(?:[增减+\-－−]\s*)?(?:\d{1,3}(?:[,，]\d{3})+|\d+(?:\.\d+)?)\s*(?:万元|元|件|条|个|项|次)?\s*(?:[(（].*)?$
       |^(?:-{1,2}|—{1,2}|/|无|–|―|－)$""",
    re.VERBOSE,
)


_SPACED_DIGITS = re.compile(r"(?<=\d) +(?=\d)")


def is_figure(text: str) -> bool:
    return bool(_FIGURE.match(text.strip()))


def cell_text(text: str | None, wrapped: bool = False) -> str:
    """A cell's text on one line. ``wrapped`` text (a PDF cell) was broken by the layout, so its
    lines are joined without a space; otherwise (Word paragraphs, web pages) runs of white space
    are one space."""
    if text is None:
        return ""
    if wrapped:
        # a cell holds one figure: spaces a PDF's spacing put between its digits are not there
        text = _SPACED_DIGITS.sub("", "".join(line.strip() for line in text.splitlines()))
    return " ".join(text.split())


def row_line(cells: Sequence[str | None], wrapped: bool = False) -> str:
    """One grid row as a line of tab-separated cells (see the module's rules). ``None`` is a
    position covered by a merged cell."""
    texts = [cell_text(cell, wrapped) for cell in cells if cell is not None]
    labels = [i for i, text in enumerate(texts) if text and not is_figure(text)]
    filled = [i for i, text in enumerate(texts) if text]
    if not filled:
        return ""
    first_value = labels[-1] + 1 if labels else 0
    last_filled = filled[-1]
    fields = []
    for i, text in enumerate(texts):
        if text:
            fields.append(text)
        elif i < first_value:
            continue  # a merged label cell's continuation, or the margin left of the table
        elif i > last_filled or (not labels and i < filled[0]):
            fields.append(FILLER)
        else:
            fields.append(BLANK)
    return "\t".join(fields)


def delimited_line(line: str) -> str:
    """A line of text as the table reader takes it. With explicit delimiters (tab, |, │) the
    line is a row of cells read by the rules above: an empty field among the numbers is a blank
    cell, empty fields after the last number are filler; the bars at the ends of a row are its
    border and tabs at its ends indentation, not cells. A line with no delimiter is returned as
    it is: its cells are told apart by the table reader."""
    if not _DELIMITED.search(line):
        return line.rstrip()
    line = _BORDER.sub("", line.strip("\t\r\n "))
    return row_line(_DELIMITED.split(line))
