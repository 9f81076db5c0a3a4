"""The ledger: a real SQLite file in tmp_path, real workbooks, the real pipeline."""

import os
import shutil
import sqlite3
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import fill_template, settings_for

from rollup import pipeline
from rollup.config import ConfigError
from rollup.findings import Finding
from rollup.ingest import read_submission
from rollup.ledger import MIGRATIONS, SCHEMA_VERSION, Ledger, LedgerError
from rollup.model import Submission
from rollup.receipts import Receipt, load_receipts, parse_moment
from rollup.versions import history

BEFORE_DEADLINE = datetime(2020, 1, 20, 9, 30)


def stamp(path: Path, moment: datetime) -> Path:
    """Give a file the modification time it would have had on ``moment``."""
    os.utime(path, (moment.timestamp(), moment.timestamp()))
    return path


@pytest.fixture
def office(tmp_path, all_74):
    """A test office whose inbox holds the 74 sample reports, all modified on 20 January 2020."""
    inbox = tmp_path / "inbox"
    shutil.copytree(all_74, inbox)
    for path in inbox.iterdir():
        stamp(path, BEFORE_DEADLINE)
    return settings_for(tmp_path, inbox)


def versions(settings, unit_id, year=2019):
    with Ledger.open(settings.ledger_path) as ledger:
        return ledger.versions(year, unit_id)


def test_every_submission_is_recorded_on_first_sight_with_its_values_in_canonical_codes(office):
    pipeline.track(office)
    assert office.ledger_path == office.outbox / "rollup.sqlite" and office.ledger_path.is_file()
    (version,) = versions(office, "D01")
    assert (version.file_name, version.year, version.edition, version.has_errors) == (
        "乐清市人民政府办公室.xlsx",
        2019,
        "2019",
        False,
    )
    assert (version.received_at, version.received_from) == (BEFORE_DEADLINE, "mtime")
    source = office.inbox / version.file_name
    assert version.size == source.stat().st_size and len(version.sha256) == 64
    with Ledger.open(office.ledger_path) as ledger:
        values = ledger.values(version.id)
    assert len(values) == 198 and values["B.1.total"] == read_submission(source).values["B.1.total"]
    db = sqlite3.connect(office.ledger_path)
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 74
    assert db.execute("SELECT count(*) FROM cell_values").fetchone()[0] == 74 * 198


def test_received_time_is_kept_across_re_runs_touches_and_renames(office):
    pipeline.track(office)
    original = office.inbox / "乐清市财政局.xlsx"
    stamp(original, datetime(2020, 3, 1))
    renamed = original.rename(office.inbox / "财政局2019年报（重发）.xlsx")
    stamp(renamed, datetime(2020, 3, 2))
    tracked = pipeline.track(office, received_at=datetime(2020, 3, 5))
    finance = next(u for u in tracked.status.units if u.unit.name == "乐清市财政局")
    assert finance.received_at == BEFORE_DEADLINE and not finance.late and finance.versions == 1
    assert finance.file == "财政局2019年报（重发）.xlsx"
    (only,) = versions(office, finance.unit.id)
    with Ledger.open(office.ledger_path) as ledger:
        assert ledger.names(only.id) == ["乐清市财政局.xlsx", "财政局2019年报（重发）.xlsx"]


def test_received_at_option_applies_to_new_files_only(office):
    pipeline.track(office)
    fill_template(office.inbox / "乐清市教育局.xlsx", office.inbox / "乐清市教育局（更正）.xlsx", {"A.rules.made": 7})
    tracked = pipeline.track(office, received_at=datetime(2020, 2, 3, 14, 0))
    old, new = versions(office, tracked_unit_id(tracked, "乐清市教育局"))
    assert (old.received_at, old.received_from) == (BEFORE_DEADLINE, "mtime")
    assert (new.received_at, new.received_from) == (datetime(2020, 2, 3, 14, 0), "option")


def tracked_unit_id(tracked, name):
    return next(u.unit.id for u in tracked.status.units if u.unit.name == name)


def test_receipts_file_says_when_a_file_arrived_whatever_its_modification_time(office, tmp_path):
    receipts = tmp_path / "receipts.csv"
    receipts.write_text(
        "# 收件登记\n文件,收到时间,备注\n乐清市民政局.xlsx,2020/2/5 10:20,邮件\n柳市镇.xlsx,2020-01-28,纸质\n",
        encoding="utf-8",
    )
    settings = settings_for(tmp_path, office.inbox, f'receipts = "{receipts.as_posix()}"\n')
    tracked = pipeline.track(settings, as_of=date(2020, 2, 20))
    by_name = {u.unit.name: u for u in tracked.status.units}
    assert by_name["乐清市民政局"].received_at == datetime(2020, 2, 5, 10, 20)
    assert by_name["乐清市民政局"].days_late == 5
    assert by_name["柳市镇"].received_at == datetime(2020, 1, 28)
    (version,) = versions(settings, by_name["乐清市民政局"].unit.id)
    assert version.received_from == "receipts"


@pytest.mark.parametrize(
    "text, words",
    [
        ("名称,时间\na.xlsx,2020-01-01\n", "文件,收到时间"),
        ("文件,收到时间\na.xlsx,1月5日\n", "第 2 行"),
    ],
)
def test_a_bad_receipts_file_is_a_config_error_naming_the_line(tmp_path, text, words):
    path = tmp_path / "receipts.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        load_receipts(path)
    with pytest.raises(ConfigError, match="找不到"):
        load_receipts(tmp_path / "none.csv")


def test_moments_as_offices_write_them():
    assert parse_moment("2020-01-31") == datetime(2020, 1, 31)
    assert parse_moment("2020/2/5 9:05") == datetime(2020, 2, 5, 9, 5)
    with pytest.raises(ValueError):
        parse_moment("2020年1月31日")


def test_a_changed_file_is_a_new_version_and_history_shows_cell_by_cell_changes(office):
    pipeline.track(office)
    path = office.inbox / "乐清市公安局.xlsx"
    before = read_submission(path).values
    stamp(
        fill_template(
            path,
            office.inbox / "乐清市公安局（第二版）.xlsx",
            {"B.1.natural": before["B.1.natural"] + 2, "B.1.total": before["B.1.total"] + 2},
        ),
        datetime(2020, 1, 25),
    )
    tracked = pipeline.track(office)
    police = next(u for u in tracked.status.units if u.unit.name == "乐清市公安局")
    assert (police.file, police.versions, police.received_at) == ("乐清市公安局（第二版）.xlsx", 2, BEFORE_DEADLINE)
    assert [f.file for f in tracked.status.superseded] == ["乐清市公安局.xlsx"]
    unit, entries = pipeline.unit_history(office, "公安局")
    assert unit.name == "乐清市公安局" and [e.names for e in entries] == [
        ("乐清市公安局.xlsx",),
        ("乐清市公安局（第二版）.xlsx",),
    ]
    assert entries[0].changes == ()
    assert [(c.code, c.before, c.after) for c in entries[1].changes] == [
        ("B.1.natural", before["B.1.natural"], before["B.1.natural"] + 2),
        ("B.1.total", before["B.1.total"], before["B.1.total"] + 2),
    ]


def test_schema_migrations_are_applied_on_open_and_keep_the_data(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    db.execute(
        "INSERT INTO submissions (sha256, size, file_name, year, unit_id, received_at, received_from, first_seen, status)"
        " VALUES ('ab', 1, '旧.xlsx', 2019, 'D01', '2020-01-10 09:00:00', 'mtime', '2020-01-10 09:00:00', '无错误')"
    )
    db.execute("INSERT INTO cell_values (submission_id, code, value, note) VALUES (1, 'B.1.total', 5, '含撤回')")
    db.commit()
    db.close()
    with Ledger.open(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == len(MIGRATIONS) >= 3
        (old,) = ledger.versions(2019, "D01")
        assert (old.file_name, old.received_at, old.explanation) == ("旧.xlsx", datetime(2020, 1, 10, 9), None)
        assert ledger.values(old.id) == {"B.1.total": 5}  # moved to their own B-tree, then into the version's row
        ledger.record_message(
            year=2019,
            unit_id="D01",
            kind="催报",
            recipients=["d01@example.gov.cn"],
            subject="催报",
            sent_at=datetime(2020, 2, 3, 8),
            eml=None,
        )
        assert ledger.last_message(year=2019, unit_id="D01", kind="催报") == datetime(2020, 2, 3, 8)
    with Ledger.open(path) as again:  # opening an up-to-date ledger changes nothing
        assert again.schema_version == SCHEMA_VERSION and len(again.versions(2019, "D01")) == 1
    db = sqlite3.connect(path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(submissions)")}
    assert "status" not in columns and "explanation" in columns
    # the long form that anyone querying the ledger knows, note included
    assert db.execute("SELECT submission_id, code, value, note FROM cell_values").fetchall() == [
        (old.id, "B.1.total", 5, "含撤回")
    ]


def test_a_ledger_from_a_newer_rollup_or_not_a_database_is_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LedgerError, match="更新版本"):
        Ledger.open(newer)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="无法打开"):
        Ledger.open(junk)


def test_messages_are_recorded_per_unit_and_kind(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        assert ledger.last_message(year=2019, unit_id=None, kind="gaps") is None
        for day in (3, 5):
            ledger.record_message(
                year=2019,
                unit_id="T24",
                kind="催报",
                recipients=["t24@example.gov.cn"],
                subject="请报送",
                sent_at=datetime(2020, 2, day, 9),
                eml="From: x\n",
            )
        ledger.record_message(
            year=2019,
            unit_id=None,
            kind="gaps",
            recipients=["office@example.gov.cn"],
            subject="报送情况",
            sent_at=datetime(2020, 2, 4, 9),
            eml=None,
        )
        assert ledger.last_message(year=2019, unit_id="T24", kind="催报") == datetime(2020, 2, 5, 9)
        assert ledger.last_message(year=2019, unit_id="T24", kind="退回更正") is None
        assert ledger.last_message(year=2020, unit_id="T24", kind="催报") is None
        assert ledger.last_message(year=2019, unit_id=None, kind="gaps") == datetime(2020, 2, 4, 9)


def test_history_of_a_unit_the_ledger_has_never_seen_is_empty(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        assert history(ledger, 2019, "D01") == []


def dump(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def test_history_and_accept_read_the_ledger_and_never_the_inbox(office, monkeypatch):
    pipeline.track(office)
    before = dump(office.ledger_path)

    def no_reading(*args, **kwargs):
        raise AssertionError(f"{args} was read")

    monkeypatch.setattr("rollup.pipeline.read_files", no_reading)
    unit, entries = pipeline.unit_history(office, "市府办")
    assert unit.id == "D01" and len(entries) == 1 and entries[0].counted
    assert dump(office.ledger_path) == before  # history writes nothing

    commerce = office.inbox / "乐清市商务局.xlsx"
    fill_template(commerce, commerce, {"B.3.7.natural": read_submission(commerce).values["B.3.7.natural"] + 1})
    stamp(commerce, BEFORE_DEADLINE)
    assert pipeline.inbox_changed(office)  # the ledger has not seen the change yet
    monkeypatch.undo()
    pipeline.track(office)
    assert not pipeline.inbox_changed(office)
    before = dump(office.ledger_path)
    monkeypatch.setattr("rollup.pipeline.read_files", no_reading)
    _, covered = pipeline.accept(office, "商务局", "row_total", "口径差异")
    assert [f.rule for f in covered] == ["row_total"]
    added = set(dump(office.ledger_path)) - set(before)
    assert len(added) == 1 and next(iter(added)).startswith('INSERT INTO "acceptances"')
    assert set(before) <= set(dump(office.ledger_path))


def test_the_last_run_remembers_which_version_counted(office):
    pipeline.track(office)
    path = office.inbox / "乐清市公安局.xlsx"
    stamp(fill_template(path, office.inbox / "乐清市公安局（第二版）.xlsx", {"A.rules.made": 1}), datetime(2020, 1, 25))
    pipeline.track(office, as_of=date(2020, 1, 21))  # the second version had not arrived yet
    with Ledger.open(office.ledger_path) as ledger:
        run = ledger.last_run(2019)
        assert run is not None and run.as_of == date(2020, 1, 21)
        assert ledger.version(run.counted[_police(office)]).file_name == "乐清市公安局.xlsx"
    pipeline.track(office)
    _, entries = pipeline.unit_history(office, "公安局")
    assert [e.counted for e in entries] == [False, True]


def _police(settings) -> str:
    return pipeline.find_unit(settings, "公安局", 2019).id


def test_history_and_status_agree_after_the_newest_file_disappears(office):
    from typer.testing import CliRunner

    from rollup.cli import app

    path = office.inbox / "乐清市公安局.xlsx"
    newer = stamp(
        fill_template(path, office.inbox / "乐清市公安局（第二版）.xlsx", {"A.rules.made": 7}), datetime(2020, 1, 25)
    )
    pipeline.track(office, as_of=date(2020, 1, 22))  # as of a day before the second version arrived
    _, entries = pipeline.unit_history(office, "公安局")
    assert [e.counted for e in entries] == [True, False]
    assert entries[1].left_out == "收到时间晚于上次汇总的截至日期 2020-01-22，未计入"

    pipeline.track(office)
    newer.unlink()
    police = next(u for u in pipeline.track(office).status.units if u.unit.name == "乐清市公安局")
    assert police.file == "乐清市公安局.xlsx"
    _, entries = pipeline.unit_history(office, "公安局")
    assert [(e.names[0], e.counted) for e in entries] == [
        ("乐清市公安局.xlsx", True),
        ("乐清市公安局（第二版）.xlsx", False),
    ]
    assert entries[1].left_out == "上次汇总时文件已不在收件箱中，未计入"
    shown = CliRunner().invoke(app, ["history", "公安局", "--config", str(office.base_dir / "rollup.toml")])
    assert shown.exit_code == 0, shown.output
    assert "（共 2 版，上次汇总以第 1 版为准）" in shown.output and "以最新一版为准" not in shown.output
    assert "第 2 版：乐清市公安局（第二版）.xlsx" in shown.output and "已不在收件箱中" in shown.output


def test_known_content_read_anew_has_its_stored_reading_replaced_not_added_to(tmp_path):
    """New content is written once; the same bytes read differently later (the roster or the
    rules changed) replace what was stored, and the same reading again writes nothing."""
    first = Submission(file=tmp_path / "a.xlsx", unit_id="u1", values={"B.1.natural": 1, "B.2.total": 2})
    second = replace(
        first,
        unit_id="u2",
        values={"B.1.natural": 5},
        notes={"B.1.natural": "更正"},
        text="说明文字",
        findings=(Finding.of("blank_cell", table="B", row="1", column="natural", cells=""),),
    )
    key = {"sha256": "ab" * 32, "size": 10, "seen_at": datetime(2020, 1, 21)}
    path = tmp_path / "rollup.sqlite"
    with Ledger.open(path) as ledger:
        one = ledger.record(first, receipt=Receipt(BEFORE_DEADLINE, "mtime"), **key)
        assert ledger.values(one.id) == {"B.1.natural": 1, "B.2.total": 2} and not one.findings
        two = ledger.record(second, receipt=Receipt(datetime(2020, 1, 25), "mtime"), **key)
        again = ledger.record(second, receipt=Receipt(datetime(2020, 1, 26), "receipts"), **key)
    assert one.id == two.id == again.id
    assert (two.unit_id, two.received_at, [f.rule for f in two.findings]) == ("u2", BEFORE_DEADLINE, ["blank_cell"])
    assert (again.received_at, again.received_from) == (datetime(2020, 1, 26), "receipts")
    db = sqlite3.connect(path)
    assert db.execute("SELECT code, value, note FROM cell_values").fetchall() == [("B.1.natural", 5, "更正")]
    assert db.execute("SELECT count(*) FROM findings").fetchone()[0] == 1
    assert db.execute("SELECT text FROM texts").fetchall() == [("说明文字",)]
    db.close()
