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


# --- what a unit wrote, made safe for each output ----------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?|-+")
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def sheet_text(value: object) -> object:
    """A value for a spreadsheet cell or a CSV field that no spreadsheet program will run as a
    formula (OWASP's rule against CSV injection): text starting with = + - @ tab or carriage
    return gets a leading apostrophe, shown as written. Numbers, and text that is only a signed
    number or a dash (not applicable), stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def console_text(value: object) -> str:
    """Text for the console that rich prints as written: ``[red]`` or ``[/dim]`` in a unit's
    name or note is shown, never taken as markup."""
    from rich.markup import escape

    return escape(str(value))


def header_text(value: str) -> str:
    """A value for a mail header: line breaks (an Alt+Enter in a roster cell) and other control
    characters become one space, so a header can neither break nor smuggle in another."""
    return " ".join(_HEADER_BREAKS.sub(" ", value).split())


def safe_file_name(name: str) -> str:
    """``name`` usable as one file name on Windows and Unix, never a path: separators, control
    characters and other illegal characters become "_", and "." or ".." cannot stand alone."""
    cleaned = _ILLEGAL.sub("_", name).strip().strip(".")
    return cleaned or "_"


TRIED_ENCODINGS = "UTF-8（含 BOM）、UTF-16、GB18030/GBK"


class UnreadableText(ValueError):
    """The bytes of a text file are in no encoding a Chinese office uses; ``hint`` says what they
    look like when that is known."""

    def __init__(self, hint: str = ""):
        self.tried = TRIED_ENCODINGS
        self.hint = hint
        super().__init__(f"文字编码无法识别（支持 {TRIED_ENCODINGS}）{hint}")


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
            raise UnreadableText() from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableText() from None
    if _looks_like_big5(data, text):
        raise UnreadableText("，看起来是繁体中文的 Big5 编码")
    return text


def _looks_like_big5(data: bytes, text: str) -> bool:
    """Big5 bytes are also valid GBK, read as rare characters: real simplified Chinese text keeps
    to the common GB2312 set; Big5 read as GBK lands there for only about half its characters."""
    ideographs = [c for c in text[:5000] if "\u4e00" <= c <= "\u9fff"]
    if len(ideographs) < 20:
        return False
    common = sum(1 for c in ideographs if _in_gb2312(c))
    if common / len(ideographs) >= 0.8:
        return False
    try:
        data.decode("big5")
    except UnicodeDecodeError:
        return False
    return True


def _in_gb2312(character: str) -> bool:
    try:
        character.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def csv_records(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """A CSV text as an office keeps it (roster, receipts): the header, then each record by
    column name with the line it starts on (see ``csv_rows``)."""
    header, rows = csv_rows(text)
    return header, [(line, dict(zip(header, row, strict=False))) for line, row in rows]


def csv_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """A CSV text as an office keeps it: the header, then each record's fields (stripped) with the
    line it starts on. Lines starting with ``#`` are comments and blank lines are skipped, but
    only between records: a quoted field may hold line breaks, and a "#" inside it is text."""
    reader = csv.reader(_uncommented(text.splitlines(keepends=True)))
    rows: list[tuple[int, list[str]]] = []
    start = 1
    for row in reader:
        if row:  # a comment or a blank line reads as an empty record
            rows.append((start, [field.strip() for field in row]))
        start = reader.line_num + 1
    if not rows:
        return [], []
    return rows[0][1], rows[1:]


def _uncommented(lines: list[str]) -> Iterator[str]:
    """The lines, comments and blank lines between records made empty: the reader still counts
    them, so a record's line is the file's."""
    quoted = False
    for line in lines:
        if not quoted and line.lstrip()[:1] in ("", "#"):
            yield "\n"
            continue
        quoted ^= line.count('"') % 2 == 1
        yield line
