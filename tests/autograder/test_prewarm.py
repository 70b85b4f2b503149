"""Sandboxes started ahead of their submissions (the warm pool): one interpreter per submission, nothing shared.

The grader starts the next submission's sandbox, interpreter and imports while
the previous one runs (:class:`autograder.grade.WarmPool`). These tests hold it
to what the sandbox promises: a started sandbox serves one job and is never
handed out again, a student finds no trace of the one graded before, cannot
see or kill the sandbox waiting for the next student, and the wall clock of a
submission starts when its job is handed over, not when its sandbox started.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from autograder import hostile as H
from autograder.grade import Grader, WarmPool, load_lesson, parse_channel, preload_modules
from autograder.sandbox import HARNESS, Limits, Sandbox
from tests.autograder.grade_support import LESSON, lite_lesson, released

needs_sandbox = pytest.mark.usefixtures("sandbox_available")

# Leaves a mark in the interpreter (a module attribute), in /tmp and in the home folder, after saying whether
# the marks of a submission graded before it are there.
TRACES = '''
import os, numpy
print("TRACES", getattr(numpy, "_graded_before", None), os.path.exists("/tmp/mark"))
numpy._graded_before = "yes"
open("/tmp/mark", "w").write("x")
'''

# Looks for other students' processes and kills every process it can see, then says what it found.
REACH = '''
import os, signal
_mine, _students, _seen = os.getpid(), [], []
for _p in os.listdir("/proc"):
    if _p.isdigit() and int(_p) != _mine:
        _seen.append(int(_p))
        try:
            if b"--student" in open(f"/proc/{_p}/cmdline", "rb").read():
                _students.append(int(_p))
        except OSError:
            pass
print("PROCESSES SEEN", len(_seen), "OTHER STUDENT PROCESSES", _students)
for _p in _seen:
    try:
        os.kill(_p, signal.SIGKILL)
    except OSError:
        pass
'''


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    """``(spec, correct notebook)`` of the fast copy of lesson 01."""
    source_root, release_root = lite_lesson(tmp_path_factory.mktemp("lesson"))
    spec = load_lesson(LESSON, source_root=source_root, release_root=release_root)
    return spec, H.correct_notebook(LESSON, released(release_root))


def _with_cell(nb, source: str, *, first: bool = True):
    """``nb`` with a cell of the student's own before the first answer cell (or at the end)."""
    out = copy.deepcopy(nb)
    at = next(i for i, c in enumerate(out.cells) if c.metadata.get("nbgrader", {}).get("solution")) if first \
        else len(out.cells)
    cell = copy.deepcopy(out.cells[0] if out.cells[0].cell_type == "code" else
                         next(c for c in out.cells if c.cell_type == "code"))
    cell.source, cell.metadata, cell.outputs = source, {}, []
    cell.pop("id", None)
    out.cells.insert(at, cell)
    return out


def _grader(spec, prewarm: int) -> Grader:
    return Grader.create(spec, limits=Limits(timeout_s=60, memory_mb=2048), seed="0123456789abcdef" * 3,
                         prewarm=prewarm, fork_server=False)


@needs_sandbox
def test_a_started_sandbox_serves_one_job_and_its_clock_starts_with_the_job():
    sandbox = Sandbox(Limits(timeout_s=30))
    started = sandbox.start([sys.executable, "-c", "import sys; print(len(sys.stdin.read()))"])
    time.sleep(2.0)  # waiting for its job: not the submission's time
    run = started.finish(b"12345")
    assert run.output.strip() == b"5" and run.returncode == 0
    assert run.seconds < 2.0, "the wall clock must start when the job is handed over"
    with pytest.raises(RuntimeError, match="one sandbox, one submission"):
        started.finish(b"again")
    left_unused = sandbox.start([sys.executable, "-c", "import sys; sys.stdin.read()"])
    left_unused.discard()
    assert not left_unused.alive
    with pytest.raises(RuntimeError, match="one sandbox, one submission"):
        left_unused.finish(b"")


@needs_sandbox
def test_each_submission_gets_a_fresh_interpreter_and_finds_no_trace_of_the_one_before(lesson):
    spec, correct = lesson
    grader = _grader(spec, prewarm=1)
    grader.pool.expect(3)
    handed = []
    take = grader.pool.take

    def recording_take():
        started = take()
        handed.append(started)
        return started

    grader.pool.take = recording_take
    try:
        records = [grader.grade(f"s{k}", H._dump(_with_cell(correct, TRACES)))[0] for k in range(3)]
    finally:
        grader.close()
    assert len({id(s) for s in handed}) == 3 and len({s.proc.pid for s in handed}) == 3
    for record in records:
        assert "TRACES None False" in record.log_tail, record.log_tail
        assert record.score == record.max_score, record.checks
    assert grader.pool.started == 3 and grader.pool.waiting == [], "no sandbox started for a 4th submission"


@needs_sandbox
def test_a_student_cannot_see_or_kill_the_sandbox_waiting_for_the_next_one(lesson):
    spec, correct = lesson
    grader = _grader(spec, prewarm=1)
    try:
        grader.pool.expect(2)
        hostile, _ = grader.grade("hostile", H._dump(_with_cell(correct, REACH, first=False)))
        assert "OTHER STUDENT PROCESSES []" in hostile.log_tail, hostile.log_tail
        seen = int(hostile.log_tail.split("PROCESSES SEEN", 1)[1].split()[0])
        assert seen <= 3, f"only its own sandbox's init and warden should be visible, saw {seen} processes"
        (waiting,) = grader.pool.waiting
        assert waiting.alive, "the next student's sandbox was killed from inside another submission"
        honest, _ = grader.grade("honest", H._dump(correct))
        assert honest.score == honest.max_score and not honest.flags, (honest.checks, honest.flags)
    finally:
        grader.close()


@needs_sandbox
def test_a_sandbox_that_died_while_waiting_is_never_handed_out(lesson):
    spec, correct = lesson
    grader = _grader(spec, prewarm=1)
    try:
        grader.pool.expect(3)
        first = grader.pool.take()  # starts one to use and one to wait
        first.discard()
        (waiting,) = grader.pool.waiting
        os.killpg(waiting.proc.pid, signal.SIGKILL)
        waiting.proc.wait()
        record, _ = grader.grade("after", H._dump(correct))
        assert record.score == record.max_score and not record.flags, (record.checks, record.flags)
    finally:
        grader.close()


@needs_sandbox
def test_the_lesson_modules_are_imported_before_the_job_and_nothing_else(lesson):
    spec, correct = lesson
    look = "import sys\nprint('PRELOADED', 'html.parser' in sys.modules)"
    grader = _grader(spec, prewarm=0)
    plain, _ = grader.grade("plain", H._dump(_with_cell(correct, look)))
    grader.prepare = {**grader.prepare, "preload": [*grader.prepare["preload"], "html.parser"]}
    preloaded, _ = grader.grade("preloaded", H._dump(_with_cell(correct, look)))
    assert "PRELOADED False" in plain.log_tail and "PRELOADED True" in preloaded.log_tail
    assert plain.score == preloaded.score == plain.max_score


def test_preload_comes_from_the_release_imports():
    spec = load_lesson("01-neurons")
    modules = preload_modules(spec)
    for name in ("numpy", "matplotlib.pyplot", "torch", "dlkit"):
        assert name in modules, modules
    assert not any(m.startswith("google") for m in modules), "an import in an except branch is not preloaded"
    assert len(modules) == len(set(modules))


def test_a_warm_pool_needs_a_size():
    with pytest.raises(ValueError, match="size of 1 or more"):
        WarmPool(None, {}, 0)


def test_a_job_for_other_exercises_than_prepared_runs_nothing_and_is_the_graders_fault(tmp_path):
    channel = tmp_path / "channel"
    token = "0123456789abcdef" * 2
    with open(channel, "wb") as fh:
        limits = {"channel_fd": fh.fileno(), "deadline_s": 60, "memory_mb": 4096,
                  "prepare": {"exercises": ["01.relu"], "preload": []}}
        job = {"token": token, "cells": [{"kind": "code", "grade_id": "a", "source": "print('SHOULD NOT RUN')"}],
               "cases": {"01.sigmoid": []}}
        proc = subprocess.run([sys.executable, "-S", str(HARNESS), json.dumps(limits)], input=json.dumps(job).encode(),
                              pass_fds=(fh.fileno(),), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    messages, problem = parse_channel(channel.read_bytes(), token)
    (done,) = [m for m in messages if m["type"] == "done"]
    assert not problem and done["cells"] == []
    assert "grader's fault" in done["stopped"] and "01.sigmoid" in done["stopped"], done["stopped"]


def test_a_pickled_grader_leaves_its_warm_sandboxes_behind(lesson):
    import pickle

    spec, _ = lesson
    grader = Grader.create(spec, seed="0123456789abcdef" * 3, prewarm=0, unsafe=True, confine=False)
    grader.pool = WarmPool(grader.sandbox, grader.prepare, 1)  # never started: nothing to kill
    copy_ = pickle.loads(pickle.dumps(grader))
    assert copy_.pool is None and copy_.inputs_sha256 == grader.inputs_sha256 and copy_.prepare == grader.prepare
