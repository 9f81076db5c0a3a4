"""The package's shape, checked: every module imports on its own (no import cycles), imports only
go down the floors of the pipeline the README's architecture section shows, no block of code is
written twice, and every finding code the code can produce is in the catalogue."""

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import REPO

from rollup.findings import catalogue
from rollup.forms import editions

PACKAGE = REPO / "rollup"

# The floors, ground first: a module imports only from floors below its own (or from inside its
# own subpackage). The README's "Architecture" section shows the same list.
FLOORS = [
    ["rollup.forms", "rollup.text", "rollup.outputs"],
    ["rollup.findings"],
    ["rollup.model"],
    ["rollup.config", "rollup.codesheet"],
    ["rollup.roster", "rollup.receipts", "rollup.ingest"],
    ["rollup.validate", "rollup.aggregate", "rollup.ledger", "rollup.outliers"],
    ["rollup.status", "rollup.versions", "rollup.reuse"],
    ["rollup.notify"],
    ["rollup.render"],
    ["rollup.pipeline"],
    ["rollup.demo", "rollup.clitext"],
    ["rollup.cli"],
    ["rollup.__main__"],
]


def modules() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def floor(module: str) -> tuple[int, str]:
    """The floor of a module and the unit (module or subpackage) it belongs to."""
    for number, names in enumerate(FLOORS):
        for name in names:
            if module == name or module.startswith(name + "."):
                return number, name
    raise AssertionError(f"{module} is on no floor: add it to FLOORS and to the README's architecture section")


def imports(module: str) -> set[str]:
    """The rollup modules ``module`` imports (at any depth of its code)."""
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE.parent / module.replace(".", "/") / "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rollup"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("rollup")}
    return found


def test_every_module_is_on_a_floor_and_the_readme_shows_the_floors():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for module in modules():
        if module != "rollup":
            floor(module)
    for names in FLOORS:
        for name in names:
            assert f"`{name.removeprefix('rollup.')}" in readme, name


@pytest.mark.parametrize("module", [m for m in modules() if m != "rollup"])
def test_imports_go_only_down(module):
    level, unit = floor(module)
    for target in imports(module) - {"rollup"}:
        target_level, target_unit = floor(target)
        assert target_unit == unit or target_level < level, (
            f"{module} (floor {level}) imports {target} (floor {target_level})"
        )


def test_every_module_imports_alone_in_a_fresh_interpreter():
    def alone(module: str) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, cwd=REPO)
        return module, (done.stderr.strip() or "failed") if done.returncode else ""

    libraries = [m for m in modules() if m != "rollup.__main__"]  # __main__ runs the command line
    with ThreadPoolExecutor(max_workers=4) as pool:
        failed = {module: error for module, error in pool.map(alone, libraries) if error}
    assert failed == {}


def test_no_block_of_five_lines_is_written_twice():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pylint",
            "--disable=all",
            "--enable=duplicate-code",
            "--min-similarity-lines=5",
            "--score=n",
            "rollup",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout


def test_every_finding_code_the_code_can_produce_is_in_the_catalogue():
    """Findings are made by ``Finding.of(code, …)``, ``Submission.refused(path, code, …)`` and
    the readers' ``finding(code, …)`` helpers; a code given there as text must be catalogued, and
    every catalogued code must be made somewhere (in the code, or by a spec's sum rule)."""
    made, texts = set(), set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.add(node.value)
            if isinstance(node, ast.Call) and _name(node.func) in ("of", "refused", "finding"):
                made |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    assert len(made) > 15 and made <= set(catalogue())
    spec_rules = {rule.id for edition in editions().values() for rule in edition.rules + edition.year_rules}
    assert set(catalogue()) - spec_rules <= texts


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
