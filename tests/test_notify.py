"""The gaps email and the reminders: what they say, as real MIME messages and .eml files."""

from datetime import date, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from helpers import settings_for
from statuses import AS_OF, one_wrong_cell, six_units, unit

from rollup.findings import finding_rows
from rollup.ledger import Ledger
from rollup.notify import CHASE, GAPS_FILE, SEND_BACK, plan_reminders, write_gaps
from rollup.notify.compose import gaps_document, gaps_subject
from rollup.notify.layout import Document, Section, grid, to_html, to_text
from rollup.notify.mime import POLICY, whole
from rollup.status import Standing, StatusReport, UnitStatus


@pytest.fixture
def bad_findings(city2019):
    return one_wrong_cell(city2019)


@pytest.fixture
def report(bad_findings):
    return six_units(bad_findings)


def parts(message):
    """Plain text and HTML bodies of a parsed message, and its attachments by file name."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    attachments = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    return text, html, attachments


def test_subject_counts_missing_late_and_to_correct(report):
    assert gaps_subject(report) == "【乐清市】2019年度政府信息公开工作年度报告报送情况：未报2家、迟报1家、待更正1家"


def test_subject_when_nothing_is_wrong(report):
    clean = StatusReport("乐清市", 2019, AS_OF, report.units[:1])
    assert gaps_subject(clean).endswith("报送情况：全部按时报送，无待更正")


def test_gaps_eml_is_a_real_mime_message_with_every_list(tmp_path, report):
    settings = settings_for(tmp_path, tmp_path / "inbox", '[notify]\nrecipients = ["gk@example.gov.cn"]\n')
    workbook = tmp_path / "汇总.xlsx"
    workbook.write_bytes(b"PK\x03\x04 not really a workbook")

    letter = write_gaps(report, settings, workbook=workbook)

    assert letter.eml == tmp_path / "outbox" / "2019" / GAPS_FILE
    raw = letter.eml.read_bytes()
    assert raw.isascii(), "headers RFC 2047-encoded and bodies transfer-encoded: safe for any server"
    message = message_from_bytes(raw, policy=policy.default)
    assert str(make_header(decode_header(message["Subject"]))) == gaps_subject(report)
    assert message["To"] == "gk@example.gov.cn" and message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/mixed"
    text, html, attachments = parts(message)
    assert attachments == {"汇总.xlsx": workbook.read_bytes()}
    for body in (text, html):
        assert "报送率" in body and "及时率" in body and "66.7%" in body and "50.0%" in body
        assert "柳市镇" in body and "已逾期10天" in body and "未到截止日期" in body
        assert "0577-" in body  # contact phones of missing units
        assert "乐清市教育局" in body and "3天" in body
        assert "乐清市商务局" in body and "依申请表" in body and "三(七)总计" in body and "依申请公开!B23" in body
        assert "已说明" in body and "系统迁移导致数量偏大" in body and "依申请表 一、本年新收 自然人列" in body
        assert "乐清市商物局.xlsx" in body and "乐清市商务局、乐清市民政局" in body
        assert "本年新收申请" in body and "1234" in body
    assert "<某项目>" not in html and "&lt;某项目&gt;" in html and "商务&lt;局&gt;.xlsx" in html


@pytest.mark.parametrize("size", [0, 1, 57 * 1024, 3 * 57 * 1024 + 5], ids=["empty", "one byte", "one piece", "pieces"])
def test_an_attached_file_is_encoded_into_the_eml_as_the_email_package_writes_it_held(tmp_path, report, size):
    settings = settings_for(tmp_path, tmp_path / "inbox", '[notify]\nrecipients = ["gk@example.gov.cn"]\n')
    workbook = tmp_path / "汇总.xlsx"
    workbook.write_bytes(bytes(i * 7 % 251 for i in range(size)))

    letter = write_gaps(report, settings, workbook=workbook)

    (held,) = letter.message.iter_attachments()
    assert len(held.get_payload()) < 100  # the file is not in the message
    # the eml is byte for byte what the email package writes with the file's bytes in the message
    assert letter.eml.read_bytes() == whole(letter.message).as_bytes(policy=POLICY)
    (sent,) = whole(letter.message).iter_attachments()
    (written,) = message_from_bytes(letter.eml.read_bytes(), policy=policy.default).iter_attachments()
    assert sent.get_content() == written.get_content() == workbook.read_bytes()


def test_missing_units_show_contact_and_whether_overdue(report):
    text = to_text(gaps_document(report))
    liushi, xinfang = unit("柳市镇"), unit("市信访局")
    missing = text.split("【未报送（2家）】")[1].split("【")[0]
    assert f"{liushi.name} | 乡镇街道 | {liushi.contact} | {liushi.phone} | 2020年1月31日 | 已逾期10天" in missing
    assert f"{xinfang.name} | 部门 | {xinfang.contact} | {xinfang.phone} | 2020年2月20日 | 未到截止日期" in missing


def test_gaps_eml_without_workbook_or_smtp_config_has_no_attachment(tmp_path, report):
    settings = settings_for(tmp_path, tmp_path / "inbox")
    letter = write_gaps(report, settings, workbook=tmp_path / "absent.xlsx")
    message = message_from_bytes(letter.eml.read_bytes(), policy=policy.default)
    assert list(message.iter_attachments()) == []
    # a clear placeholder where the office has configured nothing, at an address that never delivers
    assert message["From"].addresses[0].display_name == "未配置发件人"
    assert message["To"].addresses[0].display_name == "未配置收件人"
    assert {message["From"].addresses[0].domain, message["To"].addresses[0].domain} == {"rollup.invalid"}
    assert letter.recipients == []
    assert message.get_content_type() == "multipart/alternative"


def test_attachment_names_for_old_outlook_and_foxmail_as_well_as_rfc_2231(tmp_path, report):
    import email
    from email.header import decode_header, make_header

    settings = settings_for(
        tmp_path,
        tmp_path / "inbox",
        '[smtp]\nhost = "mail.example.gov.cn"\nfrom = "乐清市政务公开 <gk@example.gov.cn>"\n',
    )
    workbook = tmp_path / "乐清市2019年度政府信息公开工作年度报告汇总.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    raw = write_gaps(report, settings, workbook=workbook).eml.read_bytes()
    assert raw.isascii()
    modern = next(message_from_bytes(raw, policy=policy.default).iter_attachments())
    assert modern.get_filename() == workbook.name and modern.get_content() == workbook.read_bytes()
    legacy = next(p for p in email.message_from_bytes(raw).walk() if p.get_content_maintype() == "application")
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        encoded = legacy.get_param(param, header=header)
        assert isinstance(encoded, str) and encoded.startswith("=?utf-8?b?")
        assert str(make_header(decode_header(encoded))) == workbook.name
    assert "filename*0*=utf-8''%E4%B9%90%E6%B8%85" in raw.decode("ascii")
    assert message_from_bytes(raw, policy=policy.default)["From"].addresses[0].addr_spec == "gk@example.gov.cn"


def test_finding_rows_name_table_row_and_column_in_the_forms_words(ed2019, bad_findings):
    finding = next(f for f in bad_findings if f.rule == "column_total" and f.column == "natural")
    (row,) = finding_rows([finding], ed2019)
    assert (row.table_words, row.row_words, row.column_words) == ("依申请表", "三(七)总计", "自然人列")
    assert (row.table, row.row, row.column, row.title) == (
        "B",
        "3.7",
        "natural",
        "依申请表每一列：三(七)总计等于各项办理结果之和",
    )


def test_html_escapes_every_piece_of_user_text():
    document = Document(
        '<b>"标题"</b>', (Section("<i>", ("a & b",), grid(("<th>",), [("<td>",)]), ("<note>",)),), "<foot>"
    )
    html = to_html(document)
    for raw in ("<b>", "<i>", "<th>", "<td>", "<note>", "<foot>", "a & b"):
        assert raw not in html
    assert "&lt;td&gt;" in html and "a &amp; b" in html


@pytest.fixture
def ledger(tmp_path):
    with Ledger.open(tmp_path / "rollup.sqlite") as opened:
        yield opened


def test_reminders_chase_missing_units_and_send_back_errors(tmp_path, report, ledger):
    settings = settings_for(tmp_path, tmp_path / "inbox", '[smtp]\nhost = "127.0.0.1"\nfrom = "gk@example.gov.cn"\n')
    plan = plan_reminders(report, settings, ledger, now=datetime(2020, 2, 10, 9))
    by_unit = {letter.unit_id: letter for letter in plan.letters}
    assert {u: letter.kind for u, letter in by_unit.items()} == {
        unit("柳市镇").id: CHASE,
        unit("市信访局").id: CHASE,
        unit("市商务局").id: SEND_BACK,
    }
    chase = message_from_bytes(by_unit[unit("柳市镇").id].eml.read_bytes(), policy=policy.default)
    assert chase["To"] == unit("柳市镇").email
    assert chase["Subject"] == "【乐清市】催报：请尽快报送2019年度政府信息公开工作年度报告（柳市镇）"
    assert "已逾期10天" in chase.get_body(("plain",)).get_content()
    back = by_unit[unit("市商务局").id]
    assert back.eml.name == "退回更正-乐清市商务局.eml" and back.eml.parent.name == "提醒"
    text = message_from_bytes(back.eml.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "错误 | 依申请表 | 三(七)总计 | 自然人列 | 依申请公开!B23 |" in text
    assert "乐清市人民政府办公室" in text


def test_a_unit_reminded_within_the_interval_is_left_out_unless_forced(tmp_path, report, ledger):
    settings = settings_for(tmp_path, tmp_path / "inbox", "[notify]\nreminder_interval_days = 3\n")
    liushi = unit("柳市镇").id
    ledger.record_message(
        year=2019,
        unit_id=liushi,
        kind=CHASE,
        recipients=["x@example.gov.cn"],
        subject="催报",
        sent_at=datetime(2020, 2, 8, 9),
        eml=None,
    )

    within = plan_reminders(report, settings, ledger, now=datetime(2020, 2, 10, 9))
    assert liushi not in {letter.unit_id for letter in within.letters}
    assert [(s.unit.id, kind) for s, kind, _ in within.recent] == [(liushi, CHASE)]

    forced = plan_reminders(report, settings, ledger, now=datetime(2020, 2, 10, 9), force=True)
    assert liushi in {letter.unit_id for letter in forced.letters} and not forced.recent

    later = plan_reminders(report, settings, ledger, now=datetime(2020, 2, 11, 9, 1))
    assert liushi in {letter.unit_id for letter in later.letters}


def test_a_unit_without_email_is_listed_not_written(tmp_path, ledger):
    settings = settings_for(tmp_path, tmp_path / "inbox")
    nomail = UnitStatus(unit("柳市镇")._replace(email=""), Standing.MISSING, date(2020, 1, 31), None, 10)
    plan = plan_reminders(StatusReport("乐清市", 2019, AS_OF, (nomail,)), settings, ledger, now=datetime(2020, 2, 10))
    assert plan.letters == () and plan.no_email == (nomail,)
    assert not (tmp_path / "outbox" / "2019" / "提醒").exists()


def test_the_gaps_email_shows_rates_and_standings_as_an_inline_picture(tmp_path, report):
    from io import BytesIO

    from PIL import Image

    from rollup.notify.chart import chinese_fonts

    assert chinese_fonts(), "the test machine has a Chinese font (fonts-noto-cjk)"
    settings = settings_for(tmp_path, tmp_path / "inbox")
    message = message_from_bytes(write_gaps(report, settings).eml.read_bytes(), policy=policy.default)
    html = message.get_body(("html",))
    (picture,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert picture["Content-ID"] == "<chart@rollup>" and 'src="cid:chart@rollup"' in html.get_content()
    assert list(message.iter_attachments()) == []  # inline, not an attachment to open
    image = Image.open(BytesIO(picture.get_content()))
    assert (
        image.format == "PNG"
        and image.size[0] >= 600
        and len(image.convert("RGB").getcolors(maxcolors=100000) or ()) > 10
    )


def test_without_a_chinese_font_the_email_goes_without_the_picture(tmp_path, report, monkeypatch):
    from rollup.notify import chart

    monkeypatch.setattr(chart, "FONTS", ("没有这种字体",))
    settings = settings_for(tmp_path, tmp_path / "inbox")
    message = message_from_bytes(write_gaps(report, settings).eml.read_bytes(), policy=policy.default)
    assert not [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert "cid:" not in message.get_body(("html",)).get_content()
