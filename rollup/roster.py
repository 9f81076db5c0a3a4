"""The roster: the units a region expects reports from (config/units.csv or an .xlsx), their
categories, contacts and deadlines, the years they report, and matching of the names units
write (乐清市商务局 = 市商务局 = 商务局)."""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, NamedTuple

from pydantic import Field, TypeAdapter, ValidationError

from rollup.config import ConfigError, describe_errors
from rollup.text import UnreadableText, cell_text, csv_rows, decode_text

SUGGESTION_CUTOFF = 65  # rapidfuzz WRatio, 0-100: below it a roster name is no real suggestion
_FIELDS = {
    "id": "编码",
    "name": "单位名称",
    "category": "类别",
    "aliases": "别名",
    "contact": "联系人",
    "phone": "电话",
    "email": "邮箱",
    "deadline": "截止日期",
    "active_from": "启用年份",
    "active_until": "停用年份",
}
ROSTER_COLUMNS = tuple(_FIELDS.values())
REQUIRED_ROSTER_COLUMNS = ("编码", "单位名称", "类别")
_PARSED = ("deadline", "active_from", "active_until")  # the optional fields read as a date or a year
_ALIAS_SEPARATOR = re.compile(r"[；;]")
_Year = Annotated[int | None, Field(ge=1900, le=2100)]


class Unit(NamedTuple):
    """One unit of the roster. ``category`` is the roster's own word (部门, 乡镇街道, 县市区 …).
    A plain immutable value, since a province's roster makes ten thousand of them on every command
    (a validated model takes some twenty times as long, a frozen dataclass several times): the
    annotations are the rules ``load_roster`` checks a roster file's rows by."""

    id: str
    name: str
    category: Annotated[str, Field(min_length=1)]
    aliases: tuple[str, ...] = ()
    contact: str = ""
    phone: str = ""
    email: str = ""
    deadline: date | None = None
    active_from: _Year = None  # first year the unit reports
    active_until: _Year = None  # first year it no longer reports

    def active(self, year: int) -> bool:
        """Whether the unit is expected to report on ``year`` (启用年份 ≤ year < 停用年份)."""
        return (self.active_from is None or self.active_from <= year) and (
            self.active_until is None or year < self.active_until
        )

    def overlaps(self, other: Unit) -> bool:
        """Whether some year expects both units (a renamed unit's old and new entry do not)."""
        start = max(self.active_from or 0, other.active_from or 0)
        end = min(self.active_until or 10_000, other.active_until or 10_000)
        return start < end


class Roster:
    """The units a year's consolidation expects, and matching of the names units write."""

    def __init__(
        self,
        units: list[Unit],
        region: str = "",
        source: Path | None = None,
        keys: Mapping[Unit, list[str]] | None = None,
    ):
        """``keys``: each unit's ``unit_key`` of its name and aliases, when a roster of these
        units and more has them already (``for_year``): a province's names are reduced once."""
        self.units = units
        self.region = region
        self.source = source
        self._years: dict[int, Roster] = {}
        self._keys = keys if keys is not None else {u: _name_keys(u, region) for u in units}
        self._by_key: dict[str, Unit] = {}
        for unit in units:
            for name, key in zip((unit.name, *unit.aliases), self._keys[unit], strict=True):
                other = self._by_key.get(key)
                if other is not None and other.id != unit.id and other.overlaps(unit):
                    raise ConfigError(
                        f"名册 {source} 中“{other.name}”与“{unit.name}”的名称或别名“{name}”重复，无法区分"
                    )
                if other is None or other.id == unit.id or unit.active_until is None:
                    self._by_key[key] = unit  # a name shared over time goes to the unit still active

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units)

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories the roster uses, in the order they first appear."""
        return tuple(dict.fromkeys(unit.category for unit in self.units))

    def match(self, name: str | None) -> Unit | None:
        """The roster unit a written name refers to (乐清市商务局 = 市商务局 = 商务局), if any."""
        if not name:
            return None
        return self._by_key.get(unit_key(name, self.region))

    def named_in(self, text: str) -> list[Unit]:
        """The units whose name or alias a text such as a file name contains (乐清市教育局（修改）
        names 乐清市教育局), longest name first. Names of one or two characters only match whole."""
        key = unit_key(text, self.region)
        # the text's own pieces looked up, not every name searched: a province's roster is long
        pieces = {key} | {key[start:end] for start in range(len(key)) for end in range(start + 3, len(key) + 1)}
        found = sorted((name for name in pieces if name in self._by_key), key=lambda name: (-len(name), name))
        return list(dict.fromkeys(self._by_key[name] for name in found))

    def find(self, text: str) -> Unit | None:
        """The unit ``text`` means: its name, an alias, or its roster id."""
        return self.match(text) or next((u for u in self.units if u.id == text.strip()), None)

    def get(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)

    def for_year(self, year: int) -> Roster:
        """The units expected to report on ``year`` (roster 启用年份 / 停用年份 applied)."""
        if year not in self._years:
            self._years[year] = Roster(
                [u for u in self.units if u.active(year)], region=self.region, source=self.source, keys=self._keys
            )
        return self._years[year]

    def lookup(self, name: str | None, year: int | None) -> tuple[Unit | None, Unit | None]:
        """The unit a written name refers to in ``year`` (any year when None), and else the unit
        of the roster it names that does not report that year (abolished, or not yet set up)."""
        if year is None:
            return self.match(name), None
        other = self.match(name)
        if other is None or other.active(year):
            return other, None  # the name's unit that year too: no need to make that year's roster
        current = self.for_year(year).match(name)  # a unit renamed before or after may have the name
        return (current, None) if current is not None else (None, other)

    def suggest(self, text: str | None, limit: int = 3) -> tuple[str, ...]:
        """The roster names closest to ``text`` (a name a file carries, or its file name), best first."""
        from rapidfuzz import fuzz, process  # only needed when a name does not match

        query = unit_key(text or "", self.region)
        if not query:
            return ()
        names = {key: unit.name for key, unit in self._by_key.items()}
        found = process.extract(query, list(names), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=SUGGESTION_CUTOFF)
        return tuple(dict.fromkeys(names[key] for key, _, _ in found))[:limit]


def unit_key(name: str, region: str = "") -> str:
    """A unit name reduced to what tells units apart: no spaces, brackets, region prefix, leading
    市 or trailing 人民政府."""
    text = "".join(unicodedata.normalize("NFKC", name).split())  # every kind of whitespace (str.isspace)
    if "(" in text or "（" in text:  # asked first: a province's roster has ten thousand names to reduce
        text = _BRACKETED.sub("", text)
    for prefix in _region_prefixes(region):
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            break
    if text.startswith("市") and len(text) > 1:
        text = text[1:]
    # a county's own report is its government's: 乐清市人民政府 is the county 乐清市 one level up
    if text.endswith(_GOVERNMENT) and len(text) > len(_GOVERNMENT):
        text = text.removesuffix(_GOVERNMENT)
    return text


_GOVERNMENT = "人民政府"
_BRACKETED = re.compile(r"\([^)]*\)|（[^）]*）")


@functools.lru_cache(maxsize=16)
def _region_prefixes(region: str) -> tuple[str, ...]:
    """The prefixes of names that ``unit_key`` takes off: the region's name (乐清市), and without
    its level (乐清). Worked out once per region, not once per name of a roster."""
    region = "".join(unicodedata.normalize("NFKC", region).split())
    return tuple(prefix for prefix in (region, region.rstrip("市县区")) if prefix)


def _name_keys(unit: Unit, region: str) -> list[str]:
    return [unit_key(name, region) for name in (unit.name, *unit.aliases)]


def short_name(name: str, region: str) -> str:
    """A unit's name as the region's own report writes it: 乐清市自然资源和规划局 → 市自然资源和规划局
    (townships and units of other levels keep their names)."""
    region = region.strip()
    if region and name.startswith(region) and len(name) > len(region):
        return region[-1] + name[len(region) :]
    return name


def load_roster(path: Path, region: str = "") -> Roster:
    """Read the roster from CSV (UTF-8 or GBK as Excel saves it; lines starting with # are
    comments) or from the first sheet of an .xlsx/.xls workbook."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到单位名册 {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        header, rows = _workbook_rows(path)
    else:
        header, rows = _csv_file_rows(path)
    if not header:
        raise ConfigError(f"单位名册 {path} 没有任何单位")
    missing = [c for c in REQUIRED_ROSTER_COLUMNS if c not in header]
    if missing:
        raise ConfigError(f"单位名册 {path} 缺少列：{'、'.join(missing)}（表头应为 {'，'.join(ROSTER_COLUMNS)}）")
    units = _units(path, header, rows)
    if not units:
        raise ConfigError(f"单位名册 {path} 没有任何单位")
    return Roster(units, region=region, source=path)


def _units(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> list[Unit]:
    """The units of the roster's rows, in order (blank rows skipped); the first row at fault
    raises, naming its line. A province's roster repeats few deadlines and years: each
    combination of them is validated once, with the first row that has it."""
    columns = [*header, *(c for c in ROSTER_COLUMNS if c not in header)]  # a column left out reads as empty
    position = {column: number for number, column in enumerate(columns)}  # the last of a repeated one
    pick = operator.itemgetter(*(position[column] for column in ROSTER_COLUMNS))
    absent = [""] * (len(columns) - len(header))
    seen: dict[str, int] = {}
    checked: dict[tuple[str, str, str], Unit] = {}
    units = []
    for line, row in rows:
        written = _fit(row, len(header))
        if not any(written):
            continue
        unit_id, name, category, aliases, contact, phone, email, deadline, active_from, active_until = pick(
            written + absent
        )
        if unit_id in seen:
            raise ConfigError(f"单位名册 {path} 第 {line} 行：编码 {unit_id} 与第 {seen[unit_id]} 行重复")
        seen[unit_id] = line
        if not unit_id or not name or not category:
            raise ConfigError(f"单位名册 {path} 第 {line} 行：编码、单位名称和类别不能为空")
        fields = (unit_id, name, category, _aliases(aliases), contact, phone, email)
        parsed = (deadline, active_from, active_until)
        rules = checked.get(parsed)
        if rules is None:
            rules = checked[parsed] = _validated(path, line, (*fields, *parsed))
        units.append(Unit(*fields, rules.deadline, rules.active_from, rules.active_until))
    return units


def _fit(row: list[str], width: int) -> list[str]:
    """A row as long as the header: cells past it are ignored, cells missing read as empty."""
    return row if len(row) == width else (row + [""] * width)[:width]


def _validated(path: Path, line: int, fields: tuple[object, ...]) -> Unit:
    """A row checked by the rules of ``Unit``, an empty optional cell taken as not given."""
    given = {
        key: value if value != "" or key not in _PARSED else None for key, value in zip(_FIELDS, fields, strict=True)
    }
    try:
        return _unit_rules().validate_python(given)
    except ValidationError as exc:
        raise ConfigError(f"单位名册 {path} 第 {line} 行有误：{describe_errors(exc, _FIELDS)}") from None


@functools.cache
def _unit_rules() -> TypeAdapter[Unit]:
    return TypeAdapter(Unit)  # built on the first roster read, not by every command that imports Unit


def _aliases(text: str) -> tuple[str, ...]:
    """别名 as written in one cell, separated by ；or ;."""
    return tuple(alias.strip() for alias in _ALIAS_SEPARATOR.split(text) if alias.strip()) if text else ()


def _csv_file_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        return csv_rows(decode_text(path.read_bytes()))
    except UnreadableText as exc:
        raise ConfigError(f"单位名册 {path}：{exc}，请另存为“CSV UTF-8”格式") from None


def _workbook_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from python_calamine import CalamineWorkbook  # only for a roster kept as a workbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise ConfigError(f"无法读取单位名册 {path}（文件已损坏或不是 Excel 文件）：{exc}") from None
    lines = [
        (number, [cell_text(v) for v in row])
        for number, row in enumerate(rows, start=1)
        if any(cell_text(v) for v in row) and not cell_text(row[0]).startswith("#")
    ]
    if not lines:
        return [], []
    return lines[0][1], lines[1:]
