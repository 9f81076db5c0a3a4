"""The shipped sample run the way a new user runs it (config/, inbox/, receipts.csv, the config's
own as-of day), outputs written to a temporary outbox: what the console, the workbook, the JSON
and the gaps email say, and that they say the same."""

import json
import re
from email import message_from_bytes, policy
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO
from typer.testing import CliRunner

from rollup.cli import app
from rollup.config import load_settings
from rollup.ingest import read_submission
from rollup.validate import validate

runner = CliRunner()
HOUSING = "乐清市住房和城乡建设局"
WORKBOOK = "乐清市2019年度政府信息公开工作年度报告汇总.xlsx"


def shipped_config(folder: Path) -> Path:
    """The shipped config, its paths pointing at the checkout's roster, inbox and receipts, its
    outbox and ledger in ``folder``."""
    text = (REPO / "config" / "rollup.toml").read_text(encoding="utf-8")
    config = REPO / "config"
    for key, target in {
        "roster": config / "units.csv",
        "inbox": REPO / "inbox",
        "outbox": folder / "outbox",
        "receipts": config / "receipts.csv",
    }.items():
        text, found = re.subn(rf'^{key} = ".*"$', f'{key} = "{target.as_posix()}"', text, flags=re.M)
        assert found == 1, key
    path = folder / "rollup.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """`rollup consolidate` on the shipped sample: its console output and its outbox folder."""
    folder = tmp_path_factory.mktemp("sample")
    config = shipped_config(folder)
    result = runner.invoke(app, ["consolidate", "--config", str(config)])
    assert result.exit_code == 0, result.output
    return result.output, folder / "outbox" / "2019", config


def cover_text(workbook: Path) -> str:
    sheet = openpyxl.load_workbook(workbook)["封面"]
    return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def gaps_text(folder):
    message = message_from_bytes((folder / "缺报情况.eml").read_bytes(), policy=policy.default)
    return message.get_body(("plain",)).get_content()


def test_the_sample_config_carries_its_own_as_of_day():
    settings = load_settings(REPO / "config" / "rollup.toml")
    assert settings.as_of is not None and settings.as_of.isoformat() == "2020-02-14"


def test_the_city_table_says_everywhere_that_it_does_not_add_up_because_of_one_unit(sample):
    console, folder, _ = sample
    assert f"汇总表校验：不平衡（汇总表有 3 处不符合表内勾稽关系，原因是计入了报告有错误的单位：{HOUSING}）" in console
    data = json.loads((folder / "汇总数据.json").read_text(encoding="utf-8"))
    assert data["balanced"] is False
    assert {(f["rule"], f["table"], f["row"], f["column"]) for f in data["findings"]} == {
        ("row_total", "B", "3.7", "total"),
        ("column_total", "B", "3.7", "natural"),
        ("balance", "B", None, "natural"),
    }
    assert all(f["units"] == [HOUSING] and f["causes"][0]["rule"] == f["rule"] for f in data["findings"])
    cover = cover_text(folder / WORKBOOK)
    assert "不平衡" in cover and f"原因是计入了报告有错误的单位：{HOUSING}" in cover
    assert "填报说明" not in cover and "联系人" not in cover
    book = openpyxl.load_workbook(folder / WORKBOOK)
    filled = {
        c.fill.fgColor.rgb for s in ("主动公开", "依申请公开", "复议诉讼") for row in book[s].iter_rows() for c in row
    }
    assert not any(str(rgb).endswith("FFF2CC") for rgb in filled)  # no input colour: it is not a form to fill in
    assert not any(book[s].data_validations.dataValidation for s in ("主动公开", "依申请公开", "复议诉讼"))
    assert f"71 家，其中待更正（报告有错误）1 家：{HOUSING}" in cover
    checked = list(openpyxl.load_workbook(folder / WORKBOOK)["校验问题"].iter_rows(values_only=True))
    header = checked[0]
    first = [dict(zip(header, row, strict=True)) for row in checked[1:4]]
    assert {row["单位"] for row in first} == {"乐清市"} and all(HOUSING in row["涉及单位的问题"] for row in first)
    assert {row["问题代码"] for row in first} == {"row_total", "column_total", "balance"}
    assert "【汇总表校验：不平衡】" in gaps_text(folder)
    # the same three errors that `rollup check` finds reading the city workbook as a submission
    again = validate(read_submission(folder / WORKBOOK), year=2019)
    assert {(f.rule, f.row, f.column) for f in again.findings} == {
        (f["rule"], f["row"], f["column"]) for f in data["findings"]
    }


def test_leaving_out_invalid_reports_balances_the_city_table_and_says_who_was_left_out(sample, tmp_path):
    _, _, config = sample
    result = runner.invoke(app, ["consolidate", "--exclude-invalid", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"汇总表校验：平衡（汇总表符合表内全部勾稽关系；未计入有错误的单位：{HOUSING}）" in result.output
    folder = config.parent / "outbox" / "2019"
    data = json.loads((folder / "汇总数据.json").read_text(encoding="utf-8"))
    assert (data["balanced"], data["findings"], data["units"]["excluded"]) == (True, [], [HOUSING])
    cover = cover_text(folder / WORKBOOK)
    assert (
        "平衡" in cover
        and "不平衡" not in cover
        and f"1 家：{HOUSING}（报告有错误，按 --exclude-invalid 未计入）" in cover
    )
    assert validate(read_submission(folder / WORKBOOK), year=2019).findings == ()
    runner.invoke(app, ["consolidate", "--config", str(config)])  # leave the module's outbox as it was


def test_every_output_gives_the_same_counts(sample):
    console, folder, _ = sample
    expected = {"应报": 74, "已报": 71, "按时": 68, "迟报": 3, "未报送": 3, "待更正": 1}
    sentence = (
        "应报 74 家，已报 71 家（按时 68 家、迟报 3 家），未报送 3 家（其中已逾期 3 家），待更正 1 家，已更正 0 家"
    )
    assert sentence in console
    assert "迟报 3 家：" in console and "未报送 3 家：" in console
    assert sentence in gaps_text(folder)
    message = message_from_bytes((folder / "缺报情况.eml").read_bytes(), policy=policy.default)
    assert str(message["Subject"]).endswith("未报3家、迟报3家、待更正1家")
    data = json.loads((folder / "汇总数据.json").read_text(encoding="utf-8"))
    total = data["status"]["counts"]["合计"]
    assert {
        word: total[key]
        for word, key in zip(
            expected, ["expected", "received", "on_time", "late", "missing", "to_correct"], strict=True
        )
    } == expected
    rows = list(openpyxl.load_workbook(folder / WORKBOOK)["报送情况"].iter_rows(values_only=True))
    sheet = dict(zip(rows[0], rows[1], strict=False))
    assert {"应报": sheet["应报"], "已报": sheet["已报"], "按时": sheet["按时报送"], "迟报": sheet["迟报"]} == {
        k: expected[k] for k in ("应报", "已报", "按时", "迟报")
    }
    assert (sheet["未报送"], sheet["待更正"]) == (3, 1)


def test_days_late_and_overdue_are_counted_to_the_configs_day(sample):
    console, folder, _ = sample
    assert "乐清市气象局（已逾期 14 天" in console and "翁垟街道（迟报 12 天）" in console
    assert "已逾期14天" in gaps_text(folder)


def test_every_sheet_is_set_up_for_paper_and_reads_in_chinese(sample):
    _, folder, _ = sample
    book = openpyxl.load_workbook(folder / WORKBOOK)
    assert all(sheet.oddFooter.center.text == "&A　第 &P 页" for sheet in book.worksheets if sheet.title != "_rollup")

    detail = book["明细"]
    assert [detail.cell(r, 4).value for r in (1, 2, 3, 4)] == [
        "二、主动公开政府信息情况",
        "规章",
        "本年新制作数量",
        "A.rules.made",
    ]
    assert detail.row_dimensions[4].hidden and detail.freeze_panes == "D5"
    assert (detail.page_setup.orientation, detail.print_title_rows, detail.print_title_cols) == (
        "landscape",
        "$1:$4",
        "$A:$C",
    )
    codes = [detail.cell(4, c).value for c in range(4, detail.max_column + 1)]
    breaks = [b.id for b in detail.col_breaks.brk]
    # every page-wide slice ends where a row of the form ends, and holds one table only
    assert len(breaks) >= 5 and all(
        codes[b - 4].rsplit(".", 1)[0] != codes[b - 3].rsplit(".", 1)[0] for b in breaks[:-1]
    )
    names = [detail.cell(r, 2).value for r in range(5, detail.max_row + 1)]
    assert len(names) == 71 and HOUSING in names
    words = [str(v) for r in (1, 2, 3) for c in range(1, detail.max_column + 1) if (v := detail.cell(r, c).value)]
    assert not [w for w in words if re.fullmatch(r"[A-Za-z0-9_.]+", w)]  # no codes where people read

    checked = book["校验问题"]
    header = [c.value for c in checked[1]]
    assert checked.column_dimensions[openpyxl.utils.get_column_letter(header.index("问题代码") + 1)].hidden
    assert (checked.page_setup.orientation, checked.page_setup.fitToWidth, checked.print_title_rows) == (
        "landscape",
        1,
        "$1:$1",
    )
    assert checked.sheet_properties.pageSetUpPr.fitToPage
    second = dict(zip(header, [c.value for c in checked[2]], strict=True))
    assert (second["表"], second["行"], second["列"]) == ("依申请表", "三(七)总计", "总计列")
    assert second["问题类别"] == "依申请表每一行：总计等于自然人与各类法人或其他组织之和"

    status = book["报送情况"]
    assert status.page_setup.fitToWidth == 1 and status.page_setup.orientation == "landscape"
    assert status["H2"].number_format == "0.0%"
    assert book["说明"].column_dimensions["A"].width <= 80


def test_the_status_sheet_has_two_native_charts(sample):
    import zipfile

    _, folder, _ = sample
    with zipfile.ZipFile(folder / WORKBOOK) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")]
    titles = ("报送率和及时率", "各类别单位报送情况", "主要数据逐年变化")  # the last on 与上年比较
    assert len(charts) == 3 and all(sum(title in c for c in charts) == 1 for title in titles)


def test_every_output_is_created_as_the_users_other_files_are(sample):
    import os
    import stat

    _, folder, _ = sample
    mask = os.umask(0o022)
    os.umask(mask)
    files = [folder / WORKBOOK, folder / "汇总数据.json", folder / "明细数据.csv", folder / "缺报情况.eml"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o666 & ~mask}


def test_accepted_findings_are_named_with_the_offices_reason_where_the_city_table_breaks(tmp_path):
    config = shipped_config(tmp_path)
    options = ["--config", str(config)]
    assert runner.invoke(app, ["status", *options]).exit_code == 0
    accepted = runner.invoke(
        app, ["accept", "住建局", "B.3.7.natural", "--reason", "跨年度合并办理，经核实属实", *options]
    )
    assert accepted.exit_code == 0 and "已接受 3 个问题" in accepted.output, accepted.output
    result = runner.invoke(app, ["consolidate", *options])
    assert result.exit_code == 0, result.output
    assert "汇总表校验：不平衡" in result.output and "（已说明：跨年度合并办理，经核实属实）" in result.output
    assert "待更正 0 家" in result.output
    data = json.loads((tmp_path / "outbox" / "2019" / "汇总数据.json").read_text(encoding="utf-8"))
    assert {c["accepted"] for f in data["findings"] for c in f["causes"]} == {"跨年度合并办理，经核实属实"}
