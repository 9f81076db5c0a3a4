"""Whose report it is and which year it is on, from the report's own words: the title, the
statistics period, the overview's years, the issuing line at the end (落款) — never a number
from a table, never whatever line happens to come first."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
PERIOD = re.compile(
    r"统计[^。\d]{0,8}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*[至到\-—~]\s*((?:19|20)\d{2})\s*年\s*12\s*月\s*31\s*日"
)
_TITLE_END = re.compile(r"(?:信息公开|政务公开).{0,12}?(?:报告|年报)(?:统计表|附表|数据表)?$")
_TITLE = re.compile(r"^(?P<before>.*?)((?:19|20)\d{2})年度?(?P<after>.*?)(?:政府信息公开|政务公开|信息公开)")
_NAMED = re.compile(
    r"由(?P<unit>[^\s,，。]{2,30}?)(?:\(单位名称\))?编制|填报单位(?:[:：]|\t)\s*(?P<filled>[^\s\t,，。]{2,30})"
)
# A workbook's cover field, in the cell beside its label (a tab between them) or after a colon.
_FILLED_YEAR = re.compile(r"报告年度(?:[:：]|\t)\s*((?:19|20)\d{2})")
_DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?")
# How the names of government bodies end: what tells a 落款 from the last sentence of a report.
_BODY = re.compile(
    r"(?:局|委|办|院|府|厅|处|室|中心|站|所|队|会|社|馆|街道|镇|乡|区|县|市|部|署|公司|集团|委员会|管委会|分局|支队|大队)$"
)
_SIGN_OFF_LINES = 8  # the 落款 is among the last lines of a report
_TITLE_LINES = 15  # the title is among the first (after a web page's breadcrumbs)


def find_title(texts: Sequence[str]) -> str:
    """The report's title (…2019年政府信息公开工作年度报告), which may be broken over up to three
    lines and preceded by a web page's breadcrumbs; "" when the report has none. The shortest run
    of lines that reads as a title wins; when it starts with the year, the unit is the line
    before."""
    texts = ["".join(t.split()) for t in texts if t.strip()][:_TITLE_LINES]
    for size in (1, 2, 3):
        for i in range(len(texts) - size + 1):
            title = "".join(texts[i : i + size])
            if YEAR.search(title) and _TITLE_END.search(title):
                if i > 0 and not unit_in_title(title):
                    title = texts[i - 1] + title
                return title
    return ""


def unit_in_title(title: str) -> str:
    match = _TITLE.match(title)
    if match:
        unit = match["before"] or match["after"]
    elif "信息公开" in title or "政务公开" in title:
        unit = re.split(r"政府信息公开|信息公开|政务公开", title)[0]
    else:
        unit = ""
    return unit.replace("(单位名称)", "").strip()


def overview_year(texts: Sequence[str]) -> int | None:
    """The year the overview (一、总体情况) speaks of most; none when two years tie."""
    counts = Counter(int(m[1]) for text in texts for m in YEAR.finditer(text)).most_common(2)
    if not counts or (len(counts) == 2 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]


def sign_off_unit(texts: Sequence[str]) -> str | None:
    """The issuing body of the 落款 that ends a report: a body's name followed by the date,
    on one line ("乐清市商务局 2021年1月") or two."""
    tail = [" ".join(t.split()) for t in texts if t.strip()][-_SIGN_OFF_LINES:]
    for i in range(len(tail) - 1, -1, -1):
        date = _DATE.search(tail[i])
        if date is None or tail[i][date.end() :].strip():
            continue
        before = tail[i][: date.start()].strip()
        name = before or (tail[i - 1] if i > 0 else "")
        if _is_body(name):
            return name
    return None


def filled_year(text: str) -> int | None:
    """The year a form's cover field gives: "报告年度：2019", or 2019 in the cell beside the label."""
    found = _FILLED_YEAR.search(text)
    return int(found[1]) if found else None


def named_unit(text: str) -> str | None:
    """A unit the report names itself: "由乐清市商务局编制", "填报单位：乐清市商务局"."""
    found = _NAMED.search(text)
    return (found["unit"] or found["filled"]) if found else None


def _is_body(name: str) -> bool:
    name = name.replace(" ", "")
    return 2 <= len(name) <= 40 and not re.search(r"[。，,：:；;\d]", name) and bool(_BODY.search(name))
