"""The region's report in Word: the official tables with their notes, drafts under 总体情况, and
rollup's own Word reader gives the consolidated figures back, in both editions."""

import docx
import pytest
from conftest import expected_report

from rollup.forms import editions
from rollup.ingest import read_submission
from rollup.render.draft import draft_paragraphs
from rollup.render.word import cell_words, write_report


@pytest.mark.parametrize("file", ["yueqing-2019-city.txt", "yueqing-govoffice-2021.txt"])
def test_the_word_report_reads_back_to_the_figures_it_was_made_from(tmp_path, file):
    entry = expected_report(file)
    edition = editions()[entry["edition"]]
    values, notes = entry["values"], entry["notes"]
    drafts = draft_paragraphs(edition, region="乐清市", year=entry["year"], values=values, notes=notes)
    path = write_report(
        tmp_path / "报告.docx",
        edition,
        title=f"乐清市{entry['year']}年政府信息公开工作年度报告",
        values=values,
        notes=notes,
        drafts=drafts,
    )
    again = read_submission(path)
    assert (again.year, again.edition, again.unit) == (entry["year"], entry["edition"], "乐清市")
    assert again.values == values and again.notes == notes
    assert [f.rule for f in again.findings] == []  # the drafts agree with the tables they describe

    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    overview = texts.index("一、总体情况")
    assert texts[overview + 1 : overview + 4] == [drafts["二"], drafts["三"], drafts["四"]]
    assert len(document.tables) == 3
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert ("1（市自然资源和规划局）" in cells) == (file == "yueqing-2019-city.txt")


def test_figures_are_written_as_the_official_report_writes_them():
    assert cell_words(338, None, "signed") == "增 338"
    assert cell_words(-313, None, "signed") == "减 313"
    assert cell_words(0, None, "signed") == "0"
    assert cell_words(9282.3866, None, "money") == "9282.3866"
    assert cell_words(1, "撤回") == "1（撤回）"
    assert cell_words(None, "x") == ""
