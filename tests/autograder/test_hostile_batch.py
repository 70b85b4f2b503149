"""Every hostile submission of the catalogue, graded in one batch in the sandbox: each gets its status and the batch goes on."""

from __future__ import annotations

import socket
import threading

import pytest

from autograder import hostile as H
from autograder.grade import grade_lesson
from autograder.results import load_results
from autograder.sandbox import Limits, probe
from tests.autograder.grade_support import LESSON, lite_lesson, released

pytestmark = pytest.mark.skipif(probe()[0] is None, reason="no working bubblewrap here")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade the whole catalogue plus two honest students (one graded last) with jobs=2; return records by id."""
    root = tmp_path_factory.mktemp("hostile")
    source_root, release_root = lite_lesson(root)
    correct = H.correct_notebook(LESSON, released(release_root))
    server, hits = _listen()
    subs = root / "submissions"
    H.write_submissions(subs, correct, port=server.getsockname()[1])
    (subs / "aaa-honest.ipynb").write_bytes(H._dump(correct))
    (subs / "zzz-honest.ipynb").write_bytes(H._dump(correct))
    summary = grade_lesson(LESSON, subs, root / "ws", jobs=2, limits=Limits(timeout_s=12, memory_mb=2048),
                           progress=False, use_gradebook=False, source_root=source_root, release_root=release_root)
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


@pytest.mark.parametrize("name", [h.name for h in H.CATALOGUE])
def test_hostile_submission_earns_what_it_should(batch, name):
    records, _, _, correct, _ = batch
    hostile = H.by_name(name)
    assert H.problems(hostile, records[hostile.student_id], H.find_target(correct)) == []


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
