import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, REPORTS
from helpers import fill_template, settings_for
from typer.testing import CliRunner

from rollup import pipeline
from rollup.cli import app
from rollup.config import load_settings
from rollup.receipts import load_receipts
from rollup.render.template import write_blank_template
from rollup.status import Standing

runner = CliRunner()


@pytest.fixture
def project(tmp_path, all_74):
    inbox = tmp_path / "inbox"
    shutil.copytree(all_74, inbox)
    (inbox / "柳市镇.xlsx").unlink()
    settings_for(tmp_path, inbox)
    return tmp_path


def test_consolidate_end_to_end(project):
    result = runner.invoke(
        app,
        [
            "consolidate",
            "--as-of",
            "2020-02-03",
            "--received-at",
            "2020-01-20",
            "--config",
            str(project / "rollup.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "应报单位 74 家" in result.output and "已报 73 家" in result.output
    assert "未报送 1 家：\n  柳市镇（已逾期 3 天" in result.output
    assert "报送率 98.6%（73/74）" in result.output
    assert "本年新收申请" in result.output
    folder = project / "outbox" / "2019"
    assert (folder / "乐清市2019年度政府信息公开工作年度报告汇总.xlsx").is_file()
    assert json.loads((folder / "汇总数据.json").read_text(encoding="utf-8"))["units"]["missing"] == ["柳市镇"]


def test_consolidate_with_a_broken_config_is_a_usage_error(tmp_path):
    (tmp_path / "rollup.toml").write_text("year = 2019\n", encoding="utf-8")
    result = runner.invoke(app, ["consolidate", "--config", str(tmp_path / "rollup.toml")])
    assert result.exit_code == 2 and "region" in result.output


def test_check_json_contract_and_exit_codes(project, tmp_path, ed2019, city2019):
    template = write_blank_template(ed2019, 2019, tmp_path / "t.xlsx")
    good = fill_template(template, tmp_path / "good.xlsx", city2019, {"unit": "市商务局", "year": 2019})
    city2019["B.3.7.natural"] = 352
    bad = fill_template(template, tmp_path / "bad.xlsx", city2019, {"unit": "市商务局", "year": 2019})
    config = ["--config", str(project / "rollup.toml")]

    ok = runner.invoke(app, ["check", str(good), "--format", "json", *config])
    assert ok.exit_code == 0, ok.output
    (entry,) = json.loads(ok.stdout)
    assert set(entry) == {"file", "unit", "year", "edition", "values", "notes", "marks", "findings"}
    assert (entry["unit"], entry["year"], entry["edition"], entry["findings"]) == ("市商务局", 2019, "2019", [])
    assert entry["values"]["B.3.7.natural"] == 351

    failed = runner.invoke(app, ["check", str(good), str(bad), "--format", "json", *config])
    assert failed.exit_code == 1
    entries = json.loads(failed.stdout)
    finding = next(f for f in entries[1]["findings"] if f["rule"] == "column_total")
    assert set(finding) == {"severity", "rule", "table", "row", "column", "message", "source"}
    assert (finding["severity"], finding["table"], finding["row"], finding["column"]) == (
        "error",
        "B",
        "3.7",
        "natural",
    )
    assert finding["message"] == "依申请表 三(七)总计 自然人列：填报 352，各项合计 351"

    text = runner.invoke(app, ["check", str(bad), *config])
    assert text.exit_code == 1 and "依申请表 三(七)总计 自然人列" in text.output


def test_check_usage_error_exits_2(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2


def test_check_says_a_configuration_it_was_given_is_not_there(project, tmp_path, monkeypatch, ed2019, city2019):
    template = write_blank_template(ed2019, 2019, tmp_path / "t.xlsx")
    good = fill_template(template, tmp_path / "good.xlsx", city2019, {"unit": "市商务局", "year": 2019})

    for named in (project, tmp_path / "无此配置.toml"):  # the folder, not the file in it; no file at all
        result = runner.invoke(app, ["check", str(good), "--config", str(named)])
        assert result.exit_code == 2 and f"找不到配置文件 {named}" in result.output, result.output
    # where no project is set up (no config/rollup.toml here), a file is still checked on its own
    monkeypatch.chdir(tmp_path)
    alone = runner.invoke(app, ["check", str(good)])
    assert alone.exit_code == 0, alone.output


def test_template_for_one_unit_and_for_all(project):
    config = ["--config", str(project / "rollup.toml")]
    one = runner.invoke(app, ["template", "--year", "2021", "--unit", "商务局", *config])
    assert one.exit_code == 0, one.output
    assert [p.name for p in (project / "outbox" / "templates" / "2021").iterdir()] == ["乐清市商务局.xlsx"]
    every = runner.invoke(app, ["template", "--all", *config])
    assert every.exit_code == 0 and len(list((project / "outbox" / "templates" / "2019").iterdir())) == 74
    unknown = runner.invoke(app, ["template", "--unit", "外星局", *config])
    assert unknown.exit_code == 2 and "外星局" in unknown.output


def test_sample_writes_the_demo_and_never_overwrites(tmp_path):
    settings_for(tmp_path, tmp_path / "inbox")
    config = ["--config", str(tmp_path / "rollup.toml")]
    expected = ["--expected", str(REPORTS / "expected.json")]
    first = runner.invoke(app, ["sample", *expected, *config])
    assert first.exit_code == 0, first.output
    assert len(list((tmp_path / "inbox").iterdir())) == 71 and "未报送：龙西乡" in first.output
    again = runner.invoke(app, ["sample", *expected, *config])
    assert again.exit_code == 2 and "已存在" in again.output
    receipts = load_receipts(tmp_path / "receipts.csv")
    assert set(receipts) == {p.name for p in (tmp_path / "inbox").iterdir()}
    shipped = load_receipts(REPO / "config" / "receipts.csv")
    assert receipts == shipped  # the shipped receipts are what `rollup sample` writes


def test_the_shipped_sample_shows_on_time_late_missing_and_to_correct(tmp_path):
    settings = load_settings(REPO / "config" / "rollup.toml")
    settings.paths.ledger = tmp_path / "ledger.sqlite"  # read the shipped inbox, write nothing in the checkout
    report = pipeline.track(settings, as_of=date(2020, 3, 1)).status
    by_standing = {s: sorted(u.unit.name for u in report.with_standing(s)) for s in Standing}
    assert by_standing[Standing.MISSING] == ["乐清市气象局", "乐清市退役军人事务局", "龙西乡"]
    assert by_standing[Standing.LATE] == ["乐清市民政局", "仙溪镇", "翁垟街道"]
    assert by_standing[Standing.TO_CORRECT] == ["乐清市住房和城乡建设局"]
    assert len(by_standing[Standing.ON_TIME]) == 67 and by_standing[Standing.CORRECTED] == []
    assert {u.unit.name: u.days_late for u in report.late} == {"乐清市民政局": 5, "翁垟街道": 12, "仙溪镇": 2}
    assert all(u.days_late == 30 for u in report.with_standing(Standing.MISSING))
    assert (report.counts["合计"].received, report.counts["合计"].on_time) == (71, 68)


COMMANDS = [c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands]


def test_the_command_list_is_complete():
    assert {"consolidate", "status", "history", "accept", "check", "template", "sample"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_text_and_a_readme_section(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and len(result.output) > 100
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"\n### `rollup {command}" in readme


def test_python_dash_m_rollup_is_the_same_command():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "rollup", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert all(command in result.stdout for command in COMMANDS)


def test_file_errors_are_one_chinese_line_with_exit_2(tmp_path):
    settings_for(tmp_path, tmp_path / "inbox")
    result = runner.invoke(
        app, ["sample", "--expected", str(tmp_path / "无此文件.json"), "--config", str(tmp_path / "rollup.toml")]
    )
    assert result.exit_code == 2 and "找不到文件或文件夹" in result.output and "无此文件.json" in result.output
    assert "Traceback" not in result.output and "Errno" not in result.output


ENGLISH = (
    "Usage",
    "Options",
    "Arguments",
    "Commands",
    "Show this message",
    "[default:",
    "[required]",
    "Error",
    "<bool>",
)


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_screens_are_in_chinese(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "用法：" in result.output and "选项" in result.output and "显示本帮助并退出。" in result.output
    assert not [word for word in ENGLISH if word in result.output], result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nosuch"], "没有这个命令：'nosuch'"),
        (["consolidate", "--year", "abc"], "'--year' / '-y' 的值无效：应为整数"),
        (["consolidate", "--bogus"], "没有这个选项：--bogus"),
        (["consolidate", "--as-of"], "选项 '--as-of' 后面需要写一个值"),
        (["consolidate", "--as-of", "2020-13-01"], "“2020-13-01”不是有效的日期"),
        (["consolidate", "extra"], "多余的参数：extra"),
        (["accept"], "缺少参数 '单位'"),
        (["accept", "商务局", "row_total"], "缺少选项 '--reason' / '-r'"),
        (["check", "无此文件.xlsx"], "文件 '无此文件.xlsx' 不存在"),
        (["check", "--format", "xml", "x"], "'xml' 不是可选的值"),
    ],
)
def test_usage_errors_are_in_chinese_with_exit_2(args, words):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert words in result.output and "错误" in result.output
    assert not [
        word for word in ("Invalid value", "No such", "Missing", "Got unexpected", "Try '") if word in result.output
    ]


def test_a_missing_config_says_where_it_looked_and_how_to_point_elsewhere(tmp_path):
    result = runner.invoke(app, ["status", "--config", str(tmp_path / "无此配置.toml")])
    assert result.exit_code == 2
    assert f"找不到配置文件 {tmp_path / '无此配置.toml'}" in result.output and "--config" in result.output
