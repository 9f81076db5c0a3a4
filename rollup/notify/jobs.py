"""The notify stage end to end: the gaps email written to outbox/<Y>/缺报情况.eml and sent to
the office; reminders to units written to outbox/<Y>/提醒/ and sent, each recorded in the ledger
only once the server accepted it, and not repeated within the configured interval."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from rollup.config import Settings, SmtpSettings
from rollup.ledger import Ledger
from rollup.notify.chart import ALT as CHART_ALT
from rollup.notify.chart import status_chart
from rollup.notify.compose import (
    CHASE,
    GAPS,
    SEND_BACK,
    gaps_document,
    gaps_subject,
    reminder_document,
    reminder_kind,
    reminder_subject,
)
from rollup.notify.mime import Letter, build_message, eml_file, write_eml
from rollup.notify.smtp import Delivery, MailSetupError, send_letters
from rollup.outputs import OutputSet, RunLock, remove_leftovers
from rollup.status import StatusReport, UnitStatus
from rollup.text import safe_file_name

GAPS_FILE = "缺报情况.eml"
REMINDER_FOLDER = "提醒"


def gaps_eml_path(settings: Settings, year: int) -> Path:
    return settings.outbox / str(year) / GAPS_FILE


def write_gaps(
    report: StatusReport, settings: Settings, *, workbook: Path | None = None, staged: OutputSet | None = None
) -> Letter:
    """Compose the gaps email (with the consolidated workbook attached when configured and
    present) and write it to outbox/<Y>/缺报情况.eml, or into ``staged`` (the run's set of
    outputs, where the workbook is read from too)."""
    if staged is not None and workbook is not None:
        workbook = staged.path(workbook.name)
    attach = workbook if workbook is not None and settings.notify.attach_workbook and workbook.is_file() else None
    picture = status_chart(report)
    message = build_message(
        gaps_subject(report),
        gaps_document(report, attached=attach.name if attach else None, picture=CHART_ALT if picture else None),
        sender=settings.smtp.sender if settings.smtp else None,
        recipients=settings.notify.recipients,
        attachments=(attach,) if attach else (),
        picture=picture,
    )
    letter = Letter(GAPS, None, message)
    if staged is None:
        return _written(letter, gaps_eml_path(settings, report.year))
    return replace(letter, eml=staged.write(GAPS_FILE, lambda tmp: eml_file(tmp, message)))


def written_gaps(path: Path) -> Letter:
    """The gaps email as a run wrote it to ``path``."""
    message = message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=policy.default)
    return Letter(GAPS, None, message, eml=path)


def _written(letter: Letter, path: Path) -> Letter:
    return replace(letter, eml=write_eml(path, letter.message))


def send(letters: list[Letter], settings: Settings, log: Ledger, *, year: int) -> list[Delivery]:
    """Send letters and record in the ledger each one the server accepted, with exactly the
    recipients it accepted. Raises ``MailError`` when nothing could be sent at all."""

    def record(delivery: Delivery) -> None:
        if delivery.sent and delivery.sent_at is not None:
            log.record_message(
                year=year,
                unit_id=delivery.letter.unit_id,
                kind=delivery.letter.kind,
                recipients=list(delivery.accepted),
                subject=delivery.letter.subject,
                sent_at=delivery.sent_at,
                eml=str(delivery.letter.eml) if delivery.letter.eml else None,
                topic=delivery.letter.topic,
            )

    smtp = require_smtp(settings)
    if any(letter.kind == GAPS and not letter.recipients for letter in letters):
        raise MailSetupError(
            '未配置缺报情况邮件的收件人：请在配置文件 [notify] recipients 中填写，如 ["gk@example.gov.cn"]'
        )
    return send_letters(letters, smtp, ca_file=settings.smtp_ca_file, on_delivery=record)


def require_smtp(settings: Settings) -> SmtpSettings:
    if settings.smtp is None:
        raise MailSetupError("配置文件中没有 [smtp] 邮件服务器设置，无法发送邮件（邮件已写成 .eml 文件，可手工发送）")
    return settings.smtp


def send_gaps(letter: Letter, settings: Settings, *, year: int) -> Delivery:
    """Send the gaps email written by ``write_gaps``, recording it in the ledger if it went."""
    with RunLock(settings.outbox, settings.limits.lock_wait_seconds), Ledger.open(settings.ledger_path) as ledger:
        return send([letter], settings, ledger, year=year)[0]


# --- reminders --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderPlan:
    """Which units get a reminder now, and which do not and why."""

    letters: tuple[Letter, ...]
    recent: tuple[tuple[UnitStatus, str, datetime], ...]  # reminded within the interval: (unit, kind, when)
    no_email: tuple[UnitStatus, ...]  # the roster has no email for the unit


def plan_reminders(
    report: StatusReport,
    settings: Settings,
    log: Ledger,
    *,
    now: datetime,
    force: bool = False,
    templates: Mapping[str, Path] | None = None,
) -> ReminderPlan:
    """One letter per unit to chase (催报) or send back (退回更正), written to outbox/<Y>/提醒/,
    leaving out units reminded of the same thing (``reminder_topic``) within
    ``[notify] reminder_interval_days`` unless ``force``."""
    interval = timedelta(days=settings.notify.reminder_interval_days)
    remove_leftovers(reminder_folder(settings, report.year))
    letters, recent, no_email = [], [], []
    for status in report.units:
        kind = reminder_kind(status)
        if kind is None:
            continue
        if not status.unit.email:
            no_email.append(status)
            continue
        last = log.last_message(year=report.year, unit_id=status.unit.id, kind=kind, topic=reminder_topic(status, kind))
        if last is not None and not force and _local(now) - _local(last) < interval:
            recent.append((status, kind, last))
            continue
        letters.append(
            _written(
                reminder_letter(report, status, kind, settings, (templates or {}).get(status.unit.id)),
                reminder_path(settings, report.year, status, kind),
            )
        )
    return ReminderPlan(tuple(letters), tuple(recent), tuple(no_email))


def reminder_topic(status: UnitStatus, kind: str) -> str:
    """What a reminder is about: for a 退回更正 the errors it lists (rule, place, figures), so that a
    new version with other errors is sent back at once; a 催报 is always about the same thing."""
    if kind != SEND_BACK:
        return ""
    errors = sorted(f"{f.rule}|{f.table}|{f.row}|{f.column}|{f.expected}|{f.actual}|{f.message}" for f in status.errors)
    return hashlib.sha256("\n".join(errors).encode()).hexdigest()[:16]


def reminder_letter(
    report: StatusReport, status: UnitStatus, kind: str, settings: Settings, template: Path | None = None
) -> Letter:
    signature = settings.notify.signature or f"{report.region}人民政府办公室"
    message = build_message(
        reminder_subject(report, status, kind),
        reminder_document(report, status, kind, signature=signature),
        sender=settings.smtp.sender if settings.smtp else None,
        recipients=[status.unit.email],
        attachments=(template,) if template is not None and kind == CHASE else (),
    )
    return Letter(kind, status.unit.id, message, topic=reminder_topic(status, kind))


def reminder_folder(settings: Settings, year: int) -> Path:
    return settings.outbox / str(year) / REMINDER_FOLDER


def reminder_path(settings: Settings, year: int, status: UnitStatus, kind: str) -> Path:
    return reminder_folder(settings, year) / f"{kind}-{safe_file_name(status.unit.name)}.eml"


def _local(moment: datetime) -> datetime:
    # The ledger may hand back naive local times; compare everything as aware local time.
    return moment.astimezone()


def remind(
    report: StatusReport,
    settings: Settings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    force: bool = False,
    templates: Mapping[str, Path] | None = None,
) -> tuple[ReminderPlan, list[Delivery]]:
    """Write the reminders due now and, unless ``dry_run``, send them (each recorded once sent)."""
    with RunLock(settings.outbox, settings.limits.lock_wait_seconds), Ledger.open(settings.ledger_path) as ledger:
        plan = plan_reminders(report, settings, ledger, now=now or datetime.now(), force=force, templates=templates)
        deliveries = [] if dry_run else send(list(plan.letters), settings, ledger, year=report.year)
    return plan, deliveries
