"""The one findings table: a fixed set of columns that feeds the console, the 校验问题 sheet
and any later renderer alike."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from rollup.model import Finding

SEVERITY_WORDS = {"error": "错误", "warning": "警告"}
COLUMNS = ["单位", "文件", "级别", "规则", "表", "行", "列", "位置", "说明"]


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    rows = [
        [f.unit, f.file, SEVERITY_WORDS[str(f.severity)], f.rule, f.table or "", f.row or "", f.column or "", f.source or "", f.message]
        for f in findings
    ]
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)
