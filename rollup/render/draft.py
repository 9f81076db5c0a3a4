"""Draft paragraphs for the region's own report: each part with a table put into plain, factual
sentences from the consolidated figures (templates in the edition specs), with last year's
figure and the change where the ledger knows it, for the clerk to edit."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rollup.forms import Edition, Number, Placeholder, format_number, parse_cell_code

_NUMBERING = re.compile(r"^(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|\d+[.、])")
_EXPLANATION = re.compile(r"[（(][^（）()]*[)）]$")


def draft_paragraphs(
    edition: Edition,
    *,
    region: str,
    year: int,
    values: Mapping[str, Number],
    last: Mapping[str, Number] | None = None,
    notes: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Part number → draft paragraph. ``last``: last year's consolidated figures, if known;
    ``notes``: the region's notes by cell code (a 结果纠正 figure's note names its units)."""
    drafts = {}
    for draft in edition.drafts:
        text, at = "", 0
        for placeholder in draft.placeholders:
            text += draft.text[at : placeholder.start]
            text += _fill(edition, placeholder, values, last, notes or {})
            at = placeholder.end
        text += draft.text[at:]
        drafts[draft.part] = text.replace("{year}", str(year)).replace("{region}", region)
    return drafts


def _fill(
    edition: Edition,
    placeholder: Placeholder,
    values: Mapping[str, Number],
    last: Mapping[str, Number] | None,
    notes: Mapping[str, str],
) -> str:
    figure = sum(values.get(code, 0) for code in placeholder.codes)
    if placeholder.kind == "change":
        return _change(edition, placeholder.codes, figure, last)
    if placeholder.kind == "items":
        return _items(edition, placeholder.codes[0], values)
    if placeholder.kind == "who":
        return _who(edition, placeholder.codes, figure, notes)
    return format_number(figure)


def _unit_word(edition: Edition, code: str) -> str:
    return "万元" if edition.cell(code).kind == "money" else "件"


def _change(edition: Edition, codes: Sequence[str], figure: Number, last: Mapping[str, Number] | None) -> str:
    if last is None or not all(code in last for code in codes):
        return ""
    before = sum(last[code] for code in codes)
    word = _unit_word(edition, codes[0])
    if before == figure:
        return f"（上年{format_number(before)}{word}，与上年持平）"
    direction = "增加" if figure > before else "减少"
    return f"（上年{format_number(before)}{word}，{direction}{format_number(abs(figure - before))}{word}）"


def _items(edition: Edition, total: str, values: Mapping[str, Number]) -> str:
    """The non-zero rows of the column sum whose total is ``total``, by the form's groups of rows:
    "，其中予以公开191件、部分公开51件、不予公开53件"."""
    line = next((x for x in edition.rule_lines if x.left == (total,) and x.rule.each == "column"), None)
    if line is None:
        return ""
    table = edition.table(line.table)
    depth = len(table.row(parse_cell_code(total).row).path)
    groups: dict[str, Number] = {}
    for code in line.right:
        row = table.row(parse_cell_code(code).row)
        label = _short(row.path[depth] if len(row.path) > depth else row.label)
        groups[label] = groups.get(label, 0) + values.get(code, 0)
    shown = [f"{label}{format_number(n)}{_unit_word(edition, total)}" for label, n in groups.items() if n]
    return "，其中" + "、".join(shown) if shown else ""


def _short(label: str) -> str:
    """A row label without its numbering and its explanation: "（二）部分公开（区分处理的…）" → "部分公开"."""
    return _EXPLANATION.sub("", _NUMBERING.sub("", label)).strip()


def _who(edition: Edition, codes: Sequence[str], figure: Number, notes: Mapping[str, str]) -> str:
    if not figure:
        return ""
    names = list(dict.fromkeys(notes[code] for code in codes if notes.get(code)))
    label = edition.cell(codes[0]).column.label
    unit = _unit_word(edition, codes[0])
    return f"（{label}{format_number(figure)}{unit}" + (f"：{'、'.join(names)}）" if names else "）")
