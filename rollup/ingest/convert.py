"""Old binary office files (Word 97-2003 .doc, WPS .wps, .rtf, OpenDocument text) converted to
.docx with LibreOffice, when it is installed, so that the Word reader reads them. The file given
is never touched: LibreOffice writes its copy into a temporary folder of its own, with its own
user profile (a clerk's open LibreOffice, or a second run, cannot block it)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TIMEOUT = 120  # seconds: a long report converts in a few


class ConversionFailed(RuntimeError):
    """LibreOffice is not installed, or could not convert the file."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@contextmanager
def converted(path: Path, target: str = "docx") -> Iterator[Path]:
    """A converted copy of ``path`` (in ``target`` format) for as long as the context lasts."""
    program = soffice()
    if program is None:
        raise ConversionFailed("本机未安装 LibreOffice")
    with tempfile.TemporaryDirectory(prefix="rollup-convert-") as folder:
        work = Path(folder)
        # LibreOffice picks the import filter by extension first: give the copy a neutral name.
        source = work / f"source{path.suffix.lower() or '.bin'}"
        shutil.copyfile(path, source)
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConversionFailed(f"LibreOffice 转换失败：{type(exc).__name__}") from exc
        result = work / "out" / f"source.{target}"
        if not result.is_file():
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
            raise ConversionFailed(f"LibreOffice 无法转换该文件（{detail[-200:] or done.returncode}）")
        yield result
