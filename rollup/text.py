"""Text as it comes from files and goes into names: bytes in the encodings offices use, a raw
spreadsheet cell as the text a person typed, and a unit's name made safe to use as a file name."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from datetime import date, datetime

_ILLEGAL = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def cell_text(value: object) -> str:
    """A raw workbook cell as the text a person typed: calamine gives whole numbers as floats
    (2019.0) and dates as date objects."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | datetime):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def safe_file_name(name: str) -> str:
    """``name`` usable as one file name on Windows and Unix, never a path: separators, control
    characters and other illegal characters become "_", and "." or ".." cannot stand alone."""
    cleaned = _ILLEGAL.sub("_", name).strip().strip(".")
    return cleaned or "_"


class UnreadableText(ValueError):
    """The bytes of a text file are in no encoding a Chinese office uses."""


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with BOM, or without BOM when the zero bytes give it
    away) or GB18030 (which covers GBK and GB2312). Detected, in that order, never assumed: a
    generic detector guesses wrongly on short Chinese texts, these four are what offices use."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding)
    if 0 in data:
        # Only UTF-16 puts zero bytes in text: the high byte of every ASCII character (digits,
        # spaces, line breaks), which comes first in big-endian order.
        big_endian = data[0::2].count(0) > data[1::2].count(0)
        try:
            return data.decode("utf-16-be" if big_endian else "utf-16-le")
        except UnicodeDecodeError:
            raise UnreadableText("文字编码无法识别（支持 UTF-8、GB18030/GBK、UTF-16）") from None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableText("文字编码无法识别（支持 UTF-8、GB18030/GBK、UTF-16）")


def csv_records(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """A CSV text as an office keeps it (roster, receipts): the header, then each record with the
    line it starts on. Lines starting with ``#`` are comments and blank lines are skipped, but
    only between records: a quoted field may hold line breaks, and a "#" inside it is text."""
    lines = text.splitlines(keepends=True)
    starts: list[int] = []

    def records_lines() -> Iterator[str]:
        quoted = False
        for number, line in enumerate(lines, start=1):
            if not quoted and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if not quoted:
                starts.append(number)
            quoted ^= line.count('"') % 2 == 1
            yield line

    rows = list(csv.reader(records_lines()))
    if not rows:
        return [], []
    header = [name.strip() for name in rows[0]]
    records = [
        (line, {name: value.strip() for name, value in zip(header, row, strict=False)})
        for line, row in zip(starts[1:], rows[1:], strict=False)
    ]
    return header, records
