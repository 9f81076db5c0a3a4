"""Outputs are written whole or not at all, and created as any file the user makes is (umask)."""

import os
import stat

import pytest

from rollup.outputs import write_atomically, write_text_atomically


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_outputs_follow_the_users_umask_not_0600(tmp_path, mask):
    old = os.umask(mask)
    try:
        path = write_text_atomically(tmp_path / "汇总数据.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_a_failed_write_leaves_the_previous_output(tmp_path):
    path = write_text_atomically(tmp_path / "a.csv", "old")

    def broken(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(path, broken)
    assert path.read_text(encoding="utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["a.csv"]
