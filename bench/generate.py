"""A province's worth of filled, valid submissions, made fast.

Every file is a real fill-in template from the project's own writer (``form_workbook``), but
the writer runs only once per workload: it renders one *stamp* workbook whose input cells
hold unique placeholder numbers and whose cover holds a placeholder unit name. Each
submission is then that workbook's zip with the placeholders replaced in the sheet XML,
which is ~20× faster than rendering and saving through openpyxl for every unit.

Values are valid by construction and checked: every unit gets its own random values
(independent cells drawn at random, every cell a sum rule fixes derived from the rules), and
the project's validator must find nothing in them.

A workload is a folder laid out like an office's: ``config/rollup.toml``, ``config/units.csv``
(a roster of N units: counties of the shipped sample's 49 departments and 25 townships),
``inbox/`` (one file per unit, received in January before the deadline) and ``outbox/``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import chain
from pathlib import Path
from xml.sax.saxutils import escape

from rollup.demo.sample import Derivation, derivations
from rollup.forms import Edition, Number, edition_for_year
from rollup.render.form import form_workbook
from rollup.roster import Unit, load_roster
from rollup.validate import check_values

REPO = Path(__file__).resolve().parents[1]
SAMPLE_ROSTER = REPO / "config" / "units.csv"
SAMPLE_PREFIX = "乐清市"  # the sample's department names carry the city's name; counties get their own
REGION = "示范省"
GENERATOR_VERSION = 1  # bump when the files change, so stale workloads are regenerated
MANIFEST = "bench.json"

_UNIT_MARK = "ROLLUPBENCHUNIT"
_FIRST_MARK = 900_000_001  # placeholder numbers: far beyond any value the generator draws


# --- values ------------------------------------------------------------------------------------


@cache
def _derivations(edition: Edition) -> tuple[Derivation, ...]:
    """The sum rules solved for the cells they fix (the sample splitter's generic solver)."""
    return tuple(derivations(edition))


def _derive(found: tuple[Derivation, ...], values: dict[str, Number]) -> None:
    """Fill in every cell a rule fixes once its operands are known."""
    while ready := [d for d in found if d.ready(values)]:
        for d in ready:
            values[d.target] = d.solve(values)


def _random_cell(kind: str, rng: random.Random) -> Number:
    """One independent cell as units fill it: many zeros, a long tail of larger numbers."""
    if kind == "money":
        return 0 if rng.random() < 0.4 else round(rng.lognormvariate(3, 1.5), 2)
    if kind == "signed":
        return rng.randint(-3, 5)
    return 0 if rng.random() < 0.7 else min(500, int(rng.lognormvariate(0.5, 1.2)))


def valid_values(edition: Edition, rng: random.Random) -> dict[str, Number]:
    """One unit's values satisfying every rule of ``edition``. Cells subtracted in a rule
    (row 二 in 1 + 2 = 3.7 + 4) are drawn last, capped so the cell derived from them stays
    non-negative."""
    found = _derivations(edition)
    derived = {d.target for d in found}
    deferred = {c for d in found for c in d.minus if c not in derived}
    values = {
        cell.code: _random_cell(cell.kind, rng)
        for cell in edition.cells
        if cell.code not in derived and cell.code not in deferred
    }
    _derive(found, values)
    for code in sorted(deferred):
        room = [d.solve({**values, code: 0}) for d in found if code in d.minus]
        values[code] = rng.randint(0, max(0, int(min(room))))
    _derive(found, values)
    ordered = {code: values[code] for code in edition.codes}
    problems = check_values(edition, ordered)
    if problems:
        raise AssertionError(f"generated values break the form's rules: {problems[0].message}")
    return ordered


# --- the stamp ---------------------------------------------------------------------------------


def _xml_number(value: Number) -> str:
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class _Member:
    """One zip member, either fixed bytes or XML text with slots: ``pieces`` alternates
    fixed text and slot keys (cell codes, or ``_UNIT_MARK``)."""

    info: zipfile.ZipInfo
    data: bytes | None
    pieces: tuple[str, ...] = ()

    def render(self, slots: Mapping[str, str]) -> bytes:
        if self.data is not None:
            return self.data
        parts = [piece if i % 2 == 0 else slots[piece] for i, piece in enumerate(self.pieces)]
        return "".join(parts).encode("utf-8")


class Stamp:
    """The template of one edition and year, rendered once by ``form_workbook``, from which
    any number of filled submissions are written by replacing placeholders in its XML."""

    def __init__(self, edition: Edition, year: int):
        marks = {code: _FIRST_MARK + i for i, code in enumerate(edition.codes)}
        cover = {
            "unit": _UNIT_MARK,
            "year": year,
            "contact": "填报人",
            "phone": "0571-00000000",
            "date": f"{year + 1}-01-15",
        }
        buffer = io.BytesIO()
        form_workbook(edition, values=marks, cover=cover, protect=True).save(buffer)
        tokens = {f"<v>{number}</v>": code for code, number in marks.items()}
        tokens[f"<t>{_UNIT_MARK}</t>"] = _UNIT_MARK
        self._members = self._split(zipfile.ZipFile(buffer), tokens)

    @staticmethod
    def _split(archive: zipfile.ZipFile, tokens: Mapping[str, str]) -> list[_Member]:
        """Every member, with the placeholders cut out of the ones that hold any; each
        placeholder must be found exactly once, or the stamp would write wrong files."""
        pattern = re.compile("|".join(re.escape(token) for token in tokens))
        members, found = [], []
        for info in archive.infolist():
            data = archive.read(info)
            text = data.decode("utf-8") if info.filename.endswith(".xml") else ""
            keys = [tokens[m.group()] for m in pattern.finditer(text)]
            if not keys:
                members.append(_Member(info, data))
                continue
            found += keys
            pieces = pattern.split(text)
            woven = (*chain.from_iterable(zip(pieces, keys, strict=False)), pieces[-1])
            members.append(_Member(info, None, woven))
        if sorted(found) != sorted(tokens.values()):
            raise AssertionError("the template writer's output changed: placeholders not found exactly once")
        return members

    def write(self, path: Path, unit_name: str, values: Mapping[str, Number]) -> Path:
        slots = {code: f"<v>{_xml_number(value)}</v>" for code, value in values.items()}
        slots[_UNIT_MARK] = f"<t>{escape(unit_name)}</t>"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for member in self._members:
                archive.writestr(member.info, member.render(slots), compress_type=zipfile.ZIP_DEFLATED)
        return path


# --- the roster --------------------------------------------------------------------------------


def roster_units(n: int) -> Iterator[Unit]:
    """``n`` units: county after county of the sample city's departments and townships, each
    county's department names carrying the county's name instead of the sample city's."""
    pattern = list(load_roster(SAMPLE_ROSTER))
    for index in range(n):
        county, unit = divmod(index, len(pattern))
        template = pattern[unit]
        name = f"第{county + 1:03d}县{template.name.removeprefix(SAMPLE_PREFIX)}"
        yield Unit(
            id=f"C{county + 1:03d}-{template.id}",
            name=name,
            category=template.category,
            contact=f"联系人{index + 1}",
            phone=f"0571-{index + 1:08d}",
            email=f"unit{index + 1}@example.gov.cn",
        )


def write_roster(path: Path, units: Sequence[Unit]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["编码", "单位名称", "类别", "别名", "联系人", "电话", "邮箱", "截止日期"])
    writer.writerows([u.id, u.name, u.category, "", u.contact, u.phone, u.email, ""] for u in units)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_config(path: Path, year: int) -> Path:
    path.write_text(
        f'region = "{REGION}"\nyear = {year}\n\n[deadlines]\n{year} = {year + 1}-01-31\n\n'
        '[paths]\nroster = "units.csv"\ninbox = "../inbox"\noutbox = "../outbox"\n',
        encoding="utf-8",
    )
    return path


# --- the workload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    folder: Path
    n: int
    year: int
    seed: int

    @property
    def config(self) -> Path:
        return self.folder / "config" / "rollup.toml"

    @property
    def inbox(self) -> Path:
        return self.folder / "inbox"

    @property
    def outbox(self) -> Path:
        return self.folder / "outbox"

    @property
    def files(self) -> list[Path]:
        return sorted(self.inbox.glob("*.xlsx"))

    def _manifest(self) -> dict:
        return {"n": self.n, "year": self.year, "seed": self.seed, "generator": GENERATOR_VERSION}

    def is_ready(self) -> bool:
        """Whether the folder already holds exactly this workload (so it can be reused), received
        before the deadline (a copy of the folder stamps its files with the time of copying)."""
        manifest = self.folder / MANIFEST
        try:
            same = json.loads(manifest.read_text(encoding="utf-8")) == self._manifest()
            files = self.files
            deadline = datetime(self.year + 1, 1, 31).timestamp()
            return same and len(files) == self.n and all(p.stat().st_mtime < deadline for p in files)
        except (OSError, ValueError):
            return False


def received_moment(year: int, index: int, n: int) -> datetime:
    """When file ``index`` of ``n`` arrived: spread over 5–30 January, before the deadline."""
    return datetime(year + 1, 1, 5, 8) + timedelta(days=25) * index / max(n, 1)


def generate(folder: Path, n: int, *, year: int, seed: int = 2024) -> Workload:
    """Write a fresh workload of ``n`` submissions for ``year`` into ``folder`` (emptied first
    of a previous workload's inbox and outbox)."""
    workload = Workload(Path(folder), n, year, seed)
    for sub in (workload.inbox, workload.outbox, workload.config.parent):
        if sub.is_dir():
            _clear(sub)
        sub.mkdir(parents=True, exist_ok=True)
    (workload.folder / MANIFEST).unlink(missing_ok=True)
    edition = edition_for_year(year)
    rng = random.Random(seed)
    stamp = Stamp(edition, year)
    units = list(roster_units(n))
    for index, unit in enumerate(units):
        path = stamp.write(workload.inbox / f"{unit.name}.xlsx", unit.name, valid_values(edition, rng))
        moment = received_moment(year, index, n).timestamp()
        os.utime(path, (moment, moment))
    write_roster(workload.config.parent / "units.csv", units)
    write_config(workload.config, year)
    (workload.folder / MANIFEST).write_text(json.dumps(workload._manifest()), encoding="utf-8")
    return workload


def _clear(folder: Path) -> None:
    """Empty a folder the benchmark owns (its inbox, outbox or config)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
