"""Print workbooks and Word files the way a user's office suite prints them and say how many pages
each takes: LibreOffice (soffice, headless) turns each file into a PDF, and the footer every rollup
sheet carries ("<sheet>　第 N 页") tells which sheet each page of a workbook comes from. With --png,
the first page of every sheet (every page of a Word file) is also written as a PNG to look at.

Needs LibreOffice and poppler-utils (pdftotext, pdftoppm); the tests do not.

    python scripts/render_workbook.py outbox/2019/*.xlsx outbox/2019/*.docx --png /tmp/pages
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

FOOTER = re.compile(r"^\s*(\S+)\s+第\s*\d+\s*页\s*$")


def to_pdf(workbook: Path, folder: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
        check=True,
        capture_output=True,
    )
    return folder / f"{workbook.stem}.pdf"


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M)[1])  # type: ignore[index]


def sheet_of_each_page(pdf: Path) -> list[str]:
    sheets = []
    for page in range(1, page_count(pdf) + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        found = [m[1] for line in text.splitlines() if (m := FOOTER.match(line))]
        sheets.append(found[-1] if found else "?")
    return sheets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workbooks", nargs="+", type=Path)
    parser.add_argument("--png", type=Path, help="write the first page of every sheet as a PNG into this folder")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for workbook in options.workbooks:
            pdf = to_pdf(workbook, Path(tmp))
            sheets = sheet_of_each_page(pdf)
            counts = Counter(sheets)
            print(f"{workbook.name}: {len(sheets)} 页")
            for sheet, pages in counts.items():
                print(f"  {sheet}: {pages} 页")
            if options.png:
                options.png.mkdir(parents=True, exist_ok=True)
                # a workbook: the first page of each sheet; a Word file (no sheet footers): every page
                firsts = [sheets.index(s) + 1 for s in counts] if "?" not in counts else range(1, len(sheets) + 1)
                for first in firsts:
                    sheet = sheets[first - 1] if sheets[first - 1] != "?" else str(first)
                    out = options.png / f"{workbook.stem}-{sheet}"
                    subprocess.run(
                        [
                            "pdftoppm",
                            "-r",
                            "80",
                            "-png",
                            "-singlefile",
                            "-f",
                            str(first),
                            "-l",
                            str(first),
                            str(pdf),
                            str(out),
                        ],
                        check=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
