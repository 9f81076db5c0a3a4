"""The command line: parse options, call the library, print. Exit codes: 0 done (for check:
no file has an error), 1 check found errors, 2 usage or configuration error."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import track

from rollup import notify, pipeline
from rollup.config import DEFAULT_CONFIG, ConfigError, Roster, Settings, load_roster, load_settings
from rollup.forms import edition_for_year
from rollup.ledger import LedgerError, parse_moment
from rollup.render.console import print_checks, print_consolidation, print_history, print_status
from rollup.render.consolidation import write_outputs
from rollup.render.mail import print_deliveries, print_reminder_plan
from rollup.render.template import write_templates
from rollup.sample import DEMO_FAULTY, DEMO_OMITTED, load_city_values, write_sample_inbox, write_sample_receipts

app = typer.Typer(
    help="rollup：汇总各单位政府信息公开工作年度报告（收集、校验、汇总、缺报提醒）。",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="配置文件路径。")]
YearOption = Annotated[int | None, typer.Option("--year", "-y", help="报告年度（默认取配置文件中的 year）。")]


def _day(text: str) -> date:
    try:
        return parse_moment(text).date()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _moment(text: str) -> datetime:
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


AsOfOption = Annotated[
    date | None,
    typer.Option("--as-of", parser=_day, metavar="DATE", help="按这一天评估报送情况（默认今天），如 2020-02-01。"),
]
ReceivedAtOption = Annotated[
    datetime | None,
    typer.Option("--received-at", parser=_moment, metavar="DATE",
                 help="本次首次见到的文件按此时间登记为收到时间（默认取文件修改时间），如 2020-01-20 或 \"2020-01-20 15:30\"。"),
]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]错误：[/red]{message}")
    return typer.Exit(2)


def _settings(path: Path) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _roster(settings: Settings) -> Roster:
    try:
        return load_roster(settings.roster_path, settings.region)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _progress(paths):
    return track(paths, description="读取报告", console=errors, transient=True) if len(paths) > 1 else paths


def _track(settings: Settings, year: int | None, **options) -> pipeline.Tracked:
    try:
        return pipeline.track(settings, year, progress=_progress, **options)
    except (ConfigError, LedgerError, LookupError) as exc:
        raise _fail(str(exc).strip("'\"")) from None


@app.command()
def consolidate(
    year: YearOption = None,
    exclude_invalid: Annotated[bool, typer.Option("--exclude-invalid", help="有错误的报告不计入汇总（默认计入并标注）。")] = False,
    as_of: AsOfOption = None,
    received_at: ReceivedAtOption = None,
    send: Annotated[bool, typer.Option("--send", help="汇总后把缺报情况邮件发给配置文件 notify 一节的 recipients。")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """汇总：读取收件箱中的全部报告，逐份校验并登记到台账，合计为本级统计表，写入 outbox/<年度>/（含缺报情况.eml），并给出报送率、及时率。"""
    settings = _settings(config)
    tracked = _track(settings, year, as_of=as_of, received_at=received_at, exclude_invalid=exclude_invalid)
    outputs = write_outputs(tracked.consolidation, settings.outbox, tracked.status)
    print_consolidation(console, tracked.consolidation, outputs, tracked.status)
    letter = notify.write_gaps(tracked.status, settings, workbook=outputs.workbook)
    console.print(f"  {letter.eml}（缺报情况邮件）")
    if send:
        _send_gaps(settings, letter, tracked.status.year)


@app.command()
def status(
    year: YearOption = None,
    as_of: AsOfOption = None,
    received_at: ReceivedAtOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """报送情况：每个应报单位按时报送、迟报、未报送、待更正或已更正，报送率和及时率，无法匹配的文件。"""
    settings = _settings(config)
    print_status(console, _track(settings, year, as_of=as_of, received_at=received_at).status)


@app.command()
def history(
    unit: Annotated[str, typer.Argument(help="单位名称、别名或编码。")],
    year: YearOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """台账中某单位报告的各个版本（收到时间、文件、问题数），以及版本之间逐个单元格的变化。"""
    settings = _settings(config)
    try:
        found, entries = pipeline.unit_history(settings, unit, year=year)
    except (ConfigError, LedgerError, LookupError) as exc:
        raise _fail(str(exc).strip("'\"")) from None
    print_history(console, found, year or settings.year, entries)


@app.command()
def accept(
    unit: Annotated[str, typer.Argument(help="单位名称、别名或编码。")],
    target: Annotated[str, typer.Argument(metavar="RULE-OR-CELL", help="问题代码（如 blank_cell）或单元格编码（如 B.3.7.natural）。")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="接受的理由（将显示为“已说明”）。")],
    year: YearOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """接受某单位的问题并写明理由：此后显示为“已说明”，不再催改；所涉数字改变后失效。"""
    settings = _settings(config)
    try:
        acceptance, covered = pipeline.accept(settings, unit, target, reason, year=year)
    except (ConfigError, LedgerError, LookupError, ValueError) as exc:
        raise _fail(str(exc).strip("'\"")) from None
    console.print(f"已接受 {len(covered)} 个问题，今后显示为“已说明”（理由：{acceptance.reason}）：")
    for finding in covered:
        console.print(f"  {finding.message}")


@app.command("notify")
def notify_office(
    year: YearOption = None,
    as_of: AsOfOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """发送缺报情况邮件：重新汇总（同 consolidate），写出 outbox/<年度>/缺报情况.eml，经配置的邮件服务器发给 notify 一节的 recipients。"""
    settings = _settings(config)
    tracked = _track(settings, year, as_of=as_of)
    outputs = write_outputs(tracked.consolidation, settings.outbox, tracked.status)
    letter = notify.write_gaps(tracked.status, settings, workbook=outputs.workbook)
    console.print(f"{letter.subject}\n  {letter.eml}")
    _send_gaps(settings, letter, tracked.status.year)


def _send_gaps(settings: Settings, letter: notify.Letter, year: int) -> None:
    try:
        delivery = notify.send_gaps(letter, settings, year=year)
    except notify.MailError as exc:
        raise _mail_failed(exc, f"缺报情况邮件未发送，已保存为 {letter.eml}") from None
    print_deliveries(console, [delivery])
    if delivery.error:
        raise typer.Exit(1)


def _mail_failed(exc: notify.MailError, kept: str) -> typer.Exit:
    """Not set up (exit 2, like any configuration error) or the server failed (exit 1)."""
    errors.print(f"[red]错误：[/red]{escape(str(exc))}\n{escape(kept)}")
    return typer.Exit(2 if isinstance(exc, notify.MailSetupError) else 1)


@app.command()
def remind(
    year: YearOption = None,
    as_of: AsOfOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只写出提醒邮件（.eml），不发送。")] = False,
    force: Annotated[bool, typer.Option("--force", help="间隔期内已提醒过的单位也再次发送。")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """提醒各单位：未报送的发催报邮件，待更正的发退回更正邮件（列出每个问题所在的表、行、列），发到名册中的邮箱；间隔期内不重复。"""
    settings = _settings(config)
    report = _track(settings, year, as_of=as_of).status
    try:
        plan, deliveries = notify.remind(report, settings, dry_run=dry_run, force=force)
    except notify.MailError as exc:
        raise _mail_failed(exc, f"提醒邮件均未发送，已保存在 {notify.reminder_folder(settings, report.year)}") from None
    print_reminder_plan(console, plan, interval_days=settings.notify.reminder_interval_days, dry_run=dry_run)
    print_deliveries(console, deliveries)
    raise typer.Exit(1 if any(d.error for d in deliveries) else 0)


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="要校验的文件。", exists=True, dir_okay=False)],
    output_format: Annotated[OutputFormat, typer.Option("--format", help="输出格式：text 或 json。")] = OutputFormat.text,
    year: Annotated[int | None, typer.Option("--year", "-y", help="要求报告属于该年度（默认不限年度）。")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """校验单个或多个文件（收到报告后立即检查）。有错误时退出码为 1。"""
    # The year is checked only when asked for: a file checked on receipt may be any year's.
    roster = _roster(_settings(config)) if config.is_file() else None
    submissions = pipeline.check_files(files, roster=roster, year=year, progress=_progress)
    if output_format is OutputFormat.json:
        print(json.dumps([s.contract() for s in submissions], ensure_ascii=False, indent=1))
    else:
        print_checks(console, submissions)
    raise typer.Exit(1 if any(s.has_errors for s in submissions) else 0)


@app.command()
def template(
    year: YearOption = None,
    unit: Annotated[list[str] | None, typer.Option("--unit", "-u", help="只为这个单位生成（可重复）。")] = None,
    all_units: Annotated[bool, typer.Option("--all", help="为名册中全部单位生成（默认）。")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """生成填报模板：该年度每个应报单位一份（按名册的启用、停用年份），写入 outbox/templates/<年度>/。"""
    settings = _settings(config)
    year = year or settings.year
    roster = _roster(settings).for_year(year)
    if unit and all_units:
        raise _fail("--unit 与 --all 只能选一个")
    chosen = list(roster) if not unit else [_unit(roster, name) for name in unit]
    try:
        edition = edition_for_year(year)
    except LookupError as exc:
        raise _fail(str(exc).strip("'\"")) from None
    folder = settings.outbox / "templates" / str(year)
    written = write_templates(edition, year, chosen, folder)
    console.print(f"已生成 {year} 年度填报模板 {len(written)} 份（{edition.name}）：{folder}")


def _unit(roster: Roster, name: str):
    found = roster.match(name)
    if found is None:
        raise _fail(f"单位名册中没有“{name}”")
    return found


@app.command()
def sample(
    expected: Annotated[Path, typer.Option("--expected", help="含全市报告数据的 expected.json。")] = Path("../shared/reports/expected.json"),
    out: Annotated[Path | None, typer.Option("--out", help="写入的文件夹（默认为配置中的收件箱）。")] = None,
    all_units: Annotated[bool, typer.Option("--all", help="全部单位报送且没有错误（默认：3 个单位未报送、1 个单位有误）。")] = False,
    force: Annotated[bool, typer.Option("--force", help="覆盖文件夹中同名的文件。")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """生成示例收件箱：把乐清市 2019 年度全市数据拆分到示例名册的各单位，每个单位一份填好的报表。"""
    settings = _settings(config)
    roster = _roster(settings)
    omit, faulty = ((), {}) if all_units else (DEMO_OMITTED, DEMO_FAULTY)
    folder = out or settings.inbox
    try:
        city = load_city_values(expected)
        written = write_sample_inbox(folder, roster, settings.year, city, omit=omit, faulty=faulty, overwrite=force)
        receipts = write_sample_receipts(settings.receipts_path or settings.base_dir / "receipts.csv", written, roster,
                                         settings.year, overwrite=force)
    except (OSError, LookupError, ValueError) as exc:
        raise _fail(str(exc)) from None
    console.print(f"已在 {folder} 写入 {len(written)} 份示例报表，收件登记（收到时间）写入 {receipts}")
    for unit_id in omit:
        console.print(f"  未报送：{roster.get(unit_id).name}")
    for unit_id, fault in faulty.items():
        console.print(f"  有误：{roster.get(unit_id).name}（{fault}）")
