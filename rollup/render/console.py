"""What a clerk reads on the screen after a run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from rollup.aggregate import Consolidation
from rollup.model import Finding, Submission, format_number
from rollup.render.consolidation import Outputs

MAX_LISTED = 30


def print_consolidation(console: Console, result: Consolidation, outputs: Outputs) -> None:
    expected = len(result.units)
    by_category = Counter(u.unit.category for u in result.units)
    console.print(f"[bold]{result.region} {result.year} 年度政府信息公开工作年度报告汇总[/bold]（{result.edition.name}）")
    console.print(
        f"应报单位 {expected} 家（{'、'.join(f'{k} {v}' for k, v in by_category.items())}），"
        f"已收到 {len(result.received)} 家，未报送 {len(result.missing)} 家"
    )
    if result.missing:
        console.print("未报送：" + "、".join(u.unit.name for u in result.missing))
    _print_problems(console, result)
    if result.unmatched:
        console.print(f"[yellow]无法匹配到名册单位的文件 {len(result.unmatched)} 个：[/yellow]")
        for s in result.unmatched:
            console.print(f"  {s.file.name}：{s.findings[0].message if s.findings else ''}")
    if result.other_years:
        console.print(f"收件箱中另有其他年度的文件 {len(result.other_years)} 个，本次未汇总")
    if result.excluded:
        console.print(f"有错误未计入汇总（--exclude-invalid）：{'、'.join(u.unit.name for u in result.excluded)}")
    figures = "，".join(f"{label} {format_number(v)}" for label, v in result.edition.headline_figures(result.values))
    console.print(f"[bold]{result.region}汇总主要数据[/bold]（计入 {len(result.counted)} 家）：{figures}")
    console.print("输出文件：")
    for path in (outputs.workbook, outputs.json, outputs.csv):
        console.print(f"  {path}")


def _print_problems(console: Console, result: Consolidation) -> None:
    flagged = [u for u in result.received if u.submission.findings]
    if not flagged:
        console.print("[green]已收到的报告均未发现问题[/green]")
        return
    table = Table(title="校验问题（按单位）", show_lines=False)
    for header in ("单位", "状态", "错误", "警告"):
        table.add_column(header)
    for report in flagged:
        s = report.submission
        table.add_row(report.unit.name, report.status, str(len(s.errors)), str(len(s.warnings)))
    console.print(table)
    for report in flagged:
        for finding in report.submission.errors[:MAX_LISTED]:
            console.print(f"  [red]错误[/red] {report.unit.name}：{finding.message}{_place(finding)}")


def print_checks(console: Console, submissions: Iterable[Submission]) -> None:
    for s in submissions:
        state = "[red]有错误[/red]" if s.has_errors else "[green]通过[/green]"
        head = f"{s.file}：{state}"
        if s.edition:
            head += f"  单位 {s.unit or '（未填写）'}，年度 {s.year or '（未填写）'}，格式 {s.edition}年版"
        console.print(head)
        for f in s.findings:
            word = "[red]错误[/red]" if f.is_error else "[yellow]警告[/yellow]"
            console.print(f"  {word} {f.message}{_place(f)}")


def _place(finding: Finding) -> str:
    """Where in the file, when that is a cell (a file name alone is already in the message)."""
    return f"  [dim]（{finding.source}）[/dim]" if finding.source and finding.source != finding.file else ""
