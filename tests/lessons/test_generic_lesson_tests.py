"""The generic lesson tests themselves: they find a new lesson by its folder, pass a good one, catch a bad one.

A fake lesson (:mod:`tests.lessons.fake_lesson`: a value exercise first, then a
function and a model exercise) is written to a temporary tree, and pytest
runs the generic test files over that tree (``DLKIT_COURSE_ROOT``) in a
subprocess. The sandboxed-grader tests are left out there: the sandbox binds
this repository's dlkit only, where the fake's check module does not exist;
the real lessons take them.
"""

from __future__ import annotations

import fcntl
import json
import re
import subprocess
import sys

import nbformat
import pytest

from autograder.release import generate
from tests.conftest import REPO
from tests.lessons import fake_lesson
from tests.lessons import course
from tests.lessons.course import LESSONS, discover

GENERIC = ["tests/lessons/test_lesson_structure.py", "tests/lessons/test_lesson_answers.py",
           "tests/lessons/test_lesson_runs.py"]


def _pytest(root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
                           "-rfEs", *args], cwd=REPO, env=fake_lesson.environment(root), capture_output=True,
                          text=True, timeout=900)


def test_every_lesson_folder_of_this_repository_is_found():
    assert [lesson.name for lesson in LESSONS] == [p.parent.name for p in sorted(REPO.glob("solutions/*/*.ipynb"))
                                                   if re.match(r"\d\d-", p.parent.name)]
    assert "01-neurons" in [lesson.name for lesson in LESSONS]


def test_a_new_lesson_folder_is_found_by_existing(tmp_path):
    for name in ("02-losses", "03-backprop-by-hand"):
        (tmp_path / "solutions" / name).mkdir(parents=True)
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / "solutions" / name / f"{name}.ipynb")
    (tmp_path / "solutions" / "04-empty").mkdir()          # no notebook yet: not a lesson
    (tmp_path / "solutions" / "notes").mkdir()             # not a lesson folder name
    found = discover(tmp_path)
    assert [(lesson.number, lesson.name) for lesson in found] == [("02", "02-losses"), ("03", "03-backprop-by-hand")]
    assert found[0].checks_file == tmp_path / "dlkit" / "checks" / "lesson02.py"
    assert found[0].mutants_file == tmp_path / "autograder" / "mutants" / "lesson02.py"


def test_once_computes_a_key_once_and_waits_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(course, "SESSION_FOLDER", tmp_path)
    calls = []
    assert course.once("k", lambda: calls.append(1) or {"n": len(calls)}) == {"n": 1}
    assert course.once("k", lambda: calls.append(1) or {"n": len(calls)}) == {"n": 1} and calls == [1]
    with open(tmp_path / "busy.lock", "w") as held:   # another process computing "busy" holds its lock
        fcntl.flock(held, fcntl.LOCK_EX)
        assert course.once("busy", lambda: {"n": 0}, wait=False) is None
    assert course.once("busy", lambda: {"n": 2}, wait=False) == {"n": 2}


@pytest.mark.slow
def test_generic_tests_pass_on_a_fake_lesson_of_every_exercise_kind(tmp_path):
    root = fake_lesson.write(tmp_path / "course")
    generate(fake_lesson.NAME, root / "lessons", source_root=root / "solutions")
    done = _pytest(root, *GENERIC, "-k", "not our_grader", "--junit-xml", str(tmp_path / "junit.xml"), "-o", "junit_family=xunit1")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    ran = re.findall(r'testcase classname="[^"]+" name="([^"]+)"', (tmp_path / "junit.xml").read_text())
    assert ran and all("01-neurons" not in name for name in ran), "the fake tree must hold the fake lesson only"
    for test in ("test_answer_cells_have_the_shape_their_kind_needs[97-fake]",
                 "test_mutant_is_rejected_through_the_wire[97-fake:double: flat loop over a raveled empty_like: wrong for col]",
                 "test_blank_student_answers_fail_saying_what_to_do[97-fake]",
                 "test_solution_runs_within_budget[97-fake]",
                 "test_student_version_fails_every_check_until_answered[97-fake]",
                 "test_nbgrader_gives_full_marks_to_the_solution_and_zero_to_the_blank[97-fake]"):
        assert test in ran, f"{test} did not run on the fake lesson: {ran}"


def test_generic_tests_catch_a_broken_fake_lesson(tmp_path):
    root = fake_lesson.write(tmp_path / "course")
    mutants = root / "autograder" / "mutants" / "lesson97.py"
    text = mutants.read_text().replace('("squares", "def double(x):\\n    return x ** 2\\n")',
                                       '("a correct answer posing as wrong", "def double(x):\\n    return x * 2\\n")')
    mutants.write_text(text)
    path = root / "solutions" / fake_lesson.NAME / f"{fake_lesson.NAME}.ipynb"
    nb = nbformat.read(path, as_version=4)
    check = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "double-check")
    check.source = check.source.replace("hidden=True", "hidden=False")
    nb.cells[2].execution_count = 3
    nbformat.write(nb, path)
    done = _pytest(root, *GENERIC[:2])
    failed = set(re.findall(r"^FAILED \S+::(\w+)", done.stdout, re.M))
    assert {"test_mutant_is_rejected_in_process", "test_mutant_is_rejected_through_the_wire",
            "test_answer_and_check_cells_match_the_registered_exercises", "test_hidden_test_markers_present_in_every_check_cell",
            "test_committed_notebook_has_no_outputs_or_execution_counts"} <= failed, done.stdout[-6000:]
    assert "a correct answer posing as wrong" in done.stdout
