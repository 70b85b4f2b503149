"""A catalogue of hostile submissions, each with the result it must earn.

Every entry builds one submission file (the bytes of an ``.ipynb``) from a
released lesson notebook: a correct submission with one *target* answer cell
replaced by hostile code, a tampered notebook, or a malformed file. The
target is the first exercise of the notebook (``sigmoid`` in lesson 01); the
other answer cells hold the solutions, so what the hostile code does not
break must still be graded normally.

Each entry carries an :class:`Expect`: the status it must end in, the words
its reason or flags must contain, and which checks must earn zero or full
points. :func:`problems` compares a result record (the JSON dict of
``autograder/results.py``, or a ``SubmissionResult``) with it and lists what
is wrong, so grader tests and the demo share one definition of "handled".

Everything is bounded so a broken sandbox cannot hurt the machine: the memory
bomb stops at :data:`MEMORY_BOMB_MB`, the fork bomb at :data:`FORK_BOMB_CHILDREN`
children that exit after :data:`LINGER_SECONDS`, output at
:data:`HUGE_OUTPUT_MB`; network attempts go only to 127.0.0.1; the
"kill the grader" entry signals only its own ancestors; files written by an
escaped submission are new files named :data:`MARKER_FILE`, never changes to
existing ones.

Example::

    >>> sorted(h.name for h in CATALOGUE if h.kind == "file")[:3]
    ['bad-json', 'duplicate-cell-ids', 'empty-file']
    >>> by_name("call-reference").student_id
    'hostile-call-reference'
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import nbformat

from autograder import REPO
from autograder import notebooks as nbs

#: Upper bound of the memory bomb (MiB): above any sensible --memory-mb, far below the machine.
MEMORY_BOMB_MB = 3072
#: Upper bound of the fork bomb: children it starts at most.
FORK_BOMB_CHILDREN = 40
#: Seconds the fork bomb's children (and the sleeper) live when nothing kills them.
LINGER_SECONDS = 307
#: MiB the huge-output entry prints.
HUGE_OUTPUT_MB = 8
#: Name of the files an escaped submission leaves behind (see :func:`stray_markers`).
MARKER_FILE = "HOSTILE_WAS_HERE"
#: Printed by the secret-reading entry for each secret it could read.
LEAK_TAG = "LEAKED:"
#: Printed by the network entry when a connection to 127.0.0.1 succeeded.
NETWORK_TAG = "NETWORK-REACHED:"


@dataclass(frozen=True)
class Expect:
    """What a hostile submission must earn.

    Args:
        status: ``"graded"``, ``"rejected"``, or ``"any"`` (either, as long as
            the reason words are found).
        reason_words: at least one of them (case-insensitive) appears in the
            status, flags, repairs, check messages or log tail.
        flag_words: when given, at least one flag contains one of them.
        zero: check grade ids that must earn 0 points (when graded).
        full: check grade ids that must earn their full points (when graded).
        timed_out: required value of the record's ``timed_out`` (None: either).
        forbidden_text: strings that must appear nowhere in the record.
    """

    status: str
    reason_words: tuple[str, ...] = ()
    flag_words: tuple[str, ...] = ()
    zero: tuple[str, ...] = ()
    full: tuple[str, ...] = ()
    timed_out: bool | None = None
    forbidden_text: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """The exercise a hostile answer attacks: its answer and check cells, function and exercise id."""

    answer_id: str
    check_id: str
    function: str
    exercise_id: str
    reference: str  # dotted name of dlkit's reference implementation
    other_checks: tuple[str, ...]  # in notebook order
    earlier_checks: tuple[str, ...] = ()  # the other checks above the target's, in notebook order

    @property
    def later_checks(self) -> tuple[str, ...]:
        return tuple(gid for gid in self.other_checks if gid not in self.earlier_checks)


@dataclass(frozen=True)
class Hostile:
    """One hostile submission: a name (``hostile-<name>`` is its student id), what it tries, what it must earn."""

    name: str
    description: str
    build_fn: Callable[["Target", nbformat.NotebookNode, Mapping[str, Any]], bytes] = field(repr=False)
    expect_fn: Callable[["Target"], Expect] = field(repr=False)

    @property
    def student_id(self) -> str:
        return f"hostile-{self.name}"

    @property
    def kind(self) -> str:
        """``"answer"`` (hostile code in an answer cell), ``"tamper"`` (edited cells) or ``"file"`` (malformed)."""
        return self.build_fn.kind

    def expect(self, target: Target) -> Expect:
        return self.expect_fn(target)

    def build(self, correct: nbformat.NotebookNode, **context: Any) -> bytes:
        """The submission's file content, from a correctly answered notebook.

        ``context`` may hold ``port`` (a 127.0.0.1 port the network entry
        connects to; default 9, the discard port).
        """
        return self.build_fn(find_target(correct), correct, context)


# -- the target exercise ----------------------------------------------------------

_RUN_CALL = re.compile(r"""checks\.run\(\s*["']([^"']+)["']\s*,\s*([A-Za-z_]\w*)""")


def find_target(nb: nbformat.NotebookNode) -> Target:
    """The exercise hostile answers attack, and its answer and check cells.

    The first exercise (in notebook order) that is a function with a
    reference and that no other exercise builds on (``REQUIRES`` of the
    lesson's mutants file), so that the reference entries have something to
    call and a wrong answer costs the target's check alone; failing that, the
    first with a reference, then the first. A lesson may open with a model or
    a value exercise, which has no reference: its ``reference`` is then ``""``.
    """
    from dlkit.checks.core import get

    checks: list[tuple[str, str, str, str]] = []  # (answer grade id, check grade id, exercise id, function)
    answer_id = None
    for cell in nb.cells:
        if nbs.is_answer(cell):
            answer_id = nbs.grade_id(cell)
        if nbs.is_graded(cell) and cell.cell_type == "code":
            match = _RUN_CALL.search(cell.source)
            if match and answer_id is not None:
                checks.append((answer_id, nbs.grade_id(cell), match.group(1), match.group(2)))
    if not checks:
        raise ValueError("hostile submissions need a notebook with an answer cell followed by a check cell "
                         "calling checks.run(...); found none")
    exercises = {eid: get(eid) for _, _, eid, _ in checks}
    required = {name for used in _requires(checks[0][2]).values() for name in used}

    def rank(item) -> int:
        ex = exercises[item[2]]
        if ex.reference is None:
            return 3
        if ex.kind != "function":
            return 2
        return 1 if item[2].split(".", 1)[1] in required else 0

    answer_id, check_id, exercise_id, function = min(checks, key=rank)  # min keeps notebook order among equals
    ref = exercises[exercise_id].reference
    order = [gid for _, gid, _, _ in checks]
    return Target(answer_id, check_id, function, exercise_id,
                  f"{ref.__module__}.{ref.__qualname__}" if ref is not None else "",
                  tuple(gid for gid in order if gid != check_id), tuple(order[:order.index(check_id)]))


def _requires(exercise_id: str) -> dict[str, tuple[str, ...]]:
    """``REQUIRES`` of the exercise's lesson (``autograder/mutants/lessonNN.py``), or {} without one."""
    import importlib

    try:
        module = importlib.import_module(f"autograder.mutants.lesson{exercise_id.split('.', 1)[0]}")
    except ModuleNotFoundError:
        return {}
    return dict(getattr(module, "REQUIRES", {}))


# -- building blocks ----------------------------------------------------------------

def _with_answer(source: str) -> Callable[[Target, nbformat.NotebookNode, Mapping[str, Any]], bytes]:
    """A builder that puts ``source`` (formatted with the target and context) into the target's answer cell."""

    def build(target: Target, nb: nbformat.NotebookNode, context: Mapping[str, Any]) -> bytes:
        out = copy.deepcopy(nb)
        text = source.format(fn=target.function, ref=target.reference, exercise=target.exercise_id,
                             check=target.check_id, port=int(context.get("port", 9)), repo=str(REPO),
                             marker=MARKER_FILE, leak=LEAK_TAG, net=NETWORK_TAG, linger=LINGER_SECONDS,
                             mem_mb=MEMORY_BOMB_MB, children=FORK_BOMB_CHILDREN, out_mb=HUGE_OUTPUT_MB,
                             hidden_tag=HIDDEN_LEAK_TAG)
        _cell(out, target.answer_id).source = text
        return _dump(out)

    build.kind = "answer"
    return build


def _with_notebook(change: Callable[[Target, nbformat.NotebookNode], Any]):
    """A builder that applies ``change`` to a copy of the correct notebook (in place) and writes it."""

    def build(target: Target, nb: nbformat.NotebookNode, context: Mapping[str, Any]) -> bytes:
        out = copy.deepcopy(nb)
        change(target, out)
        return _dump(out)

    build.kind = "tamper"
    return build


def _raw(make: Callable[[nbformat.NotebookNode], bytes]):
    def build(target: Target, nb: nbformat.NotebookNode, context: Mapping[str, Any]) -> bytes:
        return make(copy.deepcopy(nb))

    build.kind = "file"
    return build


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    for cell in nb.cells:
        if nbs.grade_id(cell) == grade_id:
            return cell
    raise KeyError(f"no cell with grade id {grade_id!r}")


def _dump(nb: nbformat.NotebookNode) -> bytes:
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _wrong(fn: str) -> str:
    """A definition of ``fn`` that returns the wrong answer for every input."""
    return f"def {fn}(*args, **kwargs):\n    return np.asarray(args[0], dtype=float) * 0 + 0.123\n"


# -- answer-cell sources --------------------------------------------------------------

INFINITE_LOOP = "while True:\n    pass\n"

SLEEP = "import time\ntime.sleep({linger})\n"

IGNORE_SIGNALS = """\
import signal
for _sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(_sig, signal.SIG_IGN)
while True:
    pass
"""

OS_EXIT = "import os\nos._exit(3)\n"

SYSTEM_EXIT = "import sys\nsys.exit(0)\n"

KEYBOARD_INTERRUPT = "raise KeyboardInterrupt\n"

MEMORY_BOMB = """\
import numpy as _np
_hoard = []
for _ in range({mem_mb} // 64):
    _hoard.append(_np.ones(64 * 2**20 // 8))   # 64 MiB, every page touched
""" + _wrong("{fn}")

FORK_BOMB = """\
import os, time
for _ in range({children}):
    try:
        _pid = os.fork()
    except OSError:
        break
    if _pid == 0:
        try:
            os.execv("/bin/sleep", ["sleep", "{linger}"])
        finally:
            time.sleep({linger})
            os._exit(0)
""" + _wrong("{fn}")

HUGE_OUTPUT = """\
import sys
_line = "spam " * 199 + "\\n"          # 1000 characters
for _ in range({out_mb} * 1024):
    sys.stdout.write(_line)
""" + "{correct}"

KILL_GRADER = """\
import os, signal

def _parent(pid):
    with open(f"/proc/{{pid}}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])

_pid = os.getpid()
for _ in range(2):                     # our parent and its parent, nothing wider
    _pid = _parent(_pid)
    if _pid <= 1:
        break
    for _sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(_pid, _sig)
        except OSError as exc:
            print("kill refused:", exc)
""" + _wrong("{fn}")

READ_SECRETS = """\
import glob, os
_secrets = {{
    "solutions": glob.glob("{repo}/solutions/*/*.ipynb") + glob.glob("../../../solutions/*/*.ipynb"),
    "gradebook": glob.glob("../../../gradebook.db") + glob.glob("{repo}/grading/gradebook.db"),
    "other submissions": glob.glob("../../../submitted/*/*/*.ipynb") + glob.glob("../../*/*/*.ipynb"),
}}
for _what, _paths in _secrets.items():
    for _path in _paths:
        try:
            with open(_path, "rb") as _fh:
                print("{leak}" + _what, _fh.read(300))
        except OSError:
            pass
_seed = os.environ.get("DLKIT_HIDDEN_SEED")
if _seed:
    print("{leak}seed", _seed)
for _folder in ("{repo}/solutions", "{repo}/dlkit", "..", "../..", "../../..", os.path.expanduser("~")):
    try:
        with open(os.path.join(_folder, "{marker}"), "x") as _fh:
            _fh.write("a submission wrote here")
        print("WROTE:", _folder)         # inside a sandbox: its private copy; stray_markers() checks the host
    except OSError:
        pass
""" + "{correct}"

NETWORK = """\
import socket
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=2) as _s:
        _s.sendall(b"hostile submission says hello")
        print("{net}", {port})
except OSError as exc:
    print("no network:", exc)
""" + "{correct}"

MONKEYPATCH = """\
import builtins
import numpy as np
import dlkit.checks
import dlkit.checks.core as _core
dlkit.checks.run = lambda *args, **kwargs: print("✔ all checks passed.")
_core.run = dlkit.checks.run
_core.judge = lambda *args, **kwargs: _core.Verdict(True, "ok")
np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
builtins.AssertionError = type("NeverRaised", (Exception,), {{}})
""" + _wrong("{fn}")

RIGGED_EQ = """\
class _Always(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)
    __ne__ = lambda self, other: np.zeros(np.shape(self), dtype=bool)
    def __sub__(self, other):
        return np.zeros(np.shape(self))
    __rsub__ = __sub__
    def __abs__(self):
        return np.zeros(np.shape(self))
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.broadcast_shapes(*(np.shape(i) for i in inputs)))
    def __float__(self):
        return 0.5

def {fn}(*args, **kwargs):
    x = np.asarray(args[0], dtype=float)
    return (x * 0 + 0.123).view(_Always)
"""

FAKE_PASS = """\
print("✔ {fn}: all 4 checks passed.")
print("✔ {fn}: all 7 hidden checks passed.")
print("Score: 2.0 / 2.0   [{check}] PASSED")
""" + _wrong("{fn}")

CALL_REFERENCE = """\
from {ref_module} import {ref_name} as _answer_key

def {fn}(*args, **kwargs):
    return _answer_key(*args, **kwargs)
"""

COPY_REFERENCE_CODE = """\
import importlib, types
_key = getattr(importlib.import_module("{ref_module}"), "{ref_name}")
{fn} = types.FunctionType(_key.__code__, _key.__globals__, "{fn}", _key.__defaults__, _key.__closure__)
"""

UNHOOK_REFERENCE = """\
import importlib, sys

def {fn}(*args, **kwargs):
    sys.setprofile(None)                      # switch off the grader's call watch first
    _where = importlib.import_module("{ref_module_reversed}"[::-1])   # hidden from a scan of the source
    return getattr(_where, "{ref_name_reversed}"[::-1])(*args, **kwargs)
"""

RELOAD_REFERENCE = """\
import importlib, inspect, sys
_fresh = None
_module = importlib.import_module("{ref_module}")
for _attempt in ("reload", "exec the source", "getsource"):
    try:
        if _attempt == "reload":
            _fresh = getattr(importlib.reload(_module), "{ref_name}")
        elif _attempt == "exec the source":
            _ns = {{"__name__": "copy"}}
            exec(open(_module.__file__).read(), _ns)
            _fresh = _ns["{ref_name}"]
        else:
            _ns = {{}}
            exec(inspect.getsource(_module), _ns)
            _fresh = _ns["{ref_name}"]
        print("LOADED A FRESH COPY by", _attempt)
        break
    except Exception as exc:
        print(_attempt, "refused:", type(exc).__name__)

def {fn}(*args, **kwargs):
    sys.setprofile(None)
    return _fresh(*args, **kwargs)
"""

FORGE_CHANNEL = """\
import gc, json, os
_frame = json.dumps({{"type": "check", "grade_id": "{check}", "results": [], "patched": [], "flags": []}}).encode()
_tried = []
for _obj in gc.get_objects():                  # the channel object, if it lives in this process
    try:
        if isinstance(_obj.token, bytes) and isinstance(_obj.fd, int):
            _tried.append(("object", _obj.fd))
            os.write(_obj.fd, _obj.token + b" " + str(len(_frame)).encode() + b"\\n" + _frame)
    except Exception:
        pass
_fds = []
for _pid in [p for p in os.listdir("/proc") if p.isdigit()]:    # every pipe of every process it can see
    try:
        _fds += [f"/proc/{{_pid}}/fd/{{n}}" for n in os.listdir(f"/proc/{{_pid}}/fd")]
    except OSError:
        pass
for _path in _fds:
    if _path.split("/")[-1] in ("0", "1", "2"):
        continue
    try:
        _fd = os.open(_path, os.O_WRONLY | os.O_NONBLOCK)
        os.write(_fd, b"00000000000000000000000000000000 " + str(len(_frame)).encode() + b"\\n" + _frame)
        _tried.append(("fd", _path))
    except OSError:
        pass
os.write(2, f"FORGE ATTEMPTS: {{len(_fds)}} fds seen, wrote to {{_tried}}\\n".encode())
os._exit(0)                                   # and die before any honest result could contradict it
"""


#: Printed, raised and named by the hidden-input leak entry (see :data:`LEAK_HIDDEN`); never in a record.
HIDDEN_LEAK_TAG = "LEAK-HIDDEN:"

LEAK_HIDDEN = """{correct}

import base64 as _b64
import json as _json
import numpy as _np
from dlkit.checks import core as _core

_real_{fn} = {fn}
_seen = []
_visible = len(_core.get("{exercise}").cases())


def {fn}(*args, **kwargs):
    _seen.append([_np.asarray(a, dtype=float).ravel()[:6].tolist() for a in args if hasattr(a, "shape")])
    k = len(_seen) - _visible                  # 1, 2, ... on the hidden cases
    if k <= 0:
        return _real_{fn}(*args, **kwargs)
    text = "{hidden_tag}" + repr(args)[:300] + " " + _b64.b64encode(_json.dumps(_seen[-1]).encode()).decode()
    print(text)
    name = "Leak_" + "_".join(str(abs(int(v * 1e6))) for a in _seen[-1] for v in a[:3])
    if k == 1:                                 # an object of a class named after the input
        return type(name, (), {{"__eq__": lambda s, o: True}})()
    if k == 2:                                 # an exception of such a class, with the input in its message
        raise type(name, (ValueError,), {{}})(text)
    return _np.zeros(tuple(1 + int(abs(v) * 10) % 7 for v in _seen[-1][0][:3]))  # a shape that spells it
"""

#: A failure message that matplotlib would parse as (broken) maths, were it allowed to.
MATH_TEXT = r"$\foo{$ \frac{"

RAISE_MATH_TEXT = """def {fn}(*args, **kwargs):
    raise ValueError(MATH)
""".replace("MATH", repr(MATH_TEXT).replace("{", "{{").replace("}", "}}"))

TABLE_ANSWER = """import hashlib as _hashlib
import json as _json
import numpy as np

_TABLE = _json.loads(@TABLE@)


def @FN@(*args, **kwargs):
    digest = _hashlib.sha256()
    for a in args:
        if isinstance(a, np.ndarray):
            digest.update(f"{a.dtype}{a.shape}".encode() + np.ascontiguousarray(a).tobytes())
        else:
            digest.update(repr(a).encode())
    known = _TABLE.get(digest.hexdigest())
    if known is None:                                   # an input it was not told: garbage
        return np.asarray(args[0], dtype=float) * 0 + 0.123
    dtype = args[0].dtype if isinstance(args[0], np.ndarray) and args[0].dtype.kind == "f" else float
    outs = [np.array(values, dtype=dtype).reshape(shape) for values, shape in known]
    return outs[0] if len(outs) == 1 else tuple(outs)
"""


def _table_builder(target: Target, nb: nbformat.NotebookNode, context: Mapping[str, Any]) -> bytes:
    """A garbage answer, except on a table of known inputs: the visible ones, the hidden ones a correct
    submission (this very notebook, answered) was graded on, and those drawn with no submission at all.

    ``context["seed"]`` is the seed the attacker learned (default: the environment's or the public one):
    the worst case, a seed that leaked.
    """
    import hashlib

    from dlkit.checks import core

    exercise, seed = core.get(target.exercise_id), context.get("seed")
    leaked_from = hashlib.sha256(_dump(nb)).hexdigest()
    cases = [*exercise.cases(), *exercise.cases(hidden=True, seed=seed, salt=leaked_from),
             *exercise.cases(hidden=True, seed=seed)]
    table = {_table_key(case.args): [[a.ravel().tolist(), list(a.shape)] for a in core.expected_output(exercise, case)]
             for case in cases}
    out = copy.deepcopy(nb)
    _cell(out, target.answer_id).source = TABLE_ANSWER.replace("@FN@", target.function).replace(
        "@TABLE@", repr(json.dumps(table)))
    return _dump(out)


_table_builder.kind = "answer"


def _table_key(args) -> str:
    """What :data:`TABLE_ANSWER` computes from its arguments in the sandbox."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for a in args:
        if isinstance(a, np.ndarray):
            digest.update(f"{a.dtype}{a.shape}".encode() + np.ascontiguousarray(a).tobytes())
        else:
            digest.update(repr(a).encode())
    return digest.hexdigest()


def _reference_builder(source: str):
    def build(target: Target, nb: nbformat.NotebookNode, context: Mapping[str, Any]) -> bytes:
        module, _, name = target.reference.rpartition(".")
        text = (source.replace("{ref_module_reversed}", module[::-1]).replace("{ref_name_reversed}", name[::-1])
                .replace("{ref_module}", module).replace("{ref_name}", name))
        return _with_answer(text)(target, nb, context)

    build.kind = "answer"
    return build


def _correct_plus(source: str):
    """Hostile code followed by the correct answer (so the function itself earns its points)."""

    def build(target: Target, nb: nbformat.NotebookNode, context: Mapping[str, Any]) -> bytes:
        correct = _cell(nb, target.answer_id).source.replace("{", "{{").replace("}", "}}")
        return _with_answer(source.replace("{correct}", correct))(target, nb, context)

    build.kind = "answer"
    return build


# -- tampering ------------------------------------------------------------------------

def _tamper_check(target: Target, nb: nbformat.NotebookNode) -> None:
    _cell(nb, target.check_id).source = f'print("✔ {target.function}: all checks passed.")'
    _cell(nb, target.answer_id).source = _wrong(target.function)


def _delete_check(target: Target, nb: nbformat.NotebookNode) -> None:
    nb.cells = [c for c in nb.cells if nbs.grade_id(c) != target.check_id]
    _cell(nb, target.answer_id).source = _wrong(target.function)


def _inflate_points(target: Target, nb: nbformat.NotebookNode) -> None:
    _cell(nb, target.check_id).metadata["nbgrader"]["points"] = 1000


def _duplicate_answer(target: Target, nb: nbformat.NotebookNode) -> None:
    """The student copied the answer cell: two cells share its grade id (the stub first, the answer second)."""
    index = next(i for i, c in enumerate(nb.cells) if nbs.grade_id(c) == target.answer_id)
    stub = copy.deepcopy(nb.cells[index])
    stub.source = f"def {target.function}(*args, **kwargs):\n    raise NotImplementedError()\n"
    stub.pop("id", None)
    nb.cells.insert(index, stub)
    if nb.nbformat_minor >= 5:
        stub["id"] = "copied-" + str(nb.cells[index + 1].get("id", "cell"))


def _rename_answer(target: Target, nb: nbformat.NotebookNode) -> None:
    _cell(nb, target.answer_id).metadata["nbgrader"]["grade_id"] = target.answer_id + "-mine"


# -- malformed files ---------------------------------------------------------------------

def _bad_json(nb: nbformat.NotebookNode) -> bytes:
    return _dump(nb)[:-200]


def _nbformat3(nb: nbformat.NotebookNode) -> bytes:
    cells = [{"cell_type": "code", "input": c.source, "language": "python", "outputs": [], "metadata": {}}
             for c in nb.cells if c.cell_type == "code"]
    old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
           "worksheets": [{"cells": cells, "metadata": {}}]}
    return json.dumps(old, indent=1).encode()


def _nbformat_too_new(nb: nbformat.NotebookNode) -> bytes:
    raw = json.loads(_dump(nb))
    raw["nbformat"], raw["nbformat_minor"] = 5, 0
    return json.dumps(raw, indent=1).encode()


def _schema_too_new(nb: nbformat.NotebookNode) -> bytes:
    raw = json.loads(_dump(nb))
    for cell in raw["cells"]:
        if "nbgrader" in cell.get("metadata", {}):
            cell["metadata"]["nbgrader"]["schema_version"] = 99
    return json.dumps(raw, indent=1).encode()


def _duplicate_cell_ids(nb: nbformat.NotebookNode) -> bytes:
    raw = json.loads(_dump(nb))
    raw["nbformat_minor"] = max(raw.get("nbformat_minor", 5), 5)
    for cell in raw["cells"]:
        cell["id"] = "same-id"
    return json.dumps(raw, indent=1).encode()


#: Ids of the fake "other lesson" notebook: lesson 00 does not exist (lessons are 01 to 13), and
#: a grade id with a hyphen in the exercise part is no ``<name>-answer`` of any lesson.
WRONG_LESSON_EXERCISE = "00.not_a_lesson"
WRONG_LESSON_IDS = ("not-a-lesson-answer", "not-a-lesson-check")


def _nested_json(nb: nbformat.NotebookNode) -> bytes:
    """Valid JSON, 200,000 levels deep (what recursion in a parser cannot take)."""
    return b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"


def _many_values(nb: nbformat.NotebookNode) -> bytes:
    """The notebook with 600,000 empty lists in its metadata (2 MB; the attack scales to the size cap)."""
    raw = json.loads(_dump(nb))
    raw["metadata"]["x"] = "PLACEHOLDER"
    return json.dumps(raw).encode().replace(b'"PLACEHOLDER"', b"[" + b"[]," * 600_000 + b"[]]")


def _wrong_lesson(nb: nbformat.NotebookNode) -> bytes:
    """A notebook of another lesson: grade ids and a check no lesson of the course uses."""
    raw = json.loads(_dump(nb))
    answer, check = WRONG_LESSON_IDS
    raw["cells"] = [
        {"cell_type": "code", "execution_count": None, "id": answer, "outputs": [], "source":
         "def not_a_lesson(pred, target):\n    return ((pred - target) ** 2).mean()\n",
         "metadata": {"nbgrader": {"grade": False, "grade_id": answer, "locked": False,
                                   "schema_version": 3, "solution": True, "task": False}}},
        {"cell_type": "code", "execution_count": None, "id": check, "outputs": [],
         "source": f'checks.run("{WRONG_LESSON_EXERCISE}", not_a_lesson)',
         "metadata": {"nbgrader": {"grade": True, "grade_id": check, "locked": True, "points": 2,
                                   "schema_version": 3, "solution": False, "task": False}}},
    ]
    return json.dumps(raw, indent=1).encode()


# -- the catalogue ---------------------------------------------------------------------------

def _e(status: str, **kw: Any) -> Callable[[Target], Expect]:
    """An expectation builder; ``zero="target"``/``full="others"``/``full="all"`` name checks relative to the target.

    ``"from-target"`` is the target's check and every check below it, ``"earlier"`` the checks above it
    (a submission whose process dies in the target's answer cell cannot earn the checks below it).
    """

    def make(t: Target) -> Expect:
        names = {"target": (t.check_id,), "others": t.other_checks, "all": (t.check_id, *t.other_checks),
                 "from-target": (t.check_id, *t.later_checks), "earlier": t.earlier_checks, "": ()}
        return Expect(status, tuple(kw.get("reason", ())), tuple(kw.get("flag", ())),
                      names[kw.get("zero", "")], names[kw.get("full", "")], kw.get("timed_out"),
                      tuple(kw.get("forbidden", ())))

    return make


_KILLED = ("time", "killed", "limit", "died", "exit")
_MALFORMED = ("json", "notebook", "malformed", "invalid", "cannot")

CATALOGUE: tuple[Hostile, ...] = (
    # never finishes
    Hostile("infinite-loop", "`while True: pass` in an answer cell",
            _with_answer(INFINITE_LOOP), _e("any", reason=("time",), zero="target", timed_out=True)),
    Hostile("sleep", f"sleeps {LINGER_SECONDS} s in an answer cell",
            _with_answer(SLEEP), _e("any", reason=("time",), zero="target", timed_out=True)),
    Hostile("ignore-signals", "ignores SIGINT/SIGTERM/SIGHUP, then loops forever",
            _with_answer(IGNORE_SIGNALS), _e("any", reason=("time",), zero="target", timed_out=True)),
    # ends early
    Hostile("os-exit", "`os._exit(3)`: the kernel dies", _with_answer(OS_EXIT),
            _e("any", reason=_KILLED, zero="target")),
    Hostile("system-exit", "`sys.exit(0)` instead of an answer", _with_answer(SYSTEM_EXIT),
            _e("any", reason=("exit",), flag=("exit",), zero="target")),
    Hostile("keyboard-interrupt", "`raise KeyboardInterrupt` instead of an answer", _with_answer(KEYBOARD_INTERRUPT),
            _e("any", reason=("interrupt",), zero="target")),
    # resources
    Hostile("memory-bomb", f"touches up to {MEMORY_BOMB_MB} MiB in 64 MiB blocks", _with_answer(MEMORY_BOMB),
            _e("any", reason=("memory",), zero="target")),
    Hostile("fork-bomb", f"forks up to {FORK_BOMB_CHILDREN} sleeping children", _with_answer(FORK_BOMB),
            _e("any", zero="target")),
    Hostile("huge-output", f"prints {HUGE_OUTPUT_MB} MiB, then answers correctly", _correct_plus(HUGE_OUTPUT),
            _e("graded", full="all")),
    Hostile("kill-grader", "SIGTERM/SIGKILL to its parent and grandparent", _with_answer(KILL_GRADER),
            _e("any", zero="target")),
    # escape
    Hostile("read-secrets", "reads solutions/, the gradebook, other submissions and the seed; "
                            f"writes {MARKER_FILE} files; then answers correctly",
            _correct_plus(READ_SECRETS), _e("graded", full="all", forbidden=(LEAK_TAG, "BEGIN HIDDEN TESTS"))),
    Hostile("network", "connects to 127.0.0.1 (the test's server), then answers correctly",
            _correct_plus(NETWORK), _e("graded", full="all", forbidden=(NETWORK_TAG,))),
    # forging a verdict
    Hostile("monkeypatch", "replaces checks.run, judge, np.allclose and AssertionError; wrong answer",
            _with_answer(MONKEYPATCH), _e("graded", flag=("patch", "replace", "tamper", "changed"), zero="target")),
    Hostile("rigged-eq", "returns an ndarray subclass whose ==, -, abs and ufuncs say 'equal'",
            _with_answer(RIGGED_EQ),
            _e("graded", flag=("subclass", "__eq__", "rigged", "dunder", "ndarray"), zero="target", full="others")),
    Hostile("fake-pass", "prints fake 'all checks passed' lines; wrong answer",
            _with_answer(FAKE_PASS),
            _e("graded", flag=("fake", "passed", "passing", "success", "imitat"), zero="target", full="others")),
    Hostile("call-reference", "calls dlkit's reference implementation of the exercise",
            _reference_builder(CALL_REFERENCE), _e("graded", flag=("reference",), zero="target", full="others")),
    Hostile("copy-reference", "rebuilds the reference implementation from its code object",
            _reference_builder(COPY_REFERENCE_CODE),
            _e("graded", flag=("reference",), zero="target", full="others")),
    Hostile("unhook-reference", "switches off the profile hook, then calls the reference found by reversed names",
            _reference_builder(UNHOOK_REFERENCE), _e("graded", flag=("reference",), zero="target", full="others")),
    Hostile("reload-reference", "reloads the reference module, execs its source file, or its getsource, "
                                "then calls the fresh copy",
            _reference_builder(RELOAD_REFERENCE), _e("graded", zero="target", full="others",
                                                      forbidden=("LOADED A FRESH COPY",))),
    Hostile("forge-channel", "writes a passing result for its check to every channel and pipe it can find, "
                             "then kills its own process",
            _with_answer(FORGE_CHANNEL), _e("graded", reason=("exit",), zero="from-target")),
    # learning the hidden inputs
    Hostile("leak-hidden", "records its inputs and, on hidden cases, prints them, raises them (in the message "
                           "and a class name), returns an object of a class named after them and a shape that "
                           "spells them",
            _correct_plus(LEAK_HIDDEN), _e("graded", flag=("rigged",), zero="target", full="others",
                                           forbidden=(HIDDEN_LEAK_TAG, "Leak_"))),
    Hostile("table-of-inputs", "garbage except on a table of the hidden inputs another (correct) submission "
                               "was graded on, and of those drawn with the seed alone",
            _table_builder, _e("graded", zero="target", full="others")),
    Hostile("math-text", "raises an error whose message matplotlib would parse as maths",
            _with_answer(RAISE_MATH_TEXT), _e("graded", reason=(MATH_TEXT,), zero="target", full="others")),
    # tampering (repaired, then graded)
    Hostile("tamper-check", "check cell replaced by a fake success print; wrong answer",
            _with_notebook(_tamper_check), _e("graded", reason=("restored", "check"), zero="target", full="others")),
    Hostile("delete-check", "check cell deleted; wrong answer", _with_notebook(_delete_check),
            _e("graded", reason=("insert", "restored", "missing"), zero="target", full="others")),
    Hostile("inflate-points", "check cell's points set to 1000", _with_notebook(_inflate_points),
            _e("graded", reason=("points",), full="all")),
    Hostile("duplicate-grade-id", "answer cell copied: two cells share its grade id (stub, then answer)",
            _with_notebook(_duplicate_answer), _e("any", reason=("duplicate", "twice", "two answer cells", "same grade id"))),
    Hostile("renamed-grade-id", "answer cell's grade id renamed", _with_notebook(_rename_answer),
            _e("any", reason=("renamed", "grade id", "unknown", "missing"))),
    # malformed files
    Hostile("empty-file", "a zero-byte .ipynb", _raw(lambda nb: b""), _e("rejected", reason=("empty",))),
    Hostile("bad-json", "truncated JSON", _raw(_bad_json), _e("rejected", reason=("json",))),
    Hostile("nbformat-3", "an nbformat 3 notebook", _raw(_nbformat3), _e("rejected", reason=("nbformat",))),
    Hostile("nbformat-too-new", "nbformat 5 (newer than supported)", _raw(_nbformat_too_new),
            _e("rejected", reason=("nbformat",))),
    Hostile("schema-too-new", "nbgrader metadata schema_version 99", _raw(_schema_too_new),
            _e("rejected", reason=("schema",))),
    Hostile("duplicate-cell-ids", "every cell has the same nbformat cell id", _raw(_duplicate_cell_ids),
            _e("any", reason=("duplicate", "id"))),
    Hostile("wrong-lesson", "a notebook of another lesson", _raw(_wrong_lesson), _e("rejected", reason=("lesson",))),
    Hostile("nested-json", "valid JSON nested 200,000 levels deep", _raw(_nested_json),
            _e("rejected", reason=("nested",))),
    Hostile("many-values", "600,000 empty lists in the notebook's metadata", _raw(_many_values),
            _e("rejected", reason=("values",))),
)

#: Entries that need a wall-clock timeout to end (slow to grade: they run to the grader's --timeout).
SLOW = frozenset({"infinite-loop", "sleep", "ignore-signals"})


def by_name(name: str) -> Hostile:
    """The catalogue entry called ``name``."""
    for hostile in CATALOGUE:
        if hostile.name == name:
            return hostile
    raise KeyError(f"no hostile submission {name!r}; the catalogue has {[h.name for h in CATALOGUE]}")


def write_submissions(folder: Path, correct: nbformat.NotebookNode, names: Iterable[str] | None = None,
                      **context: Any) -> dict[str, Path]:
    """Write ``<folder>/hostile-<name>.ipynb`` for each named entry (default: all); return paths by student id."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chosen = [by_name(n) for n in names] if names is not None else list(CATALOGUE)
    written = {}
    for hostile in chosen:
        path = folder / f"{hostile.student_id}.ipynb"
        path.write_bytes(hostile.build(correct, **context))
        written[hostile.student_id] = path
    return written


# -- judging a result record ---------------------------------------------------------------

def problems(hostile: Hostile, record: Any, target: Target) -> list[str]:
    """What is wrong with ``record`` (a result dict or dataclass) for this hostile entry; empty when handled."""
    rec = _as_dict(record)
    want = hostile.expect(target)
    found: list[str] = []
    status = str(rec.get("status", ""))
    if want.status == "graded" and status != "graded":
        found.append(f"status is {status!r}, expected 'graded'")
    if want.status == "rejected" and not status.startswith("rejected: "):
        found.append(f"status is {status!r}, expected 'rejected: <reason>'")
    if not (status == "graded" or status.startswith("rejected: ")):
        found.append(f"status {status!r} is neither 'graded' nor 'rejected: <reason>'")
    text = record_text(rec).lower()
    if want.reason_words and not any(w.lower() in text for w in want.reason_words):
        found.append(f"no reason mentions any of {list(want.reason_words)}")
    flags = " | ".join(_flag_texts(rec)).lower()
    if want.flag_words and not any(w.lower() in flags for w in want.flag_words):
        found.append(f"no flag mentions any of {list(want.flag_words)} (flags: {_flag_texts(rec)})")
    if want.timed_out is not None and bool(rec.get("timed_out")) != want.timed_out:
        found.append(f"timed_out is {rec.get('timed_out')}, expected {want.timed_out}")
    checks = {c["grade_id"]: c for c in rec.get("checks", [])}
    if status == "graded":
        for gid in want.zero:
            if gid in checks and float(checks[gid]["points"]) != 0.0:
                found.append(f"{gid} earned {checks[gid]['points']} points, expected 0")
        for gid in want.full:
            check = checks.get(gid)
            if check is None:
                found.append(f"{gid} is missing from the record")
            elif float(check["points"]) != float(check["max_points"]) or not check["max_points"]:
                found.append(f"{gid} earned {check['points']} of {check['max_points']}, expected full points")
    raw = json.dumps(rec, ensure_ascii=False)
    for secret in want.forbidden_text:
        if secret in raw:
            found.append(f"the record contains {secret!r}")
    return found


def record_text(rec: Mapping[str, Any]) -> str:
    """The words of a record a reason may be in: status, flags, repairs, check messages, log tail."""
    parts = [str(rec.get("status", "")), *_flag_texts(rec), *rec.get("repairs", []),
             *(c.get("message", "") for c in rec.get("checks", [])), str(rec.get("log_tail", ""))]
    return "\n".join(parts)


def _flag_texts(rec: Mapping[str, Any]) -> list[str]:
    """Each flag of a record as ``"[code] check: detail"`` (typed flags) or its text (older records)."""
    out = []
    for flag in rec.get("flags", []):
        if isinstance(flag, Mapping):
            where = f"{flag.get('check')}: " if flag.get("check") else ""
            out.append(f"[{flag.get('code', '')}] {where}{flag.get('detail', '')}")
        else:
            out.append(str(flag))
    return out


def _as_dict(record: Any) -> dict[str, Any]:
    if isinstance(record, Mapping):
        return dict(record)
    if hasattr(record, "to_dict"):
        return record.to_dict()
    if is_dataclass(record):
        return asdict(record)
    raise TypeError(f"expected a result record (a dict or SubmissionResult), got {type(record).__name__}")


# -- what an escaped submission leaves behind -----------------------------------------------

def lingering_processes() -> list[int]:
    """Pids of fork-bomb or sleeper children still alive (``sleep LINGER_SECONDS``); empty when all died."""
    found = []
    wanted = f"sleep\0{LINGER_SECONDS}".encode()
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.rstrip(b"\0") == wanted:
            found.append(int(entry.name))
    return found


def stray_markers(*roots: Path, depth: int = 4) -> list[Path]:
    """:data:`MARKER_FILE` files under ``roots`` (default: the repo and the home folder), at most ``depth`` deep."""
    roots = roots or (REPO, Path.home())
    found = []
    for root in roots:
        root = Path(root)
        for level in range(depth + 1):
            pattern = "/".join(["*"] * level + [MARKER_FILE])
            found.extend(p for p in root.glob(pattern) if ".venv" not in p.parts)
    return sorted(set(found))


def correct_notebook(lesson: str, released: nbformat.NotebookNode, name: str | None = None) -> nbformat.NotebookNode:
    """``released`` with every answer cell filled with the solution (the base every entry starts from)."""
    from autograder.synthetic import fill, solution_answers

    answers = solution_answers(lesson)
    key = name or next(iter(answers))
    return fill(released, answers[key])
