"""The fill-in templates the office sends out: one official-layout workbook per unit, its cover
already carrying the unit's name, the year and the contact on record."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rollup.forms import Edition
from rollup.outputs import remove_leftovers, write_atomically
from rollup.render.form import form_workbook
from rollup.roster import Unit
from rollup.text import safe_file_name


def write_templates(edition: Edition, year: int, units: Iterable[Unit], folder: Path) -> list[Path]:
    """Write ``<unit name>.xlsx`` for every unit into ``folder``, cover prefilled; return the paths.
    Two names that clean up to the same file name are told apart by the unit's id."""
    folder = Path(folder)
    remove_leftovers(folder)
    written: list[Path] = []
    for unit in units:
        path = folder / f"{safe_file_name(unit.name)}.xlsx"
        if path in written:
            path = folder / f"{safe_file_name(unit.name)}_{safe_file_name(unit.id)}.xlsx"
        cover = {"unit": unit.name, "year": year, "contact": unit.contact, "phone": unit.phone}
        written.append(write_atomically(path, form_workbook(edition, cover=cover).save))
    return written


def write_blank_template(edition: Edition, year: int, path: Path) -> Path:
    """One template with no unit on its cover, only the year."""
    return write_atomically(Path(path), form_workbook(edition, cover={"year": year}).save)
