"""The result channel: a frame written by student code is detected, not trusted.

Student code runs in the harness's process, so it can find the channel (and
its token) in memory and write a frame of its own. The harness writes exactly
one result per check cell; a check with two results was forged, and earns
nothing.
"""

from __future__ import annotations

import copy

import pytest

from autograder import hostile as H
from autograder.grade import checks_by_id, grade_lesson
from autograder.results import load_results
from autograder.sandbox import Limits, probe
from tests.autograder.grade_support import LESSON, lite_lesson, released


def test_a_check_with_two_results_is_reported_and_neither_is_kept():
    real = {"type": "check", "grade_id": "sigmoid-check", "results": ["real"]}
    forged = {"type": "check", "grade_id": "sigmoid-check", "results": ["forged"]}
    other = {"type": "check", "grade_id": "tanh-check", "results": []}
    by_check, dup, done = checks_by_id([forged, other, real, {"type": "done", "cells": []}])
    assert dup == ["sigmoid-check"] and done == {"type": "done", "cells": []}
    assert by_check["tanh-check"] is other
    assert checks_by_id([real, other])[1] == []


FORGE = '''
import gc, json, os
for obj in gc.get_objects():
    if type(obj).__name__ == "Channel" and hasattr(obj, "token") and hasattr(obj, "fd"):
        payload = json.dumps({"type": "check", "grade_id": "sigmoid-check", "results": []}).encode()
        os.write(obj.fd, obj.token + b" " + str(len(payload)).encode() + b"\\n" + payload)
        print("FORGED")
'''


@pytest.mark.skipif(probe()[0] is None, reason="no working bubblewrap here")
def test_a_frame_forged_by_student_code_earns_nothing_and_is_flagged(tmp_path):
    source_root, release_root = lite_lesson(tmp_path)
    correct = H.correct_notebook(LESSON, released(release_root))
    forging = copy.deepcopy(correct)
    first_answer = next(i for i, c in enumerate(forging.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    forging.cells.insert(first_answer, copy.deepcopy(forging.cells[first_answer]))
    cell = forging.cells[first_answer]
    cell.source, cell.metadata = FORGE, {}
    cell.pop("id", None)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "forger.ipynb").write_bytes(H._dump(forging))
    (subs / "honest.ipynb").write_bytes(H._dump(correct))
    grade_lesson(LESSON, subs, tmp_path / "ws", jobs=1, limits=Limits(timeout_s=30, memory_mb=2048),
                 progress=False, use_gradebook=False, source_root=source_root, release_root=release_root)
    records = {r.student_id: r for r in load_results(tmp_path / "ws", LESSON)}
    honest, forger = records["honest"], records["forger"]
    assert honest.score == honest.max_score and not honest.flags
    assert "FORGED" in forger.log_tail, "the forging cell must have reached the channel for this test to mean anything"
    points = {c.grade_id: c.points for c in forger.checks}
    assert points["sigmoid-check"] == 0
    assert any("sigmoid-check" in f and "forged" in f for f in forger.flags), forger.flags
    assert forger.score == honest.max_score - next(c.max_points for c in forger.checks if c.grade_id == "sigmoid-check")
