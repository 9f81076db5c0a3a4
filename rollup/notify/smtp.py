"""Sending over SMTP (stdlib smtplib): plain, STARTTLS or implicit TLS, login with a password
taken from the environment at the moment of sending. Every failure becomes a ``MailError`` or
a per-message error in Chinese; the password never appears in either."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rollup.config import SmtpSettings
from rollup.notify.mime import Letter, address_of, whole


class MailError(Exception):
    """Nothing could be sent (no connection, refused login, bad settings); the message is for
    the user as it stands."""


class MailSetupError(MailError):
    """Sending is not set up: no [smtp] section, no recipients, no password in the environment."""


@dataclass(frozen=True)
class Delivery:
    """What became of one letter: the recipients the server accepted, when (local time, as the
    ledger keeps times), and what went wrong."""

    letter: Letter
    accepted: tuple[str, ...] = ()
    sent_at: datetime | None = None
    error: str | None = None

    @property
    def sent(self) -> bool:
        return bool(self.accepted)


def password_for(smtp: SmtpSettings) -> str | None:
    """The password from the environment variable the config names; None when no login is set."""
    if not smtp.username:
        return None
    if smtp.security == "none" and not smtp.allow_plain_auth:
        raise MailSetupError(
            f'配置文件 [smtp] 设置了 security = "none"（不加密）和用户名 {smtp.username}：这样登录会把邮箱密码明文发送到网络上，'
            '已拒绝发送。请改用 security = "ssl"（465 端口）或 "starttls"（587 端口）；'
            "确需在内网使用不加密的服务器时，在 [smtp] 中写明 allow_plain_auth = true"
        )
    password = os.environ.get(smtp.password_env, "")
    if not password:
        raise MailSetupError(
            f"未设置邮箱密码：请在运行前设置环境变量 {smtp.password_env}（配置文件 [smtp] password_env 指定的名称），"
            "密码不写在配置文件中"
        )
    return password


def send_letters(
    letters: Iterable[Letter],
    smtp: SmtpSettings,
    *,
    ca_file: Path | None = None,
    on_delivery: Callable[[Delivery], None] = lambda d: None,
) -> list[Delivery]:
    """Send each letter over one connection. Connecting or logging in failing raises
    ``MailError`` (nothing sent); after that each letter gets its own ``Delivery``, handed to
    ``on_delivery`` as soon as it is known so a crash later in the batch loses no record."""
    letters = list(letters)
    if not letters:
        return []
    password = password_for(smtp)
    deliveries = []
    with _session(smtp, password, ca_file) as client:
        for letter in letters:
            delivery = _deliver(client, letter, smtp)
            on_delivery(delivery)
            deliveries.append(delivery)
            if delivery.error and _lost(client):
                break
    for letter in letters[len(deliveries) :]:
        delivery = Delivery(letter, error="与邮件服务器的连接已中断，未发送")
        on_delivery(delivery)
        deliveries.append(delivery)
    return deliveries


@contextmanager
def _session(smtp: SmtpSettings, password: str | None, ca_file: Path | None) -> Iterator[smtplib.SMTP]:
    """A connected, encrypted (as configured) and logged-in client; closed whatever happens."""
    where = f"{smtp.host}:{smtp.effective_port}"
    context = _tls_context(ca_file)
    client: smtplib.SMTP
    try:
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.effective_port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=smtp.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(_session_error(exc, smtp, where)) from None
    try:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if password is not None:
            client.login(smtp.username, password)
    except (OSError, smtplib.SMTPException) as exc:
        _close(client)
        raise MailError(_session_error(exc, smtp, where)) from None
    except UnicodeEncodeError:  # smtplib sends login data as ASCII only
        _close(client)
        raise MailError(
            f"邮箱用户名或环境变量 {smtp.password_env} 中的密码含有中文等非 ASCII 字符，无法登录邮件服务器"
        ) from None
    try:
        yield client
    finally:
        _close(client)


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's CAs, plus the configured ``ca_file``: a file that is missing or holds no
    certificate is a setup error in words, never a traceback."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except FileNotFoundError:
        problem = "找不到这个文件"
    except IsADirectoryError:
        problem = "这是一个文件夹，不是证书文件"
    except PermissionError:
        problem = "没有读取权限"
    except (ssl.SSLError, OSError, ValueError):
        problem = "文件中没有可用的证书（应为 PEM 格式的 CA 证书）"
    raise MailSetupError(f"配置文件 [smtp] ca_file 指定的证书文件 {ca_file} 无法使用：{problem}")


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _session_error(exc: OSError | smtplib.SMTPException, smtp: SmtpSettings, where: str) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"邮件服务器 {where} 拒绝登录（用户名 {smtp.username}，服务器答复 {_reason(exc)}）；"
            f"请核对用户名和环境变量 {smtp.password_env} 中的密码（或授权码）"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        what = "STARTTLS 加密" if "STARTTLS" in str(exc) else "登录（AUTH）"
        return f"邮件服务器 {where} 不支持{what}；请核对端口和 security 设置（465 端口通常为 ssl，587 为 starttls）"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return (
            f"邮件服务器 {where} 断开了连接（{_reason(exc)}）；"
            "请核对端口与 security 设置是否相符（465 端口通常为 ssl，587 为 starttls）"
        )
    if isinstance(exc, ssl.SSLError):
        return f"与邮件服务器 {where} 建立加密连接失败（{_reason(exc)}）；请核对证书、端口和 security 设置"
    if isinstance(exc, OSError):
        return f"无法连接邮件服务器 {where}（{_reason(exc)}）；请检查网络和 [smtp] host、port 设置"
    return f"与邮件服务器 {where} 通信失败（{_reason(exc)}）"


def _deliver(client: smtplib.SMTP, letter: Letter, smtp: SmtpSettings) -> Delivery:
    recipients = letter.recipients
    if not recipients:
        return Delivery(letter, error="没有收件人，未发送")
    try:
        message = whole(letter.message)
    except OSError as exc:  # an attached file gone or unreadable since the letter was written
        name = Path(exc.filename).name if exc.filename else ""
        what = "已不存在" if isinstance(exc, FileNotFoundError) else "无法读取"
        return Delivery(letter, error=f"附件 {name} {what}，未发送（请重新生成邮件后再发送）")
    try:
        refused = client.send_message(message, from_addr=address_of(smtp.sender), to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        return Delivery(letter, error=_refused_words(exc.recipients))
    except smtplib.SMTPSenderRefused as exc:
        return Delivery(letter, error=f"邮件服务器拒绝发件人 {smtp.sender}（{_reason(exc)}）")
    except (smtplib.SMTPException, OSError) as exc:
        return Delivery(letter, error=f"邮件服务器未接受这封邮件（{_reason(exc)}）")
    accepted = tuple(r for r in recipients if r not in refused)
    return Delivery(letter, accepted, datetime.now(), _refused_words(refused) if refused else None)


def _refused_words(refused: dict[str, tuple[int, bytes]]) -> str:
    parts = [f"{address}（{code} {_text(reply)}）" for address, (code, reply) in refused.items()]
    return "邮件服务器拒收收件人：" + "；".join(parts)


def _lost(client: smtplib.SMTP) -> bool:
    try:
        return client.noop()[0] != 250
    except (smtplib.SMTPException, OSError):
        return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝，服务器未开启或端口不对"
    if isinstance(exc, TimeoutError):
        return "连接超时"
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
