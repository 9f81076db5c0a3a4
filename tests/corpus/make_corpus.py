"""Regenerate the committed corpus files (tests/corpus/*) from tests/corpusgen.py's recipes.

They need LibreOffice (soffice), which CI does not have, so the files are committed; the tests
only read them. Run from the repository root after changing a recipe or the report generator:

    .venv/bin/python tests/corpus/make_corpus.py

LibreOffice stamps a creation date into PDFs, so regenerated files differ in bytes even when
their content is the same: commit them only when a recipe changed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import docx
from corpusgen import CASES, Case, spec_for
from reportgen import report_text, write_docx


def soffice(source: Path, target_format: str, out: Path) -> Path:
    """Convert with LibreOffice, headless, into ``out``; the converted file's path."""
    subprocess.run(
        ["soffice", "--headless", "--convert-to", target_format, "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    (converted,) = [p for p in out.iterdir() if p.stem == source.stem and p != source]
    return converted


def source_docx(case: Case, folder: Path) -> Path:
    """The Word file the case is printed or saved from."""
    spec = spec_for(case)
    path = folder / "report.docx"
    if case.make == "text-pdf":
        # Another tool's PDF: the report's lines as plain paragraphs, no table rulings.
        document = docx.Document()
        for line in report_text(spec, "one_line").splitlines():
            if line.strip():
                document.add_paragraph(line)
        document.save(str(path))
        return path
    return write_docx(path, spec, "official")


FORMATS = {"pdf": "pdf", "text-pdf": "pdf", "doc": "doc:MS Word 97", "web": "html:HTML (StarWriter)"}


def make(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = source_docx(case, folder)
        out = folder / "out"
        out.mkdir()
        shutil.copyfile(soffice(source, FORMATS[case.make], out), case.path)
    print(f"{case.path.name}: {case.path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    if shutil.which("soffice") is None:
        sys.exit("LibreOffice (soffice) is needed to make the corpus")
    wanted = set(sys.argv[1:])
    for case in CASES:
        if not wanted or case.file in wanted:
            make(case)
