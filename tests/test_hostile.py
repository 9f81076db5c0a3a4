"""Hostile and broken input: every file of the bad-input corpus (tests/hostile.py) gives its
finding and the run goes on. Each case is checked on its own (``rollup check``: the finding, the
exit status), then all of them together with the sample city's templates in one ``rollup
consolidate``: the other units consolidated, every bad file listed with its reason in 报送情况,
校验问题 and the gaps email, nothing a unit wrote turned into a formula or console markup, the
inbox byte-identical, and no process above the stated memory bound."""

from __future__ import annotations

import csv
import email
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO
from helpers import settings_for
from hostile import CASES, HOSTILE_FORMULA, HOSTILE_MARKUP, build_corpus
from typer.testing import CliRunner

from rollup.cli import app
from rollup.ingest import read_submission

PEAK_MIB = 400  # no process of a run (the main one or a reader) may grow above this (README: Security)
REPLACED = {case.unit for case in CASES if case.unit != "乐清市审计局"}


def test_the_corpus_has_every_kind_of_bad_file():
    assert len(CASES) >= 60
    assert len({case.name for case in CASES}) == len(CASES)
    wanted = {
        "file_too_large",
        "unsafe_content",
        "encrypted_file",
        "empty_file",
        "unreadable_file",
        "wrong_format",
        "unknown_encoding",
        "code_sheet_tampered",
        "formula_without_value",
        "value_out_of_range",
        "not_a_regular_file",
    }
    assert wanted <= {case.expected for case in CASES}


@pytest.fixture(scope="session")
def hostile_inbox(tmp_path_factory, all_74) -> Path:
    """The sample city's 74 templates, the units a case stands for taken out, and every case."""
    inbox = tmp_path_factory.mktemp("hostile") / "inbox"
    inbox.mkdir()
    for path in all_74.iterdir():
        if path.stem not in REPLACED:
            shutil.copy2(path, inbox / path.name)
    build_corpus(inbox, all_74)
    return inbox


def _case_file(inbox: Path, name: str) -> Path:
    return inbox / name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bad_file_gives_its_finding_and_exit_status(hostile_inbox, case):
    path = _case_file(hostile_inbox, case.name)
    if path.is_dir() and not path.is_symlink():  # the command line refuses a folder before rollup sees it
        submission = read_submission(path)
        assert [f.rule for f in submission.findings] == [case.expected]
        return
    config = REPO / "config" / "rollup.toml"
    done = CliRunner().invoke(app, ["check", str(path), "--format", "json", "--config", str(config)])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.output
    files = json.loads(done.stdout)
    rules = {f["rule"] for file in files for f in file["findings"]}
    errors = any(f["severity"] == "error" for file in files for f in file["findings"])
    assert done.exit_code == (1 if errors else 0)
    if case.expected is None:
        assert files and all(file["unit"] and file["values"] for file in files), files
        assert not rules & {"unreadable_file", "wrong_format", "file_too_large", "unsafe_content"}
    else:
        assert case.expected in rules, (case.name, files)
        assert errors
    for file in files:
        for finding in file["findings"]:
            assert "Error" not in finding["message"] and "Exception" not in finding["message"]


def _read_as(path: Path, user: tuple[int, int] | None, connection) -> None:
    if user is not None:
        os.setgroups([])
        os.setgid(user[1])
        os.setuid(user[0])
    connection.send(read_submission(path, isolate=False))


def test_an_unreadable_file_says_so_for_a_user_without_permission(tmp_path, all_74):
    """Tests may run as root, who reads everything: the file is then read in a child process that
    has dropped to an ordinary user (the interpreter of this checkout may sit where that user
    cannot start it, so the child is forked, not started anew)."""
    import multiprocessing

    path = tmp_path / "无权限.xlsx"
    shutil.copy(all_74 / "乐清市审计局.xlsx", path)
    path.chmod(0)
    user = None
    if os.geteuid() == 0:
        import pwd

        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root and there is no unprivileged user to drop to")
        user = (nobody.pw_uid, nobody.pw_gid)
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    child = context.Process(target=_read_as, args=(path, user, theirs))
    child.start()
    submission = ours.recv()
    child.join()
    (finding,) = submission.findings
    assert finding.rule == "unreadable_file" and "没有读取权限" in finding.message
    assert submission.sha256 is None  # nothing read, nothing recorded


def _digests(folder: Path) -> dict[str, str]:
    """sha256 of every regular file (the 2 GB sparse one by size and ends, as rollup itself does)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        stat = path.stat()
        if stat.st_size > 2**28:
            found[path.name] = f"{stat.st_size}:{stat.st_mtime_ns}"
        else:
            found[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="session")
def consolidated(hostile_inbox, tmp_path_factory):
    """``rollup consolidate`` on the whole corpus plus the sample, in a process of its own whose
    peak memory (and its readers') is measured."""
    folder = tmp_path_factory.mktemp("hostile-run")
    settings = settings_for(folder, hostile_inbox, '[notify]\nrecipients = ["gk@example.gov.cn"]\n')
    before = _digests(hostile_inbox)
    measure = (
        "import resource, subprocess, sys; "
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(done.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.stderr.write(done.stdout + done.stderr)"
    )
    command = [sys.executable, "-c", measure, sys.executable, "-m", "rollup", "consolidate"]
    command += ["--config", str(folder / "rollup.toml")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
    status, peak_kib = (int(x) for x in done.stdout.split())
    return {
        "settings": settings,
        "status": status,
        "peak_mib": peak_kib / 1024,
        "console": done.stderr,
        "before": before,
        "after": _digests(hostile_inbox),
        "folder": settings.outbox / "2019",
    }


def test_consolidate_completes_on_the_whole_corpus_with_bounded_memory(consolidated):
    assert consolidated["status"] == 0, consolidated["console"][-3000:]
    assert "Traceback" not in consolidated["console"]
    assert consolidated["peak_mib"] < PEAK_MIB, consolidated["peak_mib"]
    assert consolidated["after"] == consolidated["before"]  # the inbox is never changed


def _sheet(workbook: Path, name: str) -> list[dict[str, object]]:
    rows = list(openpyxl.load_workbook(workbook)[name].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(v is not None for v in row)]


def _outputs(folder: Path) -> tuple[Path, Path, Path, Path]:
    workbook = next(folder.glob("*.xlsx"))
    return workbook, folder / "汇总数据.json", folder / "明细数据.csv", folder / "缺报情况.eml"


def _status_rows(workbook: Path) -> list[dict[str, object]]:
    """报送情况's unit table (below the rates table)."""
    rows = list(openpyxl.load_workbook(workbook)["报送情况"].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "编码")
    header = [str(h) for h in rows[start]]
    return [dict(zip(header, row, strict=False)) for row in rows[start + 1 :] if any(v is not None for v in row)]


def _email_text(eml: Path) -> str:
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None
    return body.get_content()


def test_every_bad_file_is_listed_with_its_reason(consolidated, hostile_inbox):
    workbook, _, _, eml = _outputs(consolidated["folder"])
    listed = {row["文件"]: row for row in _status_rows(workbook)}
    checked = _sheet(workbook, "校验问题")
    mail = _email_text(eml)
    for case in CASES:
        if case.expected is None:
            continue
        name = case.name
        if case.expected in ("value_out_of_range", "not_a_number", "negative_value", "formula_without_value"):
            # read, and counted for its unit: the reason is among the unit's findings
            assert any(r["文件"] == name and r["问题代码"] == case.expected for r in checked), name
            assert name in mail
        elif case.expected == "unknown_unit":
            assert listed[name]["报送情况"] == "无法匹配单位"
            assert name in mail
        else:
            member = listed.get(name) or next((row for file, row in listed.items() if str(file).startswith(name)), None)
            assert member is not None, name
            assert member["报送情况"] == "无法读取" and member["单位说明"], (name, member)
            assert name in mail and str(member["单位说明"])[:20] in mail, name


def test_the_other_units_are_consolidated(consolidated):
    data = json.loads(_outputs(consolidated["folder"])[1].read_text(encoding="utf-8"))
    counted = set(data["units"]["counted"])
    untouched = {"乐清市人民政府办公室", "乐成街道", "柳市镇", "乐清市商务局", "乐清市审计局"}
    assert untouched <= counted
    assert len(counted) >= 74 - len(REPLACED) - 1


def test_nothing_a_unit_wrote_becomes_a_formula_or_markup(consolidated):
    workbook, _, csv_path, _ = _outputs(consolidated["folder"])
    book = openpyxl.load_workbook(workbook)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert "'" + HOSTILE_FORMULA in texts  # a unit's 说明 (报送情况), shown as text
    assert any(t.startswith("'=cmd") for t in texts)  # the file name, shown as text
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        for record in csv.reader(handle):
            for field in record:
                assert not field.startswith(("=", "+", "@", "\t", "\r")), field
                assert not field.startswith("-") or field.lstrip("-").replace(".", "").isdigit() or set(field) == {"-"}
    assert HOSTILE_MARKUP in consolidated["console"]  # printed as written, not as styles
    assert "填报单位“未知单位[/red]”" in consolidated["console"]


def test_the_gaps_email_names_the_unreadable_files_reasons(consolidated):
    mail = _email_text(_outputs(consolidated["folder"])[3])
    assert "文件 加密.xlsx 已加密，无法读取；请对方取消密码后重发" in mail
    assert "无法读取的原因" in mail


def test_a_reader_that_aborts_is_a_finding_and_the_next_file_is_read(tmp_path, all_74):
    from rollup.config import Limits
    from rollup.ingest import read_files

    far = tmp_path / "XFD.xlsx"
    next(c for c in CASES if c.name == "XFD百万行.xlsx").build(far, all_74 / "乐清市审计局.xlsx")
    good = all_74 / "乐成街道.xlsx"
    lax = Limits(sheet_rows=2_000_000, sheet_columns=20_000, sheet_cells=10**13, memory_mb=256)
    read = read_files([far, good, far, good], lax, isolate=True)
    assert read[far][0].findings[0].rule == "reader_crashed"
    assert "内存" in read[far][0].findings[0].message
    said = json.loads(read[far][0].findings[0].detail or "{}")
    assert "memory allocation" in said["output"] and said["exitcode"] < 0  # the reader's own words, for support
    assert read[good][0].values and not read[good][0].has_errors


@pytest.mark.parametrize("isolate", [True, False], ids=["worker", "own process"])
def test_a_reader_past_its_time_is_stopped(tmp_path, all_74, isolate, monkeypatch):
    from rollup.config import Limits
    from rollup.ingest import isolation, read_files

    slow, quick = all_74 / "乐成街道.xlsx", all_74 / "柳市镇.xlsx"
    reader = isolation.read_bytes

    def stuck_on_one_file(path, *args):
        # a reader that never returns on one file (a budget of a millisecond on a real reading
        # raced it: in-process, the reading could finish before the clock was looked at)
        if path == slow:
            time.sleep(30)
        return reader(path, *args)

    monkeypatch.setattr(isolation, "read_bytes", stuck_on_one_file)
    read = read_files([slow, quick], Limits(seconds=0.5), isolate=isolate)
    assert [f.rule for f in read[slow][0].findings] == ["reader_timeout"]
    assert "0.5 秒" in read[slow][0].findings[0].message
    assert read[quick][0].values and not read[quick][0].has_errors  # the run went on


def test_a_file_changed_while_it_is_read_is_left_for_the_next_run(tmp_path, all_74):
    from rollup.config import Limits
    from rollup.ingest.files import Taken, finish, take

    path = tmp_path / "正在复制.xlsx"
    shutil.copy(all_74 / "乐成街道.xlsx", path)
    taken = take(path, Limits())
    with open(path, "ab") as handle:  # the copy goes on
        handle.write(b"more")
    assert isinstance(taken, Taken)
    done = finish(taken, read_submission(path))
    assert [f.rule for f in done.findings] == ["file_changed"] and done.sha256 is None


def test_peak_memory_bound_is_what_the_readme_states():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{PEAK_MIB} MiB" in readme
    assert resource.RLIMIT_AS  # the budget is enforced with it on Linux


def test_a_file_whose_name_is_no_text_is_listed_under_its_name_and_the_run_goes_on(tmp_path, all_74):
    """A name in GBK bytes on a Linux disk (a USB stick, a zip unpacked there): Python holds it
    as lone surrogates, which no ledger, workbook or email can hold."""
    from rollup import pipeline

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("乐成街道.xlsx", "柳市镇.xlsx"):
        shutil.copy2(all_74 / name, inbox / name)
    strange = Path(os.fsdecode(bytes(inbox) + "/测试.xlsx".encode("gbk")))
    shutil.copy2(all_74 / "北白象镇.xlsx", strange)
    before = strange.read_bytes()

    result = pipeline.run(settings_for(tmp_path, inbox))

    (unread,) = [f for f in result.status.unmatched if f.unreadable]
    assert unread.file == "测试.xlsx" and "改名" in unread.reason
    assert result.status.counted == 2 and result.outputs.workbook.is_file()
    assert "测试.xlsx" in _email_text(result.gaps_eml)
    assert strange.read_bytes() == before and "测试.xlsx".encode("gbk") in os.listdir(os.fsencode(inbox))
