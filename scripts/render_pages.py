"""Look at an output as a user sees it: print workbooks and Word files to PDF with LibreOffice,
then to one PNG per page with pdftoppm, and say how many pages each file prints to.

    python scripts/render_pages.py outbox/2019/*.xlsx outbox/2019/*.docx --out /tmp/pages

Needs LibreOffice (soffice) and poppler-utils (pdftoppm); the tests never do."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def render(path: Path, out: Path, dpi: int) -> list[Path]:
    """The PNG pages of ``path``, written into ``out``."""
    with tempfile.TemporaryDirectory() as work:
        # a profile of its own, so a running LibreOffice does not swallow the conversion
        profile = Path(work, "profile").as_uri()
        subprocess.run(
            ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", work,
             str(path)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        pdf = Path(work, path.with_suffix(".pdf").name)
        stem = out / path.stem
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(stem)], check=True, timeout=300)
    return sorted(out.glob(f"{path.stem}-*.png"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("pages"))
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args()
    if not (shutil.which("soffice") and shutil.which("pdftoppm")):
        print("needs LibreOffice (soffice) and poppler-utils (pdftoppm)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.files:
        pages = render(path, args.out, args.dpi)
        print(f"{path}: {len(pages)} pages ({', '.join(p.name for p in pages[:3])}{', …' if len(pages) > 3 else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
