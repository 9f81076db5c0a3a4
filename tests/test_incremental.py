"""Re-runs read only what changed: the ledger keeps what each inbox file said (by path, size and
modification time, and the reader that read it), and a run reads only new or changed files; its
outputs are the same as a clean run's."""

import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from corpusgen import CASES
from helpers import settings_for

from rollup import notify, pipeline
from rollup.ingest import convert, read_files

AS_OF, RECEIVED = date(2020, 2, 1), datetime(2020, 1, 20)


@pytest.fixture
def inbox(tmp_path, all_74) -> Path:
    folder = tmp_path / "inbox"
    shutil.copytree(all_74, folder)
    (folder / "损坏的文件.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    return folder


@pytest.fixture
def reads(monkeypatch) -> list[list[Path]]:
    """The files each call of the pipeline's reader was given."""
    calls: list[list[Path]] = []

    def counted(paths, *args, **kwargs):
        calls.append(list(paths))
        return read_files(paths, *args, **kwargs)

    monkeypatch.setattr(pipeline, "read_files", counted)
    return calls


def consolidate(settings) -> pipeline.Result:
    return pipeline.run(settings, as_of=AS_OF, received_at=RECEIVED)


def test_an_unchanged_rerun_reads_no_file(tmp_path, inbox, reads):
    settings = settings_for(tmp_path, inbox)
    first = consolidate(settings)
    again = consolidate(settings)
    # nothing changed: the re-run answered from the ledger without even looking for files to read
    assert len(reads) == 1 and len(reads[0]) == 75
    assert again.kept and again.status == first.status
    # its consolidation, asked for, is made again from the ledger, still without reading a file
    assert again.consolidation.values == first.consolidation.values
    assert reads[1:] == [[]]
    assert [u.submission.findings if u.submission else None for u in again.consolidation.units] == [
        u.submission.findings if u.submission else None for u in first.consolidation.units
    ]
    assert [str(u.standing) for u in again.status.units] == [str(u.standing) for u in first.status.units]


def test_a_changed_added_or_touched_file_is_read_again_and_only_it(tmp_path, inbox, all_74, reads):
    settings = settings_for(tmp_path, inbox)
    first = consolidate(settings)
    changed = inbox / "乐清市教育局.xlsx"
    shutil.copy(all_74 / "乐清市商务局.xlsx", changed)  # another unit's figures under its name
    touched = inbox / "乐清市财政局.xlsx"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    added = inbox / "乡镇" / "龙西乡.xlsx"
    added.parent.mkdir()
    shutil.move(inbox / "龙西乡.xlsx", added)
    again = consolidate(settings)
    assert sorted(reads[1]) == sorted([changed, touched, added])
    assert again.consolidation.values != first.consolidation.values
    # the same bytes as 商务局's file: 教育局's own report is gone from the inbox, 商务局's stands
    standing = {u.unit.name: str(u.standing) for u in again.status.units}
    assert (
        standing["乐清市教育局"]
        == "未报送"
        != {u.unit.name: str(u.standing) for u in first.status.units}["乐清市教育局"]
    )


def test_entries_refused_by_their_name_alone_let_an_unchanged_rerun_keep_its_outputs(tmp_path, inbox, reads):
    """A scan sent as .jpg, an archive rollup does not open, a link, a name that is no text (GBK
    bytes on a Linux disk): each is refused without being opened, so no reading of it is kept.
    A province's inbox always holds one; a re-run with nothing changed still reads nothing."""
    (inbox / "盖章扫描件.jpg").write_bytes(b"\xff\xd8\xff\xe0 a scan")
    (inbox / "报告.rar").write_bytes(b"Rar!\x1a\x07\x00 an archive")
    (inbox / "链接.xlsx").symlink_to(inbox / "乐成街道.xlsx")
    Path(os.fsdecode(bytes(inbox) + "/测试.xlsx".encode("gbk"))).write_bytes(b"PK\x03\x04")
    settings = settings_for(tmp_path, inbox)
    first = consolidate(settings)
    refused = {f.file: f.reason for f in first.status.unmatched if f.unreadable}
    assert "格式（.jpg）暂不支持" in refused["盖章扫描件.jpg"] and "格式（.rar）暂不支持" in refused["报告.rar"]
    assert "符号链接" in refused["链接.xlsx"] and "改名" in refused["测试.xlsx"]
    written = {p.name: p.stat().st_mtime_ns for p in first.outputs.workbook.parent.iterdir()}
    again = consolidate(settings)
    assert again.kept and len(reads) == 1 and again.status == first.status
    assert {p.name: p.stat().st_mtime_ns for p in first.outputs.workbook.parent.iterdir()} == written
    (inbox / "盖章扫描件.jpg").write_bytes(b"\xff\xd8\xff\xe0 another scan")  # an entry so refused, changed
    assert not consolidate(settings).kept


def test_an_old_word_file_waiting_for_libreoffice_is_kept_until_libreoffice_comes(tmp_path, inbox, reads, monkeypatch):
    """A Word 97 file on a machine without LibreOffice is told to be resaved, every run alike:
    a re-run keeps that reading (an office's inbox often holds one). Once LibreOffice is there,
    it is read again, now through LibreOffice."""
    doc = inbox / "审计局.doc"
    shutil.copy(next(c for c in CASES if c.make == "doc").path, doc)
    monkeypatch.setattr(convert.shutil, "which", lambda name: None)
    settings = settings_for(tmp_path, inbox)
    first = consolidate(settings)
    again = consolidate(settings)
    assert again.kept and len(reads) == 1 and doc in reads[0]
    (before,) = [u.reason for u in first.status.unmatched if u.file == doc.name]
    assert "本机未安装 LibreOffice" in before

    program = tmp_path / "libreoffice" / "soffice"  # installed now (a stand-in that converts nothing)
    program.parent.mkdir()
    program.write_bytes(b"")
    monkeypatch.setattr(convert.shutil, "which", lambda name: str(program))
    later = consolidate(settings)
    assert not later.kept and doc in reads[-1]
    (after,) = [u.reason for u in later.status.unmatched if u.file == doc.name]
    assert "LibreOffice 无法转换该文件" in after


def test_a_file_that_failed_for_the_moment_is_read_again(tmp_path, inbox, reads, monkeypatch):
    settings = settings_for(tmp_path, inbox)
    slow = inbox / "乐清市财政局.xlsx"
    real = pipeline.read_files

    def timed_out(paths, *args, **kwargs):
        read = real(paths, *args, **kwargs)
        if slow in read:
            (reading,) = read[slow]
            read[slow] = [reading.refused(slow, "reader_timeout", seconds="60").identified(reading.sha256, 1)]
        return read

    monkeypatch.setattr(pipeline, "read_files", timed_out)
    consolidate(settings)
    monkeypatch.setattr(pipeline, "read_files", real)
    consolidate(settings)
    assert reads[-1] == [slow]


def test_outputs_of_a_rerun_are_those_of_a_clean_run(tmp_path, inbox):
    (tmp_path / "rerun").mkdir()
    (tmp_path / "clean").mkdir()
    rerun = settings_for(tmp_path / "rerun", inbox)
    consolidate(rerun)
    (inbox / "损坏的文件.xlsx").unlink()  # a file taken out between the runs
    again = consolidate(rerun)
    clean = consolidate(settings_for(tmp_path / "clean", inbox))
    assert sheets(again.outputs.workbook) == sheets(clean.outputs.workbook)
    assert json.loads(again.outputs.json.read_text("utf-8")) == json.loads(clean.outputs.json.read_text("utf-8"))
    assert again.outputs.csv.read_bytes() == clean.outputs.csv.read_bytes()
    assert body(again.gaps) == body(clean.gaps)


def body(letter) -> str:
    return letter.message.get_body(preferencelist=("plain",)).get_content()


def sheets(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cells but the moment the workbook was made (生成时间 on the cover)."""
    workbook = openpyxl.load_workbook(path)
    return {
        sheet.title: [row for row in sheet.iter_rows(values_only=True) if row[0] != "生成时间"]
        for sheet in workbook.worksheets
    }


def test_outputs_made_from_the_same_are_kept_and_made_again_when_anything_changes(tmp_path, inbox, monkeypatch):
    settings = settings_for(tmp_path, inbox)
    first = consolidate(settings)
    folder = first.outputs.workbook.parent
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    read_back = []
    monkeypatch.setattr(notify, "written_gaps", lambda path: read_back.append(path) or notify.jobs.written_gaps(path))
    again = consolidate(settings)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written
    assert read_back == [] and again.gaps_eml == first.gaps_eml  # the .eml is read back only when asked for
    assert (again.outputs, again.report, again.gaps.eml) == (first.outputs, first.report, first.gaps.eml)
    assert read_back == [first.gaps_eml]
    assert again.kept and not first.kept
    assert again.gaps.message["Subject"] == first.gaps.message["Subject"]
    assert again.consolidation.values == first.consolidation.values

    first.outputs.workbook.unlink()  # a clerk took the workbook away
    consolidate(settings)
    assert first.outputs.workbook.is_file()
    remade = first.outputs.workbook.stat().st_mtime_ns

    later = pipeline.run(settings, as_of=date(2020, 2, 2), received_at=RECEIVED)  # another day: days overdue
    assert later.outputs.workbook.stat().st_mtime_ns != remade

    kept = later.outputs.workbook.stat().st_mtime_ns
    pipeline.run(settings, as_of=date(2020, 2, 2), received_at=RECEIVED)
    assert later.outputs.workbook.stat().st_mtime_ns == kept
    (inbox / "损坏的文件.xlsx").unlink()  # the inbox changed
    pipeline.run(settings, as_of=date(2020, 2, 2), received_at=RECEIVED)
    assert later.outputs.workbook.stat().st_mtime_ns != kept


def test_the_console_says_when_the_outputs_were_kept(tmp_path, inbox):
    from typer.testing import CliRunner

    from rollup.cli import app

    settings_for(tmp_path, inbox)
    argv = ["consolidate", "--config", str(tmp_path / "rollup.toml"), "--as-of", "2020-02-01"]
    first, again = (CliRunner().invoke(app, argv) for _ in range(2))
    assert first.exit_code == again.exit_code == 0, first.output + again.output
    assert "沿用上次生成的" not in first.output and "沿用上次生成的" in again.output

    # the kept run shows what the run that wrote the files showed, though it consolidated nothing
    def lines(output: str) -> list[str]:  # the reading's progress bar leaves an empty line
        return [line for line in output.splitlines() if line.strip() and "沿用上次生成的" not in line]

    assert lines(again.output) == lines(first.output)
