"""Files as the inbox holds them, taken once: what kind of entry a name is (only regular files are
opened: a symbolic link, a folder, a pipe or a device never is), and a file's bytes read once,
within the size limit, hashed from those same bytes, with what the file looked like when read so
that a file changed during the run is noticed (``changed``) and left for the next run.

A ``.zip`` in the inbox is taken member by member, each member a file of its own named
``archive.zip／member`` (a full-width slash: one name, never a path), under the archive's limits."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rollup.config import Limits
from rollup.ingest.guard import check_members, too_large
from rollup.ingest.sniff import SUFFIXES
from rollup.model import Submission
from rollup.text import safe_file_name

_BLOCK = 1 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # POSIX: never open through a symbolic link
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX: a FIFO must not make open() wait for a writer
_BINARY = getattr(os, "O_BINARY", 0)  # Windows
_KINDS = {
    stat.S_IFLNK: "符号链接（指向别处的链接）",
    stat.S_IFDIR: "文件夹",
    stat.S_IFIFO: "命名管道（FIFO）",
    stat.S_IFCHR: "设备文件",
    stat.S_IFBLK: "设备文件",
    stat.S_IFSOCK: "套接字",
}
MEMBER_SEPARATOR = "／"  # between an archive's name and its member's, in the member's name
SUBMISSION_SUFFIXES = (*SUFFIXES, ".zip")


def entry_kind(path: Path) -> str | None:
    """None for a regular file; otherwise what the entry is, in words (never followed)."""
    try:
        found = os.lstat(path)
    except OSError:
        return None  # gone, or not ours to see: opening it will say which
    if stat.S_ISREG(found.st_mode) and not _is_link(found):
        return None
    return _KINDS.get(stat.S_IFMT(found.st_mode), "特殊文件")


def _is_link(found: os.stat_result) -> bool:
    # A Windows junction or other reparse point is as much a link as a symbolic one.
    attributes = getattr(found, "st_file_attributes", 0)
    return bool(attributes & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0))


@dataclass(frozen=True)
class Taken:
    """One file's bytes as read once, and what the file looked like then."""

    path: Path
    data: bytes
    sha256: str
    modified: float
    signature: tuple[int, ...]  # size, modification and change times, inode
    origin: Path  # the file on disk: the path itself, or the .zip a member came in

    @property
    def size(self) -> int:
        return len(self.data)


def _signature(status: os.stat_result) -> tuple[int, ...]:
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def take(path: Path, limits: Limits) -> Taken | Submission:
    """The file's bytes, or the finding that says why they are not read: not a regular file,
    no permission, larger than the limit (hashed without being kept, so the ledger knows it)."""
    path = Path(path)
    kind = entry_kind(path)
    if kind is not None:
        return Submission.refused(path, "not_a_regular_file", kind=kind)
    try:
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
    except OSError as exc:
        return _unopened(path, exc)
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):  # swapped for something else since it was listed
            return Submission.refused(
                path, "not_a_regular_file", kind=_KINDS.get(stat.S_IFMT(status.st_mode), "特殊文件")
            )
        if status.st_size > limits.file_bytes:
            return _too_large(path, handle, status, limits)
        try:
            # As much as the file says it holds, and more only if it grew: asked for the limit,
            # Python allocates all of it first (an mmap and a munmap for every small file).
            data = handle.read(status.st_size + 1)
            if len(data) > status.st_size:
                data += handle.read(limits.file_bytes + 1 - len(data))
        except OSError as exc:
            return _unopened(path, exc)
    if len(data) > limits.file_bytes:  # it grew while being read
        return Submission.refused(path, "file_changed")
    return Taken(path, data, hashlib.sha256(data).hexdigest(), status.st_mtime, _signature(status), path)


def _unopened(path: Path, exc: OSError) -> Submission:
    words = "没有读取权限" if isinstance(exc, PermissionError) else f"打不开（{exc.strerror or exc}）"
    return Submission.refused(path, "unreadable_file", reason=words)


def _too_large(path: Path, handle: io.BufferedReader, status: os.stat_result, limits: Limits) -> Submission:
    # Never read whole (a 100 GB file would take minutes): identified by its size and its first
    # and last megabyte, which tells the same file from another as well as the ledger needs.
    digest = hashlib.sha256(b"rollup: not read whole, size %d\n" % status.st_size)
    digest.update(handle.read(_BLOCK))
    handle.seek(max(0, status.st_size - _BLOCK))
    digest.update(handle.read(_BLOCK))
    refused = Submission.refused(
        path,
        "file_too_large",
        reason=f"有 {status.st_size / 2**20:.0f} MB",
        limit=f"不超过 {limits.file_mb:g} MB",
        setting="file_mb",
    )
    return refused.identified(digest.hexdigest(), status.st_size)


def changed(taken: Taken) -> bool:
    """Whether the file is no longer what was read (being copied in, edited, replaced)."""
    try:
        return _signature(os.stat(taken.origin, follow_symlinks=False)) != taken.signature
    except OSError:
        return True


def finish(taken: Taken, submission: Submission) -> Submission:
    """The reading of ``taken`` as the pipeline keeps it: under the file's own path and time,
    identified by the hash of the bytes read; or, when the file changed while it was being
    read, a finding and no identity, so that the ledger never records a half-copied file."""
    if changed(taken):
        return Submission.refused(taken.path, "file_changed")
    return submission.identified(taken.sha256, taken.size).moved(taken.path, taken.modified).compact()


# --- .zip archives ----------------------------------------------------------------------------------


def unpack(taken: Taken, limits: Limits) -> list[Taken] | Submission:
    """The members of a .zip that are submissions, each taken as a file of its own (its path
    ``archive.zip/member``), or the finding about the archive itself."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(taken.data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return Submission.refused(taken.path, "unreadable_file", reason=f"压缩包已损坏（{exc}）").identified(
            taken.sha256, taken.size
        )
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        refusal = check_members(members, limits)
        if refusal is None and any(m.file_size > limits.file_bytes for m in members):
            refusal = too_large("压缩包内有文件解压后过大", f"单个文件不超过 {limits.file_mb:g} MB", "file_mb")
        if refusal is not None:
            return Submission.refused(taken.path, refusal.rule, **refusal.words).identified(taken.sha256, taken.size)
        wanted = [_member(taken, archive, member) for member in members if _wanted(_member_name(member))]
    if not wanted:
        return Submission.refused(
            taken.path, "not_a_report", parts="压缩包中没有 .xlsx、.docx、.pdf 等报告文件"
        ).identified(taken.sha256, taken.size)
    return wanted


def _wanted(name: str) -> bool:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return bool(base) and not base.startswith((".", "~$")) and base.lower().endswith(SUBMISSION_SUFFIXES[:-1])


def _member(taken: Taken, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Taken:
    # Member names are the sender's text: each part made safe, so none can reach outside the archive.
    name = _member_name(member).replace("\\", "/")
    parts = [safe_file_name(part) for part in name.split("/") if part not in ("", ".", "..")]
    data = archive.read(member)  # zipfile stops at the declared size, checked above
    digest = hashlib.sha256(data).hexdigest()
    # One name a clerk can find it by, "报告.zip／乐清市商务局.xlsx", never a path into anything.
    path = taken.path.with_name(MEMBER_SEPARATOR.join([taken.path.name, *parts]))
    return Taken(path, data, digest, taken.modified, taken.signature, taken.origin)


def as_text(path: Path) -> Path:
    """``path`` as a person reads it: a name that is no text (GBK bytes on a Linux disk, as a
    USB stick or a zip unpacked there leaves them, which Python holds as lone surrogates) decoded
    as its sender wrote it. ``path`` itself when every part is text."""
    if _is_text(str(path)):  # every file but the odd one: no Path made again
        return path
    return Path(*(_part_as_text(part) for part in path.parts))


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _part_as_text(part: str) -> str:
    if _is_text(part):
        return part
    raw = os.fsencode(part)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _member_name(member: zipfile.ZipInfo) -> str:
    """A member's name as its sender saw it: zips made on Chinese Windows store names in GBK
    without saying so, which zipfile reads as cp437."""
    if member.flag_bits & 0x800:
        return member.filename
    try:
        return member.filename.encode("cp437").decode("gb18030")
    except UnicodeError:
        return member.filename
