"""Configuration: the settings file (config/rollup.toml), loaded into a typed model. A bad file
raises ``ConfigError`` with one clear message naming the file, the line or field, and what is
wrong. The roster lives in ``rollup.roster``."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

RECEIPTS_FILE = "receipts.csv"


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
    allow_plain_auth: bool = False  # log in over an unencrypted connection (security = "none")

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


class OutlierSettings(BaseModel):
    """``[outliers]``: when a figure is far enough from the unit's earlier reports or from its
    peers (same category, same year) to be worth a warning."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    min_value: float = Field(default=100, ge=0)  # smaller figures are never outliers
    history_ratio: float = Field(default=10, gt=1)  # × the unit's largest earlier figure …
    history_floor: float = Field(default=10, ge=0)  # … taken as at least this
    peer_spread: float = Field(default=4, gt=0)  # robust deviations (of log10 figures) above the peers' median
    peer_spread_floor: float = Field(default=0.5, ge=0)  # the least spread assumed (0.5 ≈ a factor of 3)
    min_peers: int = Field(default=5, ge=1)  # fewer peers: no comparison


class ReuseSettings(BaseModel):
    """``[text_reuse]``: from what share of repeated text a report's words are worth a note."""

    model_config = ConfigDict(extra="forbid")
    min_share: float = Field(default=0.5, ge=0, le=1)


DETAIL_IN_WORKBOOK_MAX = 500


class OutputSettings(BaseModel):
    """``[outputs]``: above how many units that sent a report the 明细 sheet (one row per unit)
    leaves the consolidated workbook for a companion file of its own, 明细数据.xlsx, so that the
    workbook (attached to the gaps email) stays small."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    detail_in_workbook_max: int = Field(default=DETAIL_IN_WORKBOOK_MAX, ge=0)


class Limits(BaseModel):
    """``[limits]``: what a file may ask of rollup before it is read, checked outside the reader's
    reach (README: Security). A file beyond a limit gets ``file_too_large`` and is not read; a
    reader that needs more memory or time than its budget is stopped (``reader_crashed``,
    ``reader_timeout``). Defaults are far above any real report and far below what hurts."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file_mb: float = Field(default=64, gt=0)  # any file as it lies in the inbox
    text_mb: float = Field(default=8, gt=0)  # a text or web-page report (.txt, .html)
    unzipped_mb: float = Field(default=256, gt=0)  # every member of a zip container together, unpacked
    zip_members: int = Field(default=5000, ge=1)  # members of one zip container (.xlsx, .docx, .ods, .zip)
    zip_ratio: float = Field(default=200, gt=1)  # unpacked ÷ packed size of a member above 1 MB unpacked
    sheet_rows: int = Field(default=100_000, ge=1)  # rows a worksheet may reach
    sheet_columns: int = Field(default=1_000, ge=1)  # columns a worksheet may reach
    sheet_cells: int = Field(default=2_000_000, ge=1)  # rows × columns of a worksheet's used area
    pdf_pages: int = Field(default=300, ge=1)
    memory_mb: int = Field(default=1024, ge=64)  # a reading process's memory (Linux only)
    seconds: float = Field(default=60, gt=0)  # one file's reading time
    lock_wait_seconds: float = Field(default=10, ge=0)  # how long a second run waits for the first

    @property
    def file_bytes(self) -> int:
        return int(self.file_mb * 2**20)

    @property
    def text_bytes(self) -> int:
        return int(self.text_mb * 2**20)

    @property
    def unzipped_bytes(self) -> int:
        return int(self.unzipped_mb * 2**20)


class Settings(BaseModel):
    """config/rollup.toml. Relative paths are relative to the folder of that file."""

    model_config = ConfigDict(extra="forbid")
    region: str = Field(min_length=1)
    year: int = Field(ge=2008, le=2100)
    # The day runs are evaluated as of when --as-of is not given (default: today). The sample sets
    # it so that its days late and overdue are the same on every checkout.
    as_of: date | None = None
    deadlines: dict[int, date] = {}
    paths: Paths = Paths()
    smtp: SmtpSettings | None = None
    notify: NotifySettings = NotifySettings()
    outliers: OutlierSettings = OutlierSettings()
    text_reuse: ReuseSettings = ReuseSettings()
    limits: Limits = Limits()
    outputs: OutputSettings = OutputSettings()
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
        """The receipts file: as configured, else receipts.csv beside the config when there is one."""
        if self.paths.receipts:
            return self._resolve(self.paths.receipts)
        beside = self.base_dir / RECEIPTS_FILE
        return beside if beside.is_file() else None

    @property
    def smtp_ca_file(self) -> Path | None:
        return self._resolve(self.smtp.ca_file) if self.smtp and self.smtp.ca_file else None


def load_settings(path: Path) -> Settings:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到配置文件 {path.absolute()}（可用 --config 指定配置文件的位置）")
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
        raise ConfigError(f"配置文件 {path} 有误：{describe_errors(exc)}") from None


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


def describe_errors(exc: ValidationError, names: dict[str, str] | None = None) -> str:
    """pydantic's errors in the words of the person editing the file (``names``: field → column)."""
    parts = []
    for err in exc.errors():
        where = ".".join((names or {}).get(str(p), str(p)) for p in err["loc"])
        value = err.get("input")
        shown = f"（填写的是 {value!r}）" if err["type"] != "missing" and not isinstance(value, dict) else ""
        words = _ERROR_WORDS.get(err["type"]) or err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}：{words}{shown}")
    return "；".join(parts)
