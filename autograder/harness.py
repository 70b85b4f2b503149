"""The in-sandbox harness: runs one submission's cells and returns outcomes as plain data.

This file runs INSIDE the sandbox, as a script, with nothing of the grader
importable but ``dlkit``. It never judges anything; it only answers "what did
the student's function return for these inputs?".

Protocol (see :mod:`autograder.grade` for the other side):

- stdin, read whole before any student code runs, holds one JSON object:
  ``{"token": hex, "cells": [{"kind": "code", "grade_id": ..., "source": ...}
  | {"kind": "check", "grade_id": ..., "calls": [[exercise_id, function_name], ...]}],
  "cases": {exercise_id: [encoded_case, ...]}}``.
- the *channel*, a pipe whose fd number comes with the limits, carries framed messages ``b"<token> <n>\\n" + n bytes
  of JSON``: one ``{"type": "check", ...}`` per check cell, when the notebook
  reaches it, and ``{"type": "done", ...}`` at the end. stdout and stderr
  are never read for verdicts, so printing "all checks passed" earns nothing.

Cells run in order in one namespace with IPython's ``InteractiveShell`` (no
Jupyter kernel). Check cells are not executed: at a check cell's place the
harness calls the student's functions on the cases it was given with
:func:`dlkit.checks.core.call_student`. Before each check cell it compares
numpy, builtins and dlkit.checks with a snapshot taken before any student code
ran; a changed name is reported, and the grader gives that check no points.

Run ``python harness.py LIMITS_JSON`` for the protocol, or
``python harness.py LIMITS_JSON --exec CMD ...`` to confine and exec a command
(used by tests of the sandbox itself).
"""

from __future__ import annotations

import base64
import builtins
import ctypes
import io
import json
import os
import resource
import sys
import time

#: Characters of output kept per cell and in total (the rest is dropped).
CELL_OUTPUT_CHARS = 2000
TOTAL_OUTPUT_CHARS = 20000
PR_SET_NO_NEW_PRIVS = 38


# -- confinement: runs first, as the sandbox's root, before anything else --------

def confine(limits: dict) -> None:
    """Apply rlimits, then (when root) drop to an unprivileged uid with no capabilities.

    ``limits`` keys: ``memory_mb`` (RLIMIT_DATA: heap and private writable
    mappings; not RLIMIT_AS, which a CUDA build of torch exceeds just by
    reserving address space at import), ``cpu_s`` (RLIMIT_CPU),
    ``nproc`` (RLIMIT_NPROC, enforced because the uid is not root),
    ``fsize_mb`` (RLIMIT_FSIZE), ``nofile``, ``uid``.
    """
    mb = 1024 * 1024
    settings = [
        (resource.RLIMIT_DATA, limits.get("memory_mb"), mb),
        (resource.RLIMIT_CPU, limits.get("cpu_s"), 1),
        (resource.RLIMIT_NPROC, limits.get("nproc"), 1),
        (resource.RLIMIT_FSIZE, limits.get("fsize_mb"), mb),
        (resource.RLIMIT_NOFILE, limits.get("nofile"), 1),
        (resource.RLIMIT_CORE, 0, 1),
    ]
    for which, value, unit in settings:
        if value is not None:
            cap = int(value) * unit
            resource.setrlimit(which, (cap, cap))
    uid = limits.get("uid")
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # leaving uid 0 clears every capability
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# -- plain-data encoding (mirrors autograder.grade.encode_value) ----------------------

def decode_value(v):
    """JSON -> Python: ``{"__nd__": [dtype, shape, b64]}`` arrays, ``{"__tuple__": [...]}`` tuples."""
    import numpy as np

    if isinstance(v, dict):
        if "__nd__" in v:
            dtype, shape, data = v["__nd__"]
            return np.frombuffer(base64.b64decode(data), dtype=np.dtype(dtype)).reshape(shape).copy()
        if "__tuple__" in v:
            return tuple(decode_value(x) for x in v["__tuple__"])
        return {k: decode_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decode_value(x) for x in v]
    return v


def encode_array(a) -> dict:
    import numpy as np

    a = np.ascontiguousarray(a, dtype="<f8")
    return {"__nd__": ["<f8", list(a.shape), base64.b64encode(a.tobytes()).decode("ascii")]}


# -- output capture -------------------------------------------------------------------

class CappedText(io.TextIOBase):
    """A text sink that keeps at most ``limit`` characters and counts the rest."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(s[:room])
            self.kept += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self) -> str:
        tail = f"\n[... {self.dropped} more characters of output dropped ...]" if self.dropped else ""
        return "".join(self.parts) + tail


# -- integrity: what student code must not change -------------------------------------

def snapshot(modules) -> dict:
    """``{"module.name": id(object)}`` for every public attribute of the given modules."""
    snap = {}
    for mod in modules:
        for name, value in list(vars(mod).items()):
            if not name.startswith("__"):
                snap[f"{mod.__name__}.{name}"] = id(value)
    return snap


def changed(before: dict, modules) -> list[str]:
    now = snapshot(modules)
    return sorted(k for k, v in before.items() if now.get(k) != v)


# -- the protocol ------------------------------------------------------------------------

class Channel:
    """Framed messages to the grader on a pipe fd, each carrying the run's token."""

    def __init__(self, fd: int, token: str):
        self.fd = fd
        self.token = token.encode("ascii")

    def send(self, message: dict) -> bool:
        payload = json.dumps(message, allow_nan=True).encode("utf-8")
        frame = self.token + b" " + str(len(payload)).encode() + b"\n" + payload
        try:
            view = memoryview(frame)
            while view:
                n = os.write(self.fd, view)
                view = view[n:]
            return True
        except OSError:
            return False


def run_protocol(job: dict, channel: Channel) -> None:
    os.environ["MPLBACKEND"] = "Agg"
    import numpy as np

    from dlkit.checks import core

    call_student = core.call_student
    get_exercise = core.get
    case_type = core.Case
    ndarray = np.ndarray
    getprofile = sys.getprofile
    import dlkit.checks as checks_pkg

    cases = {}
    for eid, raw in job["cases"].items():
        get_exercise(eid)  # import the lesson's check module before student code runs
        cases[eid] = [case_type(tuple(decode_value(c["args"])), decode_value(c["kwargs"])) for c in raw]

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(user_ns={"__name__": "__main__"})
    shell.colors = "NoColor"
    guarded = [np, builtins, core, checks_pkg]
    before = snapshot(guarded)
    real_stdout, real_stderr = sys.stdout, sys.stderr
    total = CappedText(TOTAL_OUTPUT_CHARS)
    cell_outputs = []
    errors = []

    for cell in job["cells"]:
        if cell["kind"] == "code":
            out = CappedText(CELL_OUTPUT_CHARS)
            sys.stdout = sys.stderr = out
            try:
                result = shell.run_cell(cell["source"], store_history=False, silent=False)
                err = result.error_in_exec or result.error_before_exec
            except BaseException as exc:  # run_cell catches nearly everything; be sure
                err = exc
            finally:
                sys.stdout, sys.stderr = real_stdout, real_stderr
            text = out.text()
            total.write(text)
            cell_outputs.append({"grade_id": cell.get("grade_id"), "text": text,
                                 "error": type(err).__name__ if err is not None else None})
            if err is not None:
                errors.append({"grade_id": cell.get("grade_id"), "error": type(err).__name__})
            continue
        # a check cell: call the student's functions on the grader's cases
        patched = changed(before, guarded)
        results = []
        flags = []
        for eid, name in cell["calls"]:
            exercise = get_exercise(eid)
            fn = dict.get(shell.user_ns, name)
            seen: list = []
            kind = getattr(exercise, "kind", "function")
            if kind == "function" and callable(fn):
                target = _recording(fn, seen)  # its return values are checked for rigged types
            else:
                target = fn                    # a trained model, or a value taken as it is
                if kind == "value":
                    seen.append(fn)
            outcomes = []
            sys.stdout = sys.stderr = CappedText(CELL_OUTPUT_CHARS)
            try:
                for case in cases.get(eid, []):
                    start = time.perf_counter()
                    outcome = call_student(exercise, target, case)
                    seconds = time.perf_counter() - start
                    if getprofile() is not None:
                        flags.append(f"{eid}: the student's code left a profile hook installed")
                    outcomes.append({
                        "output": None if outcome.output is None else [encode_array(a) for a in outcome.output],
                        "error": None if outcome.error is None else str(outcome.error)[:500],
                        "mutated": list(outcome.mutated),
                        "seconds": round(seconds, 6),
                    })
            finally:
                sys.stdout, sys.stderr = real_stdout, real_stderr
            rigged = sorted({r for r in (_rigged(value, ndarray) for value in seen) if r})
            results.append({"exercise_id": eid, "function": name, "found": fn is not None,
                            "rigged": rigged, "outcomes": outcomes})
        patched = sorted(set(patched) | set(changed(before, guarded)))
        channel.send({"type": "check", "grade_id": cell["grade_id"], "results": results,
                      "patched": patched, "flags": flags})

    channel.send({"type": "done", "cells": cell_outputs, "errors": errors, "log_tail": total.text()[-4000:]})


def _recording(fn, seen: list):
    """Wrap ``fn`` so each value it returns is also appended to ``seen`` (for :func:`_rigged`)."""
    def student_function(*args, **kwargs):
        value = fn(*args, **kwargs)
        seen.append(value)
        return value
    return student_function


_PLAIN = (int, float, bool, complex, str, bytes, type(None))


def _rigged(value, ndarray) -> str:
    """Describe a returned object that brings its own comparisons or array conversion, or ""."""
    items = value if type(value) in (tuple, list) else (value,)
    for item in items:
        kind = type(item)
        if kind in _PLAIN or kind is ndarray or kind.__module__.split(".")[0] in ("numpy", "torch"):
            continue
        if isinstance(item, ndarray):
            return f"returned an ndarray subclass ({kind.__name__})"
        own = [name for name in ("__eq__", "__array__", "__float__", "__abs__", "__sub__", "__le__", "__lt__")
               if any(name in vars(base) for base in kind.__mro__[:-1])]
        return f"returned a {kind.__name__} object" + (f" defining {', '.join(own)}" if own else "")
    return ""


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: harness.py LIMITS_JSON [--exec CMD ...]", file=sys.stderr)
        return 2
    limits = json.loads(argv[1])
    confine(limits)
    if len(argv) > 2 and argv[2] == "--exec":
        os.execvp(argv[3], argv[3:])
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    run_protocol(job, Channel(int(limits["channel_fd"]), job.pop("token")))
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: student objects' __del__ and atexit hooks do not run


if __name__ == "__main__":
    sys.exit(main(sys.argv))
