"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the notify tests: plain, STARTTLS or implicit
TLS with a certificate made on the spot by trustme, optional login, and recipients it refuses."""

from __future__ import annotations

import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "gk@example.gov.cn", "s3cret-Auth#2020"
PASSWORD_ENV = "ROLLUP_TEST_SMTP_PASSWORD"


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """The handler: keeps every message it accepted; refuses the addresses in ``refuse``."""

    refuse: set[str] = field(default_factory=set)
    delivered: list[Delivered] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.delivered.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    mailbox: Mailbox
    ca_file: Path | None


@contextmanager
def smtp_server(tmp_path: Path, *, security: str = "none", login: bool = False, refuse=()):
    """Run a server until the block ends. ``security``: none, starttls or ssl (implicit TLS)."""
    mailbox = Mailbox(refuse=set(refuse))
    kwargs: dict = {"hostname": "127.0.0.1", "port": free_port()}
    ca_file = None
    if security != "none":
        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        kwargs.update(
            {"ssl_context": context} if security == "ssl" else {"tls_context": context, "require_starttls": True}
        )
    if login:
        # With implicit TLS aiosmtpd cannot tell the link is encrypted (aiosmtpd issue 281).
        kwargs.update(authenticator=_authenticate, auth_required=True, auth_require_tls=security == "starttls")
    controller = Controller(mailbox, **kwargs)
    controller.start()
    try:
        yield Server(controller.port, mailbox, ca_file)
    finally:
        controller.stop()


def smtp_toml(port: int, *, security: str = "none", login: bool = False, ca_file: Path | None = None) -> str:
    """The [smtp] section of a config file that sends through the test server on ``port``."""
    lines = [
        "[smtp]",
        'host = "127.0.0.1"',
        f"port = {port}",
        f'security = "{security}"',
        "timeout = 10",
        'from = "乐清市政务公开 <gk@example.gov.cn>"',
        f'password_env = "{PASSWORD_ENV}"',
    ]
    lines += [f'username = "{USER}"'] if login else []
    lines += [f'ca_file = "{ca_file.as_posix()}"'] if ca_file else []
    return "\n".join(lines) + "\n"
