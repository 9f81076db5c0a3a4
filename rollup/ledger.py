"""The ledger: a SQLite file (default outbox/rollup.sqlite) that remembers every submission
rollup has seen, when it was received, what it said and what was wrong with it; which version
counted for each unit in the last run of each year; the office's acceptances of findings; and
every message sent.

A submission is its content: the same bytes under another name are the same submission (keyed
by sha256), and a changed file from a unit is a new version. The received time is fixed on first
sight and never moves on a re-run; only a receipts file, the office's own record, may set it.

The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS[i]`` takes a ledger from
version i to i + 1 and every pending migration is applied when the ledger is opened."""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from rollup.findings import Finding, Severity
from rollup.forms import Number
from rollup.model import Acceptance, Figures, Submission
from rollup.receipts import Receipt

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
    # 3: the status column was written and never read; the last run of each year (when, as of
    # which day, on which state of the inbox) and the version that counted for each unit in it,
    # so that read-only commands (accept, history) need not read the inbox again
    """
    ALTER TABLE submissions DROP COLUMN status;
    CREATE TABLE runs (
        year INTEGER PRIMARY KEY,
        finished_at TEXT NOT NULL,
        as_of TEXT NOT NULL,
        inbox_state TEXT NOT NULL
    );
    CREATE TABLE counted (
        year INTEGER NOT NULL,
        unit_id TEXT NOT NULL,
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        PRIMARY KEY (year, unit_id)
    );
    """,
    # 4: what a reminder was about (a digest of the errors a 退回更正 listed), so that new errors
    # are sent back at once instead of waiting out the interval of the last reminder
    """
    ALTER TABLE messages ADD COLUMN topic TEXT NOT NULL DEFAULT '';
    """,
    # 5: a report's words outside its tables, to find text repeated from last year's report;
    # the region's own figures of each year's last run, for the year-over-year view
    """
    CREATE TABLE texts (
        submission_id INTEGER PRIMARY KEY REFERENCES submissions (id),
        text TEXT NOT NULL
    );
    CREATE TABLE city_values (
        year INTEGER NOT NULL,
        code TEXT NOT NULL,
        value NUMERIC NOT NULL,
        PRIMARY KEY (year, code)
    );
    """,
    # 6: what each inbox file said when it was last read, by its path, size and modification time
    # and by the reader that read it, so that a re-run reads only new or changed files; a digest
    # of each version's stored reading, so that an unchanged one is not written again; and what a
    # year's outputs were made from and which files they are, so that they are not made again
    # from the same
    """
    ALTER TABLE runs ADD COLUMN outputs_key TEXT;
    ALTER TABLE runs ADD COLUMN outputs TEXT;
    CREATE TABLE readings (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        reader TEXT NOT NULL,
        submissions BLOB NOT NULL
    );
    ALTER TABLE submissions ADD COLUMN reading TEXT;
    """,
    # 7: the standing of every unit the outputs were written with (compressed, opaque here), so that
    # a run with nothing changed shows it without reading or consolidating anything; cell values
    # in one B-tree, their key (a province's millions of rows: a quarter less CPU to record, a
    # third less disk)
    """
    ALTER TABLE runs ADD COLUMN standing BLOB;
    CREATE TABLE cell_values_by_key (
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        code TEXT NOT NULL,
        value NUMERIC,
        note TEXT,
        PRIMARY KEY (submission_id, code)
    ) WITHOUT ROWID;
    INSERT INTO cell_values_by_key SELECT submission_id, code, value, note FROM cell_values;
    DROP TABLE cell_values;
    ALTER TABLE cell_values_by_key RENAME TO cell_values;
    """,
    # 8: a version's figures as one JSON object in its own row (code → value), and the notes of its
    # cells likewise: a province's 1.4 million rows, one a cell, took a sixth of the run to write.
    # cell_values stays, as a view of the same long form, for anyone who queries the ledger.
    """
    ALTER TABLE submissions ADD COLUMN figures TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE submissions ADD COLUMN notes TEXT NOT NULL DEFAULT '{}';
    UPDATE submissions SET
        figures = (SELECT json_group_object(code, value) FROM cell_values WHERE submission_id = submissions.id),
        notes = (
            SELECT json_group_object(code, note) FROM cell_values
            WHERE submission_id = submissions.id AND note IS NOT NULL
        );
    DROP TABLE cell_values;
    CREATE VIEW cell_values (submission_id, code, value, note) AS
        SELECT submissions.id, figure.key, figure.value, note.value
        FROM submissions
        JOIN json_each(submissions.figures) AS figure
        LEFT JOIN json_each(submissions.notes) AS note ON note.key = figure.key;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# what a Version is made of: not its figures and notes (the ledger's bulk, a province's 80 MB,
# read where they are asked for), nor its reading's digest
_VERSION_COLUMNS = (
    "id, sha256, size, file_name, year, unit_id, unit_text, edition, received_at, received_from, first_seen,"
    " explanation"
)


@dataclass(frozen=True)
class Arrival:
    """A submission to record: the key its content is known by, its size, and when it came."""

    submission: Submission
    sha256: str
    size: int
    receipt: Receipt


@dataclass(frozen=True)
class FileState:
    """What tells a file changed without opening it: its size and modification time."""

    size: int
    mtime_ns: int


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
    explanation: str | None
    findings: tuple[Finding, ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    @property
    def order(self) -> tuple[datetime, int]:
        """Newer versions sort later: by received time, then by first sight."""
        return self.received_at, self.id


@dataclass(frozen=True)
class PastReport:
    """What a unit reported for a year, as the ledger holds it."""

    version_id: int
    edition: str | None
    values: dict[str, Number]
    text: str


@dataclass(frozen=True)
class Run:
    """The last consolidation of a year: when, as of which day, on which state of the inbox,
    which version counted for each unit (unit id → version id), and the region's figures."""

    year: int
    finished_at: datetime
    as_of: date
    inbox_state: str
    counted: dict[str, int]
    values: dict[str, Number]


@dataclass(frozen=True)
class KeptOutputs:
    """A year's outputs as the ledger remembers them: their files, and the standing they show
    (empty when an older rollup wrote them)."""

    files: dict[str, Any]
    standing: bytes | None


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
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            migrate(db)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise LedgerError(f"台账文件 {path} 无法打开（{exc}）") from None
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # --- submissions ---------------------------------------------------------------------------

    def record(self, submission: Submission, *, sha256: str, size: int, receipt: Receipt, seen_at: datetime) -> Version:
        """Record what one file says (see ``record_all``)."""
        return self.record_all([Arrival(submission, sha256, size, receipt)], seen_at=seen_at)[sha256]

    def record_all(self, arrivals: Iterable[Arrival], *, seen_at: datetime) -> dict[str, Version]:
        """Record what files say, all in one transaction; the ledger's version of each, by
        content key. New content is stored with its receipt; known content keeps its received
        time (unless the receipt comes from the receipts file) and has its reading (unit,
        findings, values) refreshed where it changed, since the roster or the rules may have."""
        ids = {}
        with self._db:
            for arrival in arrivals:
                ids[arrival.sha256] = self._record(arrival, seen_at)
        versions = {v.id: v for v in self._versions_of(list(ids.values()))}
        return {sha256: versions[version_id] for sha256, version_id in ids.items()}

    def _record(self, arrival: Arrival, seen_at: datetime) -> int:
        submission, receipt = arrival.submission, arrival.receipt
        reading = _reading(submission)
        # One statement, atomic against another process recording the same content at the
        # same moment: the first one's row (and received time) stands.
        added = self._db.execute(
            "INSERT INTO submissions (sha256, size, file_name, received_at, received_from, first_seen,"
            " year, unit_id, unit_text, edition, explanation, reading, figures, notes)"
            " VALUES (:sha256, :size, :file_name, :received_at, :received_from, :first_seen,"
            " :year, :unit_id, :unit_text, :edition, :explanation, :reading, :figures, :notes)"
            " ON CONFLICT (sha256) DO NOTHING",
            {
                "sha256": arrival.sha256,
                "size": arrival.size,
                "file_name": submission.file.name,
                "received_at": _iso(receipt.at),
                "received_from": receipt.source,
                "first_seen": _iso(seen_at),
                **reading,
            },
        )
        if added.rowcount == 1 and added.lastrowid is not None:  # new content, a province's thousands a run
            version_id = added.lastrowid
            self._add_reading(version_id, submission)
        else:
            version_id = self._refresh(arrival, reading)
        self._db.execute(
            "INSERT OR IGNORE INTO file_names (submission_id, file_name, first_seen) VALUES (?, ?, ?)",
            (version_id, submission.file.name, _iso(seen_at)),
        )
        return version_id

    def _refresh(self, arrival: Arrival, reading: Mapping[str, object]) -> int:
        """Known content: its reading rewritten where it changed, its receipt where the receipts
        file gives one; its version's id."""
        receipt = arrival.receipt
        row = self._db.execute(
            "SELECT id, received_at, received_from, reading FROM submissions WHERE sha256 = ?", (arrival.sha256,)
        ).fetchone()
        version_id = int(row["id"])
        if row["reading"] != reading["reading"]:
            self._db.execute(
                "UPDATE submissions SET year = :year, unit_id = :unit_id, unit_text = :unit_text,"
                " edition = :edition, explanation = :explanation, reading = :reading, figures = :figures,"
                " notes = :notes WHERE id = :id",
                {**reading, "id": version_id},
            )
            for table in ("texts", "findings"):
                self._db.execute(f"DELETE FROM {table} WHERE submission_id = ?", (version_id,))
            self._add_reading(version_id, arrival.submission)
        if receipt.source == "receipts" and (row["received_at"], row["received_from"]) != (
            _iso(receipt.at),
            "receipts",
        ):
            self._db.execute(
                "UPDATE submissions SET received_at = ?, received_from = 'receipts' WHERE id = ?",
                (_iso(receipt.at), version_id),
            )
        return version_id

    def _add_reading(self, version_id: int, submission: Submission) -> None:
        """What a version's own row does not hold: its words, its findings."""
        if submission.text:
            self._db.execute("INSERT INTO texts (submission_id, text) VALUES (?, ?)", (version_id, submission.text))
        if not submission.findings:
            return
        self._db.executemany(
            "INSERT INTO findings (submission_id, seq, rule, severity, table_id, row_code, column_code, source,"
            " expected, actual, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    version_id,
                    seq,
                    f.rule,
                    str(f.severity),
                    f.table,
                    f.row,
                    f.column,
                    f.source,
                    _storable(f.expected),
                    _storable(f.actual),
                    f.message,
                )
                for seq, f in enumerate(submission.findings)
            ],
        )

    def version(self, version_id: int) -> Version:
        (found,) = self._versions("id = ?", (version_id,))
        return found

    def versions(self, year: int, unit_id: str | None = None) -> list[Version]:
        """Every version of ``year`` (of one unit, or of all units), oldest first."""
        if unit_id is None:
            return self._versions("year = ?", (year,))
        return self._versions("year = ? AND unit_id = ?", (year, unit_id))

    def _versions(self, where: str, params: tuple[object, ...]) -> list[Version]:
        rows = self._db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM submissions WHERE {where} ORDER BY received_at, id", params
        ).fetchall()
        return self._as_versions(rows)

    def _versions_of(self, version_ids: list[int]) -> list[Version]:
        rows = self._joined(version_ids, f"SELECT {_VERSION_COLUMNS} FROM submissions JOIN wanted USING (id)")
        return self._as_versions(rows)

    def _as_versions(self, rows: list[sqlite3.Row]) -> list[Version]:
        findings = self._findings([row["id"] for row in rows])
        return [
            Version(
                id=r["id"],
                sha256=r["sha256"],
                size=r["size"],
                file_name=r["file_name"],
                year=r["year"],
                unit_id=r["unit_id"],
                unit_text=r["unit_text"],
                edition=r["edition"],
                received_at=datetime.fromisoformat(r["received_at"]),
                received_from=r["received_from"],
                first_seen=datetime.fromisoformat(r["first_seen"]),
                explanation=r["explanation"],
                findings=tuple(
                    Finding(**{**f, "file": r["file_name"], "unit": r["unit_text"] or ""}) for f in findings[r["id"]]
                ),
            )
            for r in rows
        ]

    def _findings(self, version_ids: list[int]) -> dict[int, list[dict[str, object]]]:
        """The findings of many versions in one query, by version id, in their order."""
        found: dict[int, list[dict[str, object]]] = defaultdict(list)
        if not version_ids:
            return found
        rows = self._joined(
            version_ids,
            "SELECT submission_id, rule, severity, table_id, row_code, column_code, source, expected, actual, message"
            " FROM findings JOIN wanted ON wanted.id = findings.submission_id ORDER BY submission_id, seq",
        )
        for r in rows:
            found[r["submission_id"]].append(
                {
                    "rule": r["rule"],
                    "severity": Severity(r["severity"]),
                    "table": r["table_id"],
                    "row": r["row_code"],
                    "column": r["column_code"],
                    "source": r["source"],
                    "expected": r["expected"],
                    "actual": r["actual"],
                    "message": r["message"],
                }
            )
        return found

    def names(self, version_id: int) -> list[str]:
        """Every file name the content was seen under, first first."""
        rows = self._db.execute(
            "SELECT file_name FROM file_names WHERE submission_id = ? ORDER BY first_seen, file_name", (version_id,)
        )
        return [r["file_name"] for r in rows]

    def values(self, version_id: int) -> dict[str, Number]:
        row = self._db.execute("SELECT figures FROM submissions WHERE id = ?", (version_id,)).fetchone()
        return json.loads(row["figures"]) if row else {}

    def reports_of(self, year: int) -> dict[str, PastReport]:
        """Each unit's report of ``year``, by unit id: the version that counted in that year's
        last run, else (for years only imported, never consolidated) the newest version."""
        run = self.last_run(year)
        if run is not None:
            versions = {v.id: v for v in self._versions("year = ?", (year,))}
            chosen = {unit_id: versions[version_id] for unit_id, version_id in run.counted.items()}
        else:
            chosen = {}
            for version in self._versions("year = ? AND unit_id IS NOT NULL", (year,)):
                chosen[version.unit_id or ""] = version  # oldest first: the newest stays
        ids = [v.id for v in chosen.values()]
        values, texts = self._values(ids), self._texts(ids)
        return {
            unit_id: PastReport(v.id, v.edition, values.get(v.id, {}), texts.get(v.id, ""))
            for unit_id, v in chosen.items()
        }

    def _texts(self, version_ids: list[int]) -> dict[int, str]:
        rows = self._joined(
            version_ids, "SELECT submission_id, text FROM texts JOIN wanted ON wanted.id = submission_id"
        )
        return {r["submission_id"]: r["text"] for r in rows}

    def _values(self, version_ids: list[int]) -> dict[int, dict[str, Number]]:
        """The values of many versions in one query, by version id."""
        rows = self._joined(version_ids, "SELECT id, figures FROM submissions JOIN wanted USING (id)")
        return {r["id"]: json.loads(r["figures"]) for r in rows}

    def _joined(self, version_ids: list[int], query: str) -> list[sqlite3.Row]:
        """``query`` on the versions ``version_ids``, which it joins as the temporary table
        ``wanted`` (a join beats an IN list of thousands of parameters). In a transaction of its
        own, ended here: left open, it would hold a read lock on the ledger and keep another
        process from recording until this one next wrote."""
        if not version_ids:
            return []
        with self._db:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id INTEGER PRIMARY KEY)")
            self._db.execute("DELETE FROM wanted")
            self._db.executemany("INSERT INTO wanted (id) VALUES (?)", [(i,) for i in version_ids])
            return self._db.execute(query).fetchall()

    # --- readings ------------------------------------------------------------------------------

    def readings(self, files: Mapping[Path, FileState], reader: str) -> dict[Path, list[Submission]]:
        """What each of ``files`` said when ``reader`` last read it, for those whose size and
        modification time have not changed since."""
        found = {}
        for row in self._db.execute("SELECT path, size, mtime_ns, reader, submissions FROM readings"):
            path = Path(row["path"])
            if files.get(path) == FileState(row["size"], row["mtime_ns"]) and row["reader"] == reader:
                records = json.loads(zlib.decompress(row["submissions"]))
                found[path] = [Submission.from_record(record) for record in records]
        return found

    def unkept(self, files: Mapping[Path, FileState], reader: str) -> list[Path]:
        """The ``files`` that ``readings`` would not find (a run would read them), told without
        unpacking a reading."""
        kept = self._db.execute("SELECT path, size, mtime_ns FROM readings WHERE reader = ?", (reader,))
        found = {path: (size, mtime_ns) for path, size, mtime_ns in kept}  # by text: a Path each costs
        return [path for path, state in files.items() if found.get(str(path)) != (state.size, state.mtime_ns)]

    def keep_readings(
        self, read: Mapping[Path, tuple[FileState, list[Submission]]], reader: str, *, present: Iterable[Path]
    ) -> None:
        """Remember what each file of ``read`` said, and forget files that are gone (neither
        ``present`` nor on disk: another year's files stay remembered for that year's run)."""
        with self._db:
            self._db.executemany(  # packed one at a time as SQLite takes them: a province's would be 50 MB at once
                "INSERT OR REPLACE INTO readings (path, size, mtime_ns, reader, submissions) VALUES (?, ?, ?, ?, ?)",
                (
                    (str(path), state.size, state.mtime_ns, reader, _packed(submissions))
                    for path, (state, submissions) in read.items()
                ),
            )
            kept = {str(path) for path in present} | {str(path) for path in read}
            gone = [
                (path,)
                for (path,) in self._db.execute("SELECT path FROM readings")
                if path not in kept and not os.path.lexists(path)
            ]
            self._db.executemany("DELETE FROM readings WHERE path = ?", gone)

    # --- runs ----------------------------------------------------------------------------------

    def record_run(self, run: Run) -> None:
        """Remember ``run`` as the year's last run (replacing the one before)."""
        with self._db:
            self._db.execute(
                "INSERT INTO runs (year, finished_at, as_of, inbox_state) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (year) DO UPDATE SET finished_at = excluded.finished_at, as_of = excluded.as_of,"
                " inbox_state = excluded.inbox_state",
                (run.year, _iso(run.finished_at), run.as_of.isoformat(), run.inbox_state),
            )
            self._db.execute("DELETE FROM counted WHERE year = ?", (run.year,))
            self._db.executemany(
                "INSERT INTO counted (year, unit_id, submission_id) VALUES (?, ?, ?)",
                [(run.year, unit_id, version_id) for unit_id, version_id in run.counted.items()],
            )
            self._db.execute("DELETE FROM city_values WHERE year = ?", (run.year,))
            self._db.executemany(
                "INSERT INTO city_values (year, code, value) VALUES (?, ?, ?)",
                [(run.year, code, value) for code, value in run.values.items()],
            )

    def last_run(self, year: int) -> Run | None:
        row = self._db.execute("SELECT finished_at, as_of, inbox_state FROM runs WHERE year = ?", (year,)).fetchone()
        if row is None:
            return None
        counted = self._db.execute("SELECT unit_id, submission_id FROM counted WHERE year = ?", (year,))
        values = self._db.execute("SELECT code, value FROM city_values WHERE year = ?", (year,))
        return Run(
            year=year,
            finished_at=datetime.fromisoformat(row["finished_at"]),
            as_of=date.fromisoformat(row["as_of"]),
            inbox_state=row["inbox_state"],
            counted={r["unit_id"]: r["submission_id"] for r in counted},
            values={r["code"]: r["value"] for r in values},
        )

    def record_outputs(self, year: int, key: str, outputs: Mapping[str, object], standing: bytes) -> None:
        """Remember what the year's outputs were made from (``key``), which files they are and the
        standing of every unit they show."""
        with self._db:
            self._db.execute(
                "UPDATE runs SET outputs_key = ?, outputs = ?, standing = ? WHERE year = ?",
                (key, json.dumps(outputs, ensure_ascii=False), standing, year),
            )

    def outputs(self, year: int, key: str) -> KeptOutputs | None:
        """The year's outputs as ``record_outputs`` remembered them, if they were made from ``key``."""
        row = self._db.execute(
            "SELECT outputs, standing FROM runs WHERE year = ? AND outputs_key = ?", (year, key)
        ).fetchone()
        return KeptOutputs(json.loads(row["outputs"]), row["standing"]) if row else None

    def fingerprint(self, year: int) -> str:
        """What the ledger holds that a year's outputs may show, other than the year's own run:
        the versions it knows, the office's acceptances, the messages sent, the other years' runs."""
        parts = [
            list(self._db.execute("SELECT max(id), count(*) FROM submissions").fetchone()),
            list(self._db.execute("SELECT max(id), count(*) FROM acceptances").fetchone()),
            list(self._db.execute("SELECT max(id), count(*) FROM messages").fetchone()),
            [
                list(r)
                for r in self._db.execute("SELECT year, finished_at FROM runs WHERE year != ? ORDER BY year", (year,))
            ],
        ]
        return json.dumps(parts)

    def city_years(self) -> dict[int, dict[str, Number]]:
        """The region's figures of every year the ledger has consolidated, by year."""
        found: dict[int, dict[str, Number]] = defaultdict(dict)
        for r in self._db.execute("SELECT year, code, value FROM city_values ORDER BY year"):
            found[r["year"]][r["code"]] = r["value"]
        return dict(found)

    # --- acceptances ---------------------------------------------------------------------------

    def accept(self, acceptance: Acceptance, year: int) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO acceptances (year, unit_id, target, reason, accepted_at, figures) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    year,
                    acceptance.unit_id,
                    acceptance.target,
                    acceptance.reason,
                    _iso(acceptance.accepted_at),
                    json.dumps(acceptance.figures, ensure_ascii=False),
                ),
            )

    def acceptances(self, year: int, unit_id: str | None = None) -> list[Acceptance]:
        """The office's acceptances for ``year`` (of one unit, or all), oldest first."""
        query = "SELECT * FROM acceptances WHERE year = ?"
        params: tuple[object, ...] = (year,)
        if unit_id is not None:
            query, params = query + " AND unit_id = ?", (year, unit_id)
        rows = self._db.execute(query + " ORDER BY accepted_at, id", params)
        return [
            Acceptance(
                unit_id=r["unit_id"],
                target=r["target"],
                reason=r["reason"],
                accepted_at=datetime.fromisoformat(r["accepted_at"]),
                figures=tuple((str(place), str(figure)) for place, figure in json.loads(r["figures"])),
            )
            for r in rows
        ]

    # --- messages ------------------------------------------------------------------------------

    def record_message(
        self,
        *,
        year: int,
        unit_id: str | None,
        kind: str,
        recipients: list[str],
        subject: str,
        sent_at: datetime,
        eml: str | None,
        topic: str = "",
    ) -> None:
        """Record one message actually sent (kind "gaps", "催报" or "退回更正"; ``topic``: what it
        was about, see ``last_message``)."""
        with self._db:
            self._db.execute(
                "INSERT INTO messages (year, unit_id, kind, recipients, subject, sent_at, eml, topic)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    year,
                    unit_id,
                    kind,
                    json.dumps(list(recipients), ensure_ascii=False),
                    subject,
                    _iso(sent_at),
                    eml,
                    topic,
                ),
            )

    def last_message(self, *, year: int, unit_id: str | None, kind: str, topic: str | None = None) -> datetime | None:
        """When a message of ``kind`` was last sent for ``year`` to ``unit_id`` (None: the gaps
        email), about ``topic`` (None: about anything)."""
        query = "SELECT max(sent_at) AS last FROM messages WHERE year = ? AND unit_id IS ? AND kind = ?"
        params: tuple[object, ...] = (year, unit_id, kind)
        if topic is not None:
            query, params = query + " AND topic = ?", (*params, topic)
        row = self._db.execute(query, params).fetchone()
        return datetime.fromisoformat(row["last"]) if row["last"] else None


def migrate(db: sqlite3.Connection) -> int:
    """Apply every migration the database has not had yet; return the schema version."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"台账由更新版本的 rollup 创建（结构版本 {current}，本程序支持到 {SCHEMA_VERSION}），请升级 rollup"
        )
    for number in range(current, SCHEMA_VERSION):
        # executescript commits first; the version bump rides in the same script
        db.executescript(f"BEGIN; {MIGRATIONS[number]} PRAGMA user_version = {number + 1}; COMMIT;")
    return SCHEMA_VERSION


def _reading(submission: Submission) -> dict[str, Any]:
    """A reading as the version's own row stores it (its figures and its cells' notes as JSON
    objects by code), with a digest of all the ledger stores of it, its words and findings
    included: equal digests, nothing to write."""
    values, notes = submission.values, submission.notes
    # figures held as 64-bit integers need no check: a province's 1.4 million, made in C
    figures = values.values() if isinstance(values, Figures) and values.integers else map(_storable, values.values())
    row = {
        "year": submission.year,
        "unit_id": submission.unit_id,
        "unit_text": submission.unit,
        "edition": submission.edition,
        "explanation": submission.explanation,
        "figures": json.dumps(dict(zip(values, figures, strict=True)), ensure_ascii=False),
        "notes": json.dumps({code: notes[code] for code in values if code in notes}, ensure_ascii=False),
    }
    findings = [
        (f.rule, f.severity, f.table, f.row, f.column, f.source, f.expected, f.actual, f.message)
        for f in submission.findings
    ]
    stored = json.dumps([row, submission.text, findings], ensure_ascii=False, sort_keys=True)
    return {**row, "reading": hashlib.sha256(stored.encode()).hexdigest()}


def _packed(submissions: list[Submission]) -> bytes:
    return zlib.compress(json.dumps([s.record() for s in submissions], ensure_ascii=False).encode(), 1)


def _storable(value: Number | None) -> Number | None:
    """A figure SQLite can hold. The readers keep every figure within the form's bounds; this is
    the last line, so that no figure can ever stop a run at the ledger."""
    if value is None or (isinstance(value, int) and -(2**63) <= value < 2**63):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat(sep=" ")
