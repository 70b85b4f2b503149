"""Every hostile submission of the catalogue, graded in one batch in the sandbox: each gets its status and the batch goes on."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def batch(lite):
    """Grade the whole catalogue plus two honest students (one graded last) with jobs=2; return records by id."""
    root, source_root, release_root, correct = lite
    server, hits = _listen()
    subs = root / "submissions"
    H.write_submissions(subs, correct, port=server.getsockname()[1])
    (subs / "aaa-honest.ipynb").write_bytes(H._dump(correct))
    (subs / "zzz-honest.ipynb").write_bytes(H._dump(correct))
    summary = grade_lesson(LESSON, subs, root / "ws", jobs=2, limits=Limits(timeout_s=12, memory_mb=2048),
                           progress=False, use_gradebook=False, source_root=source_root, release_root=release_root,
                           seed=SEED)
    server.close()
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
