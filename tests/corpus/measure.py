"""Cell-read rates on the corpus, per container: how many of the cells a file was made from the
reader gets right, gets wrong, or invents. Not a test (the tests demand exactness); a number to
compare readers by. Run from the repository root:

    .venv/bin/python tests/corpus/measure.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpusgen import CASES, CONTAINERS, containers_for, spec_for

from rollup.ingest import read_submission


def score(path: Path, expected: dict) -> tuple[int, int, int]:
    values = read_submission(path).values
    right = sum(1 for code, value in expected.items() if values.get(code) == value)
    wrong = sum(1 for code, value in values.items() if code in expected and expected[code] != value)
    invented = sum(1 for code in values if code not in expected)
    return right, wrong, invented


def main() -> None:
    totals: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            spec = spec_for(case)
            expected = spec.expected_values()
            files = {case.file.rpartition(".")[2] + " (committed)": case.path}
            if case.make in ("pdf", "doc", "web"):
                for kind in containers_for(spec):
                    files[kind] = CONTAINERS[kind](Path(tmp) / f"{Path(case.file).stem}-{kind}", spec)
            for kind, path in files.items():
                right, wrong, invented = score(path, expected)
                total = totals.setdefault(kind, [0, 0, 0, 0])
                for i, n in enumerate((right, len(expected), wrong, invented)):
                    total[i] += n
                print(f"{path.name:28} {right:4}/{len(expected):<4} wrong {wrong:3} invented {invented:3}")
    print()
    for kind, (right, cells, wrong, invented) in totals.items():
        print(f"{kind:18} {right:5}/{cells:<5} ({right / cells:6.1%})  wrong {wrong:4}  invented {invented:4}")


if __name__ == "__main__":
    main()
