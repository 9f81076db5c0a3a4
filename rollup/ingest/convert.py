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
    """The LibreOffice program, when it can convert text documents: Linux distributions package
    Writer, the part that opens .doc, .wps, .rtf and .odt, apart from Calc, and a machine with
    Calc alone could only fail on every such file as if it were damaged."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        return None
    folder = Path(program).resolve().parent
    # judged only where the program's own folder shows its parts (a launcher script shows none)
    calc_alone = _holds(folder, CALC) and not _holds(folder, WRITER)
    return None if calc_alone else program


# What each part of LibreOffice leaves in its program folder (Linux, Windows).
WRITER = ("swriter", "swriter.exe", "libswlo.so")
CALC = ("scalc", "scalc.exe", "libsclo.so")


def _holds(folder: Path, names: tuple[str, ...]) -> bool:
    return any((folder / name).exists() for name in names)


@contextmanager
def converted(path: Path, target: str = "docx") -> Iterator[Path]:
    """A converted copy of ``path`` (in ``target`` format) for as long as the context lasts."""
    program = soffice()
    if program is None:
        raise ConversionFailed("本机未安装 LibreOffice 或其文字处理组件 Writer")
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
