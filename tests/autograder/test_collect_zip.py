"""Collecting submissions: folders and LMS zips; `..`, absolute paths, symlinks and bombs are refused, the rest collected."""

from __future__ import annotations

import stat
import zipfile

import pytest

from autograder.collect import collect
from autograder.intake import intake
from autograder.validate import MAX_NOTEBOOK_BYTES

NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def test_zip_collects_good_entries_and_refuses_escapes(tmp_path):
    archive = _zip(tmp_path / "class.zip", [
        ("s001.ipynb", NB, 0o100644),
        ("s002/lesson/01-neurons.ipynb", NB, 0o100644),
        ("s002/lesson/scratch.ipynb", b"{}", 0o100644),
        ("../evil.ipynb", NB, 0o100644),
        ("/abs/s003.ipynb", NB, 0o100644),
        ("s004.ipynb", b"/etc/passwd", stat.S_IFLNK | 0o777),
        ("s005.ipynb", b"\0" * (MAX_NOTEBOOK_BYTES + 10), 0o100644),
        ("__MACOSX/._s001.ipynb", b"junk", 0o100644),
    ])
    result = intake(archive, notebook_name="01-neurons.ipynb")
    subs = {s.student_id: s for s in result.submissions()}
    assert subs["s001"].data == NB and subs["s001"].problem == ""
    assert subs["s002"].data == NB and subs["s002"].origin.endswith("01-neurons.ipynb")
    problems = {sid: s.problem for sid, s in subs.items() if s.problem}
    escaped = [e.problem for e in result.unattributed]  # belong to no one, listed with their reason
    assert any("outside the archive" in p and "../evil" in p for p in escaped)
    assert any("outside the archive" in p and "/abs/" in p for p in escaped)
    assert "symbolic link" in problems["s004"]
    assert "MiB" in problems["s005"]
    assert all(s.data == b"" for s in subs.values() if s.problem)
    assert not (tmp_path.parent / "evil.ipynb").exists()


def test_folder_layouts_and_unsafe_ids(tmp_path):
    (tmp_path / "s001.ipynb").write_bytes(NB)
    (tmp_path / "s002" / "sub").mkdir(parents=True)
    (tmp_path / "s002" / "sub" / "x.ipynb").write_bytes(NB)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "s001-checkpoint.ipynb").write_bytes(NB)
    (tmp_path / "bad id!.ipynb").write_bytes(NB)
    (tmp_path / "!!!.ipynb").write_bytes(NB)
    result = intake(tmp_path)
    subs = {s.student_id: s for s in result.submissions()}
    assert subs["s001"].problem == "" and subs["s002"].problem == ""
    assert subs["bad-id"].problem == "" and result.people["bad-id"].name == "bad id!"  # a name, kept
    assert [e.source for e in result.unattributed] == ["!!!.ipynb"]
    assert "cannot tell whose file" in result.unattributed[0].problem
    assert {s.student_id for s in collect(tmp_path)} == {"s001", "s002", "bad-id"}


def test_not_a_folder_or_zip(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ValueError, match="neither a folder nor a .zip"):
        collect(tmp_path / "x.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        collect(tmp_path / "missing")
