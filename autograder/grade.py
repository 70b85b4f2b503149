"""Grade one submission: validate, repair, run in the sandbox, judge in this process.

The steps, each a small function:

1. :func:`load_lesson` reads the instructor source and the released student
   version into a :class:`LessonSpec`: check cells, their points (from the
   source, never the submission) and the ``checks.run("ID", name)`` calls
   found in them with ``ast``.
2. :func:`draw_cases` draws every exercise's visible and hidden cases from the
   instructor seed, and :func:`expected_outputs` runs the reference on them,
   here in the grader.
3. :func:`grade_submission` validates and repairs the notebook
   (:mod:`autograder.validate`), sends the cells and the cases, as plain data,
   to the harness in the sandbox, reads back outcomes from the result channel
   (never stdout), and calls :func:`dlkit.checks.core.judge` here. A check
   cell earns its points when every visible and hidden case of every exercise
   it checks passes, the channel message for it is intact, and nothing the
   check relies on was tampered with.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import re
import secrets
import time
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import nbformat

from autograder import LESSONS, SOLUTIONS
from autograder import notebooks as nbs
from autograder import validate as val
from autograder.explain import cell_notes
from autograder.results import (
    GRADER_VERSION,
    CheckResult,
    Flag,
    SubmissionResult,
    cap_text,
    now_iso,
    rejected,
)
from autograder.sandbox import HARNESS, LANDLOCK, WIRE, Limits, RunResult, Sandbox
from autograder.wire import decode_output, encode_value
from dlkit.checks import core

#: What the harness prints back can be at most this many outcomes per exercise.
MAX_CASES = 1000


# -- the lesson ---------------------------------------------------------------------------

@dataclass
class CheckSpec:
    """One check cell of the source notebook: its grade id, points and ``checks.run`` calls."""

    grade_id: str
    points: float
    calls: list[tuple[str, str]]  # (exercise id, student function name), in order, unique
    hidden: set[str] = field(default_factory=set)  # exercise ids with a hidden-cases call


@dataclass
class LessonSpec:
    """What grading a lesson needs: source and released notebooks, check cells, a fingerprint."""

    lesson: str
    notebook_name: str
    source: nbformat.NotebookNode
    released: nbformat.NotebookNode
    checks: list[CheckSpec]
    fingerprint: str

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    def exercises(self) -> dict[str, str]:
        """Exercise id -> student function name, over every check cell."""
        return {eid: name for check in self.checks for eid, name in check.calls}


def parse_check_calls(source: str) -> list[tuple[str, str, bool]]:
    """``(exercise_id, function_name, hidden)`` for each ``checks.run("ID", name[, hidden=True])`` in a cell.

    >>> parse_check_calls('checks.run("01.relu", relu)\\nchecks.run("01.relu", relu, hidden=True)')
    [('01.relu', 'relu', False), ('01.relu', 'relu', True)]
    """
    lines = [ln for ln in source.splitlines() if not ln.strip().startswith("###")]
    try:
        tree = nbs.parse_python("\n".join(lines))
    except SyntaxError as exc:
        raise ValueError(f"a check cell does not parse ({exc.msg}); fix it in solutions/") from None
    calls = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run"
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str) and isinstance(node.args[1], ast.Name)):
            hidden = any(k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True
                         for k in node.keywords)
            calls.append((node.args[0].value, node.args[1].id, hidden))
    return calls


def load_lesson(lesson: str, *, source_root: Path = SOLUTIONS, release_root: Path = LESSONS) -> LessonSpec:
    """Read a lesson's source and released notebook (one notebook per lesson) into a :class:`LessonSpec`."""
    sources = sorted((Path(source_root) / lesson).glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebook in {Path(source_root) / lesson}; is {lesson!r} a lesson?")
    source_path = sources[0]
    released_path = Path(release_root) / lesson / source_path.name
    if not released_path.exists():
        raise FileNotFoundError(f"{released_path} is missing; run `python -m autograder release {lesson}` first")
    source, released = nbs.read(source_path), nbs.read(released_path)
    checks = []
    for cell in source.cells:
        meta = nbs.nbgrader_meta(cell)
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        calls = parse_check_calls(cell.source)
        unique = list(dict.fromkeys((eid, name) for eid, name, _ in calls))
        for eid, _ in unique:
            core.get(eid)  # an unknown exercise id is the instructor's error: fail now, loudly
        checks.append(CheckSpec(meta["grade_id"], float(meta.get("points", 0) or 0), unique,
                                {eid for eid, _, hidden in calls if hidden}))
    digest = hashlib.sha256()
    for path in (source_path, released_path, Path(core.__file__), *_check_modules(checks)):
        digest.update(Path(path).read_bytes())
    return LessonSpec(lesson, source_path.name, source, released, checks, digest.hexdigest())


def _check_modules(checks: list[CheckSpec]) -> list[Path]:
    import importlib

    lessons = sorted({eid.split(".", 1)[0] for c in checks for eid, _ in c.calls})
    return [Path(importlib.import_module(f"dlkit.checks.lesson{n}").__file__) for n in lessons]


# -- cases and expected outputs (grader side only) --------------------------------------------

@dataclass
class CaseSet:
    """An exercise's cases in order: the first ``n_visible`` are visible, the rest hidden."""

    cases: list[core.Case]
    n_visible: int
    expected: list[tuple[np.ndarray, ...]]


def case_set(exercise: core.Exercise, seed: int | str | None, *, hidden: bool = True, salt: str = "") -> CaseSet:
    """An exercise's visible cases, then (``hidden``) those drawn from ``seed`` and ``salt``, with expected outputs."""
    visible = exercise.cases(hidden=False)
    drawn = exercise.cases(hidden=True, seed=seed, salt=salt) if hidden else []
    cases = (visible + drawn)[:MAX_CASES]
    return CaseSet(cases, len(visible), [core.expected_output(exercise, c) for c in cases])


def encode_cases(cases: CaseSet) -> list[dict]:
    """The cases as the harness receives them (inputs only: labels, hints and secrets stay here)."""
    return [{"args": encode_value(tuple(c.args)), "kwargs": encode_value(dict(c.kwargs))} for c in cases.cases]


def draw_cases(spec: LessonSpec, seed: int | str | None, salt: str = "") -> dict[str, CaseSet]:
    """Visible and (where a check cell asks for them) hidden cases per exercise, with expected outputs.

    The grader passes the submission's SHA-256 as ``salt``: every submission
    gets hidden inputs of its own, the same each time it is graded.
    """
    hidden_ids = {eid for check in spec.checks for eid in check.hidden}
    return {eid: case_set(core.get(eid), seed, hidden=eid in hidden_ids, salt=salt) for eid in spec.exercises()}


# -- the result channel --------------------------------------------------------------------------

def parse_channel(data: bytes, token: str) -> tuple[list[dict], str]:
    """Framed messages ``b"<token> <n>\\n" + n bytes``; returns ``(messages, problem)``.

    Reading stops at the first frame that lacks the run's token or does not
    parse; ``problem`` then says so (the messages before it are kept).
    """
    messages, pos, tok = [], 0, token.encode("ascii")
    while pos < len(data):
        newline = data.find(b"\n", pos, pos + 200)
        header = data[pos:newline].split(b" ") if newline >= 0 else []
        if len(header) != 2 or not secrets.compare_digest(header[0], tok) or not header[1].isdigit():
            return messages, "the result channel holds data the harness did not write"
        end = newline + 1 + int(header[1])
        if end > len(data):
            return messages, "the result channel was cut off mid-message"
        try:
            message = json.loads(data[newline + 1:end])
        except (json.JSONDecodeError, UnicodeDecodeError):
            return messages, "a message on the result channel does not parse"
        if not isinstance(message, dict):
            return messages, "a message on the result channel is not an object"
        messages.append(message)
        pos = end
    return messages, ""


def checks_by_id(messages: list[dict]) -> tuple[dict[str, dict], list[str], dict | None]:
    """``(first result per check grade id, grade ids with more than one result, the done message)``.

    The warden sends exactly one result per check cell and one ``done``, and
    student code never holds the channel; a grade id seen twice would mean it
    did after all, so neither result is trusted.
    """
    by_check: dict[str, dict] = {}
    forged: list[str] = []
    done = None
    for m in messages:
        if m.get("type") == "check":
            gid = m.get("grade_id")
            if gid in by_check and gid not in forged:
                forged.append(gid)
            by_check.setdefault(gid, m)
        elif m.get("type") == "done":
            done = m
    return by_check, forged, done


# -- scoring (pure) ------------------------------------------------------------------------------

def judge_check(check: CheckSpec, message: dict | None, cases: dict[str, CaseSet],
                static_flags: dict[str, list[str]], stop_reason: str) -> tuple[CheckResult, list[Flag]]:
    """Verdict and points of one check cell from its channel message (None: never reached)."""
    flags: list[Flag] = []
    gid = check.grade_id
    ids = [eid for eid, _ in check.calls]
    if message is None:
        text = f"not graded: {stop_reason}" if stop_reason else "not graded: the notebook did not reach this check"
        return CheckResult(check.grade_id, ids, 0.0, check.points, False, False, False, text), flags
    patched = [_known_name(str(p)) for p in _as_list(message.get("patched"))][:10]
    if patched:
        flags.append(Flag("patched", f"changed {', '.join(patched)} before this check", check=gid))
    flags += [Flag("harness", _harness_flag(str(f)), check=gid) for f in _as_list(message.get("flags"))][:5]
    by_id = {r.get("exercise_id"): r for r in message.get("results", []) if isinstance(r, dict)}
    visible_ok = hidden_ok = True
    notes = []
    for eid, name in check.calls:
        exercise, case_set = core.get(eid), cases[eid]
        found = static_flags.get(name)
        if found:
            flags.append(Flag("uses-reference", f"`{name}` uses {', '.join(found)} (the reference implementation "
                              f"of this exercise, or an interpreter hook)", check=gid))
        result = by_id.get(eid) or {}
        if result.get("rigged"):
            flags.append(Flag("rigged", f"`{name}` {_rigged_text(_as_list(result['rigged']))}", check=gid))
        v_ok, h_ok, note = judge_cases(exercise, case_set, result.get("outcomes"))
        reference = (f"{exercise.reference.__module__}.{exercise.reference.__qualname__}"
                     if exercise.reference is not None else "\0no reference")
        if any(reference in str(o.get("error") or "") for o in result.get("outcomes") or [] if isinstance(o, dict)):
            flags.append(Flag("called-reference", f"`{name}` called the reference implementation ({reference})",
                              check=gid))
        visible_ok, hidden_ok = visible_ok and v_ok, hidden_ok and h_ok
        if note:
            notes.append(note)
        if found or result.get("rigged"):
            visible_ok = hidden_ok = False
    tampered = bool(patched or message.get("flags"))
    passed = visible_ok and hidden_ok and not tampered and not any(f.check == gid for f in flags)
    if passed:
        text = "all checks passed"
    elif notes:
        text = "\n".join(notes)
    else:
        text = "no points: the grader found tampering in this check (see flags)"
    points = check.points if passed else 0.0
    return CheckResult(check.grade_id, ids, points, check.points, passed, visible_ok, hidden_ok, text), flags


# What the student's process reports is text its code could have written (from hidden inputs, say): the
# grader shows it only in its own words, or as names it knows.

#: Modules whose attributes the harness watches (as the student's process names them).
_WATCHED = {"numpy": "numpy", "builtins": "builtins", "dlkit.checks.core": "dlkit.checks.core",
            "dlkit.checks": "dlkit.checks", "wire": "autograder.wire"}
_DUNDERS = ("__eq__", "__array__", "__float__", "__abs__", "__sub__", "__le__", "__lt__")


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def _known_name(dotted: str) -> str:
    """``dotted`` when it names an attribute of a watched module, else a fixed placeholder."""
    import importlib

    module, _, attr = dotted.rpartition(".")
    if module in _WATCHED and attr.isidentifier() and len(dotted) <= 80:
        if hasattr(importlib.import_module(_WATCHED[module]), attr):
            return dotted
    return "(a name the grader does not know)"


def _rigged_text(reports: list) -> str:
    """The rigged-return flag in the grader's words: which kind of object, which comparisons it brings."""
    text = " ".join(map(str, reports))[:2000]
    kind = "an ndarray subclass" if "ndarray subclass" in text else "an object of a class of its own"
    own = [name for name in _DUNDERS if name in text]
    return f"returned {kind}" + (f" defining {', '.join(own)}" if own else "") + " instead of plain numbers"


def _harness_flag(text: str) -> str:
    if text.endswith("left a profile hook installed"):
        return "the student's code left a profile hook installed"
    return "the harness reported a problem with this check"


def judge_cases(exercise: core.Exercise, case_set: CaseSet, outcomes) -> tuple[bool, bool, str]:
    """``(visible passed, hidden passed, message)``; hidden failures never show inputs."""
    if not isinstance(outcomes, list) or len(outcomes) != len(case_set.cases):
        return False, False, f"{exercise.function}: the grader got no answers from your function"
    visible_ok = hidden_ok = True
    first_msg = ""
    for k, (case, expected, raw) in enumerate(zip(case_set.cases, case_set.expected, outcomes)):
        try:
            output = None if raw.get("output") is None else decode_output(raw["output"])
            outcome = core.Outcome(output, None if raw.get("error") is None else str(raw["error"])[:500],
                                   tuple(str(m) for m in raw.get("mutated", [])))
        except (ValueError, KeyError, TypeError, AttributeError):
            outcome = core.Outcome(None, "returned something the grader could not read")
        verdict = core.judge(exercise, case, outcome, expected)
        if verdict.passed:
            continue
        if k < case_set.n_visible:
            visible_ok = False
            first_msg = first_msg or f"{exercise.function}: check {k + 1} of {case_set.n_visible} failed.\n  {verdict.message}"
        else:
            hidden_ok = False
            if not first_msg:
                label = f" ({case.label})" if case.label else ""
                hint = case.hint or exercise.hint
                first_msg = (f"{exercise.function}: passes the visible checks but fails a hidden check{label}: "
                             f"{hidden_failure(exercise, case, outcome, expected)}."
                             + (f"\n  Hint: {hint}" if hint else ""))
    return visible_ok, hidden_ok, first_msg


def hidden_failure(exercise: core.Exercise, case: core.Case, outcome: core.Outcome,
                   expected: tuple[np.ndarray, ...]) -> str:
    """What went wrong on a hidden case, as far as privacy allows: :func:`dlkit.checks.core.private_failure`."""
    return core.private_failure(exercise, case, outcome, expected)


def score(result: SubmissionResult) -> SubmissionResult:
    """Fill ``score`` and ``max_score`` from the checks (pure arithmetic)."""
    result.score = float(sum(c.points for c in result.checks))
    result.max_score = float(sum(c.max_points for c in result.checks))
    return result


# -- one submission ------------------------------------------------------------------------------

def inputs_digest(spec: LessonSpec, limits: Limits, seed: int | str | None, *, sandboxed: bool) -> str:
    """The grader inputs' hash a record carries: lesson files, seed fingerprint, harness, limits, version.

    A stored record whose submission and inputs hash match is not graded again.
    """
    from autograder.seeds import seed_fingerprint

    harness = hashlib.sha256(HARNESS.read_bytes() + LANDLOCK.read_bytes() + WIRE.read_bytes()).hexdigest()
    fingerprint = json.dumps({"lesson": spec.fingerprint, "seed": seed_fingerprint(seed), "harness": harness,
                              "limits": [limits.timeout_s, limits.memory_mb, limits.nproc],
                              "version": GRADER_VERSION, "sandboxed": sandboxed}, sort_keys=True)
    return hashlib.sha256(fingerprint.encode()).hexdigest()


@dataclass
class Grader:
    """Everything shared by the submissions of one lesson's batch.

    Build it once per batch with :meth:`create`; :meth:`grade` is then safe to
    call from several threads.
    """

    spec: LessonSpec
    sandbox: Sandbox
    seed: int | str | None
    inputs_sha256: str
    forbidden: dict[str, set[str]]
    prepare: dict = field(default_factory=dict)
    pool: "WarmPool | ForkServerPool | None" = None
    #: Per student id, how the last run went: phase times (monotonic seconds from the sandbox's start), the
    #: student process's peak memory. For benchmarks and profiles; never part of a grade.
    profiles: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def create(cls, spec: LessonSpec, *, limits: Limits | None = None, seed: int | str | None = None,
               unsafe: bool = False, confine: bool = True, prewarm: int = 0,
               fork_server: bool | None = None) -> "Grader":
        """``prewarm``: sandboxes kept started ahead of their submissions (one per job running at once is
        right; 0 starts each when its submission comes). ``fork_server``: grade in fork servers instead
        (:class:`ForkServerPool`, ``max(prewarm, 1)`` of them; ``None``: wherever they can run, i.e. in the
        sandbox as root). Call :meth:`close` when the batch is done."""
        limits = limits or Limits()
        sandbox = Sandbox(limits, unsafe=unsafe, confine=confine)
        draw_cases(spec, seed)  # fail now, not per submission, if an exercise cannot draw its cases
        compile_dlkit()
        prepare = {"exercises": sorted(spec.exercises()), "preload": preload_modules(spec)}
        if fork_server is None:
            fork_server = fork_server_possible(sandbox)
        elif fork_server and not fork_server_possible(sandbox):
            raise ValueError("fork servers need the sandbox (bubblewrap) and the grader running as root (a container, "
                             "a cluster's worker): grade without --fork-server here")
        if fork_server:
            pool = ForkServerPool(sandbox, prepare, max(prewarm, 1))
        else:
            pool = WarmPool(sandbox, prepare, prewarm) if prewarm > 0 else None
        return cls(spec, sandbox, seed, inputs_digest(spec, limits, seed, sandboxed=sandbox.confined),
                   forbidden_names(spec), prepare, pool)

    def runner(self) -> str:
        """How this grader runs submissions, in words (for the batch's summary)."""
        if isinstance(self.pool, ForkServerPool):
            why = self.pool.unavailable
            return f"a sandbox per submission (no fork server could serve: {why})" if why else "fork servers"
        if not self.sandbox.confined:
            return "NO sandbox (--unsafe)"
        return "a sandbox per submission"

    def close(self) -> None:
        """Kill the sandboxes still waiting for a submission."""
        if self.pool is not None:
            self.pool.close()

    def __getstate__(self) -> dict:
        """A copy sent elsewhere (another process, a worker) starts its own sandboxes: the pool's stay here."""
        return {**self.__dict__, "pool": None, "profiles": {}}

    def cases_for(self, submission_sha256: str) -> dict[str, CaseSet]:
        """The cases a submission is graded on: its hidden inputs are drawn from the seed and its digest."""
        return draw_cases(self.spec, self.seed, salt=submission_sha256)

    def grade(self, student_id: str, data: bytes, *,
              slot=None) -> tuple[SubmissionResult, nbformat.NotebookNode | None]:
        """Grade one submitted notebook's bytes; returns the record and the notebook that was run.

        ``slot``: a context manager factory (:meth:`autograder.executor.LocalExecutor.slot`) held, for
        ``student_id``, only while the sandbox runs: the checks before and the judging after run beside
        other submissions' sandboxes."""
        digest = hashlib.sha256(data).hexdigest()
        common = dict(submission_sha256=digest, inputs_sha256=self.inputs_sha256,
                      max_score=self.spec.max_score)
        try:
            nb = val.validate(data, self.spec.released)
        except val.Rejected as exc:
            return rejected(student_id, self.spec.lesson, str(exc), **common), None
        fixed = val.repair(nb, self.spec.released, self.spec.source)
        static = val.scan_answers(fixed.notebook, self.forbidden)
        token = secrets.token_hex(16)
        cases = self.cases_for(digest)
        job = {"token": token, "cells": self._cells(fixed.notebook),
               "cases": {eid: encode_cases(cs) for eid, cs in cases.items()}}
        payload = json.dumps(job, allow_nan=True).encode("utf-8")  # before a sandbox is taken: nothing to leak
        with slot(student_id) if slot is not None else nullcontext():
            started = self.pool.take() if self.pool is not None else self.sandbox.start(prepare=self.prepare)
            run = started.finish(payload)
        messages, problem = parse_channel(run.channel, token)
        grouped = checks_by_id(messages)  # once: both steps below read it
        self.profiles[student_id] = _profile(started.started_at, run, grouped[2])
        result = self._judge(student_id, run, grouped, problem, static, common, cases)
        result.repairs = fixed.repairs
        result.cell_notes = cell_notes(fixed.notebook, grouped[2], _stop_reason(run, problem, grouped[2]),
                                       self.sandbox.limits.memory_mb)
        if not self.sandbox.confined:
            result.flags.append(Flag("unsafe", "graded WITHOUT a sandbox (--unsafe)"))
        return score(result), _with_outputs(fixed.notebook, result, grouped[2])

    def _cells(self, nb: nbformat.NotebookNode) -> list[dict]:
        checks = {c.grade_id: c for c in self.spec.checks}
        cells = []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            gid = nbs.grade_id(cell)
            if gid in checks:
                cells.append({"kind": "check", "grade_id": gid, "calls": [list(c) for c in checks[gid].calls]})
            else:
                cells.append({"kind": "code", "grade_id": gid, "source": cell.source})
        return cells

    def _judge(self, student_id: str, run: RunResult,
               grouped: tuple[dict[str, dict], list[str], dict | None], problem: str,
               static: dict[str, list[str]], common: dict, cases: dict[str, CaseSet]) -> SubmissionResult:
        by_check, forged, done = grouped
        stop = _stop_reason(run, problem, done)
        flags = []
        if problem:
            flags.append(Flag("channel", problem))
        for gid in forged:  # the warden writes one result per check: a second one cannot be its own
            by_check.pop(gid, None)
            flags.append(Flag("forged", "the result channel holds more than one result for this check (forged)",
                              check=gid))
        if run.channel_overflow:
            flags.append(Flag("flooded", "the submission flooded the result channel"))
        checks = []
        for check in self.spec.checks:
            verdict, check_flags = judge_check(check, by_check.get(check.grade_id), cases, static, stop)
            checks.append(verdict)
            flags += check_flags
        log = str((done or {}).get("log_tail") or "")
        if stop or not log:  # what the processes wrote outside a cell's capture: tracebacks, crash reports
            raw = run.output.decode("utf-8", "replace")[-4000:]
            log = f"{log}\n--- process output ---\n{raw}" if log and raw.strip() else (log or raw)
        if stop:
            flags.append(Flag("not-finished", f"the notebook did not finish: {stop}"))
        sealed = str((done or {}).get("sealed", ""))
        if sealed:
            flags.append(Flag("sealed", f"dlkit's reference sources stayed readable to the submission ({sealed[:200]})"))
        errors = (done or {}).get("errors", [])
        for err in errors[:10]:
            cell = err.get("grade_id") or "(unnamed)"
            if err.get("error") in ("SystemExit", "KeyboardInterrupt"):
                flags.append(Flag("exit", f"cell {cell} raised {err['error']}"))
            elif err.get("error") == "MemoryError":
                flags.append(Flag("out-of-memory", f"cell {cell} ran out of memory "
                                                   f"(the limit is {self.sandbox.limits.memory_mb} MiB)"))
        if _fake_success(done):
            flags.append(Flag("fake-success",
                              "printed text that imitates a passing check (ignored: verdicts never come from output)"))
        return SubmissionResult(student_id=student_id, lesson=self.spec.lesson, status="graded",
                                seconds=round(run.seconds, 3), graded_at=now_iso(),
                                timed_out=run.timed_out or bool((done or {}).get("timed_out")),
                                checks=checks, flags=flags, log_tail=cap_text(str(log)), **common)


def _profile(started_at: float, run: RunResult, done: dict | None) -> dict:
    """Seconds from the sandbox's start to each phase the warden stamped, the run's wall time and peak memory."""
    phases = (done or {}).get("phases")
    stamps = {k: round(float(v) - started_at, 3) for k, v in phases.items()
              if isinstance(v, (int, float))} if isinstance(phases, dict) else {}
    peak = (done or {}).get("peak_rss_mb")
    return {"phases": stamps, "run_s": round(run.seconds, 3),
            "peak_rss_mb": float(peak) if isinstance(peak, (int, float)) else None}


class WarmPool:
    """Sandboxes started ahead of their submissions, each handed to exactly one.

    :meth:`take` returns a started sandbox (a waiting one if there is one, else a
    new one) and starts a replacement, so the next submission's interpreter, imports
    and reference withdrawal happen while this one runs. A sandbox that is taken
    is never returned to the pool: one interpreter per submission. ``size`` caps
    the sandboxes waiting; :meth:`expect` caps how many are started in all, so a
    batch does not end with sandboxes prepared for nobody.
    """

    def __init__(self, sandbox: Sandbox, prepare: dict, size: int):
        import threading

        if not isinstance(size, int) or size < 1:
            raise ValueError(f"a warm pool needs a size of 1 or more, got {size!r}")
        self.sandbox, self.prepare, self.size = sandbox, prepare, size
        self.waiting: list = []
        self.budget: int | None = None
        self.started = 0
        self.closed = False
        self._lock = threading.Lock()

    def expect(self, submissions: int) -> None:
        """At most this many more sandboxes are needed (the batch's submissions still to run)."""
        with self._lock:
            self.budget = self.started + max(0, int(submissions)) - len(self.waiting)

    def _start_one(self):
        self.started += 1
        return self.sandbox.start(prepare=self.prepare)

    def take(self):
        with self._lock:
            started = None
            while self.waiting and started is None:
                candidate = self.waiting.pop(0)
                if candidate.alive:
                    started = candidate
                else:  # died while waiting (killed from outside, out of memory): never hand it to anyone
                    candidate.discard()
            if started is None:
                started = self._start_one()
            while (not self.closed and len(self.waiting) < self.size
                   and (self.budget is None or self.started < self.budget)):
                self.waiting.append(self._start_one())
            return started

    def close(self) -> None:
        with self._lock:
            self.closed = True
            waiting, self.waiting = self.waiting, []
        for started in waiting:
            started.discard()


def fork_server_possible(sandbox: Sandbox) -> bool:
    """Whether fork servers can grade here: the sandbox is on and the grader runs as root (a container, a
    cluster's worker). Elsewhere each submission gets a sandbox of its own, started ahead (:class:`WarmPool`)."""
    import os

    return sandbox.confined and os.geteuid() == 0


class ForkServerPool:
    """Fork servers (:class:`autograder.sandbox.ForkServer`), one per job running at once, reused job after job.

    :meth:`take` hands out a free server (starting one when none is free); the run it returns gives the
    server back when it finishes, unless the server died or the run timed out (then it is closed, and a new
    one serves the next submission). Every submission still gets its own fresh process, uid, /tmp and pid
    namespace; what is shared is the loaded lesson they are forked from, which runs no student code.
    """

    def __init__(self, sandbox: Sandbox, prepare: dict, size: int):
        import threading

        if not isinstance(size, int) or size < 1:
            raise ValueError(f"a fork-server pool needs a size of 1 or more, got {size!r}")
        self.sandbox, self.prepare, self.size = sandbox, prepare, size
        self.free: list = []
        self.closed = False
        #: Why no fork server could serve here ("" while they can): then each submission gets a sandbox of its own.
        self.unavailable = ""
        self._lock = threading.Lock()

    def expect(self, submissions: int) -> None:
        """Nothing to plan: a server serves as many submissions as come."""

    def take(self):
        from autograder.sandbox import ForkServer

        if self.unavailable:
            return self.sandbox.start(prepare=self.prepare)
        with self._lock:
            server = None
            while self.free and server is None:
                candidate = self.free.pop()
                if candidate.alive:
                    server = candidate
                else:
                    candidate.close()
        return ForkedRun(self, server or ForkServer(self.sandbox, self.prepare))

    def give_back(self, server) -> None:
        with self._lock:
            if server.alive and not self.closed and len(self.free) < self.size:
                self.free.append(server)
                return
        server.close()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            free, self.free = self.free, []
        for server in free:
            server.close()


class ForkedRun:
    """One submission's turn on a fork server (what :meth:`ForkServerPool.take` returns): :meth:`finish` once."""

    def __init__(self, pool: ForkServerPool, server):
        self.pool, self.server = pool, server
        self.started_at = time.monotonic()
        self._used = False

    def finish(self, stdin: bytes) -> RunResult:
        """Run the job on the server; if the server cannot serve it, in a sandbox of its own instead."""
        from autograder.sandbox import ForkServerUnavailable

        if self._used:
            raise RuntimeError("this turn already served a job: one turn, one submission")
        self._used = True
        self.started_at = time.monotonic()
        try:
            return self.server.run(stdin)
        except ForkServerUnavailable as exc:
            self.pool.unavailable = str(exc)
            started = self.pool.sandbox.start(prepare=self.pool.prepare)
            self.started_at = started.started_at
            return started.finish(stdin)
        finally:
            self.pool.give_back(self.server)


def preload_modules(spec: LessonSpec) -> list[str]:
    """Modules the lesson's released notebook imports at the top level of a cell (or in a top-level ``try``).

    The instructor's release names them, never a submission. Only modules whose top-level package is
    installed here are listed (the sandbox sees the same Python); ``__future__`` is left out.
    """
    import importlib.util

    found: list[str] = []
    for cell in spec.released.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        body = list(tree.body)
        for node in list(body):
            if isinstance(node, ast.Try):
                body += node.body
        for node in body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".", 1)[0]
                if name not in found and top != "__future__" and importlib.util.find_spec(top) is not None:
                    found.append(name)
    return found


def compile_dlkit() -> None:
    """Write dlkit's compiled bytecode next to its sources, once, for every sandbox to read.

    The sandbox sees dlkit read-only and may not write bytecode, so without this
    each submission compiles every dlkit module it imports again. Where the
    folder is not writable nothing is written and the sandboxes compile as before.
    """
    import compileall

    from autograder import REPO

    try:
        compileall.compile_dir(str(REPO / "dlkit"), quiet=2, workers=1)
    except OSError:
        pass


def _stop_reason(run: RunResult, problem: str, done: dict | None) -> str:
    if run.timed_out:
        return f"the time limit ({run.seconds:.0f} s) ran out"
    if done is not None:
        return str(done.get("stopped") or "")[:300]  # the warden's account: which cell, and how
    if run.signal_name:
        return f"the notebook process was killed ({run.signal_name}; out of memory or CPU time?)"
    if run.returncode not in (0, None):
        return f"the notebook process ended early (exit code {run.returncode})"
    return problem or "the notebook process ended early"


#: What a check cell prints when it passes ("all 4 checks passed", "the check passed").
_PASS_TEXT = re.compile(r"\bchecks? passed\b")


def _fake_success(done: dict | None) -> bool:
    if not done:
        return False
    return any(_PASS_TEXT.search(str(c.get("text", ""))) for c in done.get("cells", []))


def _pngs(figures) -> list[str]:
    """The cell's figures that are what they claim: base64 of a PNG, within the harness's limits.

    They come from the student's process (through the warden, which checked them too), so they
    are checked again here before they reach a notebook that nbgrader turns into feedback pages.
    """
    import base64
    import binascii

    from autograder.harness import CELL_FIGURES, FIGURE_BYTES, PNG_SIGNATURE

    kept = []
    for item in figures if isinstance(figures, list) else []:
        if len(kept) < CELL_FIGURES and isinstance(item, str) and len(item) <= FIGURE_BYTES * 4 // 3 + 4:
            try:
                if base64.b64decode(item, validate=True).startswith(PNG_SIGNATURE):
                    kept.append(item)
            except (binascii.Error, ValueError):
                pass
    return kept


def _with_outputs(nb: nbformat.NotebookNode, result: SubmissionResult, done: dict | None) -> nbformat.NotebookNode:
    """The graded notebook with each code cell's captured output and each check cell's verdict."""
    done = done or {}
    texts = iter(done.get("cells", []))
    verdicts = {c.grade_id: c for c in result.checks}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        gid = nbs.grade_id(cell)
        if gid in verdicts:
            v = verdicts[gid]
            if v.passed:
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=v.message + "\n")]
            else:
                cell.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue=v.message, traceback=[v.message])]
            continue
        item = next(texts, None) or {}
        outputs = []
        if item.get("text"):
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=str(item["text"])))
        for png in _pngs(item.get("figures")):
            outputs.append(nbformat.v4.new_output("display_data", data={"image/png": png}))
        if item.get("error"):  # a known exception's name only: its message, or a class name of the
            #                      notebook's own, may carry what the student's code saw
            outputs.append(nbformat.v4.new_output("error", ename=core.known_error_name(str(item["error"])),
                                                  evalue="this cell raised when the grader ran it", traceback=[]))
        if outputs:
            cell.outputs = outputs
    return nb


def forbidden_names(spec: LessonSpec) -> dict[str, set[str]]:
    """Per student function, the dotted names of its exercise's reference implementation."""
    import dlkit.reference as reference

    out: dict[str, set[str]] = {}
    for eid, name in spec.exercises().items():
        ref = core.get(eid).reference
        if ref is None:  # rated by a score: there is no reference to copy
            out.setdefault(name, set())
            continue
        names = {f"{ref.__module__}.{ref.__qualname__}"}
        if getattr(reference, ref.__name__, None) is ref:
            names.add(f"dlkit.reference.{ref.__name__}")
        out.setdefault(name, set()).update(names)
    return out


# -- a batch --------------------------------------------------------------------------------------

#: How the record of a submission the grader failed on begins (it holds no inputs hash: the next run grades it).
INTERNAL_ERROR = "internal grader error"


@dataclass
class BatchSummary:
    """Counts of a batch, and the records of every submission collected.

    ``graded`` counts submissions graded to the end, ``timed_out`` those graded
    but cut by the time limit (apart), ``rejected`` those with a rejected record,
    ``grader_error`` those of them rejected by an internal grader error (a bug
    or, on Dask, workers that kept dying: not the student's doing; the next run
    grades them again), ``unattributed`` files of the download that belong to
    no student (listed in the intake manifest, no record).
    """

    records: list[SubmissionResult]
    reused: int = 0
    unattributed: int = 0
    #: How submissions were run: "fork servers", "a sandbox per submission", "Dask workers", with why not
    #: fork servers when they were asked for and could not serve.
    runner: str = ""
    #: Seconds from the batch's start to each submission run in it finishing (in that order), and to the end
    #: (records, gradebook and grades.csv written): the instructor's pace line and the benchmarks' figures.
    finished_s: list[float] = field(default_factory=list)
    seconds: float = 0.0
    #: Per student id run here (local executor), in the order they finished, the sandbox's phase times
    #: (:attr:`Grader.profiles`).
    profiles: dict[str, dict] = field(default_factory=dict)

    def count(self, what: str) -> int:
        if what == "timed_out":
            return sum(r.graded and r.timed_out for r in self.records)
        if what == "graded":
            return sum(r.graded and not r.timed_out for r in self.records)
        if what == "grader_error":
            return len(self.grader_errors())
        return sum(getattr(r, what) for r in self.records)

    def grader_errors(self) -> list[SubmissionResult]:
        """The records of submissions not graded because the grader failed (graded again by the next run)."""
        return [r for r in self.records if r.reason.startswith(INTERNAL_ERROR)]

    @property
    def anything_graded(self) -> bool:
        return self.count("graded") + self.count("timed_out") > 0

    def pace(self) -> tuple[float, float] | None:
        """(seconds until the first submission run was graded, seconds per submission after it: the batch's
        pace once running, all jobs together); None when fewer than two were run."""
        done = self.finished_s
        if len(done) < 2:
            return None
        return done[0], (done[-1] - done[0]) / (len(done) - 1)

    def pace_line(self) -> str:
        """How long the batch took, in words (empty if nothing was run)."""
        if not self.finished_s:
            return ""
        text = f"{len(self.finished_s)} run in {self.seconds:.0f} s"
        pace = self.pace()
        if pace is not None:
            text += f": the first graded after {pace[0]:.1f} s, then one every {pace[1]:.2f} s"
        return text

    def line(self) -> str:
        extra = f", {self.unattributed} file(s) attributed to no student" if self.unattributed else ""
        failed = self.count("grader_error")
        if failed:
            extra = (f" ({failed} of them NOT GRADED because the grader or its workers failed, not for anything the "
                     f"student did; re-running the same command grades them again){extra}")
        return (f"{len(self.records)} submission(s): {self.count('graded')} graded, {self.count('timed_out')} timed out, "
                f"{self.count('rejected')} rejected{extra} ({self.reused} unchanged since the last run, not re-run)")


def grade_lesson(lesson: str, submissions: Path, workspace: Path, *, jobs: int = 1, limits: Limits | None = None,
                 seed: int | str | None = None, unsafe: bool = False, progress: bool = True,
                 use_gradebook: bool = True, source_root: Path = SOLUTIONS,
                 release_root: Path = LESSONS, attempt: str = "latest", regrade: bool = False,
                 public_seed: bool = False, executor: str = "local", scheduler: str | None = None,
                 prewarm: int | None = None, fork_server: bool | None = None) -> BatchSummary:
    """Grade every submission of a lesson into ``workspace``; resumes where a killed run stopped.

    Each record is written atomically as soon as its submission is graded; a
    submission whose bytes and grader inputs match its stored record is not
    run again. Then the gradebook and ``grades.csv`` are brought in step.
    Who handed in what is :mod:`autograder.intake`'s (``attempt``: its rule for
    several attempts). Records made with another seed raise
    :class:`autograder.seeds.SeedMismatch` unless ``regrade``. With no seed
    (neither ``seed`` nor ``$DLKIT_HIDDEN_SEED``) it raises
    :class:`autograder.seeds.SeedMissing`, saying how to make one, unless
    ``public_seed`` allows the course's public default (demos, tests).

    ``executor``: ``"local"`` (``jobs`` threads here, each running sandboxes)
    or ``"dask"`` (:mod:`autograder.distributed`: the workers of the Dask
    scheduler at ``scheduler``, or of a local cluster of ``jobs`` processes;
    the run stops with :class:`autograder.distributed.GradingStopped` when it
    cannot go on). ``prewarm`` (local executor): sandboxes started ahead of
    their submissions (default: ``jobs``; 0 for none). ``fork_server`` (local
    executor): grade in fork servers (:class:`ForkServerPool`; ``None``:
    wherever they can run, i.e. as root with the sandbox on).
    """
    from autograder import export, gradebook
    from autograder.executor import LocalExecutor
    from autograder.intake import intake_for_lesson
    from autograder.results import load_results, result_path, read_result
    from autograder.results import write_result as _write
    from autograder.seeds import check_same_seed, require_seed, seed_fingerprint

    started = time.monotonic()
    finished, finished_s = [], []
    if executor not in ("local", "dask"):
        raise ValueError(f"unknown executor {executor!r}: use 'local' (this machine) or 'dask' (Dask distributed)")
    if scheduler is not None and executor != "dask":
        raise ValueError("--scheduler goes with --executor dask")
    if prewarm is not None and (not isinstance(prewarm, int) or prewarm < 0):
        raise ValueError(f"--prewarm takes a number of sandboxes, 0 or more; got {prewarm!r}")
    if unsafe and executor == "dask":
        raise ValueError("--unsafe is for --executor local only: Dask workers always grade in a sandbox")
    seed = require_seed(seed, public_seed=public_seed)
    workspace = Path(workspace)
    fingerprint = seed_fingerprint(seed)
    if not regrade:
        check_same_seed(load_results(workspace, lesson), seed, action=(
            "grade with the term's seed, or pass --regrade to grade every submission again with this one"))

    def write_result(ws, record):  # every record names the seed that graded it
        record.seed_fingerprint = fingerprint
        return _write(ws, record)

    spec = load_lesson(lesson, source_root=source_root, release_root=release_root)
    limits = limits or Limits()
    slow_after_s = max(30.0, limits.timeout_s / 2)
    grader = None  # the local executor's (the Dask workers build their own)
    if executor == "dask":
        from autograder.distributed import dask_grading

        draw_cases(spec, seed)  # fail here, before any worker is asked, if an exercise cannot draw its cases
        inputs_sha256, pool, job = dask_grading(spec, limits=limits, seed=seed, scheduler=scheduler, jobs=jobs,
                                                progress=progress, source_root=source_root,
                                                release_root=release_root, slow_after_s=slow_after_s)
    else:
        grader = Grader.create(spec, limits=limits, seed=seed, unsafe=unsafe,
                               prewarm=jobs if prewarm is None else prewarm, fork_server=fork_server)
        inputs_sha256 = grader.inputs_sha256
        # One job more than --jobs is started, to check the next submission and draw its cases, or judge the
        # last one, while --jobs sandboxes run: at most --jobs run at once (the slots).
        pool = LocalExecutor(jobs, ahead=1, progress=progress, desc=f"grading {lesson}", slow_after_s=slow_after_s)

        def job(student_id: str, data: bytes) -> tuple:
            return functools.partial(grader.grade, slot=pool.slot), student_id, data
    if use_gradebook:
        gradebook.prepare(workspace, lesson, source_root=source_root)
    taken = intake_for_lesson(Path(submissions), workspace, lesson, spec.notebook_name, attempt=attempt)
    subs = taken.submissions()
    reused = 0
    with pool as ex, (closing(grader) if grader is not None else nullcontext()):
        by_id = {}
        for sub in subs:
            path = result_path(workspace, lesson, sub.student_id)
            if path.exists():
                try:
                    old = read_result(path)
                except ValueError:
                    old = None
                if old and old.submission_sha256 == sub.sha256 and old.inputs_sha256 == inputs_sha256:
                    reused += 1
                    continue
            if sub.problem:
                write_result(workspace, rejected(sub.student_id, lesson, sub.problem, submission_sha256=sub.sha256,
                                                 inputs_sha256=inputs_sha256, max_score=spec.max_score))
                continue
            by_id[sub.student_id] = sub
        if grader is not None and grader.pool is not None:
            grader.pool.expect(len(by_id))  # no sandbox is started ahead for a submission that is not coming
        for sub in by_id.values():
            ex.submit(sub.student_id, *job(sub.student_id, sub.data))
        for student_id, value, error in ex.results():
            sub = by_id[student_id]
            if error is not None:  # a bug in the grader, not the student's fault: graded again next run
                record = rejected(student_id, lesson, f"{INTERNAL_ERROR} ({type(error).__name__}: {error})",
                                  submission_sha256=sub.sha256, max_score=spec.max_score)
                notebook = None
            else:
                record, notebook = value
            if use_gradebook:
                gradebook.place(workspace, lesson, student_id, spec.notebook_name, sub.data, notebook)
            write_result(workspace, record)
            finished_s.append(time.monotonic() - started)
            finished.append(student_id)
    wanted = {s.student_id for s in subs}
    records = [r for r in load_results(workspace, lesson) if r.student_id in wanted]
    if use_gradebook:
        gradebook.sync(workspace, lesson, spec.notebook_name, records)
    export.write_grades(workspace)
    return BatchSummary(records, reused, len(taken.unattributed), grader.runner() if grader else "Dask workers",
                        finished_s, time.monotonic() - started,
                        {s: grader.profiles[s] for s in finished if grader and s in grader.profiles})
