"""The benchmark's generator stays honest: the files it writes are valid, distinct submissions
that rollup reads with no finding, for every edition. (The benchmark's times are not tested.)"""

import copy
import hashlib
import json
import os
import sys
from datetime import datetime
from pathlib import Path

import pytest

from rollup.config import load_settings
from rollup.findings import Severity
from rollup.forms import edition_for_year
from rollup.ingest import read_submission
from rollup.pipeline import expected_roster, track
from rollup.validate import validate

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench/ is a folder of the repository, not part of the package

from bench import report, stages  # noqa: E402
from bench.generate import Workload, generate  # noqa: E402

N = 5


@pytest.fixture(scope="module", params=[2019, 2025], ids=["2019 edition", "2021 edition"])
def workload(request, tmp_path_factory) -> Workload:
    return generate(tmp_path_factory.mktemp(f"bench{request.param}"), N, year=request.param)


def test_n_distinct_files_that_rollup_reads_with_no_finding(workload):
    settings = load_settings(workload.config)
    roster = expected_roster(settings, workload.year)
    submissions = [validate(read_submission(p), roster=roster, year=workload.year) for p in workload.files]
    assert len(submissions) == N == len(roster)
    assert [s.findings for s in submissions] == [()] * N
    assert {s.unit_id for s in submissions} == {u.id for u in roster}
    assert {s.edition for s in submissions} == {edition_for_year(workload.year).edition}
    assert all(len(s.values) == len(edition_for_year(workload.year).codes) for s in submissions)
    assert len({hashlib.sha256(p.read_bytes()).digest() for p in workload.files}) == N
    assert len({tuple(s.values.values()) for s in submissions}) == N


def test_every_unit_counts_on_time_in_a_consolidation(workload):
    tracked = track(load_settings(workload.config))
    assert len(tracked.consolidation.counted) == N
    # nothing to correct (where the form had a year before, its absence is said: info)
    assert {f.severity for f in tracked.consolidation.findings} <= {Severity.INFO}
    assert {str(u.standing) for u in tracked.status.units} == {"按时报送"}
    deadline = datetime(workload.year + 1, 1, 31)
    assert all(datetime.fromtimestamp(p.stat().st_mtime) < deadline for p in workload.files)


def test_a_workload_is_recognised_for_reuse_only_when_it_is_the_same(workload):
    assert workload.is_ready()
    assert not Workload(workload.folder, N + 1, workload.year, workload.seed).is_ready()
    assert not Workload(workload.folder, N, workload.year, workload.seed + 1).is_ready()
    copied = workload.files[0]
    received = copied.stat().st_mtime_ns
    os.utime(copied)  # a copy of the folder: received now, after the deadline
    assert not workload.is_ready()
    os.utime(copied, ns=(received, received))
    assert workload.is_ready()


def test_the_stage_timer_still_calls_the_pipeline_as_it_is(workload):
    run = stages.run_stages(workload.config)
    assert list(run.seconds) == list(stages.STAGES)
    assert all(run.seconds[stage] > 0 for stage in stages.STAGES)  # the pipeline entered each one
    # each output file timed on the side, inside "outputs" (明细数据.xlsx only above the threshold)
    assert set(run.parts) == set(stages.PARTS) - {"明细数据.xlsx"}
    assert 0 < sum(run.parts.values()) <= run.seconds["outputs"]
    assert (run.files, run.counted) == (N, N)
    assert run.findings in (0, N)  # no_last_year once a unit, where the form had a year before


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table of ``markdown``, as rows of cells."""
    tables: list[list[list[str]]] = []
    last = False
    for line in markdown.splitlines():
        row = line.startswith("|")
        if row:
            if not last:
                tables.append([])
            tables[-1].append([cell.strip() for cell in line.strip().strip("|").split("|")])
        last = row
    return tables


def test_results_render_with_a_column_for_each_kind_of_run_measured_or_a_dash_before_it_was():
    """RESULTS.md is rendered from every stored run, some made before the re-run after one file was
    saved again was measured: each table keeps one cell per column either way."""
    stored = list(json.loads((REPO / "bench" / "results.json").read_text(encoding="utf-8")).values())
    older = copy.deepcopy(stored)
    for result in older:
        for clock in ("process", "stages", "stages_cpu"):
            result[clock].pop("touched", None)
    newer = copy.deepcopy(older)
    for result in newer:  # measured, and slower than an unchanged re-run
        for clock in ("process", "stages", "stages_cpu"):
            result[clock]["touched"] = [
                {k: v * 3 if isinstance(v, float) else v for k, v in run.items()} for run in result[clock]["rerun"]
            ]
    for results, touched in ((older, False), (newer, True)):
        tables = _tables(report.render(results))
        assert all(len(row) == len(table[0]) for table in tables for row in table)
        summary = tables[0]
        column = summary[0].index("one file saved again")
        assert all((row[column] != "—") == touched for row in summary[2:])
        stage_headers = [t[0] for t in tables if t[0][0] == "stage"]
        assert len(stage_headers) == len(results)
        assert all(("one file saved again s" in header) == touched for header in stage_headers)
