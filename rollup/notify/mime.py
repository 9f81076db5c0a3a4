"""Real MIME messages: plain text with an HTML alternative, optional attachments, Chinese
headers RFC 2047-encoded by the stdlib's email policy; and .eml files written atomically."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path

from rollup.notify.layout import Document, to_html, to_text
from rollup.outputs import write_atomically
from rollup.text import header_text

# .xlsx is missing from some systems' MIME tables; the office mainly attaches workbooks.
mimetypes.add_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")


@dataclass(frozen=True)
class Letter:
    """One message ready to go, and why it goes: ``kind`` is "gaps", "催报" or "退回更正";
    ``unit_id`` the unit it is about (None for the office's gaps email); ``eml`` where it was
    written (kept whether or not sending works)."""

    kind: str
    unit_id: str | None
    message: EmailMessage
    eml: Path | None = None

    @property
    def recipients(self) -> list[str]:
        fields = self.message.get_all("To", []) + self.message.get_all("Cc", [])
        return [address for _, address in getaddresses([str(f) for f in fields]) if address]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


def build_message(
    subject: str,
    document: Document,
    *,
    sender: str | None,
    recipients: list[str],
    attachments: tuple[Path, ...] = (),
) -> EmailMessage:
    # Header values come partly from the roster and the units: cleaned of line breaks first.
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = header_text(subject)
    if sender:
        message["From"] = header_text(sender)
    if recipients:
        message["To"] = ", ".join(header_text(r) for r in recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.set_content(to_text(document))
    message.add_alternative(to_html(document), subtype="html")
    for path in attachments:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=header_text(path.name))
    return message


def address_of(mailbox: str) -> str:
    """The bare address of ``"乐清市政务公开科" <gk@example.gov.cn>`` (or of a bare address)."""
    return getaddresses([mailbox])[0][1]


def _domain(sender: str | None) -> str:
    # make_msgid's default asks the resolver for this machine's FQDN, slow on office networks.
    return (address_of(sender) if sender else "").rpartition("@")[2] or "rollup.local"


def write_eml(path: Path, message: EmailMessage) -> Path:
    """The message as an .eml file (opens in Outlook, Foxmail, Thunderbird), written atomically."""
    data = message.as_bytes(policy=policy.SMTP)
    return write_atomically(Path(path), lambda tmp: tmp.write_bytes(data))
