"""Flags are typed values (code, check, detail) that read as their text; records are written by one atomic writer."""

from __future__ import annotations

import json
import os

import pytest

from autograder import results as res


def test_a_flag_is_typed_and_reads_as_its_text(tmp_path):
    flag = res.Flag("patched", "changed numpy.allclose before this check", check="relu-check")
    assert (flag.code, flag.check, flag.detail) == ("patched", "relu-check", "changed numpy.allclose before this check")
    assert flag == "relu-check: changed numpy.allclose before this check" and "numpy.allclose" in flag
    assert res.Flag("sealed", "readable").check is None and res.Flag("sealed", "readable") == "readable"
    assert set(res.FLAG_CODES) >= {"patched", "called-reference", "not-finished", "out-of-memory"}

    record = res.SubmissionResult(student_id="s1", lesson="01-neurons", status="graded",
                                  flags=[flag, "an older record's flag"])
    path = res.write_result(tmp_path, record)
    stored = json.loads(path.read_text())["flags"]
    assert stored == [{"code": "patched", "check": "relu-check", "detail": flag.detail}, "an older record's flag"]
    back = res.read_result(path).flags
    assert back == record.flags and isinstance(back[0], res.Flag) and back[0].code == "patched"
    assert not isinstance(back[1], res.Flag)


def test_write_atomic_replaces_whole_files_and_leaves_no_temporary_behind(tmp_path, monkeypatch):
    target = tmp_path / "deep" / "grades.csv"
    res.write_atomic(target, "a,b\r\n1,2\r\n", newline="")
    assert target.read_bytes() == b"a,b\r\n1,2\r\n"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        res.write_atomic(target, "new text")
    assert target.read_bytes() == b"a,b\r\n1,2\r\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["grades.csv"]
