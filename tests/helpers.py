"""Test helpers that act like a unit: fill the office's template the way a person would."""

from pathlib import Path

import openpyxl
import xlwt

from rollup import codesheet
from rollup.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]


def code_locations(path: Path) -> dict[str, tuple[str, str]]:
    """Where a template keeps each code, read from its hidden code sheet with openpyxl."""
    wb = openpyxl.load_workbook(path)
    rows = [list(r) for r in wb[codesheet.SHEET].iter_rows(values_only=True)]
    found = codesheet.parse(rows)
    assert found is not None, f"{path} has no code sheet"
    return found.locations


def fill_template(template: Path, out: Path, values: dict, cover: dict | None = None) -> Path:
    """Type ``values`` (code -> anything a person might type) into a copy of the template."""
    locations = code_locations(template)
    wb = openpyxl.load_workbook(template)
    for key, value in {**values, **(cover or {})}.items():
        sheet, cell = locations[key]
        wb[sheet][cell] = value
    wb.save(out)
    return out


def save_as_xls(xlsx: Path, out: Path) -> Path:
    """The same workbook saved in the old .xls format (values only), as many units still send."""
    source = openpyxl.load_workbook(xlsx)
    book = xlwt.Workbook()
    for ws in source.worksheets:
        target = book.add_sheet(ws.title)
        if ws.sheet_state != "visible":
            target.visibility = 1
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    target.write(cell.row - 1, cell.column - 1, cell.value)
    book.save(str(out))
    return out


def settings_for(
    folder: Path, inbox: Path, extra: str = "", roster: Path | None = None, region: str = "乐清市"
) -> Settings:
    """Settings of a test office in ``folder``: the shipped sample roster (or ``roster``) of
    ``region``, its own inbox and outbox, plus ``extra`` TOML sections."""
    path = folder / "rollup.toml"
    roster = roster or REPO / "config" / "units.csv"
    path.write_text(
        f'region = "{region}"\nyear = 2019\n[paths]\nroster = "{roster.as_posix()}"\n'
        f'inbox = "{inbox.as_posix()}"\noutbox = "{(folder / "outbox").as_posix()}"\n' + extra,
        encoding="utf-8",
    )
    return load_settings(path)
