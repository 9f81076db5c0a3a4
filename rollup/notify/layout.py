"""A message body as plain data (headed sections of paragraphs and tables), rendered twice: as
plain text and as simple table-based HTML that Outlook and Foxmail show as meant.

Everything in a ``Section`` is text; the HTML renderer escapes all of it, so a unit name or a
finding can never inject markup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Grid:
    """A table: a header row and rows of cells, all text."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    title: str | None = None
    paragraphs: tuple[str, ...] = ()
    grid: Grid | None = None
    notes: tuple[str, ...] = ()  # small print under the table
    picture: str | None = None  # alt text of the picture that goes with the message (HTML only)


@dataclass(frozen=True)
class Document:
    title: str
    sections: tuple[Section, ...]
    footer: str = ""


def grid(header: Sequence[str], rows: Iterable[Iterable[object]]) -> Grid:
    return Grid(tuple(header), tuple(tuple(str(cell) for cell in row) for row in rows))


# --- plain text -------------------------------------------------------------------------


def to_text(document: Document) -> str:
    lines = [document.title, ""]
    for section in document.sections:
        if section.title:
            lines += [f"【{section.title}】"]
        lines += list(section.paragraphs)
        if section.grid is not None:
            lines += _text_grid(section.grid)
        lines += list(section.notes)
        lines.append("")
    if document.footer:
        lines += ["--", document.footer]
    return "\n".join(lines).rstrip() + "\n"


def _text_grid(table: Grid) -> list[str]:
    # Column alignment is meaningless with CJK text in proportional mail fonts; one record per
    # line with the header first reads best in any mail client.
    return ["  " + " | ".join(table.header)] + ["  " + " | ".join(row) for row in table.rows]


# --- HTML -------------------------------------------------------------------------------

PICTURE_ID = "chart@rollup"  # the Content-ID of a message's picture, as the HTML refers to it
_FONT = "font-family:'Microsoft YaHei','PingFang SC','SimSun',sans-serif;font-size:14px;color:#222;"
_CELL = "border:1px solid #999;padding:4px 8px;vertical-align:top;"
_HEAD = _CELL + "background:#e8eef7;font-weight:bold;white-space:nowrap;"


def to_html(document: Document) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(document.title)}</title></head>",
        f'<body style="{_FONT}">',
        f'<h2 style="font-size:18px;margin:0 0 12px 0;">{escape(document.title)}</h2>',
    ]
    for section in document.sections:
        parts += _html_section(section)
    if document.footer:
        parts.append(f'<p style="color:#777;font-size:12px;margin-top:24px;">{escape(document.footer)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_section(section: Section) -> list[str]:
    parts = []
    if section.title:
        parts.append(f'<h3 style="font-size:15px;margin:18px 0 6px 0;">{escape(section.title)}</h3>')
    parts += [f'<p style="margin:4px 0;">{escape(p)}</p>' for p in section.paragraphs]
    if section.grid is not None:
        parts += _html_grid(section.grid)
    if section.picture:
        parts.append(f'<p style="margin:8px 0;"><img src="cid:{PICTURE_ID}" alt="{escape(section.picture)}"></p>')
    parts += [f'<p style="margin:4px 0;color:#555;font-size:12px;">{escape(n)}</p>' for n in section.notes]
    return parts


def _html_grid(table: Grid) -> list[str]:
    head = "".join(f'<th style="{_HEAD}">{escape(h)}</th>' for h in table.header)
    body = ["<tr>" + "".join(f'<td style="{_CELL}">{escape(c)}</td>' for c in row) + "</tr>" for row in table.rows]
    return [
        '<table cellspacing="0" cellpadding="0" border="1" style="border-collapse:collapse;margin:4px 0 8px 0;">',
        f"<tr>{head}</tr>",
        *body,
        "</table>",
    ]
