"""Nothing unit-supplied is code or a path, configuration mistakes stop a run, the plain-text
login is refused, and the pieces of crash safety (output sets, leftovers, the lock, the ledger's
atomic insert) each do what they promise."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import replace
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from conftest import REPO
from helpers import settings_for
from mailserver import PASSWORD, PASSWORD_ENV, smtp_server, smtp_toml
from typer.testing import CliRunner

from rollup.cli import app
from rollup.ledger import Ledger
from rollup.model import Figures, Submission
from rollup.notify import MailSetupError, send
from rollup.outputs import MANIFEST, STAGING, TEMP_PREFIX, OutputSet, RunLock, WorkspaceBusy, recover
from rollup.receipts import Receipt
from rollup.text import console_text, header_text, safe_file_name, sheet_text


@pytest.mark.parametrize(
    "text, shown",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+cmd", "'+1+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("+3.5", "+3.5"),
        ("-", "-"),
        ("--", "--"),
        ("乐清市商务局", "乐清市商务局"),
        (12, 12),
        (None, None),
    ],
)
def test_sheet_text_neutralises_formulas_and_keeps_everything_else(text, shown):
    assert sheet_text(text) == shown


def test_console_text_shows_markup_as_written():
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(f"单位：{console_text('未知单位[/red][bold]x[/bold]')}")
    assert "未知单位[/red][bold]x[/bold]" in console.export_text()


def test_header_text_never_breaks_a_header():
    assert header_text("乐清市\r\n商务局\x00\u2028Bcc: x@evil.cn") == "乐清市 商务局 Bcc: x@evil.cn"


@pytest.mark.parametrize("name", ["../../../../逃逸", "a/b", "乐清市\r\n商务局", "..", "con:1", "\x00"])
def test_a_file_name_made_from_a_name_is_one_name(name):
    cleaned = safe_file_name(name)
    assert "/" not in cleaned and "\\" not in cleaned and cleaned not in (".", "..", "")
    assert not any(ord(c) < 32 for c in cleaned)


HOSTILE_ROSTER = [
    ("X1", "../../../../逃逸", "部门", "x1@example.gov.cn"),
    ("X2", "科/室", "部门", "x2@example.gov.cn"),
    ("X3", "换行\n单位", "部门", "x3@example.gov.cn\r\nBcc: evil@example.cn"),
    ("X4", '=HYPERLINK("http://x","点我")', "部门", "x4@example.gov.cn"),
    ("X5", "[/dim]未知[red]", "部门", "x5@example.gov.cn"),
]


@pytest.fixture
def hostile_office(tmp_path):
    """An office whose roster has names made to escape, break headers, run as formulas or
    markup, and nothing in its inbox: every unit is chased."""
    roster = tmp_path / "units.csv"
    lines = ["编码,单位名称,类别,别名,联系人,电话,邮箱"]
    lines += [
        ",".join(f'"{v}"' if any(c in v for c in ',"\n') else v for v in (i, n.replace('"', '""'), c, "", "", "", e))
        for i, n, c, e in HOSTILE_ROSTER
    ]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "rollup.toml"
    config.write_text(
        f'region = "乐清市"\nyear = 2019\n[paths]\nroster = "{roster.as_posix()}"\ninbox = "inbox"\noutbox = "outbox"\n'
        '[notify]\nrecipients = ["gk@example.gov.cn"]\n',
        encoding="utf-8",
    )
    return config


def test_reminders_to_hostile_names_stay_in_the_outbox_and_build(hostile_office):
    done = CliRunner().invoke(app, ["remind", "--dry-run", "--config", str(hostile_office), "--as-of", "2020-03-01"])
    assert done.exit_code == 0, done.output
    outbox = hostile_office.parent / "outbox"
    written = sorted(p for p in hostile_office.parent.rglob("*.eml") if "提醒" in p.parts)
    assert len(written) == len(HOSTILE_ROSTER)
    assert all(p.parent == outbox / "2019" / "提醒" for p in written)
    assert not (hostile_office.parent.parent / "逃逸").exists()
    for path in written:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert "\n" not in str(message["Subject"]) and "Bcc" not in message
    assert "[/dim]未知[red]" in done.output  # the console shows the name as written


def test_consolidate_with_hostile_names_writes_no_formula(hostile_office):
    import openpyxl

    done = CliRunner().invoke(app, ["consolidate", "--config", str(hostile_office), "--as-of", "2020-03-01"])
    assert done.exit_code == 0, done.output
    folder = hostile_office.parent / "outbox" / "2019"
    book = openpyxl.load_workbook(next(folder.glob("*.xlsx")))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == "'" + HOSTILE_ROSTER[3][1] for c in cells)
    data = json.loads((folder / "汇总数据.json").read_text(encoding="utf-8"))
    assert HOSTILE_ROSTER[3][1] in data["units"]["missing"]  # JSON keeps the text as it is


# --- configuration mistakes stop the run --------------------------------------------------------


def _config(tmp_path: Path, roster: Path, inbox: str = "inbox") -> Path:
    path = tmp_path / "rollup.toml"
    path.write_text(
        f'region = "乐清市"\nyear = 2019\n[paths]\nroster = "{roster.as_posix()}"\ninbox = "{inbox}"\noutbox = "outbox"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("command", ["consolidate", "status", "remind"])
def test_a_missing_inbox_is_an_error_not_an_empty_result(tmp_path, command):
    config = _config(tmp_path, REPO / "config" / "units.csv", inbox="没有这个文件夹")
    done = CliRunner().invoke(app, [command, "--config", str(config)] + (["--dry-run"] if command == "remind" else []))
    assert done.exit_code == 2 and "收件箱文件夹" in done.output and "不存在" in done.output
    assert not list(tmp_path.rglob("*.eml"))


def test_a_roster_with_no_unit_is_an_error(tmp_path):
    roster = tmp_path / "units.csv"
    roster.write_text("编码,单位名称,类别\n", encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    done = CliRunner().invoke(app, ["consolidate", "--config", str(_config(tmp_path, roster))])
    assert done.exit_code == 2 and "没有任何单位" in done.output


def test_a_roster_with_no_unit_for_the_year_is_an_error(tmp_path):
    roster = tmp_path / "units.csv"
    roster.write_text("编码,单位名称,类别,启用年份\nD01,乐清市商务局,部门,2030\n", encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    done = CliRunner().invoke(app, ["consolidate", "--config", str(_config(tmp_path, roster))])
    assert done.exit_code == 2 and "没有 2019 年度应报送的单位" in done.output


def test_an_outbox_blocked_by_a_file_is_an_error_before_anything_is_read(tmp_path):
    (tmp_path / "inbox").mkdir()
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / "2019").write_text("not a folder", encoding="utf-8")
    done = CliRunner().invoke(app, ["consolidate", "--config", str(_config(tmp_path, REPO / "config" / "units.csv"))])
    assert done.exit_code == 2 and "被一个同名文件占着" in done.output
    assert not (tmp_path / "outbox" / "rollup.sqlite").exists()


# --- mail ------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_plain_text_login_is_refused_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with smtp_server(tmp_path, security="none", login=True) as server:
        extra = '[notify]\nrecipients = ["gk@example.gov.cn"]\n' + smtp_toml(server.port, security="none", login=True)
        settings = settings_for(tmp_path, tmp_path / "inbox", extra)
        from statuses import six_units

        from rollup.notify import write_gaps

        letter = write_gaps(six_units(()), settings)
        with Ledger.open(settings.ledger_path) as ledger, pytest.raises(MailSetupError, match="allow_plain_auth"):
            send([letter], settings, ledger, year=2019)
        assert server.mailbox.delivered == []
        allowed = settings_for(
            tmp_path, tmp_path / "inbox", extra.replace("[smtp]\n", "[smtp]\nallow_plain_auth = true\n")
        )
        with Ledger.open(allowed.ledger_path) as ledger:
            (delivery,) = send([letter], allowed, ledger, year=2019)
        assert delivery.sent and len(server.mailbox.delivered) == 1


# --- crash safety, piece by piece ------------------------------------------------------------------


def test_an_output_set_swaps_in_whole_or_not_at_all(tmp_path):
    folder = tmp_path / "2019"
    with OutputSet(folder) as first:
        first.write("a.json", lambda p: p.write_text("1"))
        first.write("b.csv", lambda p: p.write_text("1"))
    assert {p.name for p in folder.iterdir()} == {"a.json", "b.csv"}
    with pytest.raises(RuntimeError), OutputSet(folder) as second:
        second.write("a.json", lambda p: p.write_text("2"))
        raise RuntimeError("killed half way")
    assert (folder / "a.json").read_text() == "1" and not (folder / STAGING).exists()


def test_the_next_run_finishes_a_committed_set_and_drops_an_unfinished_one(tmp_path):
    folder = tmp_path / "2019"
    staging = folder / STAGING
    staging.mkdir(parents=True)
    (folder / "a.json").write_text("old")
    (staging / "a.json").write_text("new")
    (staging / MANIFEST).write_text(json.dumps({"names": ["a.json", "b.csv"]}))  # b.csv already moved in
    (folder / "b.csv").write_text("new")
    (folder / f"{TEMP_PREFIX}x.123.json").write_text("half")
    recover(folder)
    assert (folder / "a.json").read_text() == "new" and (folder / "b.csv").read_text() == "new"
    assert sorted(p.name for p in folder.iterdir()) == ["a.json", "b.csv"]
    staging.mkdir()
    (staging / "a.json").write_text("newer, but the set was never complete")
    recover(folder)
    assert (folder / "a.json").read_text() == "new" and not staging.exists()


def test_the_lock_is_re_entrant_in_one_process_and_names_its_holder(tmp_path):
    with RunLock(tmp_path), RunLock(tmp_path):
        holder = (tmp_path / ".rollup.lock").read_text(encoding="utf-8")
        assert f"进程 {os.getpid()}" in holder and datetime.now().strftime("%Y-%m-%d") in holder
    assert (tmp_path / ".rollup.lock").read_text(encoding="utf-8") == ""


def test_a_held_lock_makes_another_process_wait_then_say_who(tmp_path):
    import multiprocessing

    def hold(ready, release):
        with RunLock(tmp_path):
            ready.set()
            release.wait(30)

    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=hold, args=(ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(WorkspaceBusy, match=f"进程 {holder.pid}"), RunLock(tmp_path, wait=0.3):
            pass
    finally:
        release.set()
        holder.join(30)
    with RunLock(tmp_path, wait=5):  # released when its holder is done
        pass


def test_two_ledgers_recording_the_same_content_at_once_keep_one_row(tmp_path):
    path = tmp_path / "rollup.sqlite"
    submission = Submission(file=tmp_path / "a.xlsx", unit="乐清市商务局", year=2019, edition="2019")
    receipt = Receipt(datetime(2020, 1, 20), "mtime")
    with Ledger.open(path) as first, Ledger.open(path) as second:
        one = first.record(submission, sha256="ab" * 32, size=1, receipt=receipt, seen_at=datetime.now())
        two = second.record(
            submission, sha256="ab" * 32, size=1, receipt=Receipt(datetime(2020, 2, 1), "mtime"), seen_at=datetime.now()
        )
    assert one.id == two.id and two.received_at == datetime(2020, 1, 20)
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1
    db.close()


@pytest.mark.parametrize("held", [dict, Figures], ids=["as a dict", "as Figures"])
def test_a_figure_sqlite_cannot_hold_never_reaches_the_ledger(tmp_path, held):
    odd = Submission(
        file=tmp_path / "a.xlsx", values=held({"B.1.natural": 10**30, "B.1.total": float("inf"), "B.2.total": 3})
    )
    plain = replace(odd, file=tmp_path / "b.xlsx", values=held({"B.1.natural": 2**63 - 1, "B.2.total": -4}))
    with Ledger.open(tmp_path / "rollup.sqlite") as ledger:
        odd_version, plain_version = (
            ledger.record(
                submission,
                sha256=key * 32,
                size=1,
                receipt=Receipt(datetime(2020, 1, 20), "mtime"),
                seen_at=datetime.now(),
            )
            for submission, key in ((odd, "cd"), (plain, "ef"))
        )
        assert ledger.values(odd_version.id) == {"B.1.natural": None, "B.1.total": None, "B.2.total": 3}
        assert ledger.values(plain_version.id) == {"B.1.natural": 2**63 - 1, "B.2.total": -4}


def test_reminders_planned_in_a_folder_a_killed_run_left_temp_files_in_tidy_them(tmp_path, hostile_office):
    folder = hostile_office.parent / "outbox" / "2019" / "提醒"
    folder.mkdir(parents=True)
    (folder / f"{TEMP_PREFIX}催报-x.123.eml").write_text("half")
    done = CliRunner().invoke(app, ["remind", "--dry-run", "--config", str(hostile_office), "--as-of", "2020-03-01"])
    assert done.exit_code == 0
    assert not list(folder.glob(f"{TEMP_PREFIX}*"))


def test_limits_come_from_the_config_and_a_refusal_names_the_setting_to_raise(tmp_path, all_74):
    from rollup.config import ConfigError
    from rollup.validate import check_files

    settings = settings_for(tmp_path, tmp_path / "inbox", "[limits]\nfile_mb = 0.01\n")
    assert settings.limits.file_bytes == int(0.01 * 2**20)
    (submission,) = check_files([all_74 / "乐成街道.xlsx"], limits=settings.limits)
    (finding,) = submission.findings
    assert finding.rule == "file_too_large" and "file_mb" in finding.message
    with pytest.raises(ConfigError, match=r"limits\.file_md"):
        settings_for(tmp_path, tmp_path / "inbox", "[limits]\nfile_md = 10\n")
    with pytest.raises(ConfigError, match=r"limits\.seconds"):
        settings_for(tmp_path, tmp_path / "inbox", "[limits]\nseconds = 0\n")
