"""The reading corpus (tests/corpusgen.py): reports as units really send them, each read back
exactly against the form data it was made from, in the style of test_report_formats.py. The
committed files (PDFs printed by LibreOffice, Word 97, LibreOffice's web page) come from
tests/corpus/make_corpus.py; the other containers are written here."""

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, expected_report
from corpusgen import CASES, CONTAINERS, Case, containers_for, spec_for
from reportgen import ReportSpec, report_text, write_docx, write_pdf, write_text, write_word_html, write_workbook
from typer.testing import CliRunner

from rollup.cli import app
from rollup.ingest import convert, read_submission

REAL = ["yueqing-2019-city.txt", "yueqing-govoffice-2021.txt", "yueqing-commerce-2020.txt"]


def case(file: str) -> Case:
    return next(c for c in CASES if c.file == file)


CORPUS_KANGXI = case("kangxi-2021.pdf").path


def reading(submission) -> dict:
    return {
        "edition": submission.edition,
        "year": submission.year,
        "unit": submission.unit,
        "values": submission.values,
        "notes": submission.notes,
        "marks": submission.marks,
        "findings": sorted({f.rule for f in submission.findings}),
    }


def rendered(spec: ReportSpec, narrative: bool = True) -> dict:
    """What a reader must get from a report made from ``spec``: the data, the blank marks, and
    the findings the data itself calls for (blank cells; a narrative figure changed on purpose,
    unless the container has no narrative, as a workbook has none)."""
    stated = narrative and bool(spec.narrative)
    return {
        "edition": spec.edition.edition,
        "year": spec.year,
        "unit": spec.unit,
        "values": spec.expected_values(),
        "notes": dict(spec.notes),
        "marks": dict.fromkeys(spec.blanks, "blank"),
        "findings": sorted(rule for rule, due in (("blank_cell", spec.blanks), ("narrative_mismatch", stated)) if due),
    }


# --- the committed files -----------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_committed_corpus_file_reads_back_exactly(case: Case):
    if case.make == "doc" and convert.soffice() is None:
        pytest.skip("Word 97 is read through LibreOffice, which is not installed here")
    assert reading(read_submission(case.path)) == rendered(spec_for(case))


def test_corpus_pdfs_have_what_they_stand_for():
    """The printed PDFs are what the corpus claims: ruled tables, table B over a page break with
    a row split by it, merged label cells; the Kangxi file's text layer in Kangxi radicals with a
    part's 、 on a line of its own."""
    import pdfplumber

    with pdfplumber.open(case("city-2019.pdf").path) as pdf:
        tables = [(number, t.extract()) for number, page in enumerate(pdf.pages) for t in page.find_tables()]
    b_pages = [number for number, rows in tables if str(rows[0][1]).endswith("情形）") or rows[0][2] == "申请人情况"]
    c_pages = [number for number, rows in tables if rows[0][0] == "行政复议" or str(rows[0][1]).endswith("局\n）")]
    assert (b_pages, c_pages) == ([0, 1], [1, 2])  # table B and table C's row run over page breaks
    assert any(None in row for _, rows in tables for row in rows)  # merged cells
    with pdfplumber.open(CORPUS_KANGXI) as pdf:
        text = pdf.pages[0].extract_text()
    assert "\u2f00" in text and "\u2f8f" in text and "\n、\n" in text


# --- containers written here ----------------------------------------------------------------


@pytest.mark.parametrize("case", [c for c in CASES if c.make != "text-pdf"], ids=lambda c: c.file)
def test_every_container_reads_back_exactly(tmp_path, case: Case):
    spec = spec_for(case)
    names = containers_for(spec)
    readings = {name: reading(read_submission(CONTAINERS[name](tmp_path / name, spec))) for name in names}
    assert readings == {name: rendered(spec, narrative=not name.startswith("own.")) for name in names}


def test_web_page_named_doc_is_gb2312_html_with_filler_cells(tmp_path):
    spec = spec_for(case("city-2019.pdf"))
    data = write_word_html(tmp_path / "报告.doc", spec).read_bytes()
    assert b"charset=gb2312" in data and b"<td width=64 valign=top" in data
    assert reading(read_submission(tmp_path / "报告.doc")) == rendered(spec)


def test_own_workbook_has_other_sheet_names_title_rows_and_merged_headers(tmp_path):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(write_workbook(tmp_path / "年报.xlsx", spec_for(case("city-2019.pdf")), "sheets"))
    first = book.get_sheet_by_name("表1")
    assert (book.sheet_names, first.to_python()[0][0][-3:], len(first.merged_cell_ranges or []) > 5) == (
        ["表1", "表2", "表3"],
        "统计表",
        True,
    )


@pytest.mark.parametrize("name", ["年报.xls", "年报.et", "年报.xlsx"])
def test_own_workbook_in_any_excel_format_and_name(tmp_path, name):
    spec = spec_for(case("county-2020.pdf"))
    made = write_workbook(tmp_path / ("made.xls" if name != "年报.xlsx" else "made.xlsx"), spec, "one_sheet")
    path = Path(shutil.copyfile(made, tmp_path / name))
    assert reading(read_submission(path)) == rendered(spec)


@pytest.mark.parametrize(
    "kind, name", [("official.docx", "报告.doc"), ("official.docx", "报告.xlsx"), ("own.xlsx", "报告.xls")]
)
def test_format_is_told_by_content_not_name(tmp_path, kind, name):
    """A .docx renamed .doc or .xlsx, a workbook named .xls: each is read by what it is."""
    spec = spec_for(case("govoffice-2021.pdf"))
    made = CONTAINERS[kind](tmp_path / kind, spec)
    wrong = Path(shutil.copyfile(made, tmp_path / name))
    assert reading(read_submission(wrong)) == rendered(spec, narrative=kind != "own.xlsx")


def test_html_inside_a_txt_is_a_web_page(tmp_path):
    spec = spec_for(case("govoffice-2021.pdf"))
    html = write_word_html(tmp_path / "page.html", spec).read_bytes()
    (tmp_path / "报告.txt").write_bytes(html)
    assert reading(read_submission(tmp_path / "报告.txt")) == rendered(spec)


def test_word_single_file_web_page_is_read(tmp_path):
    spec = spec_for(case("govoffice-2021.pdf"))
    page = write_word_html(tmp_path / "page.html", spec).read_bytes()
    mht = (
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="----=_NextPart_01"\r\n\r\n'
        b'------=_NextPart_01\r\nContent-Location: file:///C:/report.htm\r\nContent-Type: text/html; charset="gb2312"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + page + b"\r\n------=_NextPart_01--\r\n"
    )
    (tmp_path / "报告.doc").write_bytes(mht)
    assert reading(read_submission(tmp_path / "报告.doc")) == rendered(spec)


# --- rows with cells missing: nothing invented --------------------------------------------


@pytest.mark.parametrize("layout", ["one_line", "pipes"])
def test_a_row_missing_a_middle_group_keeps_only_groups_that_check(tmp_path, layout):
    """Table C's row "41 1 2 6 50 0 0 78": the 行政复议 group checks and is kept; of the other
    numbers nobody can say which cells they are, so none is placed."""
    spec = spec_for(case("town-2022.pdf"))
    values = dict(spec.values) | {"C.review.upheld": 41, "C.review.corrected": 1, "C.review.other": 2}
    values |= {"C.review.pending": 6, "C.review.total": 50, "C.suit_after_review.total": 78}
    values |= {"C.suit_after_review.other": 78, "C.suit_after_review.pending": 0}
    group = [c.code for c in spec.edition.table("C").cells]
    dropped = frozenset(group[5:12])  # the numbers left are 0 0 78: suit_after_review's last three
    spec = replace(spec, values=values, dropped=dropped)
    submission = read_submission(write_text(tmp_path / "报告.txt", report_text(spec, layout)))
    c_values = {code: v for code, v in submission.values.items() if code.startswith("C.")}
    assert c_values == {code: values[code] for code in group[:5]}
    (finding,) = [f for f in submission.findings if f.rule == "incomplete_table"]
    assert finding.table == "C" and "未经复议直接起诉；复议后起诉" in finding.message


def test_the_text_fallback_reads_a_pdf_without_rulings(tmp_path):
    spec = spec_for(case("town-2022.pdf"))
    path = write_pdf(tmp_path / "报告.pdf", report_text(spec, "one_line"))
    assert reading(read_submission(path)) == rendered(spec)


# --- the shared real reports through every container --------------------------------------


def check_json(*paths: Path) -> list[dict]:
    result = CliRunner().invoke(
        app, ["check", *map(str, paths), "--format", "json", "--config", str(REPO / "config" / "rollup.toml")]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def real_case(name: str) -> Case:
    return next(c for c in CASES if c.data == name and c.make == "pdf")


@pytest.mark.parametrize("name", REAL)
def test_real_reports_stay_exact_through_docx_pdf_and_html(tmp_path, name):
    spec = spec_for(real_case(name))
    files = [
        write_docx(tmp_path / "报告.docx", spec, "official"),
        write_docx(tmp_path / "表格.docx", spec, "tables"),
        real_case(name).path,
        write_word_html(tmp_path / "网页.doc", spec),
        write_word_html(tmp_path / "网页.html", spec),
    ]
    expected = expected_report(name)
    for entry in check_json(*files):
        assert (entry["values"], entry["notes"], entry["year"]) == (
            expected["values"],
            expected["notes"],
            expected["year"],
        )
        for wanted in expected["expected_findings"]:
            assert any(all(f[k] == v for k, v in wanted.items()) for f in entry["findings"]), (entry["file"], wanted)


def test_check_on_a_pdf_prints_no_library_log(tmp_path):
    """pdfminer warns for every font it cannot measure ("Could not get FontBBox…"); none of it
    reaches the clerk's console."""
    path = write_pdf(tmp_path / "报告.pdf", report_text(spec_for(case("govoffice-2021.pdf")), "one_line"))
    data = path.read_bytes()
    broken = re.sub(rb"(?<=/FontBBox \[)[^\]]*", lambda m: re.sub(rb"[-\d.]", b"x", m.group()), data)
    assert broken != data
    path.write_bytes(broken)
    result = CliRunner().invoke(app, ["check", str(path), "--config", str(REPO / "config" / "rollup.toml")])
    assert result.exit_code == 0 and "FontBBox" not in result.output and "报告.pdf" in result.output


# --- old binary formats -------------------------------------------------------------------


def test_word_97_without_libreoffice_says_how_to_resave(monkeypatch):
    monkeypatch.setattr(convert.shutil, "which", lambda name: None)
    case = next(c for c in CASES if c.make == "doc")
    (finding,) = read_submission(case.path).findings
    assert finding.rule == "needs_conversion" and case.path.name in finding.message
    assert "另存为" in finding.message and ".docx" in finding.message


@pytest.mark.parametrize(
    ("parts", "converts"),
    [(("scalc", "libsclo.so"), False), (("scalc", "swriter", "libswlo.so"), True), ((), True)],
    ids=["Calc alone", "Calc and Writer", "a launcher that shows no parts"],
)
def test_word_97_is_sent_to_libreoffice_only_where_writer_can_open_it(tmp_path, monkeypatch, parts, converts):
    program = tmp_path / "program" / "soffice"
    program.parent.mkdir()
    for name in ("soffice", *parts):
        (program.parent / name).write_bytes(b"")
    monkeypatch.setattr(convert.shutil, "which", lambda name: str(program))
    assert convert.soffice() == (str(program) if converts else None)
    if not converts:  # told to resave, not that a sound file is damaged
        (finding,) = read_submission(next(c for c in CASES if c.make == "doc").path).findings
        assert finding.rule == "needs_conversion" and "Writer" in finding.message


def test_a_workbook_in_ole_form_is_never_sent_to_conversion(tmp_path, monkeypatch):
    monkeypatch.setattr(convert.shutil, "which", lambda name: None)
    spec = spec_for(case("city-2019.pdf"))
    path = write_workbook(tmp_path / "年报.xls", spec, "sheets")
    wps = Path(shutil.copyfile(path, tmp_path / "年报.et"))
    assert reading(read_submission(wps)) == rendered(spec)


def test_the_file_given_is_never_touched(tmp_path):
    case = next(c for c in CASES if c.make == "doc")
    copy = Path(shutil.copyfile(case.path, tmp_path / case.file))
    before = copy.read_bytes(), copy.stat().st_mtime_ns
    read_submission(copy)
    assert (copy.read_bytes(), copy.stat().st_mtime_ns) == before and sorted(tmp_path.iterdir()) == [copy]


def test_a_library_exception_is_a_chinese_finding_with_the_original_in_detail(tmp_path):
    path = tmp_path / "坏.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
    (entry,) = json.loads(
        CliRunner()
        .invoke(app, ["check", str(path), "--format", "json", "--config", str(REPO / "config" / "rollup.toml")])
        .stdout
    )
    (finding,) = entry["findings"]
    assert finding["rule"] == "unreadable_file" and "坏.pdf" in finding["message"]
    assert not re.search(r"[A-Za-z]{4,}", finding["message"]) and "Root" in finding["detail"]
