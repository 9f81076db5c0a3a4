"""The sample city: 乐清's real 2019 city totals split across the sample roster's 74 units, and a
demo inbox of one filled workbook per unit made from them.

The split is plausible, not real: only the city totals are published, so each unit's share is
drawn with a fixed seed from weights that differ by category (``sample.toml``), favour a few big
units and leave many small units at zero. It is exact where it matters: for every cell the units
add up to the city value, and every unit's own tables satisfy every sum rule of the edition.
Only the independent cells are split; every cell a rule fixes (row totals, 三(七)总计, row 一,
group totals) is derived from the rules afterwards.

    rollup sample --expected ../shared/reports/expected.json [--out inbox] [--all]
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path

from rollup.forms import Cell, Edition, Number, edition_for_year
from rollup.outputs import write_atomically, write_text_atomically
from rollup.render.form import form_workbook
from rollup.roster import Roster, Unit, unit_key
from rollup.text import safe_file_name

CITY_FILE = "yueqing-2019-city.txt"


@dataclass(frozen=True)
class Profile:
    """How a kind of work is spread: a weight per roster category, the weight of a big unit, the
    chance that an ordinary unit has none of it at all, and which units are big."""

    weights: Mapping[str, float]
    big: float
    idle: float
    big_units: tuple[str, ...] = ()

    def weight(self, unit: Unit, rng: random.Random) -> float:
        if any(part in unit.name for part in self.big_units):
            return self.big
        return 0.0 if rng.random() < self.idle else self.weights.get(unit.category, 1.0)


@dataclass(frozen=True)
class Demo:
    """The sample city's settings (``sample.toml``)."""

    omitted: tuple[str, ...]
    faulty: Mapping[str, str]
    late: Mapping[str, str]
    profiles: Mapping[str, Profile]
    default: Profile
    items_column: str

    def profile(self, cell: Cell) -> tuple[str, Profile]:
        for key in (f"{cell.table}.{cell.row.code}", cell.table):
            if key in self.profiles:
                return key, self.profiles[key]
        return "", self.default


@cache
def demo() -> Demo:
    data = tomllib.loads(resources.files(__package__).joinpath("sample.toml").read_text(encoding="utf-8"))
    split = data["split"]

    def profile(entry: dict) -> Profile:
        return Profile(entry["weights"], entry["big"], entry["idle"], tuple(entry.get("big_units", split["big_units"])))

    return Demo(
        omitted=tuple(data["omitted"]),
        faulty=data["faulty"],
        late=data["late"],
        profiles={key: profile(entry) for key, entry in split["profiles"].items()},
        default=profile(split["default"]),
        items_column=split["items_column"],
    )


# --- the form's rules, turned into derivations --------------------------------------------------


@dataclass(frozen=True)
class Derivation:
    """``target = sum(plus) - sum(minus)``: one line (row or column) of one sum rule, solved
    for the one operand the split does not set itself."""

    rule: str
    target: str
    plus: tuple[str, ...]
    minus: tuple[str, ...]

    def ready(self, values: Mapping[str, Number]) -> bool:
        return self.target not in values and all(c in values for c in (*self.plus, *self.minus))

    def solve(self, values: Mapping[str, Number]) -> Number:
        return sum(values[c] for c in self.plus) - sum(values[c] for c in self.minus)


def derivations(edition: Edition) -> list[Derivation]:
    """One derivation per rule line that still has an operand no earlier line derives: the
    first such operand (left side first) becomes the derived cell. Lines with every operand
    derived already hold by construction."""
    derived: dict[str, Derivation] = {}
    for line in edition.rule_lines:
        for side, other in ((line.left, line.right), (line.right, line.left)):
            target = next((c for c in side if c not in derived), None)
            if target is not None:
                rest = tuple(c for c in side if c != target)
                derived[target] = Derivation(line.rule.id, target, plus=other, minus=rest)
                break
    return list(derived.values())


def _derive(found: Sequence[Derivation], values: dict[str, Number]) -> None:
    """Fill in every derived cell whose operands are known, until nothing more can be done."""
    progress = True
    while progress:
        ready = [d for d in found if d.ready(values)]
        for d in ready:
            values[d.target] = d.solve(values)
        progress = bool(ready)


def _check_city(edition: Edition, city: Mapping[str, Number]) -> None:
    missing = [code for code in edition.codes if city.get(code) is None]
    if missing:
        raise ValueError(f"全市数据缺少 {len(missing)} 个单元格，如 {'、'.join(missing[:5])}")
    for line in edition.rule_lines:
        lhs, rhs = sum(city[c] for c in line.left), sum(city[c] for c in line.right)
        if round(lhs - rhs, 4) != 0:
            raise ValueError(
                f"全市数据不符合勾稽关系 {line.rule.id}：{'+'.join(line.left)} = {lhs}，{'+'.join(line.right)} = {rhs}"
            )
    for cell in edition.cells:
        value = city[cell.code]
        if cell.kind != "money" and value != int(value):
            raise ValueError(f"全市数据 {cell.code} 应为整数，实为 {value}")
        if cell.kind == "count" and value < 0:
            raise ValueError(f"全市数据 {cell.code} 为负数 {value}")


# --- splitting ---------------------------------------------------------------------------------


def apportion(total: int, weights: Sequence[float], caps: Sequence[int] | None = None) -> list[int]:
    """Split the non-negative integer ``total`` in proportion to ``weights`` (largest remainder),
    never giving a unit more than its cap. When the weighted units are full or all weights are
    zero, the rest goes evenly to whoever still has room."""
    n = len(weights)
    weights = [max(float(w), 0.0) for w in weights]
    room = list(caps) if caps is not None else [total] * n
    shares = [0] * n
    left = total
    while left > 0:
        pool = [i for i in range(n) if weights[i] > 0 and room[i] > 0]
        if not pool:
            pool = [i for i in range(n) if room[i] > 0]
            if not pool:
                raise ValueError(f"无法拆分：还剩 {left} 无处分配（各单位均已达上限）")
            for i in pool:
                weights[i] = 1.0
        scale = left / sum(weights[i] for i in pool)
        exact = {i: weights[i] * scale for i in pool}
        give = {i: min(int(exact[i]), room[i]) for i in pool}
        rest = left - sum(give.values())
        for i in sorted(pool, key=lambda i: exact[i] - int(exact[i]), reverse=True):
            if rest == 0:
                break
            if give[i] < room[i]:
                give[i] += 1
                rest -= 1
        for i, amount in give.items():
            shares[i] += amount
            room[i] -= amount
            left -= amount
    return shares


def _decimals(value: Number) -> int:
    """Decimal places needed to split a money value exactly: 2, unless the value has more."""
    for places in (2, 3, 4):
        if abs(value * 10**places - round(value * 10**places)) < 1e-6:
            return places
    raise ValueError(f"金额 {value} 超过 4 位小数，无法精确拆分")


@dataclass
class CitySplit:
    """The city's values split across ``units``, one cell at a time (see the module's doc).
    ``pinned`` gives cells the city report attributes to one unit (its note names the unit)."""

    edition: Edition
    city: Mapping[str, Number]
    units: Sequence[Unit]
    seed: int = 2019
    pinned: Mapping[str, int] = field(default_factory=dict)  # cell code → index of the unit
    settings: Demo = field(default_factory=demo)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.derivations = derivations(self.edition)
        derived = {d.target for d in self.derivations}
        # Cells subtracted in a derivation (row 二 in 1 = 3.7 + 4 - 2) are split last, capped so
        # the derived cell cannot go negative.
        self.deferred = {c for d in self.derivations for c in d.minus if c not in derived}
        self.independent = [c for c in self.edition.cells if c.code not in derived and c.code not in self.deferred]
        self.values: list[dict[str, Number]] = [{} for _ in self.units]
        self._base: dict[str, list[float]] = {}  # profile weights, one list per profile
        self._noise: dict[tuple[str, str], list[float]] = {}  # per table row, so a row's cells agree

    def run(self) -> dict[str, dict[str, Number]]:
        """Unit id → values by cell code."""
        _check_city(self.edition, self.city)
        # Independent cells, a row at a time: items before their change, counts before money.
        for cells in self._rows().values():
            for cell in sorted(cells, key=self._cell_order):
                self._split(cell)
        self._derive_all()
        for code in sorted(self.deferred, key=self.edition.codes.index):
            self._split(self.edition.cell(code), self._deferred_caps(code))
        self._derive_all()
        unresolved = [code for code in self.edition.codes if code not in self.values[0]]
        if unresolved:
            raise RuntimeError(f"edition {self.edition.edition}: cells neither split nor derived: {unresolved}")
        return {
            u.id: {code: v[code] for code in self.edition.codes} for u, v in zip(self.units, self.values, strict=True)
        }

    def _rows(self) -> dict[tuple[str, str], list[Cell]]:
        rows: dict[tuple[str, str], list[Cell]] = {}
        for cell in self.independent:
            rows.setdefault((cell.table, cell.row.code), []).append(cell)
        return rows

    def _cell_order(self, cell: Cell) -> int:
        if cell.column.code == self.settings.items_column:
            return 0
        return {"signed": 1, "count": 2, "money": 3}[cell.kind]

    def _derive_all(self) -> None:
        for v in self.values:
            _derive(self.derivations, v)

    def _deferred_caps(self, code: str) -> list[int]:
        using = [d for d in self.derivations if code in d.minus]
        caps = []
        for v in self.values:
            room = [sum(v[c] for c in d.plus) - sum(v[c] for c in d.minus if c != code) for d in using]
            caps.append(max(0, int(min(room))))
        return caps

    def _weights(self, cell: Cell) -> list[float]:
        key, profile = self.settings.profile(cell)
        if key not in self._base:
            self._base[key] = [profile.weight(u, self.rng) for u in self.units]
        row = (cell.table, cell.row.code)
        if row not in self._noise:
            self._noise[row] = [self.rng.lognormvariate(0, 0.5) for _ in self.units]
        return [b * n for b, n in zip(self._base[key], self._noise[row], strict=True)]

    def _row_codes(self, cell: Cell) -> dict[str, str]:
        return {c.column.code: c.code for c in self.edition.table(cell.table).cells if c.row.code == cell.row.code}

    def _split(self, cell: Cell, caps: list[int] | None = None) -> None:
        total = self.city[cell.code]
        row_codes = self._row_codes(cell)
        weights = self._weights(cell)
        places = _decimals(total) if cell.kind == "money" else 0
        amount = round(abs(total) * 10**places)
        items = self.settings.items_column
        if cell.kind == "money":
            weights = self._money_weights(row_codes, weights)
        elif items in row_codes and cell.column.code != items:
            held = [v[row_codes[items]] for v in self.values]
            if cell.kind == "signed" and total < 0:
                caps = [int(h) for h in held]  # a decrease cannot exceed the unit's items
            elif cell.kind == "count":
                weights = self._decision_weights(row_codes, held, weights)
        pinned = self.pinned.get(cell.code)
        if pinned is not None and (caps is None or caps[pinned] >= amount):
            shares = [amount if i == pinned else 0 for i in range(len(self.units))]
        else:
            shares = apportion(amount, weights, caps)
        sign = -1 if total < 0 else 1
        for v, share in zip(self.values, shares, strict=True):
            v[cell.code] = round(sign * share / 10**places, places) if places else sign * share

    def _money_weights(self, row_codes: Mapping[str, str], weights: list[float]) -> list[float]:
        """Money follows the row's counts (no projects, no amount), give or take."""
        counts = [sum(v[c] for c in row_codes.values() if c in v and isinstance(v[c], int)) for v in self.values]
        return [c * self.rng.lognormvariate(0, 0.4) for c in counts] if any(counts) else weights

    def _decision_weights(self, row_codes: Mapping[str, str], held: list[Number], weights: list[float]) -> list[float]:
        """Decisions only where the unit holds such items after this year's change."""
        signed = [c for c in row_codes.values() if self.edition.cell(c).kind == "signed"]
        after = [h + sum(v[c] for c in signed) for h, v in zip(held, self.values, strict=True)]
        return [w if a > 0 else 0.0 for w, a in zip(weights, after, strict=True)] if any(after) else weights


def split_city(
    edition: Edition,
    city: Mapping[str, Number],
    units: Sequence[Unit],
    seed: int = 2019,
    notes: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Number]]:
    """Split the city's values across ``units``: unit id → values by cell code.

    For every code the units add up exactly to the city value (money to 4 decimals), every
    unit's tables satisfy every sum rule of ``edition``, counts are non-negative integers, and
    no unit's 本年增/减 takes its items below zero. A cell whose city note names a unit
    (``notes``: "1（市自然资源和规划局）") goes to that unit whole. The same seed gives the same split."""
    units = list(units)
    if not units:
        raise ValueError("没有单位可供拆分")
    return CitySplit(edition, city, units, seed, pinned=_pinned(notes or {}, units)).run()


def _pinned(notes: Mapping[str, str], units: Sequence[Unit]) -> dict[str, int]:
    """Cells whose note names a unit (市自然资源和规划局 names 乐清市自然资源和规划局)."""
    found = {}
    for code, note in notes.items():
        key = unit_key(note)
        unit = next((i for i, u in enumerate(units) if len(key) > 1 and key in u.name), None)
        if unit is not None:
            found[code] = unit
    return found


# --- the demo inbox ----------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    """The city's own report, as read by hand: values and notes by cell code."""

    values: dict[str, Number]
    notes: dict[str, str]


def load_city(expected_json: Path, file_name: str = CITY_FILE) -> City:
    """The city's values and notes as read by hand from the city report, taken from the entry of
    ``expected_json`` whose "file" is ``file_name``."""
    entries = json.loads(Path(expected_json).read_text(encoding="utf-8"))
    for entry in entries:
        if entry.get("file") == file_name:
            return City(dict(entry["values"]), dict(entry.get("notes", {})))
    raise LookupError(f"{expected_json} 中没有 {file_name} 的数据")


_FAULT = re.compile(r"^\s*(?P<code>[A-Z](?:\.[\w]+)+)\s*(?P<sign>[+-])\s*(?P<amount>\d+(?:\.\d+)?)\s*$")


def apply_fault(values: Mapping[str, Number], fault: str) -> dict[str, Number]:
    """``values`` with one arithmetic error introduced. ``fault`` says which, as
    "<code>+<n>" or "<code>-<n>": "B.3.7.natural+1" makes 三(七)总计 of 自然人 one too high."""
    match = _FAULT.match(fault)
    if not match or match["code"] not in values:
        raise ValueError(f"无法识别的错误描述“{fault}”，应为“单元格编码+数”，如 B.3.7.natural+1")
    amount = float(match["amount"]) if "." in match["amount"] else int(match["amount"])
    changed = dict(values)
    changed[match["code"]] += amount if match["sign"] == "+" else -amount
    return changed


def write_sample_inbox(
    folder: Path,
    roster: Roster,
    year: int,
    city: City,
    *,
    omit: Sequence[str] = (),
    faulty: Mapping[str, str] | None = None,
    seed: int = 2019,
    overwrite: bool = False,
) -> list[Path]:
    """Write one filled, protected template workbook per roster unit into ``folder`` as
    ``<unit name>.xlsx``, leaving out the units in ``omit``; ``faulty`` maps a unit id to the
    error to introduce in its report (see ``apply_fault``). Returns the files written."""
    units = list(roster)
    faulty = dict(faulty or {})
    unknown = sorted((set(omit) | set(faulty)) - {u.id for u in units})
    if unknown:
        raise ValueError(f"名册中没有这些单位编码：{'、'.join(unknown)}")
    edition = edition_for_year(year)
    split = split_city(edition, city.values, units, seed=seed, notes=city.notes)
    written = []
    for unit in units:
        if unit.id in omit:
            continue
        values = split[unit.id]
        if unit.id in faulty:
            values = apply_fault(values, faulty[unit.id])
        cover = {
            "unit": unit.name,
            "year": year,
            "contact": unit.contact,
            "phone": unit.phone,
            "date": f"{year + 1}-01-15",
        }
        path = Path(folder) / f"{safe_file_name(unit.name)}.xlsx"
        if path.exists() and not overwrite:
            raise FileExistsError(
                f"{path} 已存在，示例数据不覆盖已有文件（如确需重新生成，请先清空该文件夹或使用 --force）"
            )
        written.append(write_atomically(path, form_workbook(edition, values=values, cover=cover, protect=True).save))
    return written


def demo_receipts(units: Sequence[Unit], year: int, *, seed: int = 2019) -> dict[str, datetime]:
    """When each unit's sample report was received, by unit id: a working-hours moment between
    6 and 31 January of ``year`` + 1, or the month-day and time ``sample.toml`` gives as late."""
    late = demo().late
    rng = random.Random(seed)
    start = datetime(year + 1, 1, 6, 8, 30)
    moments = {}
    for unit in units:
        offset = timedelta(days=rng.randrange(26), minutes=rng.randrange(9 * 60))
        if unit.id in late:
            moments[unit.id] = datetime.strptime(f"{year + 1}-{late[unit.id]}", "%Y-%m-%d %H:%M")
        else:
            moments[unit.id] = start + offset
    return moments


def write_sample_receipts(
    path: Path, files: Sequence[Path], roster: Roster, year: int, *, overwrite: bool = False
) -> Path:
    """The receipts file (文件,收到时间) for the sample reports ``files`` (named after their unit)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} 已存在，示例数据不覆盖已有文件（如确需重新生成，请使用 --force）")
    by_name = {u.name: u for u in roster}
    moments = demo_receipts(list(roster), year)
    out = io.StringIO()
    out.write("# 收件登记：各单位报告实际收到的时间（以邮件到达时间为准），rollup 据此判断是否按时报送。\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["文件", "收到时间", "备注"])
    for file in sorted(files, key=lambda f: moments[by_name[f.stem].id]):
        writer.writerow([file.name, moments[by_name[file.stem].id].strftime("%Y-%m-%d %H:%M"), "邮件"])
    return write_text_atomically(path, out.getvalue())
