"""The command line: parse options, call the library, print. Exit codes: 0 done (for check:
no file has an error), 1 check found errors, 2 usage or configuration error."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import track

from rollup import pipeline
from rollup.config import DEFAULT_CONFIG, ConfigError, Roster, Settings, load_roster, load_settings
from rollup.forms import edition_for_year
from rollup.render.console import print_checks, print_consolidation
from rollup.render.consolidation import write_outputs
from rollup.render.template import write_templates
from rollup.sample import DEMO_FAULTY, DEMO_OMITTED, load_city_values, write_sample_inbox

app = typer.Typer(
    help="rollup：汇总各单位政府信息公开工作年度报告（收集、校验、汇总、缺报提醒）。",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="配置文件路径。")]
YearOption = Annotated[int | None, typer.Option("--year", "-y", help="报告年度（默认取配置文件中的 year）。")]


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


@app.command()
def consolidate(
    year: YearOption = None,
    exclude_invalid: Annotated[bool, typer.Option("--exclude-invalid", help="有错误的报告不计入汇总（默认计入并标注）。")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """汇总：读取收件箱中的全部报告，逐份校验，合计为本级统计表，写入 outbox/<年度>/。"""
    settings = _settings(config)
    try:
        result = pipeline.run(settings, year, exclude_invalid=exclude_invalid, progress=_progress)
    except (ConfigError, LookupError) as exc:
        raise _fail(str(exc).strip("'\"")) from None
    outputs = write_outputs(result, settings.outbox)
    print_consolidation(console, result, outputs)


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
    """生成填报模板：每个名册单位一份，写入 outbox/templates/<年度>/。"""
    settings = _settings(config)
    roster = _roster(settings)
    year = year or settings.year
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
    except (OSError, LookupError, ValueError) as exc:
        raise _fail(str(exc)) from None
    console.print(f"已在 {folder} 写入 {len(written)} 份示例报表")
    for unit_id in omit:
        console.print(f"  未报送：{roster.get(unit_id).name}")
    for unit_id, fault in faulty.items():
        console.print(f"  有误：{roster.get(unit_id).name}（{fault}）")
