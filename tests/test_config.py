from datetime import date
from pathlib import Path

import openpyxl
import pytest

from rollup.config import ConfigError, load_settings
from rollup.roster import load_roster

REPO = Path(__file__).resolve().parents[1]
HEADER = "编码,单位名称,类别,别名,联系人,电话,邮箱,截止日期\n"


def test_shipped_sample_config_and_roster():
    settings = load_settings(REPO / "config" / "rollup.toml")
    assert settings.region == "乐清市" and settings.year == 2019
    assert settings.deadline(2019) == date(2020, 1, 31)
    roster = load_roster(settings.roster_path, settings.region)
    categories = [u.category for u in roster]
    assert categories.count("部门") == 49 and categories.count("乡镇街道") == 25
    assert roster.match("市商务局").name == "乐清市商务局"


def test_default_deadline_is_31_january_of_the_next_year(tmp_path):
    path = tmp_path / "rollup.toml"
    path.write_text('region = "测试市"\nyear = 2021\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.deadline(2021) == date(2022, 1, 31)
    assert settings.inbox == tmp_path.parent / "inbox"
    assert settings.outputs.detail_in_workbook_max == 500


@pytest.mark.parametrize(
    "text, words",
    [
        ('region = "测试市"\nyear = "二〇一九"\n', ["year"]),
        ('region = "测试市"\nyear = 2019\ncolour = "red"\n', ["colour"]),
        ('region = "测试市"\nyear = 2019\n[paths\n', ["第 3 行"]),
        ("year = 2019\n", ["region"]),
        (
            'region = "测试市"\nyear = 2019\n[outputs]\ndetail_in_workbook_max = -1\n',
            ["detail_in_workbook_max", "数值太小"],
        ),
        ('region = "测试市"\nyear = 2019\n[outputs]\ndetail_max = 10\n', ["detail_max", "不认识"]),
    ],
)
def test_a_bad_settings_file_names_the_file_and_the_field_or_line(tmp_path, text, words):
    path = tmp_path / "rollup.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_missing_settings_file(tmp_path):
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_settings(tmp_path / "nope.toml")


def test_roster_csv_with_bom_comments_and_both_alias_separators(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "# 示例\n" + HEADER + "D1,乐清市商务局,部门,市商务局；商务局;商务,张三,0577-1,a@example.gov.cn,2020-02-10\n"
        "T1,柳市镇,乡镇街道,,,,,\n",
        encoding="utf-8-sig",
    )
    roster = load_roster(path, "乐清市")
    unit = roster.match("商务")
    assert unit.aliases == ("市商务局", "商务局", "商务") and unit.deadline == date(2020, 2, 10)
    assert roster.match("柳市镇").category == "乡镇街道"


def test_roster_from_xlsx(tmp_path):
    path = tmp_path / "units.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.strip().split(","))
    wb.active.append(["D1", "乐清市商务局", "部门", "市商务局", "张三", "0577-1", "", None])
    wb.save(path)
    assert load_roster(path, "乐清市").match("商务局").id == "D1"


@pytest.mark.parametrize(
    "body, words",
    [
        ("D1,商务局,,,,,,\n", ["第 2 行", "类别"]),
        ("D1,商务局,部门,,,,,\nD1,财政局,部门,,,,,\n", ["第 3 行", "编码 D1"]),
        ("D1,商务局,部门,,,,,2020-13-40\n", ["第 2 行", "截止日期"]),
        ("D1,商务局,部门,,,,,\nD2,乐清市商务局,部门,,,,,\n", ["重复"]),
    ],
)
def test_a_bad_roster_names_the_file_and_the_line(tmp_path, body, words):
    path = tmp_path / "units.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_roster(path, "乐清市")
    for word in [str(path), *words]:
        assert word in str(info.value)


def test_a_province_roster_checks_every_row_though_it_parses_each_deadline_and_years_once(tmp_path):
    path = tmp_path / "units.csv"
    rows = [f"D{n},第{n}局,部门,,,,,2020-02-10,2019,\n" for n in range(1, 300)]
    path.write_text(HEADER.strip() + ",启用年份,停用年份\n" + "".join(rows), encoding="utf-8")
    units = list(load_roster(path))
    assert len(units) == 299 and {(u.deadline, u.active_from, u.active_until) for u in units} == {
        (date(2020, 2, 10), 2019, None)
    }
    assert len({u.name for u in units}) == 299
    rows[200] = "D201,第201局,部门,,,,,2020-02-10,1800,\n"  # the same deadline, a year out of range
    path.write_text(HEADER.strip() + ",启用年份,停用年份\n" + "".join(rows), encoding="utf-8")
    with pytest.raises(ConfigError, match="第 202 行有误：启用年份：数值太小"):
        load_roster(path)


def test_a_roster_row_is_named_by_its_line_in_the_file_past_comments_and_quoted_line_breaks(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "# 名册\n\n" + HEADER + 'D1,商务局,部门,,"王\n李",,,\n# 注释\n\nD2,财政局,部门,,,,,2020-13-40\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="第 8 行有误：截止日期"):
        load_roster(path)


def test_roster_missing_a_column(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("编码,名称\nD1,商务局\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="缺少列：单位名称、类别"):
        load_roster(path)


def _mail_config(tmp_path, sections: str):
    path = tmp_path / "rollup.toml"
    path.write_text('region = "乐清市"\nyear = 2019\n' + sections, encoding="utf-8")
    return load_settings(path)


def test_readme_mail_example_is_a_valid_config(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = next(block for block in readme.split("```toml\n")[1:] if block.startswith("[smtp]")).split("```")[0]
    settings = _mail_config(tmp_path, example)
    assert (settings.smtp.host, settings.smtp.effective_port, settings.smtp.security) == (
        "mail.example.gov.cn",
        465,
        "ssl",
    )
    assert (
        settings.smtp.sender == "乐清市政务公开 <gk@example.gov.cn>"
        and settings.smtp.password_env == "ROLLUP_SMTP_PASSWORD"
    )
    assert settings.notify.recipients == ["gk@example.gov.cn", "leader@example.gov.cn"]


def test_smtp_port_follows_the_security_unless_given(tmp_path):
    ports = {}
    for security in ("ssl", "starttls", "none"):
        smtp = _mail_config(tmp_path, f'[smtp]\nhost = "h"\nfrom = "a@b.cn"\nsecurity = "{security}"\n').smtp
        ports[security] = smtp.effective_port
    assert ports == {"ssl": 465, "starttls": 587, "none": 25}
    assert _mail_config(tmp_path, '[smtp]\nhost = "h"\nfrom = "a@b.cn"\nport = 2525\n').smtp.effective_port == 2525


@pytest.mark.parametrize(
    "sections, words, secret",
    [
        ('[smtp]\nhost = "h"\nfrom = "a@b.cn"\npassword = "hunter2"\n', "密码不能写在配置文件中", "hunter2"),
        ('[smtp]\nhost = "h"\nfrom = "a@b.cn"\nsecurity = "tls"\n', "smtp.security：取值无效", None),
        ('[smtp]\nhost = "h"\n', "smtp.from：缺少此项", None),
        ('[notify]\nrecipients = "gk@example.gov.cn"\n', "notify.recipients：应为列表", None),
    ],
)
def test_bad_mail_settings_are_named_in_the_editors_words(tmp_path, sections, words, secret):
    with pytest.raises(ConfigError) as failure:
        _mail_config(tmp_path, sections)
    assert words in str(failure.value)
    assert secret is None or secret not in str(failure.value)


def test_a_roster_saved_by_excel_as_gbk_with_free_categories_and_a_multiline_field(tmp_path):
    path = tmp_path / "units.csv"
    text = (
        "# 温州市名册：各县（市、区）和市直部门\n编码,单位名称,类别,别名,联系人\n"
        'C01,乐清市,县市区,"乐清;乐清市人民政府","王\n# 不是注释：在引号里"\n'
        "D01,温州市商务局,市直部门,,\n"
    )
    path.write_bytes(text.encode("gbk"))
    roster = load_roster(path, "温州市")
    assert [(u.id, u.category) for u in roster] == [("C01", "县市区"), ("D01", "市直部门")]
    assert roster.categories == ("县市区", "市直部门")
    assert roster.get("C01").contact == "王\n# 不是注释：在引号里"
    assert roster.match("乐清").id == "C01"


def test_the_receipts_file_beside_the_config_is_used_without_a_setting(tmp_path):
    path = tmp_path / "rollup.toml"
    path.write_text('region = "测试市"\nyear = 2021\n', encoding="utf-8")
    assert load_settings(path).receipts_path is None
    (tmp_path / "receipts.csv").write_text("文件,收到时间\n", encoding="utf-8")
    assert load_settings(path).receipts_path == tmp_path / "receipts.csv"
    path.write_text('region = "测试市"\nyear = 2021\n[paths]\nreceipts = "登记.csv"\n', encoding="utf-8")
    assert load_settings(path).receipts_path == tmp_path / "登记.csv"


def test_a_missing_config_says_where_it_looked_and_how_to_point_elsewhere(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nowhere" / "rollup.toml")
    assert str(tmp_path / "nowhere" / "rollup.toml") in str(info.value) and "--config" in str(info.value)
