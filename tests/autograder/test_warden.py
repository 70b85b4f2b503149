"""The harness's warden and student process, driven directly (no sandbox): the protocol, stops and withdrawal."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder import landlock
from autograder.grade import encode_value, parse_channel
from autograder.sandbox import HARNESS
from dlkit.checks import core

TOKEN = "0123456789abcdef" * 2
SIGMOID = "import numpy as np\ndef sigmoid(z):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z, dtype=float)))\n"


def _cases(eid: str) -> list[dict]:
    return [{"args": encode_value(tuple(c.args)), "kwargs": encode_value(dict(c.kwargs))}
            for c in core.get(eid).cases()]


def _run(tmp_path, cells: list[dict], cases: dict, deadline_s: float = 60) -> tuple[list[dict], dict]:
    channel = tmp_path / "channel"
    with open(channel, "wb") as fh:
        limits = {"channel_fd": fh.fileno(), "deadline_s": deadline_s, "memory_mb": 4096}
        job = {"token": TOKEN, "cells": cells, "cases": cases}
        proc = subprocess.run([sys.executable, str(HARNESS), json.dumps(limits)], input=json.dumps(job).encode(),
                              pass_fds=(fh.fileno(),), capture_output=True, timeout=deadline_s + 60)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    messages, problem = parse_channel(channel.read_bytes(), TOKEN)
    assert not problem
    done = [m for m in messages if m["type"] == "done"]
    assert len(done) == 1 and messages[-1] is done[0]
    return [m for m in messages if m["type"] == "check"], done[0]


def test_cells_run_in_order_and_a_check_gets_one_result_per_case(tmp_path):
    cells = [{"kind": "code", "grade_id": "setup", "source": "x = 41\nprint('hello', x + 1)"},
             {"kind": "code", "grade_id": "answer", "source": SIGMOID},
             {"kind": "check", "grade_id": "sigmoid-check", "calls": [["01.sigmoid", "sigmoid"]]}]
    checks, done = _run(tmp_path, cells, {"01.sigmoid": _cases("01.sigmoid")})
    assert [c["grade_id"] for c in checks] == ["sigmoid-check"]
    (result,) = checks[0]["results"]
    assert result["exercise_id"] == "01.sigmoid" and result["found"] is True
    assert len(result["outcomes"]) == len(core.get("01.sigmoid").cases())
    assert all(o["error"] is None and o["output"] for o in result["outcomes"])
    assert done["cells"][0]["text"].strip() == "hello 42" and done["stopped"] == "" and not done["timed_out"]
    if landlock.abi_version() >= 1:
        assert done["sealed"] == ""  # the reference sources were made unreadable
    else:
        assert "Landlock" in done["sealed"]


def test_the_deadline_stops_a_cell_and_says_which(tmp_path):
    cells = [{"kind": "code", "grade_id": "loop", "source": "while True:\n    pass"},
             {"kind": "check", "grade_id": "sigmoid-check", "calls": [["01.sigmoid", "sigmoid"]]}]
    checks, done = _run(tmp_path, cells, {"01.sigmoid": _cases("01.sigmoid")}, deadline_s=8)
    assert checks == []
    assert done["timed_out"] is True and done["stopped_at"] == "loop"
    assert "time limit" in done["stopped"] and "loop" in done["stopped"]


def test_a_dying_process_is_reported_with_its_exit_code_and_cell(tmp_path):
    cells = [{"kind": "code", "grade_id": "answer", "source": "import os\nos._exit(3)"},
             {"kind": "check", "grade_id": "sigmoid-check", "calls": [["01.sigmoid", "sigmoid"]]}]
    checks, done = _run(tmp_path, cells, {"01.sigmoid": _cases("01.sigmoid")})
    assert checks == [] and "exited with code 3 in cell answer" in done["stopped"]


def test_a_failed_start_is_the_graders_fault_and_runs_nothing(tmp_path):
    cells = [{"kind": "code", "grade_id": "answer", "source": "print('SHOULD NOT RUN')"}]
    checks, done = _run(tmp_path, cells, {"99.no-such-exercise": []})
    assert checks == [] and done["cells"] == []
    assert "grader's fault" in done["stopped"] and "lesson99" in done["stopped"]


@pytest.mark.parametrize("how", ["from dlkit.reference import sigmoid as f",
                                 "import dlkit.checks.lesson01 as m\nf = m.two_layer_forward"])
def test_the_lessons_references_are_withdrawn_before_student_code_runs(tmp_path, how):
    source = how + "\ntry:\n    f(0.0)\nexcept RuntimeError as exc:\n    print('TRIPPED:', exc)"
    cells = [{"kind": "code", "grade_id": "probe", "source": source}]
    _, done = _run(tmp_path, cells, {"01.sigmoid": [], "01.two_layer": []})
    assert "TRIPPED:" in done["cells"][0]["text"] and "is withdrawn while 01." in done["cells"][0]["text"]


def test_other_references_stay_usable(tmp_path):
    source = "from dlkit.reference import sigmoid\nprint('VALUE', sigmoid(0.0))"
    cells = [{"kind": "code", "grade_id": "probe", "source": source}]
    _, done = _run(tmp_path, cells, {"01.relu": []})  # sigmoid is not an exercise of this job
    assert "VALUE 0.5" in done["cells"][0]["text"]


def test_a_student_process_that_stops_reading_cannot_block_the_warden(tmp_path):
    """The student swaps its request pipe for one nobody writes to, keeping the old one open and unread:
    the check's cases (megabytes, over a pipe's 64 KiB) then cannot be delivered, and the deadline ends it."""
    stall = ("import os, sys\n"
             "_kept = os.dup(int(sys.argv[2]))      # the real request pipe stays open, never read again\n"
             "_r, _w = os.pipe()\n"
             "os.dup2(_r, int(sys.argv[2]))\n" + SIGMOID)
    big = [{"args": encode_value((__import__("numpy").zeros(200_000),)), "kwargs": {}}]
    cells = [{"kind": "code", "grade_id": "answer", "source": stall},
             {"kind": "check", "grade_id": "sigmoid-check", "calls": [["01.sigmoid", "sigmoid"]]}]
    checks, done = _run(tmp_path, cells, {"01.sigmoid": big}, deadline_s=6)
    assert done["cells"][0]["error"] is None, done["cells"]
    assert checks == [] and done["timed_out"] is True and done["stopped_at"] == "sigmoid-check"
