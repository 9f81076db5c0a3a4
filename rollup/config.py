"""Configuration: the settings file (config/rollup.toml) and the roster of units (config/units.csv
or .xlsx), loaded into typed models. A bad file raises ``ConfigError`` with one clear message
naming the file, the line or field, and what is wrong."""

from __future__ import annotations

import csv
import io
import os
import re
import tomllib
import unicodedata
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_CONFIG = Path("config") / "rollup.toml"
CATEGORIES = ("部门", "乡镇街道")
ROSTER_COLUMNS = ("编码", "单位名称", "类别", "别名", "联系人", "电话", "邮箱", "截止日期", "启用年份", "停用年份")
REQUIRED_ROSTER_COLUMNS = ("编码", "单位名称", "类别")
SUGGESTION_CUTOFF = 65  # rapidfuzz WRatio, 0-100: below it a roster name is no real suggestion


class ConfigError(Exception):
    """A configuration file that cannot be used; the message is for the user as it stands."""


class Paths(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roster: Path = Path("units.csv")
    inbox: Path = Path("../inbox")
    outbox: Path = Path("../outbox")
    ledger: Path | None = None  # default: rollup.sqlite in the outbox
    receipts: Path | None = None


class SmtpSettings(BaseModel):
    """``[smtp]``: the mail server the office sends from. The password is never in the file:
    it is read from the environment variable named by ``password_env`` at the moment of sending."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str = ""
    password_env: str = "ROLLUP_SMTP_PASSWORD"
    sender: str = Field(alias="from", min_length=3)
    ca_file: Path | None = None
    timeout: float = Field(default=30, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _no_password_in_file(cls, data):
        if isinstance(data, dict) and "password" in data:
            raise ValueError("密码不能写在配置文件中：请删除 password 一项，把密码放在 password_env 指定的环境变量中")
        return data

    @property
    def effective_port(self) -> int:
        """The configured port, else the usual one for the security: 465 ssl, 587 starttls, 25."""
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class NotifySettings(BaseModel):
    """``[notify]``: who gets the gaps email and how often units are reminded."""

    model_config = ConfigDict(extra="forbid")
    recipients: list[str] = []
    reminder_interval_days: int = Field(default=3, ge=0)
    attach_workbook: bool = True
    signature: str = ""  # how reminders are signed; default: the region's 人民政府办公室


class Settings(BaseModel):
    """config/rollup.toml. Relative paths are relative to the folder of that file."""

    model_config = ConfigDict(extra="forbid")
    region: str = Field(min_length=1)
    year: int = Field(ge=2008, le=2100)
    deadlines: dict[int, date] = {}
    paths: Paths = Paths()
    smtp: SmtpSettings | None = None
    notify: NotifySettings = NotifySettings()
    base_dir: Path = Field(default=Path("."), exclude=True)

    def deadline(self, year: int) -> date:
        """The year's deadline: configured, else 31 January of the next year (条例 第四十九条)."""
        return self.deadlines.get(year, date(year + 1, 1, 31))

    def _resolve(self, path: Path) -> Path:
        return Path(os.path.normpath(path if path.is_absolute() else self.base_dir / path))

    @property
    def roster_path(self) -> Path:
        return self._resolve(self.paths.roster)

    @property
    def inbox(self) -> Path:
        return self._resolve(self.paths.inbox)

    @property
    def outbox(self) -> Path:
        return self._resolve(self.paths.outbox)

    @property
    def ledger_path(self) -> Path:
        return self._resolve(self.paths.ledger) if self.paths.ledger else self.outbox / "rollup.sqlite"

    @property
    def receipts_path(self) -> Path | None:
        return self._resolve(self.paths.receipts) if self.paths.receipts else None

    @property
    def smtp_ca_file(self) -> Path | None:
        return self._resolve(self.smtp.ca_file) if self.smtp and self.smtp.ca_file else None


def load_settings(path: Path = DEFAULT_CONFIG) -> Settings:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到配置文件 {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        where = f"第 {line[1]} 行" if line else ""
        raise ConfigError(f"配置文件 {path} {where}格式错误（{exc}）") from None
    except UnicodeDecodeError:
        raise ConfigError(f"配置文件 {path} 不是 UTF-8 编码的文本") from None
    try:
        return Settings.model_validate({**data, "base_dir": path.parent})
    except ValidationError as exc:
        raise ConfigError(f"配置文件 {path} 有误：{_describe(exc)}") from None


# What pydantic's error types mean, in the words of the person editing the file.
_ERROR_WORDS = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的设置项（是否拼写有误？）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "date_from_datetime_parsing": "应为日期，如 2020-01-31",
    "date_parsing": "应为日期，如 2020-01-31",
    "date_type": "应为日期，如 2020-01-31",
    "string_type": "应为文字（加英文双引号）",
    "string_too_short": "不能为空",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "literal_error": "取值无效",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "list_type": '应为列表，如 ["a@example.gov.cn"]',
    "float_parsing": "应为数字",
    "greater_than": "数值太小",
}


def _describe(exc: ValidationError, names: dict[str, str] | None = None) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join((names or {}).get(str(p), str(p)) for p in err["loc"])
        value = err.get("input")
        shown = f"（填写的是 {value!r}）" if err["type"] != "missing" and not isinstance(value, dict) else ""
        words = _ERROR_WORDS.get(err["type"]) or err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}：{words}{shown}")
    return "；".join(parts)


class Unit(BaseModel):
    """One unit of the roster."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    category: Literal["部门", "乡镇街道"]
    aliases: tuple[str, ...] = ()
    contact: str = ""
    phone: str = ""
    email: str = ""
    deadline: date | None = None
    active_from: int | None = Field(default=None, ge=1900, le=2100)  # first year the unit reports
    active_until: int | None = Field(default=None, ge=1900, le=2100)  # first year it no longer reports

    def active(self, year: int) -> bool:
        """Whether the unit is expected to report on ``year`` (启用年份 ≤ year < 停用年份)."""
        return (self.active_from is None or self.active_from <= year) and (self.active_until is None or year < self.active_until)

    def overlaps(self, other: Unit) -> bool:
        """Whether some year expects both units (a renamed unit's old and new entry do not)."""
        start = max(self.active_from or 0, other.active_from or 0)
        end = min(self.active_until or 10_000, other.active_until or 10_000)
        return start < end

    @field_validator("aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value):
        if isinstance(value, str):
            return tuple(a.strip() for a in re.split(r"[；;]", value) if a.strip())
        return value


class Roster:
    """The units a year's consolidation expects, and matching of the names units write."""

    def __init__(self, units: list[Unit], region: str = "", source: Path | None = None):
        self.units = units
        self.region = region
        self.source = source
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

    def __iter__(self):
        return iter(self.units)

    def match(self, name: str | None) -> Unit | None:
        """The roster unit a written name refers to (乐清市商务局 = 市商务局 = 商务局), if any."""
        if not name:
            return None
        return self._by_key.get(unit_key(name, self.region))

    def get(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)

    def for_year(self, year: int) -> Roster:
        """The units expected to report on ``year`` (roster 启用年份 / 停用年份 applied)."""
        return Roster([u for u in self.units if u.active(year)], region=self.region, source=self.source)

    def suggest(self, text: str | None, limit: int = 3) -> tuple[str, ...]:
        """The roster names closest to ``text`` (a name a file carries, or its file name), best first."""
        from rapidfuzz import fuzz, process

        query = unit_key(text or "", self.region)
        if not query:
            return ()
        names = {key: unit.name for key, unit in self._by_key.items()}
        found = process.extract(query, list(names), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=SUGGESTION_CUTOFF)
        return tuple(dict.fromkeys(names[key] for key, _, _ in found))[:limit]


def unit_key(name: str, region: str = "") -> str:
    """A unit name reduced to what tells units apart: no spaces, brackets, region prefix or 市."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\([^)]*\)|（[^）]*）", "", text)
    region = re.sub(r"\s+", "", unicodedata.normalize("NFKC", region))
    for prefix in (region, region.rstrip("市县区")):
        if prefix and text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix):]
            break
    if text.startswith("市") and len(text) > 1:
        text = text[1:]
    return text


def load_roster(path: Path, region: str = "") -> Roster:
    """Read the roster from CSV (UTF-8, BOM tolerated, lines starting with # are comments) or
    from the first sheet of an .xlsx/.xls workbook."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到单位名册 {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        records = _workbook_records(path)
    else:
        records = _csv_records(path)
    if not records:
        raise ConfigError(f"单位名册 {path} 没有任何单位")
    header = records[0][1]
    missing = [c for c in REQUIRED_ROSTER_COLUMNS if c not in header]
    if missing:
        raise ConfigError(f"单位名册 {path} 缺少列：{'、'.join(missing)}（表头应为 {'，'.join(ROSTER_COLUMNS)}）")
    units = []
    seen: dict[str, int] = {}
    for line, row in records[1:]:
        record = dict(zip(header, row))
        if not any(v.strip() for v in row):
            continue
        unit_id = record.get("编码", "").strip()
        if unit_id in seen:
            raise ConfigError(f"单位名册 {path} 第 {line} 行：编码 {unit_id} 与第 {seen[unit_id]} 行重复")
        seen[unit_id] = line
        units.append(_unit(path, line, record))
    return Roster(units, region=region, source=path)


_ROSTER_FIELDS = {
    "id": "编码", "name": "单位名称", "category": "类别", "aliases": "别名",
    "contact": "联系人", "phone": "电话", "email": "邮箱", "deadline": "截止日期",
    "active_from": "启用年份", "active_until": "停用年份",
}


def _unit(path: Path, line: int, record: dict[str, str]) -> Unit:
    fields = {key: (record.get(column) or "").strip() for key, column in _ROSTER_FIELDS.items()}
    for optional in ("deadline", "active_from", "active_until"):
        fields[optional] = fields[optional] or None
    if not fields["id"] or not fields["name"]:
        raise ConfigError(f"单位名册 {path} 第 {line} 行：编码和单位名称不能为空")
    if fields["category"] not in CATEGORIES:
        raise ConfigError(
            f"单位名册 {path} 第 {line} 行：类别“{fields['category']}”无效，应为“部门”或“乡镇街道”"
        )
    try:
        return Unit.model_validate(fields)
    except ValidationError as exc:
        raise ConfigError(f"单位名册 {path} 第 {line} 行有误：{_describe(exc, _ROSTER_FIELDS)}") from None


def _csv_records(path: Path) -> list[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"单位名册 {path} 不是 UTF-8 编码，请另存为“CSV UTF-8”格式") from None
    records = []
    for number, line in enumerate(io.StringIO(text), start=1):
        if line.lstrip().startswith("#") or not line.strip():
            continue
        row = next(csv.reader([line]))
        records.append((number, [cell.strip() for cell in row]))
    return records


def _workbook_records(path: Path) -> list[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook

    from rollup.ingest.cells import cell_text

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise ConfigError(f"无法读取单位名册 {path}：{exc}") from None
    return [
        (number, [cell_text(v) for v in row])
        for number, row in enumerate(rows, start=1)
        if any(cell_text(v) for v in row) and not cell_text(row[0]).startswith("#")
    ]
