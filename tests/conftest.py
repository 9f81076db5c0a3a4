import json
from pathlib import Path

import pytest

from rollup.demo.sample import load_city, write_sample_inbox
from rollup.forms import editions
from rollup.roster import load_roster

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REPORTS = SHARED / "reports"


def expected_report(file_name: str) -> dict:
    """One hand-read report from ../shared/reports/expected.json."""
    entries = json.loads((REPORTS / "expected.json").read_text(encoding="utf-8"))
    return next(e for e in entries if e["file"] == file_name)


@pytest.fixture
def ed2019():
    return editions()["2019"]


@pytest.fixture
def ed2021():
    return editions()["2021"]


@pytest.fixture
def city2019() -> dict:
    """The real 乐清 2019 city tables: consistent values of the 2019 edition."""
    return dict(expected_report("yueqing-2019-city.txt")["values"])


@pytest.fixture
def office2021() -> dict:
    """The real 乐清市人民政府办公室 2021 tables: consistent values of the 2021 edition."""
    return dict(expected_report("yueqing-govoffice-2021.txt")["values"])


@pytest.fixture(scope="session")
def all_74(tmp_path_factory) -> Path:
    """Filled templates of all 74 sample units, split from the real 乐清 2019 city tables."""
    folder = tmp_path_factory.mktemp("all74")
    roster = load_roster(REPO / "config" / "units.csv", "乐清市")
    write_sample_inbox(folder, roster, 2019, load_city(REPORTS / "expected.json"))
    return folder
