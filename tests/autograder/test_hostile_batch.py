"""Every hostile submission of the catalogue, graded in one batch in the sandbox: each gets its status and the batch goes on."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from autograder import hostile as H
from autograder.grade import grade_lesson
from autograder.results import load_results
from autograder.sandbox import Limits
from tests.autograder.grade_support import LESSON, lite_lesson, released

pytestmark = pytest.mark.usefixtures("sandbox_available")

#: The instructor's secret seed of this batch (as `python -m autograder seed` makes them).
SEED = "5b1f0c7e9a2d4c6b8e0f1a3c5d7e9b2a4c6e8f0a1b3d5f7e9c2a4b6d8f0e1c3a"


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    """The fast copy of lesson 01, released once for this module: ``(root, source_root, release_root, correct)``."""
    root = tmp_path_factory.mktemp("hostile")
    source_root, release_root = lite_lesson(root)
    return root, source_root, release_root, H.correct_notebook(LESSON, released(release_root))


@pytest.fixture(scope="module", params=["fork servers", "a sandbox per submission"])
def batch(lite, request):
    """Grade the whole catalogue plus two honest students (one graded last) with jobs=2; return records by id.

    Twice: in fork servers (each submission a fork of a process that loaded the lesson once) and with a
    sandbox started per submission (where fork servers cannot run: without root).
    """
    root, source_root, release_root, correct = lite
    forked = request.param == "fork servers"
    if forked:
        request.getfixturevalue("fork_server_available")
    root = root / ("forked" if forked else "per-submission")
    server, hits = _listen()
    subs = root / "submissions"
    H.write_submissions(subs, correct, port=server.getsockname()[1], seed=SEED)
    (subs / "aaa-honest.ipynb").write_bytes(H._dump(correct))
    (subs / "zzz-honest.ipynb").write_bytes(H._dump(correct))
    summary = grade_lesson(LESSON, subs, root / "ws", jobs=2, limits=Limits(timeout_s=12, memory_mb=2048),
                           progress=False, use_gradebook=False, source_root=source_root, release_root=release_root,
                           seed=SEED, fork_server=forked)
    server.close()
    assert summary.runner == request.param, summary.runner
    return {r.student_id: r for r in load_results(root / "ws", LESSON)}, summary, hits, correct, root


def _listen():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    hits = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            hits.append(conn.recv(100))
            conn.close()
    threading.Thread(target=accept, daemon=True).start()
    return server, hits


def test_every_submission_has_a_record(batch):
    records, summary, *_ = batch
    expected = {h.student_id for h in H.CATALOGUE} | {"aaa-honest", "zzz-honest"}
    assert set(records) == expected
    assert len(summary.records) == len(expected)
    # the pace the instructor is shown: every submission run finished once, in order, before the batch ended
    run = [r for r in records.values() if r.graded]
    assert len(summary.finished_s) >= len(run) > 2
    assert summary.finished_s == sorted(summary.finished_s) and 0 < summary.finished_s[-1] <= summary.seconds
    first, each = summary.pace()
    assert first == summary.finished_s[0] and 0 < each <= summary.seconds / (len(summary.finished_s) - 1)
    assert f"{len(summary.finished_s)} run in " in summary.pace_line()
    assert {r.student_id for r in run} <= set(summary.profiles)  # each run's sandbox phases, for the benchmarks


#: Proved alone below, where no other limit can stop it first.
ALONE = ("memory-bomb",)


@pytest.mark.parametrize("name", [h.name for h in H.CATALOGUE if h.name not in ALONE])
def test_hostile_submission_earns_what_it_should(batch, name):
    records, _, _, correct, _ = batch
    hostile = H.by_name(name)
    assert H.problems(hostile, records[hostile.student_id], H.find_target(correct)) == []


def test_memory_bomb_is_stopped_by_the_memory_cap_however_slow_the_machine(lite, tmp_path):
    """The time limit is made irrelevant (far longer than touching the memory takes on any machine):
    the record must give a memory reason, never the clock. In the batch (12 s) a busy machine hit the time limit first."""
    _, source_root, release_root, correct = lite
    H.write_submissions(tmp_path / "subs", correct, ["memory-bomb"])
    grade_lesson(LESSON, tmp_path / "subs", tmp_path / "ws", limits=Limits(timeout_s=600, memory_mb=1024),
                 progress=False, use_gradebook=False, source_root=source_root, release_root=release_root,
                 public_seed=True)
    record = {r.student_id: r for r in load_results(tmp_path / "ws", LESSON)}["hostile-memory-bomb"]
    assert not record.timed_out, H.record_text(H._as_dict(record))
    assert H.problems(H.by_name("memory-bomb"), record, H.find_target(correct)) == []
    text = " ".join([record.status, *record.flags, *(c.message for c in record.checks)]).lower()
    assert "memory" in text and "time limit" not in text, text


def _lesson_points() -> float:
    """The lesson's total points, from the check cells of the instructor source."""
    from autograder import SOLUTIONS
    from autograder import notebooks as nbs

    return sum(float(c.metadata["nbgrader"].get("points", 0)) for path in (SOLUTIONS / LESSON).glob("*.ipynb")
               for c in nbs.read(path).cells if c.metadata.get("nbgrader", {}).get("grade"))


def test_honest_students_keep_full_points(batch):
    records, *_ = batch
    for sid in ("aaa-honest", "zzz-honest"):
        rec = records[sid]
        assert rec.status == "graded" and rec.flags == [] and rec.repairs == []
        assert rec.score == rec.max_score == _lesson_points()


def test_nothing_escaped(batch):
    records, _, hits, _, root = batch
    assert hits == []  # no connection reached the test's server on 127.0.0.1
    assert H.stray_markers() == [] and H.stray_markers(root) == []
    assert H.lingering_processes() == []
    assert "LEAKED" not in records["hostile-read-secrets"].log_tail


# -- what is hidden stays hidden, and what a submission wrote stays text --------------------------

def _hidden_fingerprints(record, exercise_id: str) -> set[str]:
    """Ways the leak entry writes the hidden inputs it was given: each value's repr, their JSON and base64."""
    import base64

    import numpy as np

    from dlkit.checks import core

    found = set()
    for case in core.get(exercise_id).cases(hidden=True, seed=SEED, salt=record.submission_sha256):
        seen = [np.asarray(a, dtype=float).ravel()[:6].tolist() for a in case.args if hasattr(a, "shape")]
        found |= {repr(v) for a in seen for v in a if len(repr(v)) >= 8}
        found |= {json.dumps(seen), base64.b64encode(json.dumps(seen).encode()).decode()}
    return found


def test_hidden_inputs_reach_no_record_feedback_or_report(batch):
    """A correct function that records its inputs, and on hidden cases prints them, raises them (message and
    class name), returns an object named after them and a shape that spells them, earns nothing for it and
    none of it reaches its record, its feedback page or the class report."""
    from autograder.feedback import Redactor, render_feedback
    from autograder.report import render_report

    records, _, _, correct, _ = batch
    record = records["hostile-leak-hidden"]
    fingerprints = _hidden_fingerprints(record, H.find_target(correct).exercise_id)
    assert len(fingerprints) > 5, fingerprints
    ids = {e for c in record.checks for e in c.exercise_ids}
    page = render_feedback(record, redactor=Redactor(ids, seed=SEED, salt=record.submission_sha256))
    report = render_report(list(records.values()), LESSON,
                           redactor=lambda r: Redactor(ids, seed=SEED, salt=r.submission_sha256))
    raw = json.dumps(record.to_dict())
    for where, text in (("record", raw), ("feedback", page), ("report", report)):
        for secret in (H.HIDDEN_LEAK_TAG, "Leak_", *fingerprints):
            assert secret not in text, f"{where} shows {secret!r}"
    message = next(c.message for c in record.checks if not c.passed)
    assert "fails a hidden check (random values, random shape)" in message, message


def test_a_table_of_leaked_hidden_inputs_earns_nothing(batch, lite):
    """The table entry knows the seed and the hidden inputs a correct submission was graded on: it loses the
    target's points. Graded on the hidden inputs drawn without the submission's digest (as before), the same
    file earns full points: the table is right, only the per-submission draw defeats it."""
    from autograder import grade

    records, _, _, correct, root = batch
    record = records["hostile-table-of-inputs"]
    target = H.find_target(correct)
    assert {c.grade_id: c.points for c in record.checks}[target.check_id] == 0
    _, source_root, release_root, _ = lite
    spec = grade.load_lesson(LESSON, source_root=source_root, release_root=release_root)
    unsalted = grade.Grader.create(spec, seed=SEED, limits=Limits(timeout_s=30, memory_mb=2048))
    unsalted.cases_for = lambda digest: grade.draw_cases(spec, SEED)
    control, _ = unsalted.grade("control", (root / "submissions" / "hostile-table-of-inputs.ipynb").read_bytes())
    assert control.score == control.max_score, [c.message for c in control.checks if not c.passed]


def test_text_from_a_submission_is_only_ever_text(batch):
    """A failure message matplotlib would parse as maths: the report still renders, and shows it as text."""
    import html

    from autograder.feedback import render_feedback
    from autograder.report import render_report

    import io

    import matplotlib.pyplot as plt

    records, *_ = batch
    record = records["hostile-math-text"]
    assert H.MATH_TEXT in " ".join(c.message for c in record.checks)
    fig, ax = plt.subplots()
    ax.text(0, 0, H.MATH_TEXT)  # drawn as matplotlib would by default: parsed as maths, and broken
    with pytest.raises(ValueError):
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    page = render_report([record, records["aaa-honest"]], LESSON)  # its message is the most frequent failure
    assert html.escape(H.MATH_TEXT, quote=False) in page and "Most frequent failure messages" in page
    assert html.escape(H.MATH_TEXT, quote=False) in render_feedback(record)


def test_a_rejected_bomb_is_recorded_with_its_checksum_and_not_read_again(batch, lite, tmp_path):
    import hashlib
    import shutil

    records, _, _, _, root = batch
    _, source_root, release_root, _ = lite
    again = tmp_path / "again"
    again.mkdir()
    for name in ("nested-json", "many-values"):
        record = records[f"hostile-{name}"]
        data = (root / "submissions" / f"hostile-{name}.ipynb").read_bytes()
        assert record.submission_sha256 == hashlib.sha256(data).hexdigest() and record.inputs_sha256
        shutil.copy(root / "submissions" / f"hostile-{name}.ipynb", again)
    summary = grade_lesson(LESSON, again, root / "ws", limits=Limits(timeout_s=12, memory_mb=2048), progress=False,
                           use_gradebook=False, source_root=source_root, release_root=release_root, seed=SEED)
    assert summary.reused == 2, summary.line()
