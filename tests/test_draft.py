"""Draft paragraphs of the region's report: every number from the consolidation, in the form's
words, with last year's figure and the change where known, and the units behind a correction."""

from rollup.render.draft import draft_paragraphs


def test_the_applications_paragraph_lists_the_results_that_happened(ed2019, city2019):
    drafts = draft_paragraphs(ed2019, region="乐清市", year=2019, values=city2019)
    assert drafts["三"] == (
        "2019年，乐清市共收到政府信息公开申请450件，上年结转0件；办结444件，其中予以公开191件、部分公开51件、"
        "不予公开45件、无法提供145件、不予处理12件；结转下年度继续办理6件。"
    )
    assert set(drafts) == {"二", "三", "四"}
    assert "新制作规章0件、规范性文件54件" in drafts["二"] and "采购总金额258590万元" in drafts["二"]


def test_last_years_figure_and_the_change_are_given_where_known(ed2019, city2019):
    last = dict(city2019, **{"B.1.total": 420, "C.review.total": 6, "A.penalty.decisions": 6000})
    drafts = draft_paragraphs(ed2019, region="乐清市", year=2019, values=city2019, last=last)
    assert "共收到政府信息公开申请450件（上年420件，增加30件）" in drafts["三"]
    assert "行政复议6件（上年6件，与上年持平）" in drafts["四"]
    assert "行政处罚决定5472件（上年6000件，减少528件）" in drafts["二"]


def test_corrections_name_the_units_behind_them(ed2019, city2019):
    drafts = draft_paragraphs(
        ed2019, region="乐清市", year=2019, values=city2019, notes={"C.review.corrected": "市自然资源和规划局"}
    )
    assert (
        drafts["四"]
        == "全年乐清市因政府信息公开被申请行政复议6件（结果纠正1件：市自然资源和规划局），被提起行政诉讼15件。"
    )


def test_the_2021_form_has_its_own_words(ed2021, office2021):
    drafts = draft_paragraphs(ed2021, region="乐清市", year=2021, values=office2021)
    assert drafts["二"].startswith("2021年，乐清市制发规章0件、行政规范性文件17件，废止规章0件、行政规范性文件198件")
    assert "其中予以公开17件、部分公开3件、无法提供9件" in drafts["三"]
    assert "收取行政事业性收费0万元" in drafts["二"]
