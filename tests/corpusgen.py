"""The reading corpus: reports as units really send them, each made from known form data so that
a reading can be compared with what the file was made from.

Each :class:`Case` is a recipe: whose data (one of the shared real reports, or consistent random
values of an edition), and how the file is made. Files that need software CI lacks (LibreOffice
printing a Word file to PDF, saving it as Word 97) are made by ``tests/corpus/make_corpus.py`` and
committed under ``tests/corpus/``; the rest are written by the tests themselves."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reportgen import (
    ReportSpec,
    consistent_values,
    report_text,
    write_docx,
    write_text,
    write_word_html,
    write_workbook,
)

from rollup.forms import editions

CORPUS = Path(__file__).resolve().parent / "corpus"
REPORTS = Path(__file__).resolve().parents[2] / "shared" / "reports"


@dataclass(frozen=True)
class Case:
    """One corpus file: ``data`` is a shared real report's file name, or ``random:<edition>:<seed>``;
    ``make`` says how the file is made (see make_corpus.py); ``options`` are ReportSpec fields."""

    file: str
    data: str
    make: str
    unit: str | None = None
    year: int | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return CORPUS / self.file


def real_report(name: str) -> dict:
    entries = json.loads((REPORTS / "expected.json").read_text(encoding="utf-8"))
    return next(e for e in entries if e["file"] == name)


def blank_applicants(edition: str) -> frozenset[str]:
    """Like 商务局 2020: every applicant column of table B left blank, only 总计 filled."""
    return frozenset(c.code for c in editions()[edition].table("B").cells if c.column.code != "total")


# How the real reports differ from the form data alone (blank cells, a narrative figure).
REAL_QUIRKS: dict[str, dict[str, Any]] = {
    "yueqing-commerce-2020.txt": {"blanks": blank_applicants("2019"), "narrative": {"不予公开": 53}},
}


def spec_for(case: Case) -> ReportSpec:
    if case.data.startswith("random:"):
        _, edition, seed = case.data.split(":")
        spec = ReportSpec(
            edition=editions()[edition], values=consistent_values(editions()[edition], int(seed)), unit="", year=0
        )
    else:
        entry = real_report(case.data)
        spec = ReportSpec(
            edition=editions()[entry["edition"]],
            values=entry["values"],
            notes=entry["notes"],
            unit=entry["unit"],
            year=entry["year"],
            **REAL_QUIRKS.get(case.data, {}),
        )
    changes: dict[str, Any] = {k: v for k, v in (("unit", case.unit), ("year", case.year)) if v is not None}
    changes |= case.options
    return replace(spec, **changes)


CASES = (
    # The published reports printed to PDF from the official Word layout: table B runs over a
    # page break (one of its rows split by it), table C's row of numbers is split as well.
    Case("city-2019.pdf", "yueqing-2019-city.txt", "pdf", options={"filler": True}),
    Case("govoffice-2021.pdf", "yueqing-govoffice-2021.txt", "pdf"),
    Case("commerce-2020.pdf", "yueqing-commerce-2020.txt", "pdf", options={"filler": True}),
    # 2021 with filler cells beside the one-column blocks of table A; the page break falls
    # between two rows while the merged group labels (三、本年度办理结果, （三）不予公开) run on.
    Case("govoffice-filler-2021.pdf", "yueqing-govoffice-2021.txt", "pdf", options={"filler": True}),
    # Another unit's data in each edition, printed the same way.
    Case("county-2020.pdf", "random:2019:7", "pdf", "永嘉县财政局", 2020, {"filler": True}),
    Case("town-2022.pdf", "random:2021:11", "pdf", "大荆镇人民政府", 2022),
    # A city report from another tool: no ruling lines, a text layer in Kangxi radicals and
    # compatibility ideographs, the 、 of each part heading on a line of its own.
    Case(
        "kangxi-2021.pdf",
        "random:2021:5",
        "text-pdf",
        "温州市鹿城区人民政府",
        2021,
        {"kangxi": True, "heading_break": True},
    ),
    # Word 97 (.doc) saved by LibreOffice from the official layout: read by converting it back.
    Case("bureau-2021.doc", "random:2021:3", "doc", "乐清市审计局", 2021),
    # The official Word file saved as a web page by LibreOffice, kept under the name .doc.
    Case("web-2019.doc", "random:2019:9", "web", "乐清市民政局", 2019, {"filler": True}),
)


# Containers the tests write themselves (no LibreOffice needed), by the file name they get.
CONTAINERS: dict[str, Callable[[Path, ReportSpec], Path]] = {
    "official.docx": lambda path, spec: write_docx(path, spec, "official"),
    "web-page.doc": write_word_html,
    "pipes.txt": lambda path, spec: write_text(path, report_text(spec, "pipes")),
    "box.txt": lambda path, spec: write_text(path, report_text(spec, "box")),
    "cells.txt": lambda path, spec: write_text(path, report_text(spec, "one_per_line")),
    "own.xlsx": lambda path, spec: write_workbook(path, spec, "sheets"),
    "own.xls": lambda path, spec: write_workbook(path, spec, "one_sheet"),
}


def containers_for(spec: ReportSpec) -> list[str]:
    """The containers a report can be written in (one cell per line cannot show a blank cell)."""
    return [name for name in CONTAINERS if not (name == "cells.txt" and spec.blanks)]
