"""The ledger: a SQLite file (default outbox/rollup.sqlite) that remembers every submission
rollup has seen, when it was received, what it said and what was wrong with it; the office's
acceptances of findings; and every message sent.

A submission is its content: the same bytes under another name are the same submission (keyed
by sha256), and a changed file from a unit is a new version. The received time is fixed on first
sight (the file's modification time, or ``--received-at``) and never moves on a re-run; only a
receipts file, the office's own record, may set it.

The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS[i]`` takes a ledger from
version i to i + 1 and every pending migration is applied when the ledger is opened."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rollup.config import ConfigError
from rollup.model import Finding, Number, Severity, Submission
from rollup.status import Acceptance

MIGRATIONS: tuple[str, ...] = (
    # 1: submissions, the names they were seen under, their values (long form) and findings
    """
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        file_name TEXT NOT NULL,
        year INTEGER,
        unit_id TEXT,
        unit_text TEXT,
        edition TEXT,
        received_at TEXT NOT NULL,
        received_from TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        status TEXT NOT NULL
    );
    CREATE INDEX submissions_by_unit ON submissions (year, unit_id, received_at);
    CREATE TABLE file_names (
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        file_name TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        PRIMARY KEY (submission_id, file_name)
    );
    CREATE TABLE cell_values (
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        code TEXT NOT NULL,
        value NUMERIC,
        note TEXT,
        PRIMARY KEY (submission_id, code)
    );
    CREATE TABLE findings (
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        seq INTEGER NOT NULL,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        table_id TEXT,
        row_code TEXT,
        column_code TEXT,
        source TEXT,
        expected NUMERIC,
        actual NUMERIC,
        message TEXT NOT NULL,
        PRIMARY KEY (submission_id, seq)
    );
    """,
    # 2: the unit's own explanation (说明 sheet), the office's acceptances, messages sent
    """
    ALTER TABLE submissions ADD COLUMN explanation TEXT;
    CREATE TABLE acceptances (
        id INTEGER PRIMARY KEY,
        year INTEGER NOT NULL,
        unit_id TEXT NOT NULL,
        target TEXT NOT NULL,
        reason TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        figures TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        year INTEGER NOT NULL,
        unit_id TEXT,
        kind TEXT NOT NULL,
        recipients TEXT NOT NULL,
        subject TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        eml TEXT
    );
    CREATE INDEX messages_by_unit ON messages (year, unit_id, kind, sent_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

STATUS_ERRORS, STATUS_CLEAN = "有错误", "无错误"


@dataclass(frozen=True)
class Receipt:
    """Where a received time came from: the file's modification time, ``--received-at``, or the
    receipts file."""

    at: datetime
    source: str  # "mtime" | "option" | "receipts"


@dataclass(frozen=True)
class Version:
    """One submission as the ledger holds it."""

    id: int
    sha256: str
    size: int
    file_name: str  # the name it was first seen under
    year: int | None
    unit_id: str | None
    unit_text: str | None
    edition: str | None
    received_at: datetime
    received_from: str
    first_seen: datetime
    status: str
    explanation: str | None
    findings: tuple[Finding, ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    @property
    def order(self) -> tuple[datetime, int]:
        """Newer versions sort later: by received time, then by first sight."""
        return self.received_at, self.id


def fingerprint(path: Path) -> tuple[str, int]:
    """sha256 and size of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest(), Path(path).stat().st_size


class LedgerError(Exception):
    """A ledger file that cannot be used; the message is for the user as it stands."""


class Ledger:
    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open (creating if need be) the ledger at ``path`` and bring its schema up to date."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path)
            db.execute("PRAGMA foreign_keys = ON")
            migrate(db)
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"台账文件 {path} 无法打开（{exc}）") from None
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    # --- submissions ---------------------------------------------------------------------------

    def record(self, submission: Submission, *, sha256: str, size: int, receipt: Receipt, seen_at: datetime) -> Version:
        """Record what a file says. New content is stored with ``receipt``; known content keeps
        its received time (unless the receipt comes from the receipts file) and has its
        reading (unit, findings, values) refreshed, since the roster or the rules may have changed."""
        with self._db:
            row = self._db.execute("SELECT id, received_at, received_from FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
            reading = (
                submission.year, submission.unit_id, submission.unit, submission.edition,
                STATUS_ERRORS if submission.has_errors else STATUS_CLEAN, submission.meta.get("explanation"),
            )
            if row is None:
                cursor = self._db.execute(
                    "INSERT INTO submissions (sha256, size, file_name, received_at, received_from, first_seen,"
                    " year, unit_id, unit_text, edition, status, explanation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (sha256, size, submission.file.name, _iso(receipt.at), receipt.source, _iso(seen_at), *reading),
                )
                version_id = cursor.lastrowid
            else:
                version_id = row[0]
                self._db.execute(
                    "UPDATE submissions SET year = ?, unit_id = ?, unit_text = ?, edition = ?, status = ?, explanation = ?"
                    " WHERE id = ?",
                    (*reading, version_id),
                )
                if receipt.source == "receipts" and (row[1], row[2]) != (_iso(receipt.at), "receipts"):
                    self._db.execute(
                        "UPDATE submissions SET received_at = ?, received_from = 'receipts' WHERE id = ?",
                        (_iso(receipt.at), version_id),
                    )
            self._db.execute(
                "INSERT OR IGNORE INTO file_names (submission_id, file_name, first_seen) VALUES (?, ?, ?)",
                (version_id, submission.file.name, _iso(seen_at)),
            )
            self._store_reading(version_id, submission)
        return self.version(version_id)

    def _store_reading(self, version_id: int, submission: Submission) -> None:
        self._db.execute("DELETE FROM cell_values WHERE submission_id = ?", (version_id,))
        self._db.executemany(
            "INSERT INTO cell_values (submission_id, code, value, note) VALUES (?, ?, ?, ?)",
            [(version_id, code, value, submission.notes.get(code)) for code, value in submission.values.items()],
        )
        self._db.execute("DELETE FROM findings WHERE submission_id = ?", (version_id,))
        self._db.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (version_id, seq, f.rule, str(f.severity), f.table, f.row, f.column, f.source, f.expected, f.actual, f.message)
                for seq, f in enumerate(submission.findings)
            ],
        )

    def version(self, version_id: int) -> Version:
        (found,) = self._versions("id = ?", (version_id,))
        return found

    def versions(self, year: int, unit_id: str) -> list[Version]:
        """Every version of a unit's submission for ``year``, oldest first."""
        return self._versions("year = ? AND unit_id = ?", (year, unit_id))

    def units_seen(self, year: int) -> dict[str, list[Version]]:
        """Every unit's versions for ``year``, oldest first."""
        found: dict[str, list[Version]] = {}
        for version in self._versions("year = ? AND unit_id IS NOT NULL", (year,)):
            found.setdefault(version.unit_id, []).append(version)
        return found

    def _versions(self, where: str, params: tuple) -> list[Version]:
        rows = self._db.execute(
            "SELECT id, sha256, size, file_name, year, unit_id, unit_text, edition, received_at, received_from,"
            f" first_seen, status, explanation FROM submissions WHERE {where} ORDER BY received_at, id",
            params,
        ).fetchall()
        return [
            Version(
                id=r[0], sha256=r[1], size=r[2], file_name=r[3], year=r[4], unit_id=r[5], unit_text=r[6], edition=r[7],
                received_at=datetime.fromisoformat(r[8]), received_from=r[9], first_seen=datetime.fromisoformat(r[10]),
                status=r[11], explanation=r[12], findings=self._findings(r[0], r[3], r[6]),
            )
            for r in rows
        ]

    def _findings(self, version_id: int, file_name: str, unit: str | None) -> tuple[Finding, ...]:
        rows = self._db.execute(
            "SELECT rule, severity, table_id, row_code, column_code, source, expected, actual, message"
            " FROM findings WHERE submission_id = ? ORDER BY seq",
            (version_id,),
        )
        return tuple(
            Finding(rule=r[0], severity=Severity(r[1]), table=r[2], row=r[3], column=r[4], source=r[5],
                    expected=r[6], actual=r[7], message=r[8], file=file_name, unit=unit or "")
            for r in rows
        )

    def names(self, version_id: int) -> list[str]:
        """Every file name the content was seen under, first first."""
        rows = self._db.execute(
            "SELECT file_name FROM file_names WHERE submission_id = ? ORDER BY first_seen, file_name", (version_id,)
        )
        return [r[0] for r in rows]

    def values(self, version_id: int) -> dict[str, Number]:
        rows = self._db.execute("SELECT code, value FROM cell_values WHERE submission_id = ?", (version_id,))
        return dict(rows.fetchall())

    # --- acceptances ---------------------------------------------------------------------------

    def accept(self, acceptance: Acceptance, year: int) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO acceptances (year, unit_id, target, reason, accepted_at, figures) VALUES (?, ?, ?, ?, ?, ?)",
                (year, acceptance.unit_id, acceptance.target, acceptance.reason, _iso(acceptance.accepted_at),
                 json.dumps(acceptance.figures, ensure_ascii=False)),
            )

    def acceptances(self, year: int, unit_id: str | None = None) -> list[Acceptance]:
        """The office's acceptances for ``year`` (of one unit, or all), oldest first."""
        query = "SELECT unit_id, target, reason, accepted_at, figures FROM acceptances WHERE year = ?"
        params: tuple = (year,)
        if unit_id is not None:
            query, params = query + " AND unit_id = ?", (year, unit_id)
        rows = self._db.execute(query + " ORDER BY accepted_at, id", params)
        return [
            Acceptance(unit_id=r[0], target=r[1], reason=r[2], accepted_at=datetime.fromisoformat(r[3]),
                       figures=tuple(tuple(pair) for pair in json.loads(r[4])))
            for r in rows
        ]

    # --- messages ------------------------------------------------------------------------------

    def record_message(
        self, *, year: int, unit_id: str | None, kind: str, recipients: list[str], subject: str,
        sent_at: datetime, eml: str | None,
    ) -> None:
        """Record one message actually sent (kind "gaps", "催报" or "退回更正")."""
        with self._db:
            self._db.execute(
                "INSERT INTO messages (year, unit_id, kind, recipients, subject, sent_at, eml) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (year, unit_id, kind, json.dumps(list(recipients), ensure_ascii=False), subject, _iso(sent_at), eml),
            )

    def last_message(self, *, year: int, unit_id: str | None, kind: str) -> datetime | None:
        """When a message of ``kind`` was last sent for ``year`` to ``unit_id`` (None: the gaps email)."""
        row = self._db.execute(
            "SELECT max(sent_at) FROM messages WHERE year = ? AND unit_id IS ? AND kind = ?", (year, unit_id, kind)
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row[0] else None


def migrate(db: sqlite3.Connection) -> int:
    """Apply every migration the database has not had yet; return the schema version."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"台账由更新版本的 rollup 创建（结构版本 {current}，本程序支持到 {SCHEMA_VERSION}），请升级 rollup")
    for number in range(current, SCHEMA_VERSION):
        # executescript commits first; the version bump rides in the same script
        db.executescript(f"BEGIN; {MIGRATIONS[number]} PRAGMA user_version = {number + 1}; COMMIT;")
    return SCHEMA_VERSION


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat(sep=" ")


# --- receipts ----------------------------------------------------------------------------------

RECEIPT_COLUMNS = ("文件", "收到时间")
_MOMENT = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def parse_moment(text: str) -> datetime:
    """A date or date-and-time as an office writes it: 2020-01-31, 2020/1/31, 2020-01-31 16:05."""
    match = _MOMENT.match(text.strip())
    if not match:
        raise ValueError(f"“{text}”不是日期，应写作 2020-01-31 或 2020-01-31 16:05")
    parts = [int(p) if p else 0 for p in match.groups()]
    return datetime(*parts)


def load_receipts(path: Path) -> dict[str, datetime]:
    """The receipts file: CSV (UTF-8) with columns 文件,收到时间 (extra columns such as 备注 are
    ignored; lines starting with # are comments). File names are as they stand in the inbox."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到收件登记文件 {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"收件登记文件 {path} 不是 UTF-8 编码，请另存为“CSV UTF-8”格式") from None
    lines = [(n, line) for n, line in enumerate(io.StringIO(text), start=1) if line.strip() and not line.lstrip().startswith("#")]
    rows = [(n, next(csv.reader([line]))) for n, line in lines]
    if not rows or any(c not in rows[0][1] for c in RECEIPT_COLUMNS):
        raise ConfigError(f"收件登记文件 {path} 的表头应为：{','.join(RECEIPT_COLUMNS)}")
    header = [c.strip() for c in rows[0][1]]
    receipts = {}
    for number, row in rows[1:]:
        record = dict(zip(header, (c.strip() for c in row)))
        try:
            receipts[record["文件"]] = parse_moment(record.get("收到时间") or "")
        except ValueError as exc:
            raise ConfigError(f"收件登记文件 {path} 第 {number} 行：{exc}") from None
    return receipts


def receipt_for(path: Path, inbox: Path, mtime: float, *, receipts: Mapping[str, datetime], given: datetime | None) -> Receipt:
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


def record_all(
    ledger: Ledger, submissions: Iterable[Submission], *, inbox: Path, receipts: Mapping[str, datetime],
    given: datetime | None, seen_at: datetime,
) -> dict[Path, Version]:
    """Record every submission of a run; the ledger's version of each file."""
    recorded = {}
    for submission in submissions:
        sha256, size = fingerprint(submission.file)
        receipt = receipt_for(submission.file, inbox, submission.modified, receipts=receipts, given=given)
        recorded[submission.file] = ledger.record(submission, sha256=sha256, size=size, receipt=receipt, seen_at=seen_at)
    return recorded


# --- history -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One cell that differs between two versions (None: absent in that version)."""

    code: str
    before: Number | None
    after: Number | None


@dataclass(frozen=True)
class HistoryEntry:
    version: Version
    names: tuple[str, ...]
    changes: tuple[Change, ...]  # against the previous version (empty for the first)


def history(ledger: Ledger, year: int, unit_id: str, order: Iterable[str] = ()) -> list[HistoryEntry]:
    """Every version of a unit's report for ``year``, oldest first, each with what changed cell by
    cell since the one before (cells in ``order`` first, in that order)."""
    rank = {code: i for i, code in enumerate(order)}
    entries, before = [], None
    for version in ledger.versions(year, unit_id):
        after = ledger.values(version.id)
        changed = ()
        if before is not None:
            codes = sorted(set(before) | set(after), key=lambda c: (rank.get(c, len(rank)), c))
            changed = tuple(Change(c, before.get(c), after.get(c)) for c in codes if before.get(c) != after.get(c))
        entries.append(HistoryEntry(version, tuple(ledger.names(version.id)), changed))
        before = after
    return entries
