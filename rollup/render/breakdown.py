"""Where the region's figures come from and how they compare: the units behind every figure (数字来源,
and a comment on the small decisive cells of the form's sheets), subtotals by the roster's
categories (分类汇总), and the region's figures against last year's with the headline figures over
every year the ledger knows (与上年比较)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.worksheet.worksheet import Worksheet

from rollup.aggregate import Consolidation, UnitReport
from rollup.forms import Number, edition_for_year, format_number
from rollup.model import Submission
from rollup.render.sheets import frame_sheet

SOURCES_SHEET, CATEGORIES_SHEET, YEARS_SHEET = "数字来源", "分类汇总", "与上年比较"
FEW = 3  # a figure made by this many units or fewer is worth naming them in its comment
PLACE = ["表", "行", "列"]
NAMED = 100  # units named for one figure; a province's thousands would pass a cell's 32,767 characters


class Contribution(NamedTuple):
    """One unit's share of a region's figure, its note, and, when the unit is itself a region
    (a county's workbook), the units inside it that make its share. A named tuple: a province
    makes half a million of them, and a tuple is made in a third of a frozen dataclass's time."""

    unit: str
    value: Number
    note: str | None = None
    parts: tuple[tuple[str, Number], ...] = ()

    @property
    def words(self) -> str:
        inside = "、".join(f"{name} {format_number(v)}" for name, v in self.parts)
        note = f"（{self.note}）" if self.note else ""
        return f"{self.unit} {format_number(self.value)}{note}" + (f"〔其中 {inside}〕" if inside else "")


@dataclass(frozen=True)
class Shares:
    """The units behind one figure: the ``NAMED`` largest shares, largest first (in the units'
    order among equals), and how many more units there are and the sum of their shares."""

    named: tuple[Contribution, ...]
    more: int = 0
    rest: Number = 0

    def __len__(self) -> int:
        return len(self.named) + self.more


def contributions(result: Consolidation) -> dict[str, Shares]:
    """Every counted unit's non-zero share of each cell, by cell code. Only the largest shares
    of a figure are kept while the units go by (a heap of ``NAMED`` a figure): a province's
    million shares, held all at once, were the peak of a run's memory."""
    largest: dict[str, list[tuple[Number, int]]] = {}
    counts: dict[str, int] = {}
    totals: dict[str, Number] = {}
    summed = result.summed
    for order, (_, submission) in enumerate(summed):
        for code, value in submission.values.items():
            if value:
                counts[code] = counts.get(code, 0) + 1
                totals[code] = totals.get(code, 0) + value
                heap = largest.setdefault(code, [])
                # (value, -order): of equal shares the earlier unit ranks higher, as a stable sort keeps it
                (heapq.heappush if len(heap) < NAMED else heapq.heappushpop)(heap, (value, -order))
    found = {}
    for code, heap in largest.items():
        named = tuple(_contribution(summed[-negated], code) for _, negated in sorted(heap, reverse=True))
        found[code] = Shares(named, counts[code] - len(named), totals[code] - sum(c.value for c in named))
    return found


def _contribution(counted: tuple[UnitReport, Submission], code: str) -> Contribution:
    report, submission = counted
    inside = submission.constituents
    parts = tuple((p.name, p.values[code]) for p in inside if p.values.get(code)) if inside else ()
    return Contribution(report.unit.name, submission.values[code], submission.notes.get(code), parts)


def listed(shares: Shares) -> str:
    """The units behind a figure, largest share first: the first ``NAMED``, then how many more and their sum."""
    words = "；".join(c.words for c in shares.named)
    return words + (f"；其余 {shares.more} 家共 {format_number(shares.rest)}" if shares.more else "")


def comments(result: Consolidation, shares: Mapping[str, Shares]) -> dict[str, str]:
    """Comments for the form's sheets: the region's note, and for a decisive cell (table C, or a
    figure few units make) the units behind it."""
    found = dict(result.notes)
    for code, parts in shares.items():
        if result.edition.cell(code).table == "C" or len(parts) <= FEW:
            behind = "来自：" + listed(parts)
            found[code] = f"{found[code]}\n{behind}" if code in found else behind
    return found


def _places(result: Consolidation) -> list[tuple[str, list[str]]]:
    edition = result.edition
    return [(cell.code, list(edition.place(cell.table, cell.row.code, cell.column.code))) for cell in edition.cells]


def sources_frame(result: Consolidation, shares: Mapping[str, Shares]) -> pd.DataFrame:
    """One row per figure that is not 0: the units that make it, largest share first."""
    rows = [
        [*place, result.values[code], len(shares[code]), listed(shares[code])]
        for code, place in _places(result)
        if result.values.get(code) and code in shares
    ]
    return pd.DataFrame(rows, columns=[*PLACE, "汇总数", "单位数", "构成（单位 数值，从大到小）"], dtype=object)


def categories_frame(result: Consolidation) -> pd.DataFrame:
    """The region's figures and their subtotals by the roster's categories (counted units)."""
    categories = list(dict.fromkeys(report.unit.category for report, _ in result.summed))
    sums: dict[str, dict[str, Number]] = {c: {} for c in categories}
    for report, submission in result.summed:
        column = sums[report.unit.category]
        for code, value in submission.values.items():
            column[code] = column.get(code, 0) + value
    rows = [
        [*place, result.values.get(code, 0), *(_tidy(sums[c].get(code, 0)) for c in categories)]
        for code, place in _places(result)
    ]
    return pd.DataFrame(rows, columns=[*PLACE, "合计", *categories], dtype=object)


def _tidy(value: Number) -> Number:
    return int(value) if float(value).is_integer() else round(value, 4)


def years_frames(result: Consolidation, years: Mapping[int, Mapping[str, Number]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The headline figures of every year the ledger knows, and every figure against last year's."""
    known = {year: values for year, values in sorted(years.items()) if year <= result.year}
    known[result.year] = result.values
    labels = [label for label, _ in result.edition.headline_figures(result.values)]
    headlines = [
        [f"{year}年", *(v for _, v in edition_for_year(year).headline_figures(values))]
        for year, values in known.items()
    ]
    last = known.get(result.year - 1)
    rows = []
    for code, place in _places(result):
        now = result.values.get(code, 0)
        before = last.get(code) if last is not None else None
        change = None if before is None else _tidy(now - before)
        ratio = None if before in (None, 0) or change is None else change / before
        rows.append([*place, now, before, change, ratio])
    columns = [*PLACE, f"{result.year}年", f"{result.year - 1}年", "增减", "增减%"]
    return (
        pd.DataFrame(headlines, columns=["年度", *labels], dtype=object),
        pd.DataFrame(rows, columns=columns, dtype=object),
    )


def write_sheets(
    workbook: object,
    result: Consolidation,
    shares: Mapping[str, Shares],
    years: Mapping[int, Mapping[str, Number]],
    text: Callable[[str], object] = str,
) -> None:
    """Add 数字来源, 分类汇总 and 与上年比较 to ``workbook``."""
    create = workbook.create_sheet  # type: ignore[attr-defined]
    frame_sheet(create(SOURCES_SHEET), sources_frame(result, shares), widths=_WIDTHS, text=text)
    frame_sheet(create(CATEGORIES_SHEET), categories_frame(result), widths=_WIDTHS, text=text)
    sheet = create(YEARS_SHEET)
    headlines, compared = years_frames(result, years)
    frame_sheet(sheet, headlines, widths=_WIDTHS, text=text)
    chart_rows = _headline_chart(sheet, len(headlines), len(headlines.columns) - 1)
    frame_sheet(sheet, compared, at=len(headlines) + chart_rows + 3, widths=_WIDTHS, percent=("增减%",), text=text)


_WIDTHS = {"表": 10, "行": 34, "列": 18, "构成（单位 数值，从大到小）": 90, "年度": 8}
_CHART_ROWS = 15


def _headline_chart(sheet: Worksheet, years: int, series: int) -> int:
    """A line chart of the headline figures over the years, under their table; its height in rows."""
    chart = LineChart()
    chart.title, chart.height, chart.width = "主要数据逐年变化", 7, 16
    chart.add_data(Reference(sheet, min_col=2, max_col=series + 1, min_row=1, max_row=years + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=years + 1))
    chart.y_axis.delete = chart.x_axis.delete = False
    sheet.add_chart(chart, f"A{years + 3}")
    return _CHART_ROWS
