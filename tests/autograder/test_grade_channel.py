"""The result channel and the lock-step between warden and student process.

Student code runs in a process of its own that never holds the channel; the
warden, which runs no student code, writes one result per check cell it
reached. These tests try, from inside a real submission, what the previous
single-process harness allowed: finding the channel in memory or under
/proc and writing results, then dying; and reading the hidden cases before
the check that uses them.
"""

from __future__ import annotations

import copy

import pytest

from autograder import hostile as H
from autograder.grade import checks_by_id, grade_lesson
from autograder.results import load_results
from autograder.sandbox import Limits
from tests.autograder.grade_support import LESSON, lite_lesson, released

needs_sandbox = pytest.mark.usefixtures("sandbox_available")


def test_a_check_with_two_results_is_reported_and_neither_is_kept():
    real = {"type": "check", "grade_id": "sigmoid-check", "results": ["real"]}
    forged = {"type": "check", "grade_id": "sigmoid-check", "results": ["forged"]}
    other = {"type": "check", "grade_id": "tanh-check", "results": []}
    by_check, dup, done = checks_by_id([forged, other, real, {"type": "done", "cells": []}])
    assert dup == ["sigmoid-check"] and done == {"type": "done", "cells": []}
    assert by_check["tanh-check"] is other
    assert checks_by_id([real, other])[1] == []


PEEK = '''
import gc
_mark = "__" + "nd" + "__"                    # spelled apart, so this cell's own source does not match
_found = 0
for _obj in gc.get_objects():
    try:
        if isinstance(_obj, dict) and (_mark in _obj or set(_obj) == {"args", "kwargs"}):  # an encoded case
            _found += 1
        elif isinstance(_obj, (str, bytes)) and _obj is not _mark and _mark in str(_obj)[:100000]:
            _found += 1
    except Exception:
        pass
print("ENCODED CASES IN MEMORY:", _found)
'''


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    """``(source_root, release_root, correct notebook)`` of the fast copy of lesson 01."""
    source_root, release_root = lite_lesson(tmp_path_factory.mktemp("lesson"))
    return source_root, release_root, H.correct_notebook(LESSON, released(release_root))


def _grade(tmp_path, lesson, submissions: dict[str, object]) -> dict:
    source_root, release_root, _ = lesson
    subs = tmp_path / "subs"
    subs.mkdir()
    for sid, nb in submissions.items():
        (subs / f"{sid}.ipynb").write_bytes(H._dump(nb) if not isinstance(nb, bytes) else nb)
    grade_lesson(LESSON, subs, tmp_path / "ws", jobs=2, limits=Limits(timeout_s=30, memory_mb=2048),
                 progress=False, use_gradebook=False, source_root=source_root, release_root=release_root,
                 public_seed=True)
    return {r.student_id: r for r in load_results(tmp_path / "ws", LESSON)}


def _with_cell_before_first_answer(nb, source: str):
    out = copy.deepcopy(nb)
    first_answer = next(i for i, c in enumerate(out.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    cell = copy.deepcopy(out.cells[first_answer])
    cell.source, cell.metadata = source, {}
    cell.pop("id", None)
    out.cells.insert(first_answer, cell)
    return out


@needs_sandbox
def test_forging_results_then_dying_earns_nothing_and_honest_students_keep_theirs(tmp_path, lesson):
    correct = lesson[2]
    forger = H.by_name("forge-channel").build(correct)
    records = _grade(tmp_path, lesson, {"forger": forger, "honest": correct})
    honest, forger = records["honest"], records["forger"]
    assert honest.score == honest.max_score and not honest.flags
    assert "FORGE ATTEMPTS" in forger.log_tail, "the forging code must have run for this test to mean anything"
    assert "('object'" not in forger.log_tail, "the channel object must not live in the student's process"
    assert forger.score == 0 and all(c.points == 0 for c in forger.checks)
    # it died (root sandbox: the pipes it wrote to were its own) or was stopped (it garbled its reply pipe)
    assert any("did not finish" in f and "sigmoid-answer" in f for f in forger.flags), forger.flags


@needs_sandbox
def test_hidden_cases_reach_the_student_process_only_with_their_check(tmp_path, lesson):
    correct = lesson[2]
    records = _grade(tmp_path, lesson, {"peeker": _with_cell_before_first_answer(correct, PEEK)})
    peeker = records["peeker"]
    assert "ENCODED CASES IN MEMORY: 0" in peeker.log_tail, peeker.log_tail
    assert peeker.score == peeker.max_score  # looking is allowed; it found nothing, and the answers are right


@needs_sandbox
def test_the_sandbox_starts_with_the_graders_font_list(tmp_path, lesson):
    """Without it, each submission's first figure makes matplotlib scan the system fonts again."""
    from autograder.sandbox import font_cache

    from tests.helpers import require

    require(font_cache() is not None, "matplotlib in the grader's environment (pip install -e '.[dev]')")
    look = "import os\nprint('MPLCONFIGDIR HOLDS', sorted(os.listdir(os.environ['MPLCONFIGDIR'])))"
    records = _grade(tmp_path, lesson, {"looker": _with_cell_before_first_answer(lesson[2], look)})
    assert f"MPLCONFIGDIR HOLDS ['{font_cache().name}']" in records["looker"].log_tail, records["looker"].log_tail
