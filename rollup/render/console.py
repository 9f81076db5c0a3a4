"""What a clerk reads on the screen after a run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from rollup.findings import IDENTITY_RULES, FindingRow, Severity, finding_rows
from rollup.forms import editions, format_number
from rollup.model import Submission
from rollup.text import console_text

if TYPE_CHECKING:  # `rollup check` prints here: it must not load pandas and openpyxl with the outputs,
    # nor the standing of units (the ledger, SQLite, the consolidation) that a check has no use for
    from rollup.notify import Delivery, ReminderPlan
    from rollup.outputs import Outputs
    from rollup.roster import Unit
    from rollup.status import Counts, StatusReport, UnitStatus
    from rollup.versions import HistoryEntry

MAX_LISTED = 30


def print_consolidation(console: Console, status: StatusReport, outputs: Outputs) -> None:
    """The run's summary: what was expected and received, whether the tables add up, the headline
    figures and the files written. Everything comes from ``status``, which a run that keeps its
    outputs has without consolidating again."""
    by_category = Counter(u.unit.category for u in status.units)
    say(
        console,
        "[bold]{region} {year} 年度政府信息公开工作年度报告汇总[/bold]（{edition}）",
        region=status.region,
        year=status.year,
        edition=status.edition,
    )
    # the counts themselves come once, from print_status (one definition for every output)
    categories = "、".join(f"{k} {v}" for k, v in by_category.items())
    say(console, "应报单位 {expected} 家（{categories}）", expected=len(status.units), categories=categories)
    print_status(console, status, title=False)
    if status.other_years:
        say(console, "收件箱中另有其他年度的文件 {count} 个，本次未汇总", count=status.other_years)
    print_verdict(console, status)
    figures = "，".join(f"{label} {format_number(v)}" for label, v in status.headlines)
    say(
        console,
        "[bold]{region}汇总主要数据[/bold]（计入 {counted} 家）：{figures}",
        region=status.region,
        counted=status.counted,
        figures=figures,
    )
    console.print("输出文件：")
    for path in (outputs.workbook, outputs.json, outputs.csv):
        say(console, "  {path}", path=path)
    if outputs.detail is not None:
        say(console, "  {path}（各单位明细，单位较多，未放入汇总表）", path=outputs.detail)


def print_verdict(console: Console, report: StatusReport) -> None:
    """Whether the consolidated tables add up, why not, and which units' findings explain it."""
    style = "green" if report.balanced else "red"
    say(
        console,
        f"[bold {style}]汇总表校验：{{verdict}}[/bold {style}]（{{reason}}）",
        verdict=report.verdict,
        reason=report.verdict_reason,
    )
    for imbalance in report.imbalances:
        say(
            console,
            f"  [{style}]{{label}}[/{style}] {{message}}",
            label=imbalance.label,
            message=imbalance.finding.message,
        )
        for cause in imbalance.causes:
            say(console, "    [dim]来自 {words}[/dim]", words=cause.words)


def rate_line(name: str, counts: Counts) -> str:
    if not counts.expected:
        return f"{name}：本年度没有应报单位"
    return (
        f"{name}：应报 {counts.expected} 家，报送率 {counts.submission_rate:.1%}（{counts.received}/{counts.expected}），"
        f"及时率 {counts.timeliness_rate:.1%}（{counts.on_time}/{counts.expected}）"
    )


def late_words(unit: UnitStatus) -> str:
    """迟报 5 天 / 已逾期 12 天 / 未到截止日期, as the office says it."""
    if unit.missing:
        return f"已逾期 {unit.days_late} 天" if unit.overdue else f"截止日期 {unit.deadline:%Y-%m-%d}，尚未到期"
    return f"迟报 {unit.days_late} 天" if unit.late else "按时"


def print_status(console: Console, report: StatusReport, *, title: bool = True) -> None:
    """Rates, then every unit the office must act on, then files that count for no unit."""
    from rollup.status import TOTAL, Standing

    if title:
        say(
            console,
            "[bold]{region} {year} 年度政府信息公开工作年度报告报送情况[/bold]（截至 {day}）",
            region=report.region,
            year=report.year,
            day=f"{report.as_of:%Y-%m-%d}",
        )
    for name, counts in report.counts.items():
        say(console, "[bold]{line}[/bold]" if name == TOTAL else "{line}", line=rate_line(name, counts))
    say(console, "{sentence}", sentence=report.total.sentence)
    missing = report.with_standing(Standing.MISSING)
    if missing:
        say(console, "[red]未报送 {count} 家：[/red]", count=len(missing))
        for u in missing:
            say(
                console,
                "  {unit}（{late}；联系人 {contact} {phone}）",
                unit=u.unit.name,
                late=late_words(u),
                contact=u.unit.contact or "未登记",
                phone=u.unit.phone,
            )
    late = report.late
    if late:
        units = "、".join(f"{u.unit.name}（{late_words(u)}）" for u in late)
        say(console, "[yellow]迟报 {count} 家：[/yellow]{units}", count=len(late), units=units)
    _print_findings(console, report)
    _print_identity(console, report)
    for u in report.with_standing(Standing.CORRECTED):
        say(
            console,
            "[green]已更正[/green] {unit}：以 {file} 为准（共 {versions} 版）",
            unit=u.unit.name,
            file=u.file,
            versions=u.versions,
        )
    if report.unmatched:
        say(console, "[yellow]无法读取或无法匹配到名册单位的文件 {count} 个：[/yellow]", count=len(report.unmatched))
        for f in report.unmatched:
            written = f.reason or (f"填写的单位“{f.unit_text}”" if f.unit_text else "未能读出单位")
            guess = f"，是否为：{'、'.join(f.suggestions)}？" if f.suggestions and not f.unreadable else ""
            say(console, "  {file}（{written}{guess}）", file=f.file, written=written, guess=guess)
    if report.superseded:
        console.print(f"[yellow]同一单位的另一份文件，未计入 {len(report.superseded)} 个：[/yellow]")
        for old in report.superseded:
            say(console, "  {file}（{unit}；{why}）", file=old.file, unit=old.unit or "未匹配单位", why=old.why)


def _warnings(status: UnitStatus) -> int:
    return sum(1 for f in status.findings if f.severity == Severity.WARNING)


def _print_identity(console: Console, report: StatusReport) -> None:
    """Which unit a file stands for, where in doubt: never only a number in a table."""
    doubts = [(u, f) for u in report.units for f in u.findings if f.rule in IDENTITY_RULES]
    if doubts:
        console.print(f"[yellow]请核实文件与单位的对应（{len(doubts)} 处）：[/yellow]")
    for u, f in doubts:
        say(console, "  [yellow]警告[/yellow] {unit}：{message}", unit=u.unit.name, message=f.message)


def _print_findings(console: Console, report: StatusReport) -> None:
    # a note (提示) asks nothing of anyone: counted here, listed in the workbook, so that a
    # province's thousands of "no report of last year" do not bury what needs correcting
    notes = sum(1 for u in report.units for f in u.findings if f.severity == Severity.INFO)
    flagged = [u for u in report.units if len(u.errors) + _warnings(u) or u.accepted_findings]
    if not flagged:
        console.print("[green]已收到的报告均未发现需要更正或核实的问题[/green]")
    else:
        table = Table(title="校验问题（按单位）", show_lines=False)
        for header in ("单位", "状态", "错误", "警告", "已说明"):
            table.add_column(header)
        for u in flagged:
            cells = (u.unit.name, u.standing, len(u.errors), _warnings(u), len(u.accepted_findings))
            table.add_row(*(console_text(cell) for cell in cells))
        console.print(table)
    if notes:
        say(console, "另有提示 {notes} 条（无需更正，见汇总工作簿的“校验问题”表）", notes=notes)
    for u in flagged:
        for row in finding_rows(u.errors[:MAX_LISTED]):
            say(
                console,
                "  [red]错误[/red] {unit}：{message}" + _place(row),
                unit=u.unit.name,
                message=row.message,
                source=row.source,
            )
        for finding, row in zip(
            u.accepted_findings[:MAX_LISTED], finding_rows(u.accepted_findings[:MAX_LISTED]), strict=True
        ):
            say(
                console,
                "  [green]已说明[/green] {unit}：{message}（{reason}）",
                unit=u.unit.name,
                message=row.message,
                reason=u.reason(finding),
            )
        if u.explanation and (u.errors or u.accepted_findings):
            say(console, "  [dim]单位说明：{text}[/dim]", text=u.explanation)


_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def print_checks(console: Console, submissions: Iterable[Submission]) -> None:
    for s in submissions:
        head = "{file}：[red]有错误[/red]" if s.has_errors else "{file}：[green]通过[/green]"
        if s.edition:
            head += "  单位 {unit}，年度 {year}，格式 {edition}年版"
        say(console, head, file=s.file, unit=s.unit or "（未填写）", year=s.year or "（未填写）", edition=s.edition)
        for row in finding_rows(s.findings, editions().get(s.edition or "")):
            style = _SEVERITY_STYLE[row.severity]
            say(
                console,
                f"  [{style}]{{severity}}[/{style}] {{message}}" + _place(row),
                severity=row.severity_words,
                message=row.message,
                source=row.source,
            )


def _place(row: FindingRow) -> str:
    """Where in the file, when that is a cell (a file name alone is already in the message): a
    template for ``say`` with the place as ``{source}``."""
    return "  [dim]（{source}）[/dim]" if row.source and row.source != row.file else ""


def say(console: Console, markup: str, **values: object) -> None:
    """Print ``markup`` (rollup's own styles) with ``values`` filled in as plain text: what a
    unit wrote (a name "未知单位[/red]", a note "[/dim]") is shown as written, never taken as
    markup. Every line with a unit's words goes through here."""
    console.print(markup.format_map({key: console_text(value) for key, value in values.items()}))


def print_history(console: Console, unit: Unit, year: int, entries: list[HistoryEntry]) -> None:
    """Each version: when received, under which names, its findings, and what changed since the one before."""
    if not entries:
        say(console, "台账中没有{unit} {year} 年度的报告", unit=unit.name, year=year)
        return
    counted = next((n for n, e in enumerate(entries, start=1) if e.counted), None)
    which = f"上次汇总以第 {counted} 版为准" if counted else "上次汇总未计入任何一版"
    say(
        console,
        "[bold]{unit} {year} 年度报告的版本[/bold]（共 {count} 版，{which}）",
        unit=unit.name,
        year=year,
        count=len(entries),
        which=which,
    )
    edition = editions().get(entries[-1].version.edition or "")
    for number, entry in enumerate(entries, start=1):
        v = entry.version
        errors = sum(f.is_error for f in v.findings)
        source = RECEIVED_FROM.get(v.received_from, v.received_from)
        counts = "（上次汇总以此版为准）" if entry.counted else (f"（{entry.left_out}）" if entry.left_out else "")
        say(
            console,
            "第 {number} 版：{names}，收到 {at}（{source}），{errors}，警告 {warnings} 个{counts}",
            number=number,
            names="、".join(entry.names),
            at=f"{v.received_at:%Y-%m-%d %H:%M}",
            source=source,
            errors=f"有错误 {errors} 个" if errors else "无错误",
            warnings=len(v.findings) - errors,
            counts=counts,
        )
        if number > 1 and not entry.changes:
            console.print("  与上一版数字相同")
        for change in entry.changes[: MAX_LISTED * 3]:
            words = edition.describe(change.code) if edition else change.code
            say(
                console,
                "  {words}：{before} → {after}",
                words=words,
                before=_shown(change.before),
                after=_shown(change.after),
            )


RECEIVED_FROM = {
    "mtime": "按文件修改时间",
    "option": "按 --received-at",
    "receipts": "按收件登记",
    "import": "导入的往年报告，按文件修改时间",
}


def _shown(value: float | int | None) -> str:
    return "（无）" if value is None else format_number(value)


def print_imported(console: Console, recorded: dict[int, list[Submission]], refused: list[Submission]) -> None:
    """What ``rollup import-history`` put into the ledger, by year, and what it could not place."""
    for year, submissions in recorded.items():
        with_errors = sum(s.has_errors for s in submissions)
        note = f"，其中 {with_errors} 份有错误（照录，可用 rollup history 查看）" if with_errors else ""
        say(console, "已导入 {year} 年度报告 {count} 份{note}", year=year, count=len(submissions), note=note)
    if not recorded:
        console.print("没有导入任何报告")
    for s in refused:
        if s.year is None:
            reason = s.errors[0].message if s.errors else "读不出报告年度"
        else:
            reason = f"{s.year} 年度名册中没有“{s.unit or '（未填写单位）'}”"
        say(console, "[yellow]未导入[/yellow] {file}：{reason}", file=s.file.name, reason=reason)


# --- emails ------------------------------------------------------------------------------------


def print_deliveries(console: Console, deliveries: list[Delivery]) -> None:
    for d in deliveries:
        if d.sent:
            console.print(
                f"[green]已发送[/green] {console_text(d.letter.subject)} → {console_text('、'.join(d.accepted))}"
            )
        if d.error:
            kept = f"（邮件已保存：{d.letter.eml}）" if d.letter.eml else ""
            word = "部分收件人未收到" if d.sent else "未发送"
            console.print(
                f"[red]{word}[/red] {console_text(d.letter.subject)}：{console_text(d.error)}{console_text(kept)}"
            )
    failed = sum(1 for d in deliveries if d.error)
    if deliveries and failed:
        console.print(f"[red]共 {len(deliveries)} 封，{failed} 封未能全部送达；已送达的均已记入台账[/red]")


def print_reminder_plan(console: Console, plan: ReminderPlan, *, interval_days: int, dry_run: bool) -> None:
    for status, kind, when in plan.recent:
        console.print(
            f"[dim]跳过[/dim] {console_text(status.unit.name)}：已于 {when:%Y-%m-%d %H:%M} 发送{kind}邮件，"
            f"{interval_days} 天内不再重复（--force 可强制发送）"
        )
    for status in plan.no_email:
        phone = "，".join(x for x in (status.unit.contact, status.unit.phone) if x)
        console.print(
            f"[yellow]无邮箱[/yellow] {console_text(status.unit.name)}：名册中没有邮箱，请电话联系{console_text(phone)}"
        )
    if not plan.letters:
        console.print("没有需要发送的提醒邮件")
    elif dry_run:
        console.print(f"试运行：已写入 {len(plan.letters)} 封提醒邮件（未发送）：")
        for letter in plan.letters:
            say(
                console,
                "  {subject} → {to}  {eml}",
                subject=letter.subject,
                to="、".join(letter.recipients),
                eml=letter.eml,
            )
