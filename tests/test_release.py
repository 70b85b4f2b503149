"""`python -m autograder release`: real nbgrader generation, and --check for stale lessons."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import LESSONS, SOLUTIONS
from autograder import notebooks as nbs
from autograder.nbgrader_course import Course
from autograder.release import differences, release
from tests.helpers import tiny_lesson

pytestmark = pytest.mark.slow
#: The tests of the tiny lesson share its release (a module fixture): under ``--dist loadgroup`` one worker runs
#: them all, so nbgrader generates it once (a module fixture is per worker).
TINY = pytest.mark.xdist_group("release-tiny")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The tiny lesson's source and its student version, generated once by nbgrader for this module."""
    root = tmp_path_factory.mktemp("release")
    source, lessons = root / "solutions", root / "lessons"
    tiny_lesson(source)
    lessons.mkdir()
    [out] = release(["99-tiny"], lessons_root=lessons, source_root=source)
    return source, lessons, out


@pytest.fixture()
def course(released, tmp_path):
    """A copy of the released tiny lesson that a test may change."""
    source, lessons, _ = released
    shutil.copytree(source, tmp_path / "solutions")
    shutil.copytree(lessons, tmp_path / "lessons")
    return tmp_path / "solutions", tmp_path / "lessons"


@TINY
def test_release_strips_solutions_and_hidden_tests(released):
    _, _, out = released
    nb = nbformat.read(out / "99-tiny.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "np.maximum" not in text, "the solution leaked into the student version"
    assert "hidden=True" not in text and "HIDDEN TESTS" not in text, "hidden tests leaked"
    assert "raise NotImplementedError()" in text
    assert 'checks.run("01.relu", relu)' in text, "visible checks must stay"
    assert all("checksum" in c.metadata["nbgrader"] for c in nb.cells if c.metadata["nbgrader"].get("grade"))
    assert nbs.has_outputs(nb) == []


@TINY
def test_release_is_deterministic(course):
    source, lessons = course
    first = (lessons / "99-tiny" / "99-tiny.ipynb").read_bytes()
    assert differences(["99-tiny"], lessons_root=lessons, source_root=source) == {}   # a second generation
    release(["99-tiny"], lessons_root=lessons, source_root=source)
    assert (lessons / "99-tiny" / "99-tiny.ipynb").read_bytes() == first


@TINY
def test_check_names_a_stale_lesson(course):
    source, lessons = course
    path = source / "99-tiny" / "99-tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nA new paragraph the student version does not have yet."
    nbformat.write(nb, path)
    stale = differences(["99-tiny"], lessons_root=lessons, source_root=source)
    assert list(stale) == ["99-tiny"]
    assert "99-tiny.ipynb: differs from the generated version" in stale["99-tiny"]


@TINY
def test_check_stamps_and_compares_a_generation_handed_in_without_generating_again(course, tmp_path):
    source, lessons = course
    grading = Course(tmp_path / "grading", source)           # e.g. the course that grades the lesson next
    handed_in = grading.generate("99-tiny")
    before = (handed_in / "99-tiny.ipynb").read_bytes()
    assert differences(["99-tiny"], lessons_root=lessons, source_root=source, generated={"99-tiny": handed_in}) == {}
    assert (handed_in / "99-tiny.ipynb").read_bytes() == before   # stamped in a copy
    (handed_in / "extra.txt").write_text("x")                     # what is compared is what was handed in
    stale = differences(["99-tiny"], lessons_root=lessons, source_root=source, generated={"99-tiny": handed_in})
    assert stale == {"99-tiny": ["extra.txt: missing from lessons/"]}


@TINY
def test_check_notices_missing_and_extra_files(course):
    source, lessons = course
    (lessons / "99-tiny" / "stray.txt").write_text("x")
    shutil.copytree(source / "99-tiny", source / "98-twin")
    stale = differences(["98-twin", "99-tiny"], lessons_root=lessons, source_root=source)
    assert stale["98-twin"][0].endswith("is missing")
    assert any("stray.txt" in d for d in stale["99-tiny"])


def test_every_lesson_folder_has_its_student_version():
    assert nbs.lesson_names(SOLUTIONS), "no lessons in solutions/"
    assert nbs.lesson_names(LESSONS) == nbs.lesson_names(SOLUTIONS)


@pytest.mark.parametrize("lesson", [pytest.param(name, marks=pytest.mark.xdist_group(name))
                                    for name in nbs.lesson_names(SOLUTIONS)])
def test_committed_lesson_is_in_sync_with_its_solution(lesson):
    """The real repository: lessons/NN-slug is exactly what nbgrader generates from solutions/NN-slug now.

    nbgrader's generation is the one the lesson-run tests grade in (one per session, the same group).
    """
    from tests.lessons.course import LESSONS as FOUND
    from tests.lessons.course import nbgrader_course

    _, generated = nbgrader_course(next(found for found in FOUND if found.name == lesson))
    assert differences([lesson], generated={lesson: generated}) == {}, (
        f"lessons/{lesson} is stale: run `python -m autograder release {lesson}`")


def test_check_cli_says_in_sync_for_a_current_lesson():
    proc = subprocess.run([sys.executable, "-m", "autograder", "release", "--check", "01"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "in sync with solutions/ (1 lesson(s))" in proc.stdout, proc.stdout + proc.stderr


def test_check_cli_exits_nonzero_on_unknown_lesson():
    proc = subprocess.run([sys.executable, "-m", "autograder", "release", "--check", "77"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "no lesson '77'" in proc.stderr


def test_malformed_notebook_gets_a_clear_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(nbs.NotebookError, match="not valid notebook JSON"):
        nbs.read(bad)
    bad.write_text("")
    with pytest.raises(nbs.NotebookError, match="empty"):
        nbs.read(bad)
    bad.write_text(json.dumps({"cells": [], "nbformat": 3, "metadata": {}}))
    with pytest.raises(nbs.NotebookError, match="nbformat 3 is not supported"):
        nbs.read(bad)
