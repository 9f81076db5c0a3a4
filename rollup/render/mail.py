"""What a clerk reads on the screen about emails: what was written, sent, not sent and why."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from rollup.notify import Delivery, ReminderPlan


def print_deliveries(console: Console, deliveries: list[Delivery]) -> None:
    for d in deliveries:
        if d.sent:
            console.print(f"[green]已发送[/green] {escape(d.letter.subject)} → {escape('、'.join(d.accepted))}")
        if d.error:
            kept = f"（邮件已保存：{d.letter.eml}）" if d.letter.eml else ""
            word = "部分收件人未收到" if d.sent else "未发送"
            console.print(f"[red]{word}[/red] {escape(d.letter.subject)}：{escape(d.error)}{escape(kept)}")
    failed = sum(1 for d in deliveries if d.error)
    if deliveries and failed:
        console.print(f"[red]共 {len(deliveries)} 封，{failed} 封未能全部送达；已送达的均已记入台账[/red]")


def print_reminder_plan(console: Console, plan: ReminderPlan, *, interval_days: int, dry_run: bool) -> None:
    for status, kind, when in plan.recent:
        console.print(
            f"[dim]跳过[/dim] {escape(status.unit.name)}：已于 {when:%Y-%m-%d %H:%M} 发送{kind}邮件，"
            f"{interval_days} 天内不再重复（--force 可强制发送）"
        )
    for status in plan.no_email:
        phone = "，".join(x for x in (status.unit.contact, status.unit.phone) if x)
        console.print(f"[yellow]无邮箱[/yellow] {escape(status.unit.name)}：名册中没有邮箱，请电话联系{escape(phone)}")
    if not plan.letters:
        console.print("没有需要发送的提醒邮件")
    elif dry_run:
        console.print(f"试运行：已写入 {len(plan.letters)} 封提醒邮件（未发送）：")
        for letter in plan.letters:
            console.print(f"  {escape(letter.subject)} → {escape('、'.join(letter.recipients))}  {letter.eml}")
