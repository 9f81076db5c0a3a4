"""The sample city: 乐清's real 2019 city totals split across the sample roster's 74 units, and a
demo inbox of one filled workbook per unit made from them.

The split is plausible, not real: only the city totals are published, so each unit's share is
drawn with a fixed seed from weights that differ between departments and townships, favour a
few big units and leave many small units at zero. It is exact where it matters: for every cell
the units add up to the city value, and every unit's own tables satisfy every sum rule of the
edition. Only the independent cells are split; every cell a rule fixes (row totals, 三(七)总计,
row 一, group totals) is derived from the rules afterwards.

    rollup sample --expected ../shared/reports/expected.json [--out inbox] [--all]
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from datetime import datetime, timedelta
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rollup.config import Unit
from rollup.forms import Cell, Edition, edition_for_year
from rollup.model import Number
from rollup.outputs import write_atomically

CITY_FILE = "yueqing-2019-city.txt"

# The demo inbox: two departments and one township have sent nothing, and one unit's report
# has an arithmetic error (三(七)总计 of 自然人 one too high).
DEMO_OMITTED = ("D20", "D41", "T24")  # 乐清市退役军人事务局, 乐清市气象局, 龙西乡
DEMO_FAULTY = {"D13": "B.3.7.natural+1"}  # 乐清市住房和城乡建设局

# The demo receipts: every other unit's report arrives between 6 and 31 January; these arrive
# later. D12 and T17 have extensions in the sample roster (10 and 7 February): D12 is on time
# within its extension, T17 late even so; D07 and T05 are simply late.
DEMO_LATE = {"D07": "02-05 10:20", "D12": "02-06 15:00", "T05": "02-12 09:45", "T17": "02-09 16:30"}

# The units that carry most applications and decisions (matched by part of the unit name).
BIG_UNITS = ("自然资源和规划局", "市场监督管理局", "综合行政执法局", "公安局", "住房和城乡建设局")

# Cells the city report attributes to one unit (its note names it): the whole value goes there.
PINNED = {"C.review.corrected": "自然资源和规划局"}


@dataclass(frozen=True)
class _Profile:
    """How a kind of work is spread: the weight of an ordinary department, of a township or
    street and of a big unit, and the chance that an ordinary unit has none of it at all."""

    department: float
    township: float
    big: float
    idle: float
    big_units: tuple[str, ...] = BIG_UNITS


# Keyed by "<table>.<row>", falling back to "<table>".
_PROFILES = {
    "A.rules": _Profile(1, 0.5, 1, 0.6),
    "A.normative": _Profile(1, 0.5, 12, 0.6, big_units=("人民政府办公室",)),
    "A.licensing": _Profile(1, 0.05, 30, 0.5),
    "A.other_services": _Profile(1, 0.3, 5, 0.4),
    "A.penalty": _Profile(1, 0.4, 25, 0.5),
    "A.enforcement": _Profile(1, 0.2, 25, 0.7),
    "A.fees": _Profile(1, 0, 2, 0.6),
    "A.procurement": _Profile(1, 0.8, 3, 0.1),
    "B": _Profile(1, 1.5, 15, 0.5),
    "C": _Profile(0.5, 1, 10, 0.85),
}
_DEFAULT_PROFILE = _Profile(1, 1, 3, 0.3)

# Table A columns with a role in the split: decisions need items, a decrease cannot exceed them.
_ITEMS = "prev_items"


# --- the form's rules, turned into derivations --------------------------------------------------


@dataclass(frozen=True)
class _Derivation:
    """``target = sum(plus) - sum(minus)``: one line (row or column) of one sum rule, solved
    for the one operand the split does not set itself."""

    rule: str
    target: str
    plus: tuple[str, ...]
    minus: tuple[str, ...]


def _rule_lines(edition: Edition) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Every instance of every sum rule as (rule id, left codes, right codes)."""
    lines = []
    for rule in edition.rules:
        table = edition.table(rule.table)
        if rule.each == "row":
            for row in table.rows:
                left = tuple(f"{table.id}.{row.code}.{c}" for c in rule.left)
                right = tuple(f"{table.id}.{row.code}.{c}" for c in rule.right)
                lines.append((rule.id, left, right))
        else:
            for col in table.columns:
                left = tuple(f"{table.id}.{r}.{col.code}" for r in rule.left)
                right = tuple(f"{table.id}.{r}.{col.code}" for r in rule.right)
                lines.append((rule.id, left, right))
    codes = set(edition.codes)
    return [line for line in lines if all(c in codes for c in (*line[1], *line[2]))]


def _derivations(edition: Edition) -> list[_Derivation]:
    """One derivation per rule line that still has an operand no earlier line derives: the
    first such operand (left side first) becomes the derived cell. Lines with every operand
    derived already hold by construction and only need checking."""
    derived: dict[str, _Derivation] = {}
    for rule, left, right in _rule_lines(edition):
        for side, other in ((left, right), (right, left)):
            target = next((c for c in side if c not in derived), None)
            if target is not None:
                rest = tuple(c for c in side if c != target)
                derived[target] = _Derivation(rule, target, plus=other, minus=rest)
                break
    return list(derived.values())


def _derive(derivations: Sequence[_Derivation], values: dict[str, Number]) -> None:
    """Fill in every derived cell whose operands are known, until nothing more can be done."""
    progress = True
    while progress:
        progress = False
        for d in derivations:
            if d.target in values or any(c not in values for c in (*d.plus, *d.minus)):
                continue
            values[d.target] = sum(values[c] for c in d.plus) - sum(values[c] for c in d.minus)
            progress = True


def _check_city(edition: Edition, city: Mapping[str, Number]) -> None:
    missing = [code for code in edition.codes if city.get(code) is None]
    if missing:
        raise ValueError(f"全市数据缺少 {len(missing)} 个单元格，如 {'、'.join(missing[:5])}")
    for rule, left, right in _rule_lines(edition):
        lhs, rhs = sum(city[c] for c in left), sum(city[c] for c in right)
        if round(lhs - rhs, 4) != 0:
            raise ValueError(f"全市数据不符合勾稽关系 {rule}：{'+'.join(left)} = {lhs}，{'+'.join(right)} = {rhs}")
    for cell in edition.cells:
        value = city[cell.code]
        if cell.kind != "money" and value != int(value):
            raise ValueError(f"全市数据 {cell.code} 应为整数，实为 {value}")
        if cell.kind == "count" and value < 0:
            raise ValueError(f"全市数据 {cell.code} 为负数 {value}")


# --- splitting ---------------------------------------------------------------------------------


def _apportion(total: int, weights: Sequence[float], caps: Sequence[int] | None = None) -> list[int]:
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


def _profile(cell: Cell) -> tuple[str, _Profile]:
    for key in (f"{cell.table}.{cell.row.code}", cell.table):
        if key in _PROFILES:
            return key, _PROFILES[key]
    return "", _DEFAULT_PROFILE


def _is_big(unit: Unit, profile: _Profile) -> bool:
    return any(part in unit.name for part in profile.big_units)


def _pinned_unit(code: str, units: Sequence[Unit]) -> int | None:
    part = PINNED.get(code)
    return next((i for i, u in enumerate(units) if part and part in u.name), None)


def split_city(
    edition: Edition, city: Mapping[str, Number], units: Sequence[Unit], seed: int = 2019
) -> dict[str, dict[str, Number]]:
    """Split the city's values across ``units``: unit id → values by cell code.

    For every code the units add up exactly to the city value (money to 4 decimals), every
    unit's tables satisfy every sum rule of ``edition``, counts are non-negative integers, and
    no unit's 本年增/减 takes its items below zero. The same seed gives the same split."""
    units = list(units)
    if not units:
        raise ValueError("没有单位可供拆分")
    _check_city(edition, city)
    rng = random.Random(seed)
    derivations = _derivations(edition)
    derived = {d.target for d in derivations}
    # Cells subtracted in a derivation (row 二 in 1 = 3.7 + 4 - 2) are split last, capped so
    # the derived cell cannot go negative.
    deferred = {c for d in derivations for c in d.minus if c not in derived}

    base: dict[str, list[float]] = {}  # profile weights, one list per profile
    noise: dict[tuple[str, str], list[float]] = {}  # per table row, so a row's cells agree

    def weights_for(cell: Cell) -> list[float]:
        key, profile = _profile(cell)
        if key not in base:
            base[key] = [
                profile.big if _is_big(u, profile)
                else 0.0 if rng.random() < profile.idle
                else profile.department if u.category == "部门" else profile.township
                for u in units
            ]
        row = (cell.table, cell.row.code)
        if row not in noise:
            noise[row] = [rng.lognormvariate(0, 0.5) for _ in units]
        return [b * n for b, n in zip(base[key], noise[row])]

    values: list[dict[str, Number]] = [{} for _ in units]

    def split_cell(cell: Cell, caps: list[int] | None = None) -> None:
        total = city[cell.code]
        row_codes = {c.column.code: c.code for c in edition.table(cell.table).cells if c.row.code == cell.row.code}
        weights = weights_for(cell)
        places = _decimals(total) if cell.kind == "money" else 0
        amount = round(abs(total) * 10**places)
        if cell.kind == "money":
            # money follows the row's counts (no projects, no amount), give or take
            counts = [sum(v[c] for c in row_codes.values() if c in v and isinstance(v[c], int)) for v in values]
            if any(counts):
                weights = [c * rng.lognormvariate(0, 0.4) for c in counts]
        elif _ITEMS in row_codes and cell.column.code != _ITEMS:
            items = [v[row_codes[_ITEMS]] for v in values]
            if cell.kind == "signed" and total < 0:
                caps = items  # a decrease cannot exceed the unit's items
            elif cell.kind == "count":
                # decisions only where the unit holds such items after this year's change
                held = [i + sum(v[c] for c in row_codes.values() if edition.cell(c).kind == "signed") for i, v in zip(items, values)]
                if any(held):
                    weights = [w if h > 0 else 0.0 for w, h in zip(weights, held)]
        pinned = _pinned_unit(cell.code, units)
        if pinned is not None and (caps is None or caps[pinned] >= amount):
            shares = [amount if i == pinned else 0 for i in range(len(units))]
        else:
            shares = _apportion(amount, weights, caps)
        sign = -1 if total < 0 else 1
        for v, share in zip(values, shares):
            v[cell.code] = round(sign * share / 10**places, places) if places else sign * share

    # Independent cells, a row at a time: items before their change, counts before money.
    first = {_ITEMS: 0}
    kind_order = {"signed": 1, "count": 2, "money": 3}
    rows: dict[tuple[str, str], list[Cell]] = {}
    for cell in edition.cells:
        if cell.code not in derived and cell.code not in deferred:
            rows.setdefault((cell.table, cell.row.code), []).append(cell)
    for cells in rows.values():
        for cell in sorted(cells, key=lambda c: first.get(c.column.code, kind_order[c.kind])):
            split_cell(cell)
    for v in values:
        _derive(derivations, v)

    # Deferred cells, each capped by what the rest of its derivation leaves.
    for code in sorted(deferred, key=edition.codes.index):
        using = [d for d in derivations if code in d.minus]
        caps = []
        for v in values:
            room = [
                sum(v[c] for c in d.plus) - sum(v[c] for c in d.minus if c != code)
                for d in using
            ]
            caps.append(max(0, min(room)))
        split_cell(edition.cell(code), caps)
    for v in values:
        _derive(derivations, v)

    unresolved = [code for code in edition.codes if code not in values[0]]
    if unresolved:
        raise RuntimeError(f"edition {edition.edition}: cells neither split nor derived: {unresolved}")
    return {u.id: {code: v[code] for code in edition.codes} for u, v in zip(units, values)}


# --- the demo inbox ----------------------------------------------------------------------------


def load_city_values(expected_json: Path, file_name: str = CITY_FILE) -> dict[str, Number]:
    """The city's values (code → number) as read by hand from the city report, taken from the
    entry of ``expected_json`` whose "file" is ``file_name``."""
    entries = json.loads(Path(expected_json).read_text(encoding="utf-8"))
    for entry in entries:
        if entry.get("file") == file_name:
            return dict(entry["values"])
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
    roster,
    settings_year: int,
    city: Mapping[str, Number],
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
    from rollup.render.form import form_workbook  # the renderer is only needed here

    edition = edition_for_year(settings_year)
    split = split_city(edition, city, units, seed=seed)
    written = []
    for unit in units:
        if unit.id in omit:
            continue
        values = split[unit.id]
        if unit.id in faulty:
            values = apply_fault(values, faulty[unit.id])
        cover = {
            "unit": unit.name,
            "year": settings_year,
            "contact": unit.contact,
            "phone": unit.phone,
            "date": f"{settings_year + 1}-01-15",
        }
        workbook = form_workbook(edition, values=values, cover=cover, protect=True)
        path = Path(folder) / f"{unit.name}.xlsx"
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} 已存在，示例数据不覆盖已有文件（如确需重新生成，请先清空该文件夹或使用 --force）")
        written.append(write_atomically(path, workbook.save))
    return written


def demo_receipts(units: Sequence[Unit], year: int, *, late: Mapping[str, str] = DEMO_LATE, seed: int = 2019) -> dict[str, datetime]:
    """When each unit's sample report was received, by unit id: a working-hours moment between
    6 and 31 January of ``year`` + 1, or the month-day and time given in ``late``."""
    rng = random.Random(seed)
    start = datetime(year + 1, 1, 6, 8, 30)
    moments = {}
    for unit in units:
        offset = timedelta(days=rng.randrange(26), minutes=rng.randrange(9 * 60))
        moments[unit.id] = datetime.strptime(f"{year + 1}-{late[unit.id]}", "%Y-%m-%d %H:%M") if unit.id in late else start + offset
    return moments


def write_sample_receipts(path: Path, files: Sequence[Path], roster, year: int, *, overwrite: bool = False) -> Path:
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
    return write_atomically(path, lambda tmp: tmp.write_text(out.getvalue(), encoding="utf-8"))
