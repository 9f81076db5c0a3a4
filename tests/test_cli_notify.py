"""consolidate --send, notify and remind end to end: the command line, the ledger and a real
SMTP server on 127.0.0.1."""

import shutil
import sqlite3
from contextlib import closing
from email import message_from_bytes, policy

import pytest
from conftest import REPO, REPORTS
from helpers import settings_for
from mailserver import PASSWORD, PASSWORD_ENV, free_port, smtp_server, smtp_toml
from typer.testing import CliRunner

from rollup.cli import app
from rollup.demo.sample import demo, load_city, write_sample_inbox
from rollup.notify import CHASE, GAPS, GAPS_FILE, SEND_BACK
from rollup.roster import load_roster

DEMO_OMITTED, DEMO_FAULTY = demo().omitted, demo().faulty

runner = CliRunner()
ROSTER = load_roster(REPO / "config" / "units.csv", "乐清市")
STABLE = ["--as-of", "2020-02-10"]
CHASED = {ROSTER.get(u).email for u in DEMO_OMITTED}
SENT_BACK = {ROSTER.get(u).email for u in DEMO_FAULTY}


@pytest.fixture(scope="module")
def demo_inbox(tmp_path_factory):
    """The shipped sample's situation: three units missing, one with an arithmetic error."""
    folder = tmp_path_factory.mktemp("demo")
    write_sample_inbox(
        folder, ROSTER, 2019, load_city(REPORTS / "expected.json"), omit=DEMO_OMITTED, faulty=DEMO_FAULTY
    )
    return folder


def project(tmp_path, demo_inbox, smtp: str = ""):
    """A test office: the demo inbox, the sample roster, [notify] and the given [smtp] lines;
    every file received on 20 January 2020."""
    shutil.copytree(demo_inbox, tmp_path / "inbox")
    notify = '[notify]\nrecipients = ["gk@example.gov.cn"]\nreminder_interval_days = 3\n'
    settings = settings_for(tmp_path, tmp_path / "inbox", notify + smtp)
    config = ["--config", str(tmp_path / "rollup.toml")]
    result = runner.invoke(app, ["status", *STABLE, "--received-at", "2020-01-20", *config])
    assert result.exit_code == 0, result.output
    return settings, config


def sent(settings):
    """(unit, kind) of every message the ledger file records as sent."""
    with closing(sqlite3.connect(settings.ledger_path)) as db:
        return db.execute("SELECT unit_id, kind FROM messages ORDER BY id").fetchall()


def test_consolidate_writes_the_gaps_eml_without_any_mail_settings(tmp_path, demo_inbox):
    settings, config = project(tmp_path, demo_inbox)
    result = runner.invoke(app, ["consolidate", *STABLE, *config])
    assert result.exit_code == 0, result.output
    eml = settings.outbox / "2019" / GAPS_FILE
    assert str(eml) in result.output.replace("\n", "")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "【乐清市】2019年度政府信息公开工作年度报告报送情况：未报3家、迟报0家、待更正1家"
    text = message.get_body(("plain",)).get_content()
    for unit_id in DEMO_OMITTED + tuple(DEMO_FAULTY):
        assert ROSTER.get(unit_id).name in text
    assert "报送率" in text and "95.9%" in text
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "乐清市2019年度政府信息公开工作年度报告汇总.xlsx"
    # as written, not refolded: the run's .eml once said "…officedocument.sp readsheetml.sheet"
    assert attachment.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert attachment.get_content() == (settings.outbox / "2019" / attachment.get_filename()).read_bytes()
    assert sent(settings) == []


def test_consolidate_send_delivers_over_starttls_and_records_it(tmp_path, demo_inbox, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with smtp_server(tmp_path, security="starttls", login=True) as server:
        settings, config = project(
            tmp_path, demo_inbox, smtp_toml(server.port, security="starttls", login=True, ca_file=server.ca_file)
        )
        result = runner.invoke(app, ["consolidate", "--send", *STABLE, *config])
    assert result.exit_code == 0, result.output
    assert "已发送" in result.output and PASSWORD not in result.output
    (got,) = server.mailbox.delivered
    assert got.rcpt_tos == ["gk@example.gov.cn"]
    assert got.message["Subject"].startswith("【乐清市】2019年度政府信息公开工作年度报告报送情况：未报3家")
    assert sent(settings) == [(None, GAPS)]


def test_a_kept_gaps_email_is_sent_as_it_was_written(tmp_path, demo_inbox, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with smtp_server(tmp_path, security="starttls", login=True) as server:
        settings, config = project(
            tmp_path, demo_inbox, smtp_toml(server.port, security="starttls", login=True, ca_file=server.ca_file)
        )
        assert runner.invoke(app, ["consolidate", *STABLE, *config]).exit_code == 0
        written = (settings.outbox / "2019" / GAPS_FILE).read_bytes()
        result = runner.invoke(app, ["consolidate", "--send", *STABLE, *config])
    assert result.exit_code == 0 and "沿用上次生成的" in result.output, result.output
    (got,) = server.mailbox.delivered
    kept = message_from_bytes(written, policy=policy.default)
    assert got.message["Subject"] == kept["Subject"]
    (attachment,) = got.message.iter_attachments()
    assert attachment.get_content() == next(kept.iter_attachments()).get_content()
    assert sent(settings) == [(None, GAPS)]


def test_notify_with_the_server_down_fails_visibly_and_keeps_the_eml(tmp_path, demo_inbox):
    settings, config = project(tmp_path, demo_inbox, smtp_toml(free_port()))
    result = runner.invoke(app, ["notify", *STABLE, *config])
    assert result.exit_code == 1
    assert "无法连接邮件服务器" in result.output and "已保存为" in result.output
    assert (settings.outbox / "2019" / GAPS_FILE).is_file() and sent(settings) == []


def test_notify_without_smtp_settings_is_a_configuration_error(tmp_path, demo_inbox):
    settings, config = project(tmp_path, demo_inbox)
    result = runner.invoke(app, ["notify", *STABLE, *config])
    assert result.exit_code == 2 and "[smtp]" in result.output
    assert (settings.outbox / "2019" / GAPS_FILE).is_file()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")  # implicit TLS, see mailserver
def test_notify_with_a_refused_login_never_shows_the_password(tmp_path, demo_inbox, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "not-" + PASSWORD)
    with smtp_server(tmp_path, security="ssl", login=True) as server:
        settings, config = project(
            tmp_path, demo_inbox, smtp_toml(server.port, security="ssl", login=True, ca_file=server.ca_file)
        )
        result = runner.invoke(app, ["notify", *STABLE, *config])
    assert result.exit_code == 1 and "拒绝登录" in result.output
    assert PASSWORD not in result.output and server.mailbox.delivered == [] and sent(settings) == []


def test_a_password_in_the_config_file_is_refused(tmp_path, demo_inbox):
    shutil.copytree(demo_inbox, tmp_path / "inbox")
    (tmp_path / "rollup.toml").write_text(
        'region = "乐清市"\nyear = 2019\n[smtp]\nhost = "mail.example.gov.cn"\nfrom = "gk@example.gov.cn"\npassword = "hunter2"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["notify", "--config", str(tmp_path / "rollup.toml")])
    assert result.exit_code == 2 and "密码不能写在配置文件中" in result.output and "hunter2" not in result.output


def test_remind_dry_run_writes_one_eml_per_unit_and_sends_nothing(tmp_path, demo_inbox):
    with smtp_server(tmp_path) as server:
        settings, config = project(tmp_path, demo_inbox, smtp_toml(server.port))
        result = runner.invoke(app, ["remind", "--dry-run", *STABLE, *config])
    assert result.exit_code == 0, result.output
    assert server.mailbox.delivered == [] and sent(settings) == []
    folder = settings.outbox / "2019" / "提醒"
    names = {ROSTER.get(u).name for u in DEMO_OMITTED}
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{CHASE}-{n}.eml" for n in names] + [f"{SEND_BACK}-{ROSTER.get(u).name}.eml" for u in DEMO_FAULTY]
    )
    chase = message_from_bytes((folder / f"{CHASE}-龙西乡.eml").read_bytes(), policy=policy.default)
    (template,) = chase.iter_attachments()
    assert template.get_filename() == "龙西乡.xlsx"
    attached = tmp_path / "attached.xlsx"
    attached.write_bytes(template.get_content())
    from rollup.ingest import read_submission

    blank = read_submission(attached)
    assert (blank.unit, blank.year, blank.edition) == ("龙西乡", 2019, "2019")  # the unit's own template
    back = message_from_bytes((folder / f"{SEND_BACK}-乐清市住房和城乡建设局.eml").read_bytes(), policy=policy.default)
    assert list(back.iter_attachments()) == []
    assert back["To"] == ROSTER.get("D13").email
    assert "错误 | 依申请表 | 三(七)总计 | 自然人列 | 依申请公开!" in back.get_body(("plain",)).get_content()


def test_remind_sends_records_and_respects_the_interval_unless_forced(tmp_path, demo_inbox):
    with smtp_server(tmp_path) as server:
        settings, config = project(tmp_path, demo_inbox, smtp_toml(server.port))
        first = runner.invoke(app, ["remind", *STABLE, *config])
        again = runner.invoke(app, ["remind", *STABLE, *config])
        delivered_before_force = len(server.mailbox.delivered)
        forced = runner.invoke(app, ["remind", "--force", *STABLE, *config])

    assert first.exit_code == 0, first.output
    assert {r for d in server.mailbox.delivered[:4] for r in d.rcpt_tos} == CHASED | SENT_BACK
    assert again.exit_code == 0 and "跳过" in again.output and "没有需要发送的提醒邮件" in again.output
    assert delivered_before_force == 4
    assert forced.exit_code == 0 and len(server.mailbox.delivered) == 8
    kinds = sent(settings)
    assert len(kinds) == 8 and {k for _, k in kinds} == {CHASE, SEND_BACK}
    assert sorted(u for u, k in kinds if k == SEND_BACK) == sorted(list(DEMO_FAULTY) * 2)


def test_remind_with_a_rejected_unit_address_exits_non_zero_and_records_the_others(tmp_path, demo_inbox):
    refused = ROSTER.get("D41").email
    with smtp_server(tmp_path, refuse={refused}) as server:
        settings, config = project(tmp_path, demo_inbox, smtp_toml(server.port))
        result = runner.invoke(app, ["remind", *STABLE, *config])
    assert result.exit_code == 1
    assert "未发送" in result.output and refused in result.output
    assert {r for d in server.mailbox.delivered for r in d.rcpt_tos} == (CHASED | SENT_BACK) - {refused}
    assert sorted(u for u, _ in sent(settings)) == sorted(["D20", "T24", *DEMO_FAULTY])


def test_a_new_version_with_new_errors_is_sent_back_at_once(tmp_path, demo_inbox):
    from helpers import fill_template

    from rollup.ingest import read_submission

    with smtp_server(tmp_path) as server:
        settings, config = project(tmp_path, demo_inbox, smtp_toml(server.port))
        assert runner.invoke(app, ["remind", *STABLE, *config]).exit_code == 0
        faulty = settings.inbox / "乐清市住房和城乡建设局.xlsx"
        wrong = read_submission(faulty).values["B.3.7.commercial"] + 1
        fill_template(faulty, settings.inbox / "乐清市住房和城乡建设局（修改）.xlsx", {"B.3.7.commercial": wrong})
        recorded = runner.invoke(app, ["status", *STABLE, "--received-at", "2020-02-05", *config])
        assert recorded.exit_code == 0, recorded.output
        second = runner.invoke(app, ["remind", *STABLE, *config])
        third = runner.invoke(app, ["remind", *STABLE, *config])

    assert second.exit_code == 0, second.output
    assert [d.rcpt_tos for d in server.mailbox.delivered[4:]] == [list(SENT_BACK)]
    text = server.mailbox.delivered[4].message.get_body(("plain",)).get_content()
    assert "商业企业列" in text  # the new error is what it lists
    assert "跳过" in second.output  # the units chased before are still within the interval
    assert third.exit_code == 0 and len(server.mailbox.delivered) == 5 and "没有需要发送的提醒邮件" in third.output
