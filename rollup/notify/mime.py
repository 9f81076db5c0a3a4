"""Real MIME messages: plain text with an HTML alternative, optional attachments, Chinese
headers RFC 2047-encoded by the stdlib's email policy; and .eml files written atomically.

Attachment names are written twice: RFC 2231 (``filename*=utf-8''…``, what the standard and
Thunderbird read) and an RFC 2047 encoded-word in the plain ``filename``/``name`` parameters
(what old Outlook and Foxmail show). The stdlib writes only the first, so those part headers are
written here as text and kept as written (``refold_source="none"``)."""

from __future__ import annotations

import base64
import copy
import mimetypes
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from rollup.notify.layout import PICTURE_ID, Document, to_html, to_text
from rollup.outputs import write_atomically
from rollup.text import header_text

POLICY = policy.SMTP.clone(refold_source="none")
# An address that can never be delivered (RFC 2606 reserves .invalid): the .eml files say plainly
# where the office has not configured a sender or recipients, and nothing is ever sent there.
PLACEHOLDER = "not-configured@rollup.invalid"
NO_SENDER = formataddr(("未配置发件人", PLACEHOLDER))
NO_RECIPIENTS = formataddr(("未配置收件人", PLACEHOLDER))

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
    topic: str = ""  # what it is about: a reminder is not repeated about the same thing too soon

    @property
    def recipients(self) -> list[str]:
        fields = self.message.get_all("To", []) + self.message.get_all("Cc", [])
        return [address for _, address in getaddresses([str(f) for f in fields]) if address and address != PLACEHOLDER]

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
    picture: bytes | None = None,
) -> EmailMessage:
    """Plain text with an HTML alternative (showing ``picture``, a PNG, inline where the document
    places it), and the ``attachments``. Header values come partly from the roster and the units:
    cleaned of line breaks first."""
    message = EmailMessage(policy=POLICY)
    message["Subject"] = header_text(subject)
    message["From"] = header_text(sender) if sender else NO_SENDER
    message["To"] = ", ".join(header_text(r) for r in recipients) if recipients else NO_RECIPIENTS
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.set_content(to_text(document))
    message.add_alternative(to_html(document), subtype="html")
    if picture is not None:
        html = message.get_body(("html",))
        assert html is not None
        html.add_related(picture, maintype="image", subtype="png", cid=f"<{PICTURE_ID}>", filename="chart.png")
    if attachments:
        message.make_mixed()
    for path in attachments:
        message.attach(attachment(header_text(path.name), path))
    return message


class FileAttachment(EmailMessage):
    """An attached file whose bytes are not in the message: they are encoded from the file, a
    piece at a time, where the message is written (``eml_file``), and read into a copy of it
    where it is sent (``whole``). Until then its body is a placeholder. A province's gaps email
    carries a workbook of 10 MB: held as text and written by the email package, 90 MB at once."""

    source: Path
    placeholder: str


def attachment(name: str, source: Path) -> FileAttachment:
    """The file ``source`` attached under ``name`` as every mail program shows it (see the
    module's note)."""
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    words = Header(name, "utf-8").encode(maxlinelen=76).replace("\n", "")
    percent = quote(name, safe="")
    pieces = [percent[i : i + 60] for i in range(0, len(percent), 60)]
    # never split a %XX escape between two pieces
    for i in range(len(pieces) - 1):
        cut = pieces[i].rfind("%", len(pieces[i]) - 2)
        if cut >= 0:
            pieces[i], pieces[i + 1] = pieces[i][:cut], pieces[i][cut:] + pieces[i + 1]
    continued = ";\r\n".join(
        f" filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{p}" for i, p in enumerate(pieces)
    )
    head = (
        f'Content-Type: {kind};\r\n name="{words}"\r\n'
        f'Content-Disposition: attachment;\r\n filename="{words}";\r\n{continued}\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    part = message_from_bytes(head.encode("ascii"), _class=FileAttachment, policy=POLICY)
    assert isinstance(part, FileAttachment)
    part.source, part.placeholder = source, f"rollup-attached-file-{uuid.uuid4().hex}"
    part.set_payload(part.placeholder + "\r\n")
    return part


def whole(message: EmailMessage) -> EmailMessage:
    """The message as it is sent: a copy with every attached file's bytes in it."""
    if next(_attached_files(message), None) is None:
        return message
    sent = copy.deepcopy(message)
    for part in _attached_files(sent):
        # the body set as it is sent, not parsed: the parser takes a workbook of 10 MB line by
        # line, 145 MiB of memory for a province's gaps email
        part.set_payload(_base64(part.source.read_bytes()).decode("ascii"))
    return sent


def _attached_files(message: EmailMessage) -> Iterator[FileAttachment]:
    return (part for part in message.walk() if isinstance(part, FileAttachment))


def address_of(mailbox: str) -> str:
    """The bare address of ``"乐清市政务公开科" <gk@example.gov.cn>`` (or of a bare address)."""
    return getaddresses([mailbox])[0][1]


def _domain(sender: str | None) -> str:
    # make_msgid's default asks the resolver for this machine's FQDN, slow on office networks.
    return (address_of(sender) if sender else "").rpartition("@")[2] or "rollup.local"


def write_eml(path: Path, message: EmailMessage) -> Path:
    """The message as an .eml file (opens in Outlook, Foxmail, Thunderbird), written atomically."""
    return write_atomically(Path(path), lambda tmp: eml_file(tmp, message))


def eml_file(path: Path, message: EmailMessage) -> None:
    """The message's bytes as sent, written into ``path``: what the email package makes of it,
    each attached file's body encoded from the file where its placeholder stands."""
    files = {part.placeholder.encode("ascii"): part.source for part in _attached_files(message)}
    written = message.as_bytes(policy=POLICY)  # small: the files are not in it
    pieces = re.split(b"(" + b"|".join(map(re.escape, files)) + b")\r\n", written) if files else [written]
    with open(path, "wb") as handle:
        for piece in pieces:
            if piece in files:
                _encode_into(handle, files[piece])
            else:
                handle.write(piece)


_LINES_AT_ONCE = 57 * 1024  # bytes of whole base64 lines: 57 make one line of 76 characters


def _encode_into(handle: BinaryIO, source: Path) -> None:
    """``source`` in base64, as the email package would have written it, a piece at a time."""
    with open(source, "rb") as file:
        while piece := file.read(_LINES_AT_ONCE):
            handle.write(_base64(piece))


def _base64(data: bytes) -> bytes:
    """``data`` in base64 lines of 76 characters, each ended as a message's lines are (CRLF)."""
    return base64.encodebytes(data).replace(b"\n", b"\r\n")
