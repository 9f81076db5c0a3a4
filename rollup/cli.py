"""The command line: parse options, call the library, print. Exit codes: 0 done (for check:
no file has an error), 1 check found errors or a message could not be sent, 2 usage or
configuration error."""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from rollup.clitext import ChineseTyper

# Start-up time: `rollup --help` must answer at once and `rollup check FILE` is run file by file,
# so this module loads only typer and rich, and each command imports what it uses in its own body
# (the settings load pydantic; the pipeline, the renderers and the mail load pandas and openpyxl).
if TYPE_CHECKING:
    from rollup.config import Settings
    from rollup.notify import Letter
    from rollup.roster import Roster, Unit

DEFAULT_CONFIG = Path("config") / "rollup.toml"

app = ChineseTyper(
    help="rollup：汇总各单位政府信息公开工作年度报告（收集、校验、汇总、缺报提醒）。",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


@app.callback()
def _every_command(ctx: typer.Context) -> None:
    """Set up once, for every command: the cycle collector's pace (``few_collections``), and
    logging. The libraries that read files log what they meet in them (pdfminer: "Could not get
    FontBBox…", hundreds of lines for one PDF) and warn through ``warnings``; a clerk gets
    findings, never their logs."""
    from rollup.outputs import few_collections

    ctx.with_resource(few_collections())
    logging.captureWarnings(True)
    root = logging.getLogger()
    if not any(isinstance(handler, logging.NullHandler) for handler in root.handlers):
        root.addHandler(logging.NullHandler())


ConfigOption = Annotated[Path, typer.Option("--config", "-c", metavar="路径", help="配置文件路径。")]
YearOption = Annotated[
    int | None, typer.Option("--year", "-y", metavar="年度", help="报告年度（默认取配置文件中的 year）。")
]


def _day(text: str) -> date:
    return _moment(text).date()


def _moment(text: str) -> datetime:
    from rollup.receipts import parse_moment

    try:
        return parse_moment(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


AsOfOption = Annotated[
    date | None,
    typer.Option(
        "--as-of",
        parser=_day,
        metavar="日期",
        help="按这一天评估报送情况（默认取配置文件中的 as_of，否则为今天），如 2020-02-01。",
    ),
]
ReceivedAtOption = Annotated[
    datetime | None,
    typer.Option(
        "--received-at",
        parser=_moment,
        metavar="日期",
        help='本次首次见到的文件按此时间登记为收到时间（默认取文件修改时间），如 2020-01-20 或 "2020-01-20 15:30"。',
    ),
]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class CsvFormat(StrEnum):
    zh = "zh"
    codes = "codes"


@contextmanager
def _user_errors(kept: str = "") -> Iterator[None]:
    """A library error the user can act on becomes one Chinese line and an exit status: 2 for
    configuration and usage, 1 for a mail server that failed. ``kept`` says what was saved."""
    try:
        yield
    except Exception as exc:
        status = _exit_status(exc)
        if status is None:
            raise
        raise _fail(_words(exc), kept, status) from None


def _exit_status(exc: Exception) -> int | None:
    """2 for a configuration or usage error, 1 for a mail server that failed, None for a bug. The
    ledger's and the mail's errors are imported only once an error happened (start-up time)."""
    from rollup.config import ConfigError
    from rollup.ledger import LedgerError
    from rollup.notify import MailError, MailSetupError
    from rollup.outputs import WorkspaceBusy

    if isinstance(exc, ConfigError | LedgerError | LookupError | ValueError | OSError | WorkspaceBusy | MailSetupError):
        return 2
    return 1 if isinstance(exc, MailError) else None


_OS_ERRORS = {
    errno.ENOENT: "找不到文件或文件夹",
    errno.EACCES: "没有读写权限（或文件正被其他程序打开，如 Excel）",
    errno.EPERM: "没有读写权限",
    errno.ENOSPC: "磁盘空间不足",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EROFS: "磁盘是只读的",
}


def _words(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{_OS_ERRORS.get(exc.errno, '无法读写文件')}：{exc.filename or ''}"
    return str(exc).strip("'\"")  # a KeyError's text comes quoted


def _fail(message: str, kept: str = "", status: int = 2) -> typer.Exit:
    errors.print(f"[red]错误：[/red]{escape(message)}" + (f"\n{escape(kept)}" if kept else ""))
    return typer.Exit(status)


def _settings(path: Path) -> Settings:
    from rollup.config import load_settings

    with _user_errors():
        return load_settings(path)


def _roster(settings: Settings) -> Roster:
    from rollup.roster import load_roster

    with _user_errors():
        return load_roster(settings.roster_path, settings.region)


def _progress(paths: list[Path]) -> Iterable[Path]:
    if len(paths) <= 1:
        return paths  # no bar, and no time spent loading one, for the single file `check` is mostly run on
    from rich.progress import track

    return track(paths, description="读取报告", console=errors, transient=True)


def _stale_notice(settings: Settings, year: int | None) -> None:
    from rollup import pipeline

    if pipeline.inbox_changed(settings, year):
        console.print(
            "[yellow]提示：收件箱在上次汇总后有变化，以下按台账中上次汇总的结果；运行 rollup status 可更新。[/yellow]"
        )


@app.command()
def consolidate(
    year: YearOption = None,
    exclude_invalid: Annotated[
        bool, typer.Option("--exclude-invalid", help="有错误的报告不计入汇总（默认计入并标注）。")
    ] = False,
    as_of: AsOfOption = None,
    received_at: ReceivedAtOption = None,
    send: Annotated[
        bool, typer.Option("--send", help="汇总后把缺报情况邮件发给配置文件 notify 一节的 recipients。")
    ] = False,
    csv_format: Annotated[
        CsvFormat,
        typer.Option(
            "--csv-format",
            help="明细数据.csv 的表头：zh 为中文（默认），codes 为供程序读取的英文代码 unit,code,value,mark,note。",
        ),
    ] = CsvFormat.zh,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """汇总：读取收件箱中的全部报告，逐份校验并登记到台账，合计为本级统计表，写入 outbox/<年度>/（含缺报情况.eml），并给出报送率、及时率。"""
    from rollup import pipeline
    from rollup.render.console import print_consolidation, say

    settings = _settings(config)
    with _user_errors():
        result = pipeline.run(
            settings,
            year,
            as_of=as_of,
            received_at=received_at,
            exclude_invalid=exclude_invalid,
            progress=_progress,
            csv_format=str(csv_format),
        )
    print_consolidation(console, result.status, result.outputs)
    say(console, "  {report}（本级年度报告草稿，Word）", report=result.report)
    say(console, "  {eml}（缺报情况邮件）", eml=result.gaps_eml)
    if result.kept:
        say(console, "收件箱、名册、配置和台账自上次汇总以来都没有变化，以上文件沿用上次生成的，未重新生成。")
    if send:
        _send_gaps(settings, result.gaps, result.status.year)


@app.command()
def status(
    year: YearOption = None,
    as_of: AsOfOption = None,
    received_at: ReceivedAtOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """报送情况：每个应报单位按时报送、迟报、未报送、待更正或已更正，报送率和及时率，无法匹配的文件。"""
    from rollup import pipeline
    from rollup.render.console import print_status

    settings = _settings(config)
    with _user_errors():
        tracked = pipeline.track(settings, year, as_of=as_of, received_at=received_at, progress=_progress)
    print_status(console, tracked.status)


@app.command()
def history(
    unit: Annotated[str, typer.Argument(metavar="单位", help="单位名称、别名或编码。")],
    year: YearOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """台账中某单位报告的各个版本（收到时间、文件、问题数），以及版本之间逐个单元格的变化。"""
    from rollup import pipeline
    from rollup.render.console import print_history

    settings = _settings(config)
    with _user_errors():
        found, entries = pipeline.unit_history(settings, unit, year=year)
        _stale_notice(settings, year)
    print_history(console, found, year or settings.year, entries)


@app.command()
def accept(
    unit: Annotated[str, typer.Argument(metavar="单位", help="单位名称、别名或编码。")],
    target: Annotated[
        str,
        typer.Argument(
            metavar="问题代码或单元格编码", help="问题代码（如 blank_cell）或单元格编码（如 B.3.7.natural）。"
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", "-r", help="接受的理由（将显示为“已说明”）。")],
    year: YearOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """接受某单位的问题并写明理由：此后显示为“已说明”，不再催改；所涉数字改变后失效。"""
    from rollup import pipeline

    settings = _settings(config)
    with _user_errors():
        acceptance, covered = pipeline.accept(settings, unit, target, reason, year=year)
        _stale_notice(settings, year)
    console.print(f"已接受 {len(covered)} 个问题，今后显示为“已说明”（理由：{escape(acceptance.reason)}）：")
    for finding in covered:
        console.print(f"  {escape(finding.message)}")


@app.command("import-history")
def import_history(
    paths: Annotated[list[Path], typer.Argument(help="往年报告的文件或文件夹（文件夹中的文件都读取）。", exists=True)],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """导入往年报告到台账（任何可读取的格式），按各报告所属年度的名册匹配单位，用于跨年度核对（上年结转等）和异常数字检查。"""
    from rollup import pipeline
    from rollup.render.console import print_imported

    settings = _settings(config)
    with _user_errors():
        imported = pipeline.import_history(settings, paths, progress=_progress)
    print_imported(console, imported.recorded, imported.refused)


@app.command("notify")
def notify_office(
    year: YearOption = None,
    as_of: AsOfOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """发送缺报情况邮件：重新汇总（同 consolidate），写出 outbox/<年度>/缺报情况.eml，经配置的邮件服务器发给 notify 一节的 recipients。"""
    from rollup import pipeline
    from rollup.render.console import say

    settings = _settings(config)
    with _user_errors():
        result = pipeline.run(settings, year, as_of=as_of, progress=_progress)
    say(console, "{subject}\n  {eml}", subject=result.gaps.subject, eml=result.gaps.eml)
    _send_gaps(settings, result.gaps, result.status.year)


def _send_gaps(settings: Settings, letter: Letter, year: int) -> None:
    from rollup import notify
    from rollup.render.console import print_deliveries

    with _user_errors(kept=f"缺报情况邮件未发送，已保存为 {letter.eml}"):
        delivery = notify.send_gaps(letter, settings, year=year)
    print_deliveries(console, [delivery])
    if delivery.error:
        raise typer.Exit(1)


@app.command()
def remind(
    year: YearOption = None,
    as_of: AsOfOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只写出提醒邮件（.eml），不发送。")] = False,
    force: Annotated[bool, typer.Option("--force", help="间隔期内已提醒过的单位也再次发送。")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """提醒各单位：未报送的发催报邮件（附该单位的填报模板），待更正的发退回更正邮件（列出每个问题所在的表、行、列），发到名册中的邮箱；间隔期内不重复。"""
    from rollup import notify, pipeline
    from rollup.render.console import print_deliveries, print_reminder_plan

    settings = _settings(config)
    with _user_errors():
        report = pipeline.track(settings, year, as_of=as_of, progress=_progress).status
        templates = pipeline.chase_templates(settings, report)
    with _user_errors(kept=f"提醒邮件均未发送，已保存在 {notify.reminder_folder(settings, report.year)}"):
        plan, deliveries = notify.remind(report, settings, dry_run=dry_run, force=force, templates=templates)
    print_reminder_plan(console, plan, interval_days=settings.notify.reminder_interval_days, dry_run=dry_run)
    print_deliveries(console, deliveries)
    raise typer.Exit(1 if any(d.error for d in deliveries) else 0)


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(metavar="文件...", help="要校验的文件。", exists=True, dir_okay=False)],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="输出格式：text 或 json。")
    ] = OutputFormat.text,
    year: Annotated[int | None, typer.Option("--year", "-y", help="要求报告属于该年度（默认不限年度）。")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """校验单个或多个文件（收到报告后立即检查）。有错误时退出码为 1。"""
    from rollup.render.console import print_checks
    from rollup.render.contract import submission_contract
    from rollup.validate import check_files

    # The year is checked only when asked for: a file checked on receipt may be any year's. A
    # file may be checked where no project is set up; a configuration named but not found is
    # said, as every command says it, never passed over (the file would be checked without the roster).
    settings = _settings(config) if config.is_file() or config != DEFAULT_CONFIG else None
    roster = _roster(settings) if settings else None
    limits = settings.limits if settings else None
    submissions = check_files(files, roster=roster, year=year, progress=_progress, limits=limits)
    if output_format is OutputFormat.json:
        print(json.dumps([submission_contract(s) for s in submissions], ensure_ascii=False, indent=1))
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
    from rollup.forms import edition_for_year
    from rollup.render.console import say
    from rollup.render.template import write_templates

    settings = _settings(config)
    year = year or settings.year
    roster = _roster(settings).for_year(year)
    if unit and all_units:
        raise _fail("--unit 与 --all 只能选一个")
    chosen = list(roster) if not unit else [_unit(roster, name) for name in unit]
    with _user_errors():
        edition = edition_for_year(year)
    folder = settings.outbox / "templates" / str(year)
    with _user_errors():
        written = write_templates(edition, year, chosen, folder)
    say(
        console,
        "已生成 {year} 年度填报模板 {count} 份（{edition}）：{folder}",
        year=year,
        count=len(written),
        edition=edition.name,
        folder=folder,
    )


def _unit(roster: Roster, name: str) -> Unit:
    found = roster.match(name)
    if found is None:
        raise _fail(f"单位名册中没有“{name}”")
    return found


@app.command()
def sample(
    expected: Annotated[Path, typer.Option("--expected", help="含全市报告数据的 expected.json。")] = Path(
        "../shared/reports/expected.json"
    ),
    out: Annotated[Path | None, typer.Option("--out", help="写入的文件夹（默认为配置中的收件箱）。")] = None,
    all_units: Annotated[
        bool, typer.Option("--all", help="全部单位报送且没有错误（默认：3 个单位未报送、1 个单位有误）。")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="覆盖文件夹中同名的文件。")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """生成示例收件箱：把乐清市 2019 年度全市数据拆分到示例名册的各单位，每个单位一份填好的报表。"""
    from rollup.demo.sample import demo, load_city, write_sample_inbox, write_sample_receipts
    from rollup.render.console import say

    settings = _settings(config)
    roster = _roster(settings)
    omit, faulty = ((), {}) if all_units else (demo().omitted, demo().faulty)
    folder = out or settings.inbox
    receipts_path = settings.receipts_path or settings.base_dir / "receipts.csv"
    with _user_errors():
        city = load_city(expected)
        written = write_sample_inbox(folder, roster, settings.year, city, omit=omit, faulty=faulty, overwrite=force)
        receipts = write_sample_receipts(receipts_path, written, roster, settings.year, overwrite=force)
    say(
        console,
        "已在 {folder} 写入 {count} 份示例报表，收件登记（收到时间）写入 {receipts}",
        folder=folder,
        count=len(written),
        receipts=receipts,
    )
    for unit_id in omit:
        say(console, "  未报送：{unit}", unit=roster.get(unit_id).name)
    for unit_id, fault in faulty.items():
        say(console, "  有误：{unit}（{fault}）", unit=roster.get(unit_id).name, fault=fault)
