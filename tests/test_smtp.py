"""Sending over a real SMTP server on 127.0.0.1 (aiosmtpd): plain, STARTTLS and implicit TLS
with a certificate made here by trustme, login, and every way sending can fail."""

import sqlite3
from contextlib import closing
from email.header import decode_header, make_header

import pytest
from helpers import settings_for
from mailserver import PASSWORD, PASSWORD_ENV, USER, free_port, smtp_server, smtp_toml
from statuses import one_wrong_cell, six_units, unit

from rollup.ledger import Ledger
from rollup.notify import CHASE, GAPS, SEND_BACK, MailError, MailSetupError, plan_reminders, send, write_gaps
from rollup.notify.compose import gaps_subject

# With implicit TLS aiosmtpd must be told not to require STARTTLS before AUTH, and warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

OFFICE = ["gk@example.gov.cn", "leader@example.gov.cn"]


@pytest.fixture
def report(city2019):
    return six_units(one_wrong_cell(city2019))


@pytest.fixture
def ledger(tmp_path):
    with Ledger.open(tmp_path / "rollup.sqlite") as opened:
        yield opened


def office(tmp_path, port, *, recipients=OFFICE, **smtp):
    notify = "[notify]\nrecipients = [" + ", ".join(f'"{r}"' for r in recipients) + "]\n"
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return settings_for(tmp_path, tmp_path / "inbox", smtp_toml(port, **smtp) + notify)


def messages_in(ledger):
    """The messages table as it stands in the SQLite file."""
    with closing(sqlite3.connect(ledger.path)) as db:
        return db.execute("SELECT unit_id, kind, recipients, subject, eml FROM messages ORDER BY id").fetchall()


def decoded(header) -> str:
    return str(make_header(decode_header(str(header))))


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_gaps_email_is_delivered_and_recorded(tmp_path, report, ledger, monkeypatch, security):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    workbook = tmp_path / "乐清市2019年度政府信息公开工作年度报告汇总.xlsx"
    workbook.write_bytes(b"PK\x03\x04workbook bytes")
    with smtp_server(tmp_path, security=security, login=security != "none") as server:
        settings = office(tmp_path, server.port, security=security, login=security != "none", ca_file=server.ca_file)
        letter = write_gaps(report, settings, workbook=workbook)
        (delivery,) = send([letter], settings, ledger, year=2019)

    assert delivery.sent and delivery.error is None and delivery.accepted == tuple(OFFICE)
    (got,) = server.mailbox.delivered
    assert got.mail_from == "gk@example.gov.cn" and got.rcpt_tos == OFFICE
    assert decoded(got.message["Subject"]) == gaps_subject(report)
    text = got.message.get_body(("plain",)).get_content()
    html = got.message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "柳市镇" in body and "乐清市信访局" in body and "乐清市教育局" in body and "乐清市商务局" in body
    (attachment,) = got.message.iter_attachments()
    assert attachment.get_filename() == workbook.name and attachment.get_content() == workbook.read_bytes()
    assert messages_in(ledger) == [
        (None, GAPS, '["gk@example.gov.cn", "leader@example.gov.cn"]', gaps_subject(report), str(letter.eml))
    ]
    assert ledger.last_message(year=2019, unit_id=None, kind=GAPS) is not None


def test_an_attached_file_gone_since_the_letter_was_written_is_named_and_nothing_is_sent(tmp_path, report, ledger):
    workbook = tmp_path / "乐清市2019年度政府信息公开工作年度报告汇总.xlsx"
    workbook.write_bytes(b"PK\x03\x04workbook bytes")
    with smtp_server(tmp_path) as server:
        settings = office(tmp_path, server.port)
        letter = write_gaps(report, settings, workbook=workbook)
        workbook.unlink()  # the .eml holds it; the letter reads it from the file to send it
        (delivery,) = send([letter], settings, ledger, year=2019)

    assert not delivery.sent and delivery.error is not None
    assert delivery.error.startswith(f"附件 {workbook.name} 已不存在，未发送")
    assert server.mailbox.delivered == [] and messages_in(ledger) == []


def test_server_down_is_a_clear_error_and_nothing_is_recorded(tmp_path, report, ledger):
    settings = office(tmp_path, free_port())
    letter = write_gaps(report, settings)
    with pytest.raises(MailError, match=r"无法连接邮件服务器 127\.0\.0\.1:.*连接被拒绝"):
        send([letter], settings, ledger, year=2019)
    assert letter.eml.is_file() and messages_in(ledger) == []


def test_refused_login_names_the_user_never_the_password(tmp_path, report, ledger, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong-" + PASSWORD)
    with smtp_server(tmp_path, security="starttls", login=True) as server:
        settings = office(tmp_path, server.port, security="starttls", login=True, ca_file=server.ca_file)
        with pytest.raises(MailError) as failure:
            send([write_gaps(report, settings)], settings, ledger, year=2019)
    message = str(failure.value)
    assert "拒绝登录" in message and USER in message and PASSWORD_ENV in message
    assert PASSWORD not in message and "wrong-" not in message
    assert server.mailbox.delivered == [] and messages_in(ledger) == []


def test_missing_password_variable_stops_before_connecting(tmp_path, report, ledger, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    settings = office(tmp_path, free_port(), security="starttls", login=True)
    with pytest.raises(MailError, match=f"未设置邮箱密码.*{PASSWORD_ENV}"):
        send([write_gaps(report, settings)], settings, ledger, year=2019)


def test_a_password_smtplib_cannot_send_is_a_clear_error(tmp_path, report, ledger, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "授权码")
    with smtp_server(tmp_path, security="starttls", login=True) as server:
        settings = office(tmp_path, server.port, security="starttls", login=True, ca_file=server.ca_file)
        with pytest.raises(MailError, match="非 ASCII") as failure:
            send([write_gaps(report, settings)], settings, ledger, year=2019)
    assert "授权码" not in str(failure.value) and messages_in(ledger) == []


def test_a_gaps_email_without_recipients_is_not_set_up(tmp_path, report, ledger):
    with smtp_server(tmp_path) as server:
        settings = office(tmp_path, server.port, recipients=[])
        with pytest.raises(MailSetupError, match=r"\[notify\] recipients"):
            send([write_gaps(report, settings)], settings, ledger, year=2019)
    assert server.mailbox.delivered == [] and messages_in(ledger) == []


def test_an_untrusted_certificate_is_refused(tmp_path, report, ledger):
    with smtp_server(tmp_path, security="starttls") as server:
        settings = office(tmp_path, server.port, security="starttls")  # no ca_file: the test CA is unknown
        with pytest.raises(MailError, match="建立加密连接失败"):
            send([write_gaps(report, settings)], settings, ledger, year=2019)
    assert server.mailbox.delivered == [] and messages_in(ledger) == []


def test_a_rejected_recipient_is_reported_and_only_the_accepted_ones_recorded(tmp_path, report, ledger):
    with smtp_server(tmp_path, refuse={"leader@example.gov.cn"}) as server:
        settings = office(tmp_path, server.port)
        (delivery,) = send([write_gaps(report, settings)], settings, ledger, year=2019)
    assert delivery.accepted == ("gk@example.gov.cn",)
    assert "拒收收件人" in delivery.error and "leader@example.gov.cn" in delivery.error and "550" in delivery.error
    assert [r.rcpt_tos for r in server.mailbox.delivered] == [["gk@example.gov.cn"]]
    assert [(kind, recipients) for _, kind, recipients, _, _ in messages_in(ledger)] == [
        (GAPS, '["gk@example.gov.cn"]')
    ]


def test_a_partly_failed_batch_records_exactly_the_letters_sent(tmp_path, report, ledger):
    refused = unit("柳市镇").email
    with smtp_server(tmp_path, refuse={refused}) as server:
        settings = office(tmp_path, server.port)
        plan = plan_reminders(report, settings, ledger, now=report_time())
        deliveries = send(list(plan.letters), settings, ledger, year=2019)

    failed = [d for d in deliveries if not d.sent]
    assert [d.letter.unit_id for d in failed] == [unit("柳市镇").id] and refused in failed[0].error
    sent = {(unit_id, kind) for unit_id, kind, *_ in messages_in(ledger)}
    assert sent == {(unit("市信访局").id, CHASE), (unit("市商务局").id, SEND_BACK)}
    assert sorted(r for d in server.mailbox.delivered for r in d.rcpt_tos) == sorted(
        [unit("市信访局").email, unit("市商务局").email]
    )
    assert all(d.letter.eml.is_file() for d in deliveries)


def report_time():
    from datetime import datetime

    return datetime(2020, 2, 10, 9)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda folder: folder / "absent.pem", "找不到这个文件"),
        (lambda folder: folder, "这是一个文件夹"),
        (
            lambda folder: (folder / "junk.pem").write_text("not a certificate") and folder / "junk.pem",
            "没有可用的证书",
        ),
    ],
)
def test_a_bad_ca_file_is_one_chinese_line_on_the_command_line(tmp_path, report, make, words):
    from typer.testing import CliRunner

    from rollup.cli import app

    with smtp_server(tmp_path, security="starttls") as server:
        ca = make(tmp_path / "certs") if (tmp_path / "certs").mkdir() is None else None
        settings = office(tmp_path, server.port, security="starttls", ca_file=ca)
        result = CliRunner().invoke(app, ["notify", "--config", str(settings.base_dir / "rollup.toml")])
    assert result.exit_code == 2
    assert f"证书文件 {ca} 无法使用：" in result.output and words in result.output
    assert "Traceback" not in result.output and server.mailbox.delivered == []
