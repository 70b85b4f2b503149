"""The in-sandbox harness: a trusted warden process and the student process it drives.

This file runs INSIDE the sandbox, as a script, with nothing of the grader
importable but ``dlkit`` (and :mod:`landlock`, bound next to it). It never
judges anything; it only answers "what did the student's function return for
these inputs?". It runs as two processes:

- the **warden** (``harness.py LIMITS_JSON``) holds the result channel and
  never runs or imports student code. It starts the student process and,
  when the limits carry ``prepare`` (the lesson's exercise ids and the
  modules its release imports: the grader's, never a submission's), has it
  load them and withdraw the answers; only then does it read the job from
  stdin, so a sandbox started ahead of its submission waits there, ready. Its
  deadline starts with the job. It drives the student process in lock-step:
  one request per notebook cell, and at a check cell one request per
  exercise, carrying that exercise's cases (the hidden ones included) only
  then. It writes one ``check`` message per check cell it reached and a final
  ``done`` (with the phases' times and the student process's peak memory).
- the **student** process (``harness.py --student REQ_FD REPLY_FD``) runs the
  cells with IPython's ``InteractiveShell`` and calls the student's functions
  on the cases it is sent. It never sees the channel: the pipe is not
  inherited, and where the sandbox starts as root the two processes run as
  different unprivileged uids, so the student cannot signal, trace or read
  the warden. (Under a user namespace they share a uid; the warden then
  makes itself non-dumpable, which closes ``ptrace`` and ``/proc/PID/fd`` to
  it.) Before any student code runs it withdraws the lesson's reference
  implementations: their code objects are replaced by a tripwire, and
  Landlock (:mod:`landlock`) removes the right to read ``dlkit/reference``
  and ``dlkit/checks`` from disk, so no fresh copy can be loaded either.

Channel protocol (see :mod:`autograder.grade` for the other side): a pipe
whose fd number comes with the limits carries framed messages
``b"<token> <n>\\n" + n bytes of JSON``: ``{"type": "check", "grade_id",
"results", "patched", "flags"}`` per check cell reached, then ``{"type":
"done", "cells", "errors", "log_tail", "stopped", "stopped_at",
"timed_out", "sealed", "phases", "peak_rss_mb"}``. The job on stdin is ``{"token": hex, "cells":
[{"kind": "code", "grade_id", "source"} | {"kind": "check", "grade_id",
"calls": [[exercise_id, function_name], ...]}], "cases": {exercise_id:
[encoded_case, ...]}}``. stdout and stderr are never read for verdicts.

Run ``python harness.py LIMITS_JSON --exec CMD ...`` to confine and exec a
command (used by tests of the sandbox itself).
"""

from __future__ import annotations

import builtins
import ctypes
import io
import json
import os
import resource
import select
import signal
import subprocess
import sys
import time

#: Characters of output kept per cell and in total (the rest is dropped).
CELL_OUTPUT_CHARS = 2000
TOTAL_OUTPUT_CHARS = 20000
#: The figures a cell leaves open are kept as PNGs (as the notebook's inline backend shows them): at most
#: this many per cell, each at most this many bytes, and this many bytes in all; the rest are dropped.
CELL_FIGURES = 4
FIGURE_BYTES = 200_000
TOTAL_FIGURE_BYTES = 4_000_000
FIGURE_DPI = 72
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
#: The warden's uid is the student's plus this (both unprivileged, never equal).
WARDEN_UID_OFFSET = 1_000_000


# -- confinement -------------------------------------------------------------------------

def set_rlimits(limits: dict) -> None:
    """Apply the rlimits of ``limits``, and ``no_new_privs``, to this process and every process it starts.

    Keys: ``memory_mb`` (RLIMIT_DATA: heap and private writable mappings; not
    RLIMIT_AS, which a CUDA build of torch exceeds just by reserving address
    space at import), ``cpu_s`` (RLIMIT_CPU), ``nproc`` (RLIMIT_NPROC,
    enforced because the uid is not root), ``fsize_mb`` (RLIMIT_FSIZE),
    ``nofile``.
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
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def drop_to(uid: int | None) -> None:
    """Become ``uid`` (when root): no groups, no capabilities."""
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # leaving uid 0 clears every capability


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# -- framing: the channel to the grader, and the pipes between warden and student ---------------

class PeerGone(Exception):
    """The other side closed its pipe, sent something unreadable, or ran out of time."""


def write_all(fd: int, data: bytes, *, deadline: float | None = None) -> None:
    """Write all of ``data``; :class:`PeerGone` when the reader is gone or ``deadline`` passes.

    With a deadline, ``fd`` must be non-blocking: a reader that stops reading then cannot block the writer.
    """
    view = memoryview(data)
    while view:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise PeerGone("time")
        try:
            view = view[os.write(fd, view[:65536]):]
        except BlockingIOError:
            continue
        except OSError:
            raise PeerGone("eof") from None


def frame(message: dict) -> bytes:
    payload = json.dumps(message, allow_nan=True).encode("utf-8")
    return str(len(payload)).encode() + b"\n" + payload


class Channel:
    """Framed messages to the grader on a pipe fd, each carrying the run's token (warden only)."""

    def __init__(self, fd: int, token: str):
        self.fd = fd
        self.token = token.encode("ascii")

    def send(self, message: dict) -> bool:
        try:
            write_all(self.fd, self.token + b" " + frame(message))
            return True
        except PeerGone:
            return False


def read_frame(fd: int, *, deadline: float | None = None, limit: int = 1 << 62) -> dict:
    """Read one ``b"<n>\\n" + n bytes`` JSON object from ``fd``; :class:`PeerGone` on EOF, junk or deadline."""
    buf = bytearray()

    def read_some(want: int) -> bytes:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise PeerGone("time")
        data = os.read(fd, want)
        if not data:
            raise PeerGone("eof")
        return data

    while b"\n" not in buf:
        if len(buf) > 24:
            raise PeerGone("junk")
        buf += read_some(64)
    head, _, rest = bytes(buf).partition(b"\n")
    if not head.isdigit() or int(head) > limit:
        raise PeerGone("junk" if not head.isdigit() else "too big")
    body = bytearray(rest)
    need = int(head)
    while len(body) < need:
        body += read_some(min(1 << 20, need - len(body)))
    try:
        message = json.loads(bytes(body[:need]))
    except (UnicodeDecodeError, ValueError):
        raise PeerGone("junk") from None
    if not isinstance(message, dict):
        raise PeerGone("junk")
    return message


# -- plain-data encoding: autograder/wire.py, bound next to this file ---------------------

def load_wire():
    """The wire-format module: ``autograder.wire`` in the grader, ``wire`` (next to this file) in the sandbox.

    Imported only by the student process (it imports numpy); the warden never decodes a case.
    """
    if __package__:
        from autograder import wire
    else:
        import wire
    return wire


def answer_cases(exercise, target, raw_cases: list, call_student, case_type, after_each=None,
                 wire=None) -> list[dict]:
    """Decode each case, call the student's answer on it, and encode the outcome for the channel.

    The one path every case takes from the wire to the student's code and back;
    the lesson tests drive it in process to prove the wire hands the student
    what the notebook would.
    """
    wire = wire or load_wire()
    outcomes = []
    for raw in raw_cases:
        case = case_type(tuple(wire.decode_value(raw["args"])), wire.decode_value(raw["kwargs"]))
        start = time.perf_counter()
        outcome = call_student(exercise, target, case)
        seconds = time.perf_counter() - start
        if after_each is not None:
            after_each()
        outcomes.append({
            "output": None if outcome.output is None else [wire.encode_output(a) for a in outcome.output],
            "error": None if outcome.error is None else str(outcome.error)[:500],
            "mutated": list(outcome.mutated),
            "seconds": round(seconds, 6),
        })
    return outcomes


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


# -- the warden: trusted, runs no student code ----------------------------------------------

class Warden:
    """Drives the student process through the notebook and reports to the grader."""

    def __init__(self, limits: dict, job: dict | None = None):
        self.limits = limits
        self.job = job or {}
        self.channel = None
        self.deadline = time.monotonic() + float(limits.get("deadline_s") or 1e9)
        self.prepared: list[str] | None = None
        self.phases = {"warden": time.monotonic()}
        self.reply_limit = int(limits.get("reply_bytes") or 32_000_000)
        self.cells: list[dict] = []
        self.errors: list[dict] = []
        self.total = CappedText(TOTAL_OUTPUT_CHARS)
        self.figure_bytes = 0
        self.current = None
        self.sealed = "not started"

    def start(self, script: str) -> None:
        """Start the student process; it inherits the rlimits but not the channel."""
        os.set_inheritable(int(self.limits["channel_fd"]), False)
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        uid = self.limits.get("uid")
        as_user = {}
        if uid is not None and os.geteuid() == 0:
            as_user = {"user": int(uid), "group": int(uid), "extra_groups": []}
        self.proc = subprocess.Popen([sys.executable, script, "--student", str(req_r), str(rep_w)],
                                     stdin=subprocess.DEVNULL, pass_fds=(req_r, rep_w), close_fds=True,
                                     **as_user)
        os.close(req_r)
        os.close(rep_w)
        os.set_blocking(self.req_w, False)
        if as_user:
            drop_to(int(uid) + WARDEN_UID_OFFSET)
        _prctl(PR_SET_DUMPABLE, 0)  # no ptrace, no /proc/PID/{mem,fd} for the student, even under one uid

    def start_forked(self, student: "Student", uid: int) -> None:
        """Fork the student process from this process (a fork of the fork server, with the lesson imported).

        Call it in fresh namespaces (:func:`fresh_namespaces`): the child becomes the init of the new pid
        namespace (:func:`become_init`) and forks the student process, so a submission's processes all die
        with it and cannot address anything outside. The child keeps no descriptor but its two pipes (not
        the channel, not the job). Then this process drops to the warden's uid, as :meth:`start` does.
        """
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        status_r, status_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            _close_all_but((0, 1, 2, req_r, rep_w, status_w))
            _child(become_init, student, req_r, rep_w, status_w, uid)
        for fd in (req_r, rep_w, status_w):
            os.close(fd)
        os.set_blocking(self.req_w, False)
        self.proc = Forked(pid, status_r)
        drop_to(uid + WARDEN_UID_OFFSET)
        _prctl(PR_SET_DUMPABLE, 0)

    def ask(self, request: dict) -> dict:
        write_all(self.req_w, frame(request), deadline=self.deadline)
        return read_frame(self.rep_r, deadline=self.deadline, limit=self.reply_limit)

    def prepare(self) -> None:
        """Before the job arrives: let the student process load the lesson's modules and withdraw its answers.

        ``limits["prepare"]`` (from the grader, never from a submission) names the lesson's exercises and
        the modules its released notebook imports. A sandbox started ahead of its submission does this
        while the previous submission runs; no student code runs until the job arrives.
        """
        prepare = self.limits.get("prepare")
        if not isinstance(prepare, dict):
            return
        try:
            self.start_reply(self.ask({"op": "start", "exercises": sorted(map(str, prepare.get("exercises", []))),
                                       "preload": [str(m) for m in prepare.get("preload", [])]}))
            self.prepared = sorted(map(str, prepare.get("exercises", [])))
        except PeerGone as gone:
            self.prepared = [f"start: {gone}"[:300]]  # reported once the job (and its channel) is here
        self.phases["prepared"] = time.monotonic()

    def start_reply(self, reply: dict) -> None:
        self.sealed = str(reply.get("sealed", reply.get("error", "the student process did not say")))[:300]
        if "error" in reply:  # before any student code: the grader's fault, and nothing can be graded
            raise PeerGone(f"start: {reply['error']}"[:300])

    def take_job(self, job: dict) -> None:
        """The submission's job has arrived: its clock starts now."""
        self.job = job
        self.channel = Channel(int(self.limits["channel_fd"]), job["token"])
        self.deadline = time.monotonic() + float(self.limits.get("deadline_s") or 1e9)
        self.phases["job"] = time.monotonic()

    def run(self) -> None:
        stopped, timed_out = "", False
        try:
            wanted = sorted(self.job["cases"])
            if self.prepared is None:
                self.start_reply(self.ask({"op": "start", "exercises": wanted}))
            elif self.prepared != wanted:  # a failed preparation, or a job for other exercises than prepared
                why = self.prepared[0] if len(self.prepared) == 1 and self.prepared[0].startswith("start: ") else (
                    f"start: prepared for {self.prepared[:20]}, the job needs {wanted[:20]}")
                raise PeerGone(why[:300])
            self.phases["ready"] = time.monotonic()
            for cell in self.job["cells"]:
                self.current = cell.get("grade_id")
                if cell["kind"] == "code":
                    self.code_cell(cell)
                else:
                    self.check_cell(cell)
        except PeerGone as gone:
            timed_out = str(gone) == "time"
            stopped = self.why_stopped(str(gone))
        self.phases["cells"] = time.monotonic()
        self.channel.send({"type": "done", "cells": self.cells, "errors": self.errors,
                           "log_tail": self.total.text()[-4000:], "stopped": stopped,
                           "stopped_at": self.current if stopped else None, "timed_out": timed_out,
                           "sealed": self.sealed, "phases": self.phases, "peak_rss_mb": self.peak_rss_mb()})

    def peak_rss_mb(self) -> float | None:
        """The student process's peak resident memory so far (the kernel's VmHWM), MiB; None if unreadable."""
        try:
            with open(f"/proc/{getattr(self.proc, 'student_pid', self.proc.pid)}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return round(int(line.split()[1]) / 1024, 1)
        except (OSError, ValueError, AttributeError):
            return None
        return None

    def code_cell(self, cell: dict) -> None:
        reply = self.ask({"op": "cell", "source": cell["source"]})
        text = str(reply.get("text", ""))[:CELL_OUTPUT_CHARS + 200]
        error = reply.get("error")
        error = str(error)[:100] if error is not None else None
        self.total.write(text)
        self.cells.append({"grade_id": cell.get("grade_id"), "text": text, "error": error,
                           "figures": self.kept_figures(reply.get("figures"))})
        if error is not None:
            self.errors.append({"grade_id": cell.get("grade_id"), "error": error})

    def kept_figures(self, figures) -> list[str]:
        """The student process's figures that are base64 PNGs within the limits (count, size, total)."""
        import base64
        import binascii

        kept = []
        for item in figures if isinstance(figures, list) else []:
            if len(kept) == CELL_FIGURES or not isinstance(item, str) or len(item) > FIGURE_BYTES * 4 // 3 + 4:
                continue
            try:
                png = base64.b64decode(item, validate=True)
            except (binascii.Error, ValueError):
                continue
            if png.startswith(PNG_SIGNATURE) and self.figure_bytes + len(png) <= TOTAL_FIGURE_BYTES:
                self.figure_bytes += len(png)
                kept.append(item)
        return kept

    def check_cell(self, cell: dict) -> None:
        results, patched, flags = [], set(), []
        for eid, name in cell["calls"]:
            reply = self.ask({"op": "call", "exercise": eid, "function": name,
                              "cases": self.job["cases"].get(eid, [])})
            outcomes = reply.get("outcomes")
            results.append({"exercise_id": eid, "function": name, "found": bool(reply.get("found")),
                            "rigged": [str(r)[:200] for r in _as_list(reply.get("rigged"))][:5],
                            "outcomes": outcomes if isinstance(outcomes, list) else []})
            patched.update(str(p)[:200] for p in _as_list(reply.get("patched"))[:20])
            flags += [str(f)[:300] for f in _as_list(reply.get("flags"))][:5]
        self.channel.send({"type": "check", "grade_id": cell["grade_id"], "results": results,
                           "patched": sorted(patched), "flags": flags})

    def why_stopped(self, how: str) -> str:
        where = f" in cell {self.current}" if self.current else " before the first cell"
        if how.startswith("start: "):
            self.kill()
            return f"the harness could not prepare the notebook's process ({how[7:]}); this is the grader's fault"
        if how == "time":
            self.kill()
            return f"the time limit ran out{where}"
        if how in ("junk", "too big"):
            self.kill()
            return f"the notebook's process wrote something other than an answer to the harness's pipe{where} (it was stopped)"
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return f"the notebook's process stopped answering{where}"
        if code < 0:
            name = _signal_name(-code)
            hint = {"SIGKILL": " (out of memory?)", "SIGXCPU": " (out of CPU time)",
                    "SIGSEGV": " (a crash, often out of memory)"}.get(name, "")
            return f"the notebook's process was killed by {name}{where}{hint}"
        return f"the notebook's process exited with code {code}{where} (os._exit or a crash)"

    def kill(self) -> None:
        try:
            self.proc.kill()  # may be refused across uids: the sandbox's pid namespace ends it anyway
        except OSError:
            pass


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# -- the student process: runs the notebook, never judges ---------------------------------------

#: Folders of dlkit a submission may not read once grading starts (their modules stay loaded).
WITHDRAWN_FOLDERS = ("reference", "checks")


#: What IPython imports to open a shell (the fork server imports them once, for every submission).
SHELL_MODULES = ("IPython.core.interactiveshell", "IPython.core.completer", "IPython.core.completerlib",
                 "IPython.core.magics", "IPython.core.oinspect", "IPython.core.application", "sqlite3")


class Student:
    """State of the student process: the shell, the exercises, the integrity snapshot."""

    def __init__(self):
        os.environ["MPLBACKEND"] = "Agg"
        _seed_font_cache()
        import numpy as np

        from dlkit.checks import core

        self.np = np
        self.core = core
        self.wire = load_wire()  # now, before any student code can plant a module of that name
        self.call_student = core.call_student
        self.get_exercise = core.get
        self.case_type = core.Case
        self.getprofile = sys.getprofile
        self.shell = None
        self.before = {}
        self.guarded = []

    def load(self, exercise_ids: list[str], preload: list[str] = ()) -> list:
        """Import what grading needs: the lesson's modules, its check module, all of dlkit.reference, IPython.

        ``preload``: modules the lesson's released notebook imports (torch, matplotlib.pyplot, ...), imported
        now so that a sandbox started ahead of its submission has them ready; one that fails to import is
        skipped (the notebook's own import then fails, or not, as it would have). Runs no student code: the
        fork server (:func:`serve_fork_server`) runs it once for all the submissions it forks.
        """
        import importlib
        import pkgutil

        for name in preload:
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - the lesson's import, not ours: its cell reports it
                pass
        import dlkit.reference as reference_pkg
        for name in SHELL_MODULES:  # what opening a shell imports: once here, not in each forked submission
            importlib.import_module(name)

        exercises = [self.get_exercise(eid) for eid in exercise_ids]  # imports the lesson's check module
        for info in pkgutil.walk_packages(reference_pkg.__path__, reference_pkg.__name__ + "."):
            importlib.import_module(info.name)  # all of it now: its files become unreadable in start()
        return exercises

    def reseed(self) -> None:
        """A forked student process draws fresh numpy randomness, as a new interpreter would (Python's
        ``random`` reseeds itself after a fork; torch starts from a fixed seed either way)."""
        self.np.random.seed()

    def start(self, exercise_ids: list[str], preload: list[str] = ()) -> dict:
        """Load what grading needs (:meth:`load`), withdraw the answers, seal dlkit's sources, then open the shell."""
        import linecache

        import dlkit
        import dlkit.checks as checks_pkg

        exercises = self.load(exercise_ids, preload)
        import tempfile

        # Found now, while /tmp can be probed: with the course under /tmp, Landlock's seal below leaves /tmp's
        # own entries unremovable, tempfile's probe then fails, and so does anything that asks for a temporary
        # folder (torch.optim's first import of torch._dynamo).
        tempfile.gettempdir()
        withdrawn = [withdraw(ex) for ex in exercises if ex.reference is not None]
        linecache.clearcache()
        root = os.path.dirname(os.path.abspath(dlkit.__file__))
        try:
            import landlock

            sealed = landlock.deny_reading([os.path.join(root, sub) for sub in WITHDRAWN_FOLDERS])
        except Exception as exc:  # an unexpected kernel answer must not stop grading
            sealed = f"{type(exc).__name__}: {exc}"

        self.open_shell()
        self.guarded = [self.np, builtins, self.core, checks_pkg, self.wire]
        self.before = snapshot(self.guarded)
        return {"sealed": sealed, "withdrawn": withdrawn}

    def open_shell(self) -> None:
        """The IPython shell the cells run in, its display hook computing a value's text only.

        A bare shell prints a value's text and drops every other format it computed. Left on, the hook drew
        each Figure a cell returns as a 2x PNG (the lesson's setup asks for sharp inline figures) only to
        throw it away: a third of lesson 01's cell time. :meth:`figures` draws what the notebook shows, once.
        """
        from IPython.core.interactiveshell import InteractiveShell

        self.shell = InteractiveShell.instance(user_ns={"__name__": "__main__"})
        self.shell.colors = "NoColor"
        self.shell.display_formatter.active_types = ["text/plain"]

    def cell(self, source: str) -> dict:
        out = CappedText(CELL_OUTPUT_CHARS)
        real = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = out
        try:
            result = self.shell.run_cell(source, store_history=False, silent=False)
            err = result.error_in_exec or result.error_before_exec
        except BaseException as exc:  # run_cell catches nearly everything; be sure
            err = exc
        finally:
            sys.stdout, sys.stderr = real
        figures = self.figures(result.result if err is None else None)
        return {"text": out.text(), "error": type(err).__name__ if err is not None else None, "figures": figures}

    def figures(self, last=None) -> list[str]:
        """The cell's figures as base64 PNGs: its value when that is a picture, then the figures it left open.

        What the inline backend shows: a cell's last value that is a matplotlib Figure (dlkit.plot's
        functions return their figure closed) or has a PNG representation, then the pyplot figures still
        open, which are closed.

        At most :data:`CELL_FIGURES`, each at most :data:`FIGURE_BYTES`, drawn at :data:`FIGURE_DPI`; a figure
        that fails to draw is skipped. The warden and the grader check what comes back again: this runs in
        the student's process, with the student's matplotlib.
        """
        import base64

        pngs = []
        if last is not None:
            try:
                png = None
                if hasattr(last, "savefig") and type(last).__module__.startswith("matplotlib"):
                    buffer = io.BytesIO()
                    last.savefig(buffer, format="png", dpi=FIGURE_DPI)
                    png = buffer.getvalue()
                else:
                    png = self.png_of(last)
                if isinstance(png, bytes) and len(png) <= FIGURE_BYTES:
                    pngs.append(base64.b64encode(png).decode("ascii"))
            except Exception:  # a value that cannot be drawn is not shown
                pass
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return pngs
        try:
            for number in list(plt.get_fignums())[:CELL_FIGURES - len(pngs)]:
                buffer = io.BytesIO()
                try:
                    plt.figure(number).savefig(buffer, format="png", dpi=FIGURE_DPI)
                except Exception:
                    continue
                if len(buffer.getvalue()) <= FIGURE_BYTES:
                    pngs.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
            plt.close("all")
        except Exception:  # the student's code may have broken pyplot; its figures are then not shown
            return pngs
        return pngs

    def png_of(self, value) -> bytes | None:
        """``value``'s PNG representation, as IPython's formatters (and ``_repr_png_``) give it; None if none."""
        import base64

        formatter = self.shell.display_formatter
        kept = list(formatter.active_types)
        formatter.active_types = ["image/png"]  # only this one is computed
        try:
            data = formatter.format(value, include=("image/png",))[0].get("image/png")
        finally:
            formatter.active_types = kept
        return base64.b64decode(data) if isinstance(data, str) else data

    def call(self, eid: str, name: str, raw_cases: list) -> dict:
        exercise = self.get_exercise(eid)
        fn = dict.get(self.shell.user_ns, name)
        seen: list = []
        flags = []
        kind = getattr(exercise, "kind", "function")
        if kind == "function" and callable(fn):
            target = _recording(fn, seen)  # its return values are checked for rigged types
        else:
            target = fn                    # a trained model, or a value taken as it is
            if kind == "value":
                seen.append(fn)

        def profile_hook_left():
            if self.getprofile() is not None:
                flags.append(f"{eid}: the student's code left a profile hook installed")

        real = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = CappedText(CELL_OUTPUT_CHARS)
        try:
            outcomes = answer_cases(exercise, target, raw_cases, self.call_student, self.case_type, profile_hook_left,
                                    self.wire)
        finally:
            sys.stdout, sys.stderr = real
        rigged = sorted({r for r in (_rigged(value, self.np.ndarray) for value in seen) if r})
        return {"found": fn is not None, "rigged": rigged, "outcomes": outcomes, "flags": sorted(set(flags)),
                "patched": changed(self.before, self.guarded)}


def _seed_font_cache() -> None:
    """Copy the grader's matplotlib font list (bound next to this file) into MPLCONFIGDIR, if both exist."""
    import glob
    import shutil

    target = os.environ.get("MPLCONFIGDIR")
    if not target:
        return
    for path in glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fontlist-v*.json")):
        try:
            os.makedirs(target, exist_ok=True)
            shutil.copyfile(path, os.path.join(target, os.path.basename(path)))
        except OSError:
            pass  # matplotlib builds its own, a little slower


_TRIPWIRE_TEXT = "\0tripwire\0"


def _tripwire(*args, **kwargs):
    raise RuntimeError("\0tripwire\0")


def withdraw(exercise) -> str:
    """Replace the code of ``exercise.reference`` (every alias of it) with a tripwire; return its name.

    The original code object is dropped, so nothing in this process can call
    it again; the error names the reference, which the grader flags.
    """
    fn = exercise.reference
    dotted = f"{fn.__module__}.{fn.__qualname__}"
    message = (f"{dotted} is withdrawn while {exercise.id} is graded: it is the reference answer. "
               f"Write `{exercise.function}` yourself")
    code = _tripwire.__code__
    fn.__code__ = code.replace(co_consts=tuple(message if c == _TRIPWIRE_TEXT else c for c in code.co_consts),
                               co_name=fn.__name__)
    return dotted


def serve_student(req_fd: int, rep_fd: int, student: "Student | None" = None) -> None:
    """The student process's loop: answer the warden's requests until it closes the pipe."""
    student = student or Student()
    handlers = {
        "start": lambda r: student.start(r["exercises"], r.get("preload", [])),
        "cell": lambda r: student.cell(r["source"]),
        "call": lambda r: student.call(r["exercise"], r["function"], r["cases"]),
    }
    while True:
        try:
            request = read_frame(req_fd)
        except PeerGone:
            break
        try:
            reply = handlers[request["op"]](request)
        except Exception as exc:  # noqa: BLE001 - reported to the warden, which reports it
            reply = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        try:
            write_all(rep_fd, frame(reply))
        except PeerGone:
            break
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: student objects' __del__ and atexit hooks do not run


# -- the fork server: one sandbox grades a lesson's submissions one after another, imports shared -------------

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x08000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    0x1, 0x2, 0x4, 0x8, 0x20, 0x1000, 0x4000, 0x40000)
PR_SET_CHILD_SUBREAPER = 36
#: The student's uid in a forked submission: this plus a random number below a million (fresh per submission;
#: its warden's is a million more). Apart from the uids of sandboxes started per submission (1-3 million).
FORKED_UID_BASE = 5_000_000


def _sys(name: str, *args) -> None:
    """Call the C library's ``name``; raise OSError with the reason when it returns non-zero."""
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}{args[:2]}: {os.strerror(err)}")


def _close_all_but(keep) -> None:
    """Close every descriptor of this process except ``keep`` (the rest came from the fork server)."""
    high = max(resource.getrlimit(resource.RLIMIT_NOFILE)[0], max(keep) + 1)
    low = 0
    for fd in sorted(set(keep)) + [high]:
        if low < fd:  # never an empty range: Python 3.11's closerange(n, n) closes far more than nothing
            os.closerange(low, fd)
        low = fd + 1


def fresh_namespaces(tmp_mb: int) -> None:
    """Give this process (a submission's warden) and what it forks next a private world.

    New mount, pid and IPC namespaces; an empty ``/tmp`` and ``/dev/shm`` (the only places an unprivileged
    uid can write in the sandbox) that die with the submission. The next submission's processes never see
    this one's files, processes, shared memory or message queues. Needs root in the sandbox.
    """
    _sys("unshare", CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC)
    _sys("mount", b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    for target, size in (("/tmp", int(tmp_mb) * 1024 * 1024), ("/dev/shm", 16 * 1024 * 1024)):
        below = _mounts_below(target)  # the sandbox's read-only binds there (Python or the course under /tmp)
        held = [(path, os.path.isdir(path), os.open(path, os.O_PATH)) for path in below]
        _sys("mount", b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size}".encode())
        for path, is_dir, fd in held:  # bound again, read-only, over the empty one
            if is_dir:
                os.makedirs(path, mode=0o755, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o444))
            _sys("mount", f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None)
            _sys("mount", b"none", path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
            os.close(fd)


def _mounts_below(folder: str) -> list[str]:
    """The outermost mount points strictly inside ``folder`` (from /proc/self/mountinfo), parents first."""
    points = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            point = line.split()[4].encode().decode("unicode_escape")  # spaces come as \040
            if point.startswith(folder.rstrip("/") + "/"):
                points.append(point)
    points = sorted(set(points), key=len)
    return [p for i, p in enumerate(points) if not any(p.startswith(q + "/") for q in points[:i])]


def become_init(student: "Student", req_r: int, rep_w: int, status_w: int, uid: int) -> None:
    """Be the init (pid 1) of the submission's pid namespace: fork the student process, report how it ended.

    Its own ``/proc`` shows the namespace's processes only. When it exits every process left in the
    namespace is killed by the kernel; processes inside cannot signal it (an init ignores them).
    """
    _sys("unshare", CLONE_NEWNS)  # /proc below is this namespace's; the warden keeps the sandbox's
    _sys("mount", b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    _prctl(PR_SET_DUMPABLE, 0)
    pid = os.fork()
    if pid == 0:
        _child(_become_student, student, req_r, rep_w, status_w, uid)
    os.close(req_r)
    os.close(rep_w)
    while True:
        try:
            child, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if child == pid:
            try:
                os.write(status_w, str(os.waitstatus_to_exitcode(status)).encode())
            except OSError:  # the warden is already done with this submission
                pass
            break
    os._exit(0)


def _become_student(student: "Student", req_r: int, rep_w: int, status_w: int, uid: int) -> None:
    os.close(status_w)
    os.setsid()
    drop_to(uid)
    _prctl(PR_SET_DUMPABLE, 1)  # as a process started by exec is: /proc/self stays the student's own
    student.reseed()
    _seed_font_cache()
    serve_student(req_r, rep_w, student)


def _child(body, *args) -> None:
    """Run ``body(*args)`` in a forked child and end the child (never return into the parent's code)."""
    code = 0
    try:
        body(*args)
    except BaseException:  # noqa: BLE001 - said on the run's output, where the grader's log shows it
        import traceback

        traceback.print_exc()
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class Forked:
    """The warden's handle on a forked submission: its init's pid, and the student's exit code from its pipe."""

    def __init__(self, pid: int, status_r: int):
        self.pid = pid
        self.status_r = status_r
        self.returncode: int | None = None

    @property
    def student_pid(self) -> int:
        """The student process's pid as the warden sees it (the init's one child)."""
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as fh:
                return int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            return self.pid

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self.status_r], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("student", timeout)
            text = os.read(self.status_r, 32)
            self.returncode = int(text) if text.strip().lstrip(b"-").isdigit() else -signal.SIGKILL
        return self.returncode

    def kill(self) -> None:
        """Nothing to do here: the fork server kills the submission's init (and with it the rest) after us."""


def run_forked(limits: dict, student: "Student", job_r: int, chan_w: int, out_w: int) -> None:
    """One submission in a fork of the fork server: private namespaces, a fresh uid, then the warden's run."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    _close_all_but((0, 1, 2, job_r, chan_w))
    fresh_namespaces(int(limits.get("fsize_mb") or 64))
    import secrets

    uid = FORKED_UID_BASE + secrets.randbelow(1_000_000)
    cpu = int(limits.get("cpu_s") or 0)
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    warden = Warden({**limits, "channel_fd": chan_w, "uid": uid})
    warden.start_forked(student, uid)
    warden.phases["forked"] = time.monotonic()
    warden.prepare()
    with os.fdopen(job_r, "rb") as job:
        warden.take_job(json.loads(job.read().decode("utf-8")))
    warden.run()


def serve_fork_server(limits: dict) -> int:
    """The fork server: load the lesson once, then grade each submission the grader sends in a fork of itself.

    The grader holds the other end of a Unix socket (``limits["channel_fd"]``). This process, root in the
    sandbox, imports what :meth:`Student.load` imports, says ``ready`` (or why it cannot serve), then for
    each message takes three descriptors (the job to read, the result channel and the output to write),
    forks the submission's warden (:func:`run_forked`) and waits for it; then it kills what is left of the
    submission (its pid namespace's init, orphaned to this subreaper) before it takes the next one. It never
    runs student code, and a submission's processes never see it.
    """
    import gc
    import socket

    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=int(limits["channel_fd"]))
    if os.geteuid() != 0:
        ctl.sendall(frame({"error": "the fork server needs root in the sandbox (for fresh namespaces per submission)"}))
        return 3
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    prepare = limits.get("prepare") if isinstance(limits.get("prepare"), dict) else {}
    try:
        student = Student()
        student.load(sorted(map(str, prepare.get("exercises", []))), [str(m) for m in prepare.get("preload", [])])
        import landlock  # noqa: F401 - now: each submission seals its sources with it
        threads = len(os.listdir("/proc/self/task"))
        if threads != 1:  # a fork copies one thread: another one's locks would stay held in every child
            raise RuntimeError(f"loading the lesson started {threads - 1} more thread(s); a fork server needs one")
    except Exception as exc:  # noqa: BLE001 - the grader then starts a sandbox per submission
        ctl.sendall(frame({"error": f"{type(exc).__name__}: {exc}"[:500]}))
        return 3
    # What the lesson loaded stays as it is in every fork: out of the collector's sight, a child's garbage
    # collections neither walk it nor write to it (which would copy its pages, fork after fork).
    gc.collect()
    gc.freeze()
    ctl.sendall(frame({"ready": True}))
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(ctl, 64, 3)
        except OSError:
            break
        if message != b"job" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            break
        pid = os.fork()
        if pid == 0:
            ctl.close()
            _child(run_forked, limits, student, *fds)
        for fd in fds:
            os.close(fd)
        _reap_all(pid)
    return 0


def _reap_all(warden: int) -> None:
    """Wait for the submission's warden, then kill and reap every process left under this subreaper."""
    os.waitpid(warden, 0)
    while True:
        try:
            with open(f"/proc/self/task/{os.getpid()}/children") as fh:
                left = [int(p) for p in fh.read().split()]
        except OSError:
            left = []
        if not left:
            return
        for pid in left:  # the submission's init: the kernel ends its whole pid namespace with it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in left:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def main(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[1] == "--student":
        serve_student(int(argv[2]), int(argv[3]))
        return 0
    if len(argv) < 2:
        print("usage: harness.py LIMITS_JSON [--exec CMD ...]", file=sys.stderr)
        return 2
    limits = json.loads(argv[1])
    if argv[2:3] == ["--fork-server"]:  # no CPU cap on the server itself: each submission gets its own
        set_rlimits({**limits, "cpu_s": None})
        return serve_fork_server(limits)
    set_rlimits(limits)
    if len(argv) > 2 and argv[2] == "--exec":
        drop_to(limits.get("uid"))
        os.execvp(argv[3], argv[3:])
    warden = Warden(limits)
    warden.start(os.path.abspath(__file__))  # the student process loads numpy and dlkit meanwhile
    warden.prepare()
    warden.take_job(json.loads(sys.stdin.buffer.read().decode("utf-8")))  # waits here when started ahead
    warden.run()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
