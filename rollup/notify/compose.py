"""What the emails say: the gaps email to the office (who is missing, late, to correct) and
one reminder per unit (催报 for a missing report, 退回更正 for a report with errors), each as a
subject and a ``Document`` built from a ``StatusReport``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from rollup.findings import catalogue, finding_rows
from rollup.forms import Edition, edition_for_year, format_number
from rollup.model import Acceptance
from rollup.notify.layout import Document, Section, grid
from rollup.status import Standing, StatusReport, UnitStatus

GAPS = "gaps"
CHASE = "催报"
SEND_BACK = "退回更正"
# The finding columns a unit needs to find and fix each problem, with their headers.
FINDING_COLUMNS = {
    "severity_words": "类型",
    "table_words": "表",
    "row_words": "行",
    "column_words": "列",
    "source": "单元格",
    "message": "问题",
}


def cn_date(day: date | datetime) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _report_name(report: StatusReport) -> str:
    return f"{report.year}年度政府信息公开工作年度报告"


def _edition(report: StatusReport) -> Edition | None:
    try:
        return edition_for_year(report.year)
    except LookupError:
        return None


# --- the gaps email ---------------------------------------------------------------------


def gaps_subject(report: StatusReport) -> str:
    counts = report.total
    head = f"【{report.region}】{_report_name(report)}报送情况："
    if not (counts.missing or counts.late or counts.to_correct):
        return head + "全部按时报送，无待更正"
    return head + f"未报{counts.missing}家、迟报{counts.late}家、待更正{counts.to_correct}家"


def gaps_document(report: StatusReport, *, attached: str | None = None, picture: str | None = None) -> Document:
    """The office's overview: rates (with the picture whose alt text is ``picture``, if any), then
    each list the office has to act on."""
    edition = _edition(report)
    rates = replace(_rates_section(report), picture=picture)
    sections = [rates, _balance_section(report), _missing_section(report), _late_section(report)]
    to_correct = report.with_standing(Standing.TO_CORRECT)
    if to_correct:
        sections.append(Section(f"待更正（{len(to_correct)}家）", ("以下单位报送的报告有错误，需退回更正：",)))
        sections += [findings_section(u, edition, title=_unit_title(u)) for u in to_correct]
    sections += [_accepted_section(report, edition), _corrected_section(report), _unmatched_section(report)]
    sections += [_duplicates_section(report), _headlines_section(report)]
    footer = f"本邮件由 rollup 自动生成，情况截至{cn_date(report.as_of)}。"
    if attached:
        footer += f"附件为汇总表《{attached}》，其中“报送情况”“校验问题”工作表有全部明细。"
    return Document(
        title=f"{report.region}{_report_name(report)}报送情况",
        sections=tuple(s for s in sections if s is not None),
        footer=footer,
    )


def _rates_section(report: StatusReport) -> Section:
    summary = f"截至{cn_date(report.as_of)}，{report.total.sentence}。"
    rows = [
        (key, r.expected, r.received, r.on_time, percent(r.submission_rate), percent(r.timeliness_rate))
        for key, r in report.counts.items()
    ]
    table = grid(("类别", "应报", "已报", "按时报送", "报送率", "及时率"), rows) if rows else None
    return Section("报送率和及时率", (summary,), table, ("报送率 = 已报 ÷ 应报；及时率 = 按时报送 ÷ 应报。",))


def _balance_section(report: StatusReport) -> Section:
    """Whether the consolidated tables add up, and which units' findings make them not."""
    rows = [(i.finding.message, "\n".join(c.words for c in i.causes)) for i in report.imbalances]
    table = grid(("问题", "涉及单位的问题"), rows) if rows else None
    return Section(f"汇总表校验：{report.verdict}", (f"{report.verdict_reason}。",), table)


def _missing_section(report: StatusReport) -> Section | None:
    missing = report.with_standing(Standing.MISSING)
    if not missing:
        return None
    rows = [
        (u.unit.name, u.unit.category, u.unit.contact, u.unit.phone, cn_date(u.deadline), overdue_words(u))
        for u in missing
    ]
    return Section(
        f"未报送（{len(missing)}家）", (), grid(("单位", "类别", "联系人", "电话", "截止日期", "情况"), rows)
    )


def overdue_words(status: UnitStatus) -> str:
    return f"已逾期{status.days_late}天" if status.overdue else "未到截止日期"


def _late_section(report: StatusReport) -> Section | None:
    if not report.late:
        return None
    rows = [
        (
            u.unit.name,
            cn_date(u.deadline),
            _received(u),
            f"{u.days_late}天" if u.days_late is not None else "",
            str(u.standing),
        )
        for u in report.late
    ]
    return Section(
        f"迟报（{len(report.late)}家）", (), grid(("单位", "截止日期", "首次收到", "迟报天数", "目前状态"), rows)
    )


def _received(status: UnitStatus) -> str:
    return status.received_at.strftime("%Y-%m-%d %H:%M") if status.received_at else ""


def _unit_title(status: UnitStatus) -> str:
    contact = "，".join(x for x in (status.unit.contact, status.unit.phone) if x)
    return f"{status.unit.name}（{contact}）" if contact else status.unit.name


def findings_section(status: UnitStatus, edition: Edition | None, *, title: str | None = None) -> Section:
    """One unit's open findings, each with its place in the form (table, row, column, cell),
    followed by the unit's own explanation and what the office accepted."""
    rows = [row.pick(FINDING_COLUMNS) for row in finding_rows(status.findings, edition)]
    notes = []
    if status.file:
        notes.append(f"文件：{status.file}")
    if status.explanation:
        notes.append(f"单位说明：{status.explanation}")
    notes += [f"已说明：{target_words(edition, a.target)}（{a.reason}）" for a in status.accepted]
    return Section(title, (), grid(tuple(FINDING_COLUMNS.values()), rows), tuple(notes))


def target_words(edition: Edition | None, target: str) -> str:
    """What an acceptance refers to: a rule by its title, or a cell by its place in the form."""
    if target in catalogue():
        return catalogue()[target].title
    if edition is not None and target in edition.cell_index:
        cell = edition.cell(target)
        return edition.where(cell.table, cell.row.code, cell.column.code)
    return target


def _accepted_section(report: StatusReport, edition: Edition | None) -> Section | None:
    accepted: list[tuple[UnitStatus, Acceptance]] = [(u, a) for u in report.units for a in u.accepted]
    if not accepted:
        return None
    rows = [(u.unit.name, target_words(edition, a.target), a.reason, cn_date(a.accepted_at)) for u, a in accepted]
    return Section("已说明（不再催改）", (), grid(("单位", "事项", "说明", "接受日期"), rows))


def _corrected_section(report: StatusReport) -> Section | None:
    corrected = report.with_standing(Standing.CORRECTED)
    if not corrected:
        return None
    return Section(f"已更正（{len(corrected)}家）", ("、".join(u.unit.name for u in corrected),))


def _unmatched_section(report: StatusReport) -> Section | None:
    if not report.unmatched:
        return None
    rows = [
        (
            f.file,
            f.reason or "",
            f.unit_text or ("（未能读出）" if f.unreadable else "（未填写）"),
            "—" if f.unreadable else "、".join(f.suggestions) or "—",
        )
        for f in report.unmatched
    ]
    return Section(
        f"无法读取或无法匹配到名册单位的文件（{len(report.unmatched)}个）",
        ("无法读取的文件请对方按原因处理后重发；其余请核对单位名称，或在单位名册中补充别名：",),
        grid(("文件", "无法读取的原因", "填写的单位", "可能是"), rows),
    )


def _duplicates_section(report: StatusReport) -> Section | None:
    if not report.superseded:
        return None
    rows = [(f.unit or "（未匹配）", f.file, f.counted, f.why) for f in report.superseded]
    return Section("同一单位的另一份文件（未计入）", (), grid(("单位", "未计入的文件", "计入的文件", "原因"), rows))


def _headlines_section(report: StatusReport) -> Section | None:
    if not report.headlines:
        return None
    rows = [(label, format_number(value)) for label, value in report.headlines]
    return Section(f"{report.region}汇总主要数据", (), grid(("项目", "数量"), rows))


# --- reminders to units -----------------------------------------------------------------


def reminder_kind(status: UnitStatus) -> str | None:
    """Why a unit is reminded: nothing received → 催报; errors to correct → 退回更正."""
    if status.missing:
        return CHASE
    if status.standing is Standing.TO_CORRECT:
        return SEND_BACK
    return None


def reminder_subject(report: StatusReport, status: UnitStatus, kind: str) -> str:
    if kind == CHASE:
        return f"【{report.region}】催报：请尽快报送{_report_name(report)}（{status.unit.name}）"
    return f"【{report.region}】退回更正：{status.unit.name}{_report_name(report)}"


def reminder_document(report: StatusReport, status: UnitStatus, kind: str, *, signature: str) -> Document:
    greeting = f"{status.unit.contact}同志：" if status.unit.contact else f"{status.unit.name}："
    sections: tuple[Section, ...]
    if kind == CHASE:
        sections = (Section(None, (greeting, _chase_text(report, status), "如已报送，请忽略本邮件，并告知我们核对。")),)
    else:
        intro = f"贵单位报送的{_report_name(report)}经校验存在以下问题，请核实更正后重新报送："
        sections = (Section(None, (greeting, intro)), findings_section(status, _edition(report), title="需更正的问题"))
    return Document(
        title=reminder_subject(report, status, kind).split("】", 1)[1],
        sections=(*sections, Section(None, (signature, cn_date(report.as_of)))),
        footer="本邮件由 rollup 自动发送。",
    )


def _chase_text(report: StatusReport, status: UnitStatus) -> str:
    text = f"截至{cn_date(report.as_of)}，尚未收到{status.unit.name}的{_report_name(report)}。报送截止日期为{cn_date(status.deadline)}"
    if status.overdue:
        return text + f"，已逾期{status.days_late}天，请尽快按填报模板填写并报送。"
    return text + "，请在截止日期前按填报模板填写并报送。"
