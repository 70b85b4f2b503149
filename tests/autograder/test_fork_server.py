"""Fork servers: a lesson loaded once in a sandbox, each submission graded in a fork of it, nothing shared.

A fork server (:class:`autograder.sandbox.ForkServer`) imports the lesson's
modules once and forks each submission's process, so a class does not pay an
interpreter and the lesson's imports per student. These tests hold it to what a
sandbox per submission promises: each submission is a fresh process with its own
uid, /tmp, /dev/shm and System V IPC, sees and signals nothing outside its own
processes, leaves nothing running, and is stopped at its time limit; the server
runs no student code, and when it cannot serve, the submission is graded in a
sandbox of its own and the batch says so.
"""

from __future__ import annotations

import copy
import os
import signal
import time
from pathlib import Path

import pytest

from autograder import hostile as H
from autograder.grade import ForkServerPool, Grader, load_lesson
from autograder.sandbox import ForkServer, ForkServerUnavailable, Limits
from tests.autograder.grade_support import LESSON, lite_lesson, released

pytestmark = pytest.mark.usefixtures("fork_server_available")

SEED = "0123456789abcdef" * 3

# Says whether a submission graded before it left a mark (in the interpreter, /tmp, /dev/shm, System V shared
# memory), which uid it runs as, then leaves those marks itself.
TRACES = '''
import ctypes, os, numpy
_libc = ctypes.CDLL(None, use_errno=True)
_sysv = _libc.shmget(0x5EED, 4096, 0) != -1
print("TRACES", getattr(numpy, "_graded_before", None), os.path.exists("/tmp/mark"), os.path.exists("/dev/shm/mark"),
      _sysv, "UID", os.getuid())
numpy._graded_before = "yes"
open("/tmp/mark", "w").write("x")
open("/dev/shm/mark", "w").write("x")
_libc.shmget(0x5EED, 4096, 0o1666)
import gc
print("LESSON FROZEN", gc.get_freeze_count() > 0)  # the lesson's objects, out of the child's collections
'''

# Lists the processes it can see and sends SIGKILL to every one of them (its init included), then says so.
REACH = '''
import os, signal
_mine = os.getpid()
_seen = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != _mine)
print("PROCESSES SEEN", _seen)
for _p in _seen + [-1]:
    try:
        os.kill(_p, signal.SIGKILL)
    except OSError:
        pass
print("STILL HERE")
'''

# Starts a process of its own in a new session (a daemon, as far as it can tell) and returns at once.
DAEMON = f'''
import subprocess
subprocess.Popen(["sleep", "{H.LINGER_SECONDS}"], start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("DAEMON STARTED")
'''


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    """``(spec, correct notebook)`` of the fast copy of lesson 01."""
    source_root, release_root = lite_lesson(tmp_path_factory.mktemp("lesson"))
    spec = load_lesson(LESSON, source_root=source_root, release_root=release_root)
    return spec, H.correct_notebook(LESSON, released(release_root))


def _with_cell(nb, source: str):
    """``nb`` with a cell of the student's own before the first answer cell."""
    out = copy.deepcopy(nb)
    at = next(i for i, c in enumerate(out.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    cell = copy.deepcopy(next(c for c in out.cells if c.cell_type == "code"))
    cell.source, cell.metadata, cell.outputs = source, {}, []
    cell.pop("id", None)
    out.cells.insert(at, cell)
    return out


def _grader(spec, timeout_s: float = 60) -> Grader:
    grader = Grader.create(spec, limits=Limits(timeout_s=timeout_s, memory_mb=2048), seed=SEED, fork_server=True)
    assert isinstance(grader.pool, ForkServerPool) and grader.runner() == "fork servers"
    return grader


def _server(grader: Grader) -> ForkServer:
    (server,) = grader.pool.free
    return server


def _full_marks(record) -> bool:
    return record.score == record.max_score and not record.flags


def test_each_submission_is_a_fresh_process_with_its_own_uid_tmp_and_shared_memory(lesson):
    spec, correct = lesson
    grader = _grader(spec)
    try:
        records = [grader.grade(f"s{k}", H._dump(_with_cell(correct, TRACES)))[0] for k in range(3)]
        server = _server(grader)
        assert server.served == 3, "one server graded the three submissions"
    finally:
        grader.close()
    uids = []
    for record in records:
        assert "TRACES None False False False UID" in record.log_tail, record.log_tail
        assert "LESSON FROZEN True" in record.log_tail, record.log_tail
        assert _full_marks(record), (record.checks, record.flags)
        uids.append(int(record.log_tail.split("UID", 1)[1].split()[0]))
    assert len(set(uids)) == 3 and 0 not in uids, uids


def test_a_submission_sees_and_signals_nothing_but_its_own_processes(lesson):
    spec, correct = lesson
    grader = _grader(spec)
    try:
        hostile, _ = grader.grade("hostile", H._dump(_with_cell(correct, REACH)))
        server = _server(grader)
        honest, _ = grader.grade("honest", H._dump(correct))
        assert _server(grader) is server and server.alive and server.served == 2, "the server itself was reached"
    finally:
        grader.close()
    seen = hostile.log_tail.split("PROCESSES SEEN", 1)[1].split("]", 1)[0]
    assert seen.strip(" [") in ("", "1"), f"only its own namespace's init should be visible, saw {seen}]"
    assert "STILL HERE" in hostile.log_tail, "killing everything it could see must not kill itself through its init"
    assert _full_marks(honest), (honest.checks, honest.flags)


def test_what_a_submission_leaves_running_dies_with_it(lesson):
    spec, correct = lesson
    grader = _grader(spec)
    try:
        grader.grade("before", H._dump(correct))
        server = _server(grader)
        between_jobs = _children(server.proc.pid)  # bwrap's init and the server
        record, _ = grader.grade("daemon", H._dump(_with_cell(correct, DAEMON)))
        assert "DAEMON STARTED" in record.log_tail and _full_marks(record), record.log_tail
        deadline = time.monotonic() + 10
        while H.lingering_processes() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert H.lingering_processes() == [], "the submission's daemon outlived it"
        assert _server(grader) is server and _children(server.proc.pid) == between_jobs, \
            "the server must hold nothing of a submission once it is graded"
    finally:
        grader.close()


def _children(pid: int) -> int:
    """How many processes descend from ``pid`` (bwrap, then the server under it, ...)."""
    count, todo = 0, [pid]
    while todo:
        here = todo.pop()
        try:
            kids = [int(p) for t in os.listdir(f"/proc/{here}/task")
                    for p in Path(f"/proc/{here}/task/{t}/children").read_text().split()]
        except OSError:
            kids = []
        count += len(kids)
        todo += kids
    return count


def test_a_submission_past_its_time_limit_is_stopped_and_the_next_one_is_graded_afresh(lesson):
    spec, correct = lesson
    grader = _grader(spec, timeout_s=8)
    try:
        stuck, _ = grader.grade("stuck", H._dump(_with_cell(correct, "while True:\n    pass")))
        after, _ = grader.grade("after", H._dump(correct))
    finally:
        grader.close()
    assert stuck.timed_out and stuck.score == 0, (stuck.timed_out, stuck.score)
    assert _full_marks(after), (after.checks, after.flags)


def test_a_server_that_died_between_submissions_is_replaced(lesson):
    spec, correct = lesson
    grader = _grader(spec)
    try:
        first, _ = grader.grade("first", H._dump(correct))
        dead = _server(grader)
        os.killpg(dead.proc.pid, signal.SIGKILL)
        dead.proc.wait()
        second, _ = grader.grade("second", H._dump(correct))
        assert _server(grader) is not dead and grader.runner() == "fork servers"
    finally:
        grader.close()
    assert _full_marks(first) and _full_marks(second), (second.checks, second.flags)


def test_when_no_fork_server_can_serve_each_submission_gets_a_sandbox_and_the_batch_says_why(lesson, monkeypatch):
    spec, correct = lesson
    grader = _grader(spec)

    def refuse(self, timeout):
        self.close()
        raise ForkServerUnavailable("loading the lesson started 1 more thread(s)")

    monkeypatch.setattr(ForkServer, "wait_ready", refuse)
    try:
        records = [grader.grade(f"s{k}", H._dump(correct))[0] for k in range(2)]
    finally:
        grader.close()
    assert all(_full_marks(r) for r in records), [(r.checks, r.flags) for r in records]
    assert grader.runner() == ("a sandbox per submission (no fork server could serve: "
                               "loading the lesson started 1 more thread(s))")


def test_fork_servers_are_refused_without_the_sandbox(lesson):
    spec, _ = lesson
    with pytest.raises(ValueError, match="fork servers need the sandbox"):
        Grader.create(spec, seed=SEED, unsafe=True, confine=False, fork_server=True)
    unconfined = Grader.create(spec, seed=SEED, unsafe=True, confine=False)
    assert unconfined.pool is None and unconfined.runner() == "NO sandbox (--unsafe)"


def test_the_peak_memory_reported_is_the_student_process_s(lesson):
    """The warden reads the student process's peak resident memory, not its init's (the capacity model uses it)."""
    spec, correct = lesson
    grader = _grader(spec)
    try:
        small, _ = grader.grade("small", H._dump(correct))
        big, _ = grader.grade("big", H._dump(_with_cell(correct, "_big = b'1' * 300_000_000")))
    finally:
        grader.close()
    assert _full_marks(big), (big.checks, big.flags)
    small_mb, big_mb = grader.profiles["small"]["peak_rss_mb"], grader.profiles["big"]["peak_rss_mb"]
    assert big_mb - small_mb > 250, (small_mb, big_mb)
