"""Crash safety and bookkeeping: kill mid-batch then resume; gradebook == grades.csv == nbgrader export."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from autograder import REPO
from autograder import hostile as H
from autograder.nbgrader_course import Course, read_grades
from autograder.results import load_results

from autograder.synthetic import fill, mutants
from tests.autograder.grade_support import LESSON, lite_lesson, released

pytestmark = pytest.mark.usefixtures("sandbox_available")

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from autograder.grade import grade_lesson
    from autograder.sandbox import Limits
    root = Path(sys.argv[1])
    s = grade_lesson("01-neurons", root / "subs", root / "ws", jobs=1, limits=Limits(timeout_s=60), progress=False,
                     source_root=root / "source", release_root=root / "release", public_seed=True)
    print(s.line())
""")


def _grade(root) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(root)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_kill_mid_batch_then_resume(tmp_path):
    lite_lesson(tmp_path)
    correct = H.correct_notebook(LESSON, released(tmp_path / "release"))
    # exercises no other answer calls (two_layer_forward calls relu, softmax and dense_forward)
    wrong = {f"{name}-answer": mutants(LESSON)[name][0][1] for name in ("sigmoid", "tanh", "two_layer")}
    subs = tmp_path / "subs"
    subs.mkdir()
    for k in range(6):
        nb = fill(correct, {g: s for i, (g, s) in enumerate(wrong.items()) if i < k % 4})
        (subs / f"s{k}.ipynb").write_bytes(H._dump(nb))
    results = tmp_path / "ws" / "results" / LESSON
    proc = _grade(tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(results.glob("s*.json"))) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    first = {r.student_id: r for r in load_results(tmp_path / "ws", LESSON)}
    assert 2 <= len(first) < 6, "the batch should have been killed part way"
    rerun = _grade(tmp_path)
    out, _ = rerun.communicate(timeout=240)
    assert rerun.returncode == 0, out
    assert f"{len(first)} unchanged since the last run" in out
    final = {r.student_id: r for r in load_results(tmp_path / "ws", LESSON)}
    assert sorted(final) == [f"s{k}" for k in range(6)]
    for sid, rec in first.items():
        assert final[sid].to_dict() == rec.to_dict()  # reused, not re-graded
    # each wrong answer (a mutant) costs exactly its check's points
    points = {c.grade_id: c.max_points for c in final["s0"].checks}
    order = [g.replace("-answer", "-check") for g in wrong]
    for k in range(6):
        assert final[f"s{k}"].score == sum(points.values()) - sum(points[g] for g in order[:k % 4])
    with open(tmp_path / "ws" / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["student_id"] for r in rows] == [f"s{k}" for k in range(6)]  # no duplicate rows
    # a third run changes nothing
    again = _grade(tmp_path)
    out, _ = again.communicate(timeout=240)
    assert "6 unchanged since the last run" in out
    assert {r.student_id: r.to_dict() for r in load_results(tmp_path / "ws", LESSON)} == \
        {k: v.to_dict() for k, v in final.items()}

    # nbgrader's own export of the gradebook agrees with grades.csv
    course = Course(tmp_path / "ws", tmp_path / "source")
    exported = read_grades(course.export(tmp_path / "nbgrader-export.csv"))
    for row in rows:
        theirs = exported[(row["student_id"], LESSON)]
        assert float(theirs["score"]) == float(row["score"])
        assert float(theirs["max_score"]) == float(row["max_score"])
    autograded = tmp_path / "ws" / "autograded" / "s0" / LESSON / f"{LESSON}.ipynb"
    assert autograded.exists()
