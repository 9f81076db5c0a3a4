"""The notify stage: the gaps email to the office and the reminders to units, composed from a
``StatusReport``, written as .eml files and sent over SMTP."""

from rollup.notify.compose import CHASE, GAPS, SEND_BACK
from rollup.notify.jobs import (
    GAPS_FILE,
    ReminderPlan,
    gaps_eml_path,
    plan_reminders,
    remind,
    reminder_folder,
    send,
    send_gaps,
    write_gaps,
    written_gaps,
)
from rollup.notify.mime import Letter
from rollup.notify.smtp import Delivery, MailError, MailSetupError

__all__ = [
    "CHASE",
    "GAPS",
    "GAPS_FILE",
    "SEND_BACK",
    "Delivery",
    "Letter",
    "MailError",
    "MailSetupError",
    "ReminderPlan",
    "gaps_eml_path",
    "plan_reminders",
    "remind",
    "reminder_folder",
    "send",
    "send_gaps",
    "write_gaps",
    "written_gaps",
]
