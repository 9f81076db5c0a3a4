"""When each file arrived: the office's receipts file (文件,收到时间), ``--received-at``, or the
file's modification time, in that order of authority."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from rollup.config import ConfigError
from rollup.text import UnreadableText, csv_records, decode_text

RECEIPT_COLUMNS = ("文件", "收到时间")
ReceivedFrom = Literal["mtime", "option", "receipts", "import"]  # "import": rollup import-history
_MOMENT = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass(frozen=True)
class Receipt:
    """When a file was received, and where that time came from: the file's modification time,
    ``--received-at``, or the receipts file."""

    at: datetime
    source: ReceivedFrom


def parse_moment(text: str) -> datetime:
    """A date or date-and-time as an office writes it: 2020-01-31, 2020/1/31, 2020-01-31 16:05."""
    match = _MOMENT.match(text.strip())
    if not match:
        raise ValueError(f"“{text}”不是日期，应写作 2020-01-31 或 2020-01-31 16:05")
    year, month, day, hour, minute, second = (int(p) if p else 0 for p in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise ValueError(f"“{text}”不是有效的日期") from None


def load_receipts(path: Path) -> dict[str, datetime]:
    """The receipts file: CSV (UTF-8 or GBK) with columns 文件,收到时间 (extra columns such as 备注
    are ignored; lines starting with # are comments). File names are as they stand in the inbox."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到收件登记文件 {path}")
    try:
        header, records = csv_records(decode_text(path.read_bytes()))
    except UnreadableText as exc:
        raise ConfigError(f"收件登记文件 {path}：{exc}，请另存为“CSV UTF-8”格式") from None
    if any(column not in header for column in RECEIPT_COLUMNS):
        raise ConfigError(f"收件登记文件 {path} 的表头应为：{','.join(RECEIPT_COLUMNS)}")
    receipts = {}
    for line, record in records:
        try:
            receipts[record["文件"]] = parse_moment(record.get("收到时间") or "")
        except ValueError as exc:
            raise ConfigError(f"收件登记文件 {path} 第 {line} 行：{exc}") from None
    return receipts


def receipt_for(
    path: Path, inbox: Path, mtime: float, *, receipts: Mapping[str, datetime], given: datetime | None
) -> Receipt:
    """The received time a file would be recorded with: the receipts file (by path in the inbox
    or by file name), else ``--received-at``, else the file's modification time."""
    for key in (_relative(path, inbox), path.name):
        if key in receipts:
            return Receipt(receipts[key], "receipts")
    if given is not None:
        return Receipt(given, "option")
    return Receipt(datetime.fromtimestamp(mtime), "mtime")


def _relative(path: Path, inbox: Path) -> str:
    try:
        return Path(path).relative_to(inbox).as_posix()
    except ValueError:
        return Path(path).name
