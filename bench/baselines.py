"""What rollup's read + validate is compared with, on the same files: the loop a user would
write with pandas, and python-calamine's bare read (the floor for any calamine-based reader)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from bench.clock import Lap, lap
from rollup.ingest import read_submission


def naive_pandas(files: Sequence[Path], sheets: Sequence[str]) -> tuple[Lap, float]:
    """The time to read every file with ``pandas.read_excel(sheet_name=None, engine="openpyxl")``
    and sum every number of the three tables' sheets; and that sum (which must equal
    ``rollup_sum`` of the same files, or the comparison is not like for like)."""
    total = 0.0
    with lap() as taken:
        for path in files:
            frames = pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)
            for sheet in sheets:
                cells = pd.Series(frames[sheet].to_numpy().ravel())
                total += float(pd.to_numeric(cells, errors="coerce").sum())
    return taken, total


def calamine_bare(files: Sequence[Path]) -> Lap:
    """The time to open every file with python-calamine and read every sheet into Python lists."""
    with lap() as taken:
        for path in files:
            workbook = CalamineWorkbook.from_path(str(path))
            for name in workbook.sheet_names:
                workbook.get_sheet_by_name(name).to_python()
    return taken


def rollup_sum(files: Sequence[Path]) -> float:
    """The sum of every cell value rollup reads from ``files``."""
    return float(sum(sum(read_submission(path).values.values()) for path in files))
