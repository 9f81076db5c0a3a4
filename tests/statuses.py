"""A status report of six sample units, one in each situation the emails must handle, built from
the shipped roster and real findings of the validator."""

from datetime import date, datetime

from conftest import REPO

from rollup.forms import editions
from rollup.model import Acceptance
from rollup.roster import load_roster
from rollup.status import Standing, StatusReport, Superseded, UnitStatus, UnmatchedFile
from rollup.validate import check_values

AS_OF = date(2020, 2, 10)
ROSTER = load_roster(REPO / "config" / "units.csv", "乐清市")


def unit(name):
    return ROSTER.match(name)


def one_wrong_cell(city_values: dict) -> tuple:
    """Real findings: the city tables with 三(七)总计 自然人 typed one too many."""
    values = {**city_values, "B.3.7.natural": city_values["B.3.7.natural"] + 1}
    return tuple(check_values(editions()["2019"], values, sources={"B.3.7.natural": "依申请公开!B23"}))


def six_units(findings: tuple) -> StatusReport:
    """On time, late, missing and overdue, missing not yet due, to correct, corrected with an
    accepted finding; plus an unmatched file and a superseded one."""
    received = datetime(2020, 1, 20, 9, 30)
    deadline = date(2020, 1, 31)
    units = (
        UnitStatus(unit("市发改局"), Standing.ON_TIME, deadline, received, None, file="发改.xlsx", versions=1),
        UnitStatus(
            unit("市教育局"),
            Standing.LATE,
            deadline,
            datetime(2020, 2, 3, 15),
            3,
            file="教育.xlsx",
            versions=1,
            late_received=True,
        ),
        UnitStatus(unit("柳市镇"), Standing.MISSING, deadline, None, 10),
        UnitStatus(unit("市信访局"), Standing.MISSING, date(2020, 2, 20), None, None),
        UnitStatus(
            unit("市商务局"),
            Standing.TO_CORRECT,
            deadline,
            received,
            None,
            findings=findings,
            explanation="本年新收申请较多系<某项目>集中申请",
            file="商务<局>.xlsx",
            versions=1,
        ),
        UnitStatus(
            unit("市民政局"),
            Standing.CORRECTED,
            deadline,
            received,
            None,
            versions=2,
            accepted=(Acceptance(unit("市民政局").id, "B.1.natural", "系统迁移导致数量偏大", datetime(2020, 2, 5)),),
        ),
    )
    return StatusReport(
        region="乐清市",
        year=2019,
        as_of=AS_OF,
        units=units,
        unmatched=(UnmatchedFile("乐清市商物局.xlsx", "乐清市商物局", ("乐清市商务局", "乐清市民政局")),),
        superseded=(Superseded("教育-旧.xlsx", "乐清市教育局", "教育.xlsx", "收到较早，以较晚收到的 教育.xlsx 为准"),),
        headlines=(("本年新收申请", 1234), ("行政复议", 5)),
    )
