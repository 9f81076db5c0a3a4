"""Start-up: the commands a clerk runs by hand (`rollup --help`, `rollup check FILE`) load none of
the heavy libraries that only the outputs and the other file kinds need. Checked by what a fresh
interpreter has imported, never by timing."""

import json
import subprocess
import sys

import pytest
from conftest import REPO

# pandas and openpyxl write the outputs; pdfplumber/pdfminer, docx read other kinds of file;
# matplotlib draws the email's chart.
HEAVY = {"pandas", "openpyxl", "pdfplumber", "pdfminer", "matplotlib", "docx"}

# Runs the command line as `rollup ARGS...` would (typer reads sys.argv), its output sent to
# stderr, then prints the exit status and the top-level packages imported, as JSON.
PROBE = """
import contextlib, json, sys
status = None
with contextlib.redirect_stdout(sys.stderr):
    from rollup.cli import app
    if sys.argv[1:]:
        try:
            app()
        except SystemExit as exit:
            status = exit.code
print(json.dumps({"status": status, "modules": sorted({name.split(".")[0] for name in sys.modules})}))
"""


def loaded(*args: str) -> tuple[int | None, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=REPO, encoding="utf-8", check=True
    )
    probe = json.loads(done.stdout)
    return probe["status"], set(probe["modules"]), done.stderr


def test_importing_the_command_line_loads_no_heavy_library():
    _, modules, _ = loaded()
    assert modules & (HEAVY | {"multiprocessing"}) == set()


def test_help_loads_no_heavy_library():
    status, modules, said = loaded("--help")
    assert status == 0 and "用法" in said
    assert modules & (HEAVY | {"multiprocessing"}) == set()


def test_checking_one_workbook_loads_no_heavy_library(all_74):
    config = REPO / "config" / "rollup.toml"
    status, modules, said = loaded("check", str(all_74 / "乐成街道.xlsx"), "--config", str(config))
    assert status == 0 and "通过" in said
    assert "python_calamine" in modules  # the check did read the workbook
    assert modules & HEAVY == set()
    assert "sqlite3" not in modules  # a check consults no ledger: the standing of units is not loaded


@pytest.mark.parametrize("args", [["check", "--format", "nope", "x.xlsx"], ["no-such-command"]])
def test_usage_errors_are_still_in_chinese(args):
    """typer's error panel is put into Chinese when an error comes, no longer at import."""
    status, _, said = loaded(*args)
    assert status == 2 and "错误" in said and "Error" not in said
