"""Round trips through the report readers: form data rendered as units publish their annual
reports (text in two layouts and four encodings, Word, a saved web page, PDF) and read back
with ``read_submission``. The data are the real 乐清 tables of ../shared/reports/expected.json:
the 2019 city report (2019 edition) and the 2021 government office report (2021 edition)."""

import re
from dataclasses import replace

import docx
import pdfplumber
import pytest
from conftest import REPORTS, expected_report
from reportgen import (
    ReportSpec,
    report_text,
    write_docx,
    write_html,
    write_pdf,
    write_scanned_pdf,
    write_text,
)

from rollup.forms import editions
from rollup.ingest import read_submission
from rollup.validate import validate

REAL = {"2019": "yueqing-2019-city.txt", "2021": "yueqing-govoffice-2021.txt"}
EDITIONS = sorted(REAL)
LAYOUTS = ["one_line", "one_per_line"]


def real_spec(edition: str, **changes) -> ReportSpec:
    entry = expected_report(REAL[edition])
    spec = ReportSpec(
        edition=editions()[entry["edition"]],
        values=entry["values"],
        notes=entry["notes"],
        unit=entry["unit"],
        year=entry["year"],
    )
    return replace(spec, **changes)


def commerce_blanks(edition: str) -> frozenset[str]:
    """Like 商务局 2020: every applicant column of table B left blank, only 总计 filled."""
    return frozenset(c.code for c in editions()[edition].table("B").cells if c.column.code != "total")


def reading(submission) -> dict:
    """What the reader got, in the terms a report is rendered from."""
    return {
        "edition": submission.edition,
        "year": submission.year,
        "unit": submission.unit,
        "values": submission.values,
        "notes": submission.notes,
        "findings": sorted(f.rule for f in submission.findings),
    }


def rendered(spec: ReportSpec, findings: tuple[str, ...] = ()) -> dict:
    return {
        "edition": spec.edition.edition,
        "year": spec.year,
        "unit": spec.unit,
        "values": spec.expected_values(),
        "notes": dict(spec.notes),
        "findings": sorted(findings),
    }


def rules(submission, severity: str) -> list[tuple[str, str | None]]:
    return sorted((f.rule, f.table) for f in submission.findings if str(f.severity) == severity)


def write(tmp_path, spec, kind):
    """One report file of the given kind: txt-<layout>, docx-<style>, html or pdf-<layout>."""
    name, _, variant = kind.partition("-")
    path = tmp_path / f"报告.{name}"
    if name == "txt":
        return write_text(path, report_text(spec, variant))
    if name == "docx":
        return write_docx(path, spec, variant)
    if name == "html":
        return write_html(path, spec)
    return write_pdf(path, report_text(spec, variant))


# --- the generator itself: the files look like the real ones -----------------------------


def _section(text: str) -> str:
    """The three tables of a report, every kind of whitespace removed."""
    return re.sub(r"\s", "", text[text.index("二、主动公开政府信息情况") : text.index("五、存在的主要问题")])


def test_one_per_line_is_the_real_2021_report_cell_by_cell():
    real = (REPORTS / REAL["2021"]).read_text(encoding="utf-8")
    assert _section(report_text(real_spec("2021"), "one_per_line")) == _section(real)


def test_one_line_rows_are_the_real_2019_report_rows():
    real = set((REPORTS / REAL["2019"]).read_text(encoding="utf-8").splitlines())
    text = report_text(real_spec("2019"), "one_line")
    rows = [line for line in text.splitlines() if re.fullmatch(r"\S*[^\d\s]+( (增 |减 )?\d+(万元)?){2,}", line)]
    assert len(rows) > 15 and [row for row in rows if row not in real] == []


def test_docx_tables_merge_cells_as_the_form_does(tmp_path, ed2019):
    table = docx.Document(write_docx(tmp_path / "报告.docx", real_spec("2019"), "tables")).tables[1]
    stub = [row.cells[0].text for row in table.rows]
    assert (stub.count("三、本年度办理结果"), [c.text for c in table.rows[0].cells].count("申请人情况")) == (20, 7)


def test_pdf_has_the_text_and_page_footers(tmp_path):
    with pdfplumber.open(write_pdf(tmp_path / "报告.pdf", report_text(real_spec("2019"), "one_line"))) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    assert ("（七）总计 351 92 0 0 0 1 444" in text, "— 2 —" in text) == (True, True)


def test_scanned_pdf_has_no_text(tmp_path):
    with pdfplumber.open(write_scanned_pdf(tmp_path / "扫描.pdf")) as pdf:
        assert [page.extract_text() for page in pdf.pages] == [""]


def test_narrative_names_only_figures_the_edition_states():
    with pytest.raises(ValueError):
        real_spec("2019", narrative={"不存在的数字": 1}).figures()


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_text_layouts_read_back(tmp_path, edition, layout):
    spec = real_spec(edition)
    assert reading(read_submission(write(tmp_path, spec, f"txt-{layout}"))) == rendered(spec)


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_text_encodings_read_back(tmp_path, edition, encoding):
    spec = real_spec(edition)
    path = write_text(tmp_path / "报告.txt", report_text(spec, "one_line"), encoding)
    assert reading(read_submission(path)) == rendered(spec)


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("kind", ["docx-tables", "docx-paragraphs", "html", "pdf-one_line", "pdf-one_per_line"])
def test_documents_read_back(tmp_path, edition, kind):
    spec = real_spec(edition)
    assert reading(read_submission(write(tmp_path, spec, kind))) == rendered(spec)


@pytest.mark.parametrize("kind", ["txt-one_line", "docx-tables", "html"])
def test_traditional_characters_read_the_same(tmp_path, kind):
    spec = real_spec("2019")
    assert reading(read_submission(write(tmp_path, replace(spec, traditional=True), kind))) == rendered(spec)


# --- blank and not-applicable cells --------------------------------------------------------

BLANK_KINDS = ["txt-one_line", "docx-tables", "html"]


@pytest.fixture(params=BLANK_KINDS)
def blank_report(request, tmp_path):
    spec = real_spec("2019", unit="乐清市商务局", year=2020, blanks=commerce_blanks("2019"))
    return spec, read_submission(write(tmp_path, spec, request.param))


def test_blank_cells_read_as_zero(blank_report):
    spec, submission = blank_report
    assert submission.values == spec.expected_values()


def test_blank_cells_warn_in_table_b(blank_report):
    _, submission = blank_report
    assert set(rules(submission, "warning")) == {("blank_cell", "B")}


def test_blank_cells_are_marked_blank(blank_report):
    spec, submission = blank_report
    assert submission.marks == dict.fromkeys(spec.blanks, "blank")


def test_one_per_line_cannot_show_a_blank():
    with pytest.raises(ValueError):
        report_text(real_spec("2021", blanks=commerce_blanks("2021")), "one_per_line")


NOT_APPLICABLE = {"A.rules.issued": "-", "B.3.6.3.natural": "—", "C.suit_direct.pending": "无"}


@pytest.mark.parametrize("kind", ["txt-one_line", "txt-one_per_line", "docx-tables", "html"])
def test_not_applicable_cells_read_as_zero_and_marked(tmp_path, kind):
    spec = real_spec("2021", written=NOT_APPLICABLE)
    submission = read_submission(write(tmp_path, spec, kind))
    assert (submission.values, submission.marks) == (
        spec.expected_values(),
        dict.fromkeys(NOT_APPLICABLE, "not_applicable"),
    )


# --- broken reports ------------------------------------------------------------------------

CUTS = [("A", 10), ("B", 40), ("C", 7)]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cut", CUTS)
def test_cut_table_is_an_incomplete_table_error(tmp_path, layout, cut):
    submission = read_submission(write(tmp_path, real_spec("2019", cut=cut), f"txt-{layout}"))
    assert rules(submission, "error") == [("incomplete_table", cut[0])]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cut", CUTS)
def test_cut_off_cells_stay_absent(tmp_path, layout, cut):
    spec = real_spec("2019", cut=cut)
    submission = read_submission(write(tmp_path, spec, f"txt-{layout}"))
    assert submission.values == spec.expected_values()


def test_docx_table_cut_after_a_row_is_incomplete(tmp_path):
    spec = real_spec("2021", cut=("B", 7 * 10))
    submission = read_submission(write(tmp_path, spec, "docx-tables"))
    assert (rules(submission, "error"), submission.values) == ([("incomplete_table", "B")], spec.expected_values())


def test_scanned_pdf_has_no_text_layer(tmp_path):
    submission = read_submission(write_scanned_pdf(tmp_path / "扫描件.pdf"))
    assert rules(submission, "error") == [("no_text_layer", None)]


@pytest.mark.parametrize("kind", ["txt-one_line", "docx-tables"])
def test_edition_is_taken_from_the_tables_not_the_year(tmp_path, kind):
    spec = real_spec("2019", year=2021)
    submission = read_submission(write(tmp_path, spec, kind))
    assert (submission.edition, rules(validate(submission), "error")) == ("2019", [("wrong_edition", None)])


@pytest.mark.parametrize("kind", ["txt-one_line", "txt-one_per_line", "docx-tables", "html"])
def test_narrative_disagreeing_with_the_tables_is_a_warning(tmp_path, kind):
    spec = real_spec("2019", narrative={"收到政府信息公开申请": 451})
    submission = read_submission(write(tmp_path, spec, kind))
    assert [rule for rule, _ in rules(submission, "warning")] == ["narrative_mismatch"]


@pytest.mark.parametrize("kind", ["txt-one_line", "txt-one_per_line", "docx-tables", "html"])
def test_omitted_part_is_a_warning(tmp_path, kind):
    spec = real_spec("2021", omit_parts=frozenset({5}))
    submission = read_submission(write(tmp_path, spec, kind))
    assert (rules(submission, "warning"), submission.values) == ([("missing_part", None)], spec.expected_values())
