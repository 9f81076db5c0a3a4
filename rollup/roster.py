"""The roster: the units a region expects reports from (config/units.csv or an .xlsx), their
categories, contacts and deadlines, the years they report, and matching of the names units
write (乐清市商务局 = 市商务局 = 商务局)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rollup.config import ConfigError, describe_errors
from rollup.text import UnreadableText, cell_text, csv_records, decode_text

ROSTER_COLUMNS = ("编码", "单位名称", "类别", "别名", "联系人", "电话", "邮箱", "截止日期", "启用年份", "停用年份")
REQUIRED_ROSTER_COLUMNS = ("编码", "单位名称", "类别")
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


class Unit(BaseModel):
    """One unit of the roster. ``category`` is the roster's own word (部门, 乡镇街道, 县市区 …)."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    category: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    contact: str = ""
    phone: str = ""
    email: str = ""
    deadline: date | None = None
    active_from: int | None = Field(default=None, ge=1900, le=2100)  # first year the unit reports
    active_until: int | None = Field(default=None, ge=1900, le=2100)  # first year it no longer reports

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

    @field_validator("aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(a.strip() for a in re.split(r"[；;]", value) if a.strip())
        return value


class Roster:
    """The units a year's consolidation expects, and matching of the names units write."""

    def __init__(self, units: list[Unit], region: str = "", source: Path | None = None):
        self.units = units
        self.region = region
        self.source = source
        self._years: dict[int, Roster] = {}
        self._by_key: dict[str, Unit] = {}
        for unit in units:
            for name in (unit.name, *unit.aliases):
                key = unit_key(name, region)
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
                [u for u in self.units if u.active(year)], region=self.region, source=self.source
            )
        return self._years[year]

    def lookup(self, name: str | None, year: int | None) -> tuple[Unit | None, Unit | None]:
        """The unit a written name refers to in ``year`` (any year when None), and else the unit
        of the roster it names that does not report that year (abolished, or not yet set up)."""
        if year is None:
            return self.match(name), None
        current = self.for_year(year).match(name)
        if current is not None:
            return current, None
        other = self.match(name)
        return None, other if other is not None and not other.active(year) else None

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
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\([^)]*\)|（[^）]*）", "", text)
    region = re.sub(r"\s+", "", unicodedata.normalize("NFKC", region))
    for prefix in (region, region.rstrip("市县区")):
        if prefix and text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            break
    if text.startswith("市") and len(text) > 1:
        text = text[1:]
    # a county's own report is its government's: 乐清市人民政府 is the county 乐清市 one level up
    if text.endswith(_GOVERNMENT) and len(text) > len(_GOVERNMENT):
        text = text.removesuffix(_GOVERNMENT)
    return text


_GOVERNMENT = "人民政府"


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
        header, records = _workbook_records(path)
    else:
        header, records = _csv_file_records(path)
    if not header:
        raise ConfigError(f"单位名册 {path} 没有任何单位")
    missing = [c for c in REQUIRED_ROSTER_COLUMNS if c not in header]
    if missing:
        raise ConfigError(f"单位名册 {path} 缺少列：{'、'.join(missing)}（表头应为 {'，'.join(ROSTER_COLUMNS)}）")
    units = []
    seen: dict[str, int] = {}
    for line, record in records:
        if not any(record.values()):
            continue
        unit_id = record.get("编码", "")
        if unit_id in seen:
            raise ConfigError(f"单位名册 {path} 第 {line} 行：编码 {unit_id} 与第 {seen[unit_id]} 行重复")
        seen[unit_id] = line
        units.append(_unit(path, line, record))
    if not units:
        raise ConfigError(f"单位名册 {path} 没有任何单位")
    return Roster(units, region=region, source=path)


def _unit(path: Path, line: int, record: dict[str, str]) -> Unit:
    fields: dict[str, str | None] = {key: record.get(column) or "" for key, column in _FIELDS.items()}
    for optional in ("deadline", "active_from", "active_until"):
        fields[optional] = fields[optional] or None
    if not fields["id"] or not fields["name"] or not fields["category"]:
        raise ConfigError(f"单位名册 {path} 第 {line} 行：编码、单位名称和类别不能为空")
    try:
        return Unit.model_validate(fields)
    except ValidationError as exc:
        raise ConfigError(f"单位名册 {path} 第 {line} 行有误：{describe_errors(exc, _FIELDS)}") from None


def _csv_file_records(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        return csv_records(decode_text(path.read_bytes()))
    except UnreadableText as exc:
        raise ConfigError(f"单位名册 {path}：{exc}，请另存为“CSV UTF-8”格式") from None


def _workbook_records(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
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
    header = lines[0][1]
    return header, [(number, dict(zip(header, row, strict=False))) for number, row in lines[1:]]
