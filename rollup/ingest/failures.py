"""What a reader's failure means, in a clerk's words: the one place where a library's exception
(or a refusal before reading) becomes a finding that says what is wrong with the file and what
the unit should do. The library's own words go into the finding's JSON ``detail``, for support."""

from __future__ import annotations

import json
from pathlib import Path

from rollup.ingest.guard import OLE_MAGIC, ZIP_MAGIC, Refusal
from rollup.model import Submission
from rollup.text import UnreadableText

# What each extension's bytes must start like; anything else is "wrong format by content".
_EXPECTED = {
    ".xlsx": "zip",
    ".xlsm": "zip",
    ".ods": "zip",
    ".docx": "zip",
    ".xls": "ole",
    ".pdf": "pdf",
}
_CONTENT_WORDS = {
    "zip": "压缩包（Office 2007 以后的文件格式或 zip）",
    "ole": "旧版 Office 文件（Excel 97-2003 或 Word 97-2003）",
    "pdf": "PDF 文件",
    "html": "网页（HTML）",
    "rtf": "RTF 文档",
    "text": "纯文本（如 CSV）",
    "binary": "无法识别的二进制数据",
}
# Reports read as text; a PDF or an Office file named .txt cannot be.
_TEXT_SUFFIXES = {".txt", ".text", ".html", ".htm"}


def content_kind(data: bytes) -> str:
    """What the bytes are, by their first bytes."""
    head = data[:2048]
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    utf16 = (
        head.startswith((b"\xff\xfe", b"\xfe\xff")) or max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 4
    )
    visible = (head.replace(b"\x00", b"") if utf16 else head).lower()
    if any(tag in visible for tag in (b"<html", b"<!doctype html", b"<table", b"<body")):
        return "html"
    controls = sum(1 for byte in visible if byte < 9 or 13 < byte < 32)
    return "binary" if controls > len(visible) // 20 else "text"


def mismatch(suffix: str, data: bytes) -> str | None:
    """The content in words when it is not what the extension promises."""
    kind = content_kind(data)
    expected = _EXPECTED.get(suffix.lower())
    if expected is not None and kind != expected:
        return _CONTENT_WORDS[kind]
    if suffix.lower() in _TEXT_SUFFIXES and kind in ("zip", "ole", "pdf", "rtf"):
        return _CONTENT_WORDS[kind]
    return None


def refused(path: Path, refusal: Refusal) -> Submission:
    return Submission.refused(path, refusal.rule, **refusal.words)


def detail(exc: BaseException) -> str:
    """What the library said, for support: its exception's type and text."""
    return json.dumps({"error": type(exc).__name__, "message": str(exc)[:2000]}, ensure_ascii=False)


def failure(path: Path, data: bytes, exc: BaseException, *, memory_mb: int) -> Submission:
    """A reader's exception as the finding a clerk can act on."""
    said = f"{type(exc).__name__} {exc}".lower()
    if "password" in said or "encrypt" in said:
        return Submission.refused(path, "encrypted_file", detail=detail(exc))
    if isinstance(exc, MemoryError) or "bad_alloc" in said:
        return Submission.refused(
            path,
            "file_too_large",
            detail=detail(exc),
            reason="读取时需要的内存超过限制",
            limit=f"内存不超过 {memory_mb} MB",
            setting="memory_mb",
        )
    content = mismatch(path.suffix, data)
    if content is not None:
        return Submission.refused(path, "wrong_format", detail=detail(exc), suffix=path.suffix, content=content)
    if isinstance(exc, UnreadableText):
        return Submission.refused(path, "unknown_encoding", tried=exc.tried, hint=exc.hint)
    reason = "文件结构嵌套过深" if isinstance(exc, RecursionError) else "文件已损坏，或不是它的扩展名所说的格式"
    return Submission.refused(path, "unreadable_file", detail=detail(exc), reason=reason)


def explained(path: Path, data: bytes, submission: Submission) -> Submission:
    """A reader's own refusal of a file whose content is not what its name says (a PDF named
    .txt read as garbled text), told as that."""
    if submission.values or not submission.findings:
        return submission
    if submission.findings[0].rule not in ("not_a_report", "unreadable_file", "not_a_template"):
        return submission
    content = mismatch(path.suffix, data)
    if content is None:
        return submission
    return Submission.refused(path, "wrong_format", suffix=path.suffix, content=content)
