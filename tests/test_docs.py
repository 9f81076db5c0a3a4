import re
from pathlib import Path

from rollup.findings import catalogue

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if "pytest" in line]
    assert len(ci_lines) == 1
    assert f"\n{ci_lines[0]}\n" in README


def test_readme_lists_every_finding_code_with_its_severity_and_meaning():
    documented = set(re.findall(r"^\| `(\w+)` \| (\w+) \| (.+) \|$", README, flags=re.M))
    expected = {(rule, str(info.severity), info.title) for rule, info in catalogue().items()}
    assert documented == expected
