"""The machinery behind every check cell: exercises and checks as data.

A check is data, not a free-form ``assert``: an :class:`Exercise` names the
function a student writes, the reference that is the answer key, and the
inputs to try (fixed *visible* cases, and *hidden* cases drawn from a seed).
Checking a case has three separate steps, so the autograder can run them in
different processes:

1. :func:`call_student` runs the student's function on copies of the inputs
   and returns an :class:`Outcome`: the output as plain float arrays, or the
   error it raised. This is the only step that runs student code.
2. :func:`expected_output` runs the reference on the same inputs.
3. :func:`judge` compares the two as plain arrays and returns a
   :class:`Verdict` with a student-facing message. It never calls a method of
   anything the student returned, so an object with a rigged ``__eq__`` or
   ``__abs__`` cannot pass.

:func:`run` does all three in one process: that is what students see in
JupyterLab or Colab when they run a check cell.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

KINDS = ("function", "model", "value")

#: Environment variable with the instructor's seed for hidden cases.
HIDDEN_SEED_ENV = "DLKIT_HIDDEN_SEED"
#: The course's public seed, used when no instructor seed is set (the autograder refuses it unless told).
DEFAULT_HIDDEN_SEED = 20261123


class CheckFailed(AssertionError):
    """A check cell found a wrong answer. The message says what and hints how to fix it."""


@dataclass(frozen=True)
class Case:
    """One set of inputs for an exercise.

    ``args``/``kwargs`` hold plain data only: numpy arrays, Python numbers,
    strings, booleans. ``label`` says in words what the case tries
    ("large negative inputs"); ``hint`` is shown when this case fails.
    """

    args: tuple
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    hint: str = ""
    #: (rtol, atol) for this case instead of the exercise's, e.g. for float32 inputs.
    tol: tuple[float, float] | None = None
    #: Grader-only data, such as the labels of held-out inputs. The autograder
    #: never sends it into the student's process; only ``Exercise.score`` sees it.
    secret: Any = None

    def copy_inputs(self) -> tuple[tuple, dict]:
        """Fresh deep copies of the inputs, so nobody can change the originals."""
        return copy.deepcopy(self.args), copy.deepcopy(dict(self.kwargs))

    def describe(self) -> str:
        parts = [_describe_value(a) for a in self.args]
        parts += [f"{k}={_describe_value(v)}" for k, v in self.kwargs.items()]
        return ", ".join(parts)


@dataclass(frozen=True)
class Exercise:
    """A graded exercise: what the student writes and how it is checked.

    Three kinds of answer are checked (``kind``):

    * ``"function"``: the student writes a function; it is called on each
      case's inputs and its outputs are compared with the reference's.
    * ``"model"``: the student trains a model (a ``torch.nn.Module``, an object
      with ``predict``, or a function of a batch); it predicts each case's
      held-out inputs ``args[0]`` and ``score`` rates the predictions, e.g.
      against labels kept in ``case.secret``.
    * ``"value"``: the student computes numbers (a chosen learning rate, a set
      of weights); they are taken as they are and compared with the reference
      (called with no arguments) or rated by ``score``.

    Args:
        id: ``"NN.name"``, e.g. ``"01.sigmoid"``; the check cell names it.
        function: the name the student's function (model, value) has in the notebook.
        reference: the answer key, called with a case's inputs; None when ``score`` rates the answer alone.
        visible: returns the fixed cases that the check cell shows students.
        hidden: draws hidden cases from a ``numpy.random.Generator``; the
            autograder seeds it with the instructor's seed at grade time.
        rtol, atol: tolerances of the comparison (``|got - expected| <= atol + rtol*|expected|``).
        strict_float: run the student's code with numpy overflow, invalid
            operations and division by zero turned into errors, so an
            implementation that overflows is rejected even if the final
            value happens to come out right.
        forbidden: dotted names the student may not call for this exercise
            (``"numpy.tanh"``, ``"torch.Tensor.tanh"`` for a tensor method); the
            reference implementation is always forbidden. A forbidden function is
            caught however the student reaches it: through its module, a name
            bound to it before the call (``from numpy import tanh as t``), a
            default argument, or a module the student imports inside the call.
        keep_precision: every returned array must be a float array at least as
            precise as the float array inputs: float64 in needs float64 out (a
            float32 result has lost digits), float32 in may come back float32 or
            float64. A lower precision, or integers, fail with a message that
            says so. State it in the exercise text.
        keep_dtype: stricter than ``keep_precision``: every returned array has
            exactly the float inputs' dtype (float32 in, float32 out). State it in
            the exercise text.
        hint: the general hint shown with any failure.
        kind: ``"function"``, ``"model"`` or ``"value"`` (see above).
        score: ``score(case, output) -> Verdict`` rates an answer instead of comparing it
            with the reference's output; it runs in the grader, never in the student's process.
    """

    id: str
    function: str
    reference: Callable[..., Any] | None
    visible: Callable[[], Sequence[Case]]
    hidden: Callable[[np.random.Generator], Sequence[Case]]
    rtol: float = 1e-6
    atol: float = 1e-9
    strict_float: bool = False
    forbidden: tuple[str, ...] = ()
    hint: str = ""
    kind: str = "function"
    score: Callable[[Case, tuple], "Verdict"] | None = None
    keep_precision: bool = False
    keep_dtype: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Exercise {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.reference is None and self.score is None:
            raise ValueError(f"Exercise {self.id!r} needs a reference or a score")

    def cases(self, *, hidden: bool = False, seed: int | str | None = None, salt: str = "") -> list[Case]:
        """The visible cases, or hidden cases drawn from ``seed`` (and ``salt``: see :func:`hidden_seed`)."""
        if not hidden:
            return list(self.visible())
        return list(self.hidden(np.random.default_rng(hidden_seed(seed, self.id, salt))))


@dataclass(frozen=True)
class Outcome:
    """What the student's function did with one case: plain data only.

    ``output`` is a tuple of float64 arrays (one per returned value), or None
    when the call failed; ``error`` is then a one-line description.
    """

    output: tuple[np.ndarray, ...] | None
    error: str | None = None
    mutated: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The result of judging one case; ``message`` is written for the student."""

    passed: bool
    message: str


def hidden_seed(seed: int | str | None, exercise_id: str, salt: str = "") -> np.random.SeedSequence:
    """The seed of an exercise's hidden cases: HMAC-SHA256 keyed by the instructor's seed, never truncated.

    ``seed`` is the instructor's secret (any text, or an int; None:
    ``$DLKIT_HIDDEN_SEED``, else the course's public default), ``salt`` what
    the draw is for (the autograder passes the submission's SHA-256, so each
    submission gets hidden inputs of its own). All 256 bits of the digest seed
    numpy's generator.

    >>> a, b = hidden_seed("s3cret", "01.relu"), hidden_seed("s3cret", "01.relu", salt="ab12")
    >>> a.entropy != b.entropy and a.entropy == hidden_seed("s3cret", "01.relu").entropy
    True
    """
    if seed is None:
        seed = os.environ.get(HIDDEN_SEED_ENV, DEFAULT_HIDDEN_SEED)
    message = b"dlkit hidden cases v2\0" + exercise_id.encode() + b"\0" + salt.encode()
    digest = hmac.new(str(seed).strip().encode(), message, hashlib.sha256).digest()
    return np.random.SeedSequence(int.from_bytes(digest, "little"))


# -- registry -----------------------------------------------------------------

_REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (lesson modules call this on import)."""
    if exercise.id in _REGISTRY and _REGISTRY[exercise.id] is not exercise:
        raise ValueError(f"exercise id {exercise.id!r} is registered twice")
    _REGISTRY[exercise.id] = exercise
    return exercise


def get(exercise_id: str) -> Exercise:
    """Look up an exercise by id, importing its lesson's check module on first use."""
    if exercise_id not in _REGISTRY:
        lesson = exercise_id.split(".", 1)[0]
        if not lesson.isdigit():
            raise KeyError(f"exercise ids look like '01.sigmoid', got {exercise_id!r}")
        try:
            __import__(f"dlkit.checks.lesson{lesson}")
        except ModuleNotFoundError as exc:
            raise KeyError(f"no checks for lesson {lesson} (looked for dlkit.checks.lesson{lesson})") from exc
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        known = sorted(k for k in _REGISTRY if k.startswith(exercise_id.split(".", 1)[0] + "."))
        raise KeyError(f"unknown exercise {exercise_id!r}; this lesson has {known}") from None


def all_exercises(lesson: str) -> list[Exercise]:
    """Every exercise of a lesson (``"01"``), in registration order."""
    __import__(f"dlkit.checks.lesson{lesson}")
    return [ex for key, ex in _REGISTRY.items() if key.startswith(lesson + ".")]


# -- step 1: run the student's code (the only step that does) ------------------

class ForbiddenCall(RuntimeError):
    """Raised when a student's function calls something the exercise forbids."""


def call_student(exercise: Exercise, fn: Callable[..., Any], case: Case) -> Outcome:
    """Call ``fn`` on copies of the case's inputs and capture its output as plain data."""
    if exercise.kind == "function" and not callable(fn):
        return Outcome(None, f"`{exercise.function}` is not a function (got {type(fn).__name__})")
    if exercise.kind != "function" and fn is None:
        return Outcome(None, f"is not set yet: assign your answer to `{exercise.function}`")
    pristine = case.copy_inputs()
    try:
        for attempt in range(2):
            args, kwargs = case.copy_inputs()
            with _forbid(exercise, fn) as guard, _float_errors(exercise.strict_float):
                if exercise.kind == "function":
                    result = fn(*args, **kwargs)
                elif exercise.kind == "model":
                    result = predict(fn, *args, name=exercise.function)
                else:
                    result = fn
            if not guard.imported_forbidden():
                break  # else the call imported a forbidden function's module: call again with it guarded
    except NotImplementedError:
        return Outcome(None, "not implemented yet: replace `raise NotImplementedError()` with your code")
    except ForbiddenCall as exc:
        return Outcome(None, str(exc))
    except FloatingPointError as exc:
        return Outcome(None, f"numerical trouble: {exc} (numpy overflowed or divided by zero)")
    except Exception as exc:  # the student's error, reported to the student
        return Outcome(None, f"raised {type(exc).__name__}: {exc}")
    mutated = tuple(_changed_inputs(pristine, (args, kwargs)))
    try:
        output = to_plain(result)
    except TypeError as exc:
        return Outcome(None, str(exc), mutated)
    if (exercise.keep_precision or exercise.keep_dtype) and exercise.kind == "function":
        problem = _precision_problem(pristine, result, exact=exercise.keep_dtype)
        if problem:
            return Outcome(None, problem, mutated)
    return Outcome(output, None, mutated)


def _precision_problem(inputs: tuple[tuple, dict], result: Any, *, exact: bool = False) -> str:
    """Why a returned array is less precise than the float array inputs (or not float at all), or "".

    With ``exact``, any float dtype other than the inputs' is a problem too.
    """
    floats = [a.dtype for a in (*inputs[0], *inputs[1].values())
              if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    if not floats:
        return ""
    want = np.result_type(*floats)
    for item in result if isinstance(result, tuple) else (result,):
        if type(item).__module__.startswith("torch") and hasattr(item, "dtype"):
            got = str(item.dtype).removeprefix("torch.")
        elif isinstance(item, (np.ndarray, np.generic)):
            got = str(item.dtype)
        else:
            continue
        try:
            kind, size = np.dtype(got).kind, np.dtype(got).itemsize
        except TypeError:  # a torch dtype numpy does not know (bfloat16)
            kind, size = "?", 0
        if kind != "f" or size < want.itemsize:
            return (f"returned {got} values for {want} inputs, which loses precision; compute in the "
                    f"inputs' dtype ({want}) rather than converting to a smaller one")
        if exact and size != want.itemsize:
            return (f"returned {got} values for {want} inputs; the result must keep the inputs' dtype "
                    f"({want}): create it with the input's dtype (np.zeros_like, or dtype=x.dtype)")
    return ""


def to_plain(result: Any) -> tuple[np.ndarray, ...]:
    """Convert a returned value into a tuple of float64 numpy arrays.

    Accepts numpy arrays and numpy/Python numbers, torch tensors, and a tuple
    or list of those (for functions that return several values). Anything
    else, including ndarray subclasses' own behaviour, is not trusted: values
    are copied into fresh base-class arrays.
    """
    items = result if isinstance(result, tuple) else (result,)
    out = []
    for item in items:
        if type(item).__module__.startswith("torch") and hasattr(item, "detach"):
            item = item.detach().cpu().numpy()
        if isinstance(item, (bool, np.bool_)):
            raise TypeError(f"expected numbers, got a boolean ({item!r})")
        if isinstance(item, (int, float, np.integer, np.floating)):
            out.append(np.array(float(item), dtype=np.float64))
            continue
        if isinstance(item, list):
            if not all(type(v) in (int, float) or isinstance(v, (np.integer, np.floating)) for v in item):
                raise TypeError("expected a numpy array or a list of plain numbers, got a list of other things")
            item = np.array([float(v) for v in item], dtype=np.float64)
        if not isinstance(item, np.ndarray):
            raise TypeError(f"expected a numpy array, got {type(item).__name__}")
        base = np.asarray(item).view(np.ndarray)
        if base.dtype.kind not in "fiu":
            raise TypeError(f"expected an array of numbers, got dtype {base.dtype}")
        out.append(np.array(base, dtype=np.float64, copy=True, subok=False))
    return tuple(out)


def predict(model: Any, X: np.ndarray, *, name: str = "model") -> Any:
    """What a trained model outputs for a batch ``X`` (N, ...): logits, scores or labels.

    A ``torch.nn.Module`` is run in eval mode without gradients, on the device
    and in the float dtype of its parameters (its mode is restored afterwards);
    an object with ``predict`` (scikit-learn style) gets ``predict(X)``; a plain
    function gets ``model(X)``.
    """
    if type(model).__module__.split(".")[0] != "numpy" and _is_torch_module(model):
        import torch

        first = next(iter(model.parameters()), None)
        device = first.device if first is not None else torch.device("cpu")
        dtype = first.dtype if first is not None and first.dtype.is_floating_point else torch.float32
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                return model(torch.as_tensor(np.asarray(X), dtype=dtype, device=device))
        finally:
            model.train(was_training)
    if hasattr(model, "predict") and callable(model.predict):
        return model.predict(X)
    if callable(model):
        return model(X)
    raise TypeError(f"`{name}` must be a trained model: a torch.nn.Module, an object with a predict method, "
                    f"or a function of a batch; got {type(model).__name__}")


def _is_torch_module(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def accuracy_at_least(threshold: float, *, binary_cutoff: float | None = None) -> Callable[[Case, tuple], "Verdict"]:
    """A ``score`` for model exercises: predictions must match the ``case.secret`` labels often enough.

    Predictions are logits or probabilities ``(N, K)`` (the largest wins), or
    labels ``(N,)``. With ``binary_cutoff`` set, one score per example
    (``(N,)`` or ``(N, 1)``) means class 1 when it is above the cutoff
    (0.0 for a logit, 0.5 for a probability).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")

    def score(case: Case, output: tuple) -> Verdict:
        labels = np.asarray(case.secret)
        pred = output[0]
        if binary_cutoff is not None and (pred.ndim == 1 or (pred.ndim == 2 and pred.shape[1] == 1)):
            pred = (pred.reshape(-1) > binary_cutoff).astype(np.float64)
        elif pred.ndim == 2:
            pred = pred.argmax(axis=1).astype(np.float64)
        if pred.shape != labels.shape:
            return Verdict(False, f"gave predictions of shape {output[0].shape} for {labels.shape[0]} examples")
        accuracy = float(np.mean(pred == labels))
        message = f"accuracy on {labels.shape[0]} held-out examples is {accuracy:.1%}; at least {threshold:.0%} needed"
        return Verdict(accuracy >= threshold, message)

    return score


# -- step 2: the answer key -----------------------------------------------------

def expected_output(exercise: Exercise, case: Case) -> tuple[np.ndarray, ...]:
    """The reference output for a case, as plain float64 arrays (empty when a ``score`` rates answers)."""
    if exercise.reference is None:
        return ()
    if exercise.kind == "value":
        return to_plain(exercise.reference())
    args, kwargs = case.copy_inputs()
    if exercise.kind == "model":
        return to_plain(predict(exercise.reference, *args, name="the reference model"))
    return to_plain(exercise.reference(*args, **kwargs))


# -- step 3: compare (pure; no student code runs here) --------------------------

def judge(exercise: Exercise, case: Case, outcome: Outcome, expected: Sequence[np.ndarray]) -> Verdict:
    """Compare a student's outcome with the expected output and explain any difference."""
    if exercise.kind == "value":
        where = f"`{exercise.function}`"
    elif exercise.kind == "model":
        where = f"`{exercise.function}` on {case.describe()}"
    else:
        where = f"`{exercise.function}({case.describe()})`"
    where += f" [{case.label}]" if case.label else ""
    hint = case.hint or exercise.hint
    hint_text = f"\n  Hint: {hint}" if hint else ""
    if outcome.error is not None:
        return Verdict(False, f"{where} {outcome.error}.{hint_text}")
    if outcome.mutated:
        return Verdict(False, f"{where} changed its input {', '.join(outcome.mutated)} in place; "
                              f"return a new array instead (e.g. work on a copy).{hint_text}")
    got = outcome.output
    if exercise.score is not None and got is not None:
        verdict = exercise.score(case, got)
        if verdict.passed:
            return Verdict(True, verdict.message or "ok")
        return Verdict(False, f"{where} {verdict.message}.{hint_text}")
    if got is None or len(got) != len(expected):
        n = 0 if got is None else len(got)
        return Verdict(False, f"{where} returned {plural(n, 'value')}, expected {len(expected)}.{hint_text}")
    for k, (g, e) in enumerate(zip(got, expected)):
        which = f" (returned value {k + 1})" if len(expected) > 1 else ""
        if g.shape != e.shape:
            return Verdict(False, f"{where}{which} has shape {g.shape}, expected {e.shape}.{hint_text}")
        rtol, atol = case.tol or (exercise.rtol, exercise.atol)
        bad = ~_close(g, e, rtol, atol)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            n_bad = int(bad.sum())
            loc = f" at index {idx}" if idx else ""
            with np.errstate(invalid="ignore", over="ignore"):
                off = abs(float(g[idx]) - float(e[idx]))
            size = f"off by {off:.3g}; " if np.isfinite(off) else ""
            return Verdict(False, f"{where}{which} is wrong{loc}: expected {float(e[idx])!r}, got {float(g[idx])!r} "
                                  f"({size}{n_bad} of {plural(e.size, 'entry', 'entries')} "
                                  f"differ{'s' if n_bad == 1 else ''}).{hint_text}")
    return Verdict(True, "ok")


#: Exception names a hidden case's message may show besides Python's own (a class the student's code
#: defines could be named after the inputs it was given).
_KNOWN_ERRORS = frozenset({"LinAlgError", "AxisError", "UFuncTypeError", "DTypePromotionError", "CheckFailed",
                           "ForbiddenCall"})

#: Outcome errors by how they start, and what a hidden case's message says instead (fixed text).
_ERROR_KINDS = (
    ("numerical trouble", "numpy overflowed or divided by zero on it"),
    ("not implemented yet", "not implemented yet: replace `raise NotImplementedError()` with your code"),
    ("is not set yet", "it is not set yet: assign your answer to `{function}`"),
    ("calls `", "it calls a function this exercise forbids"),
    ("returned ", "it returned values of another dtype than its inputs' (see the exercise text)"),
    ("expected ", "it returned something other than numbers"),
)


def known_error_name(name: str) -> str:
    """``name`` when it is an exception type of Python's own (or numpy's), else fixed words.

    >>> known_error_name("ZeroDivisionError"), known_error_name("Leak_0_5")
    ('ZeroDivisionError', 'an exception of a class of its own')
    """
    import builtins

    name = name.strip()
    known = getattr(builtins, name, None) if name.isidentifier() else None
    if (isinstance(known, type) and issubclass(known, BaseException)) or name in _KNOWN_ERRORS:
        return name
    return "an exception of a class of its own"


def error_kind(error: str, function: str = "your function") -> str:
    """What an outcome's error says, in fixed words that carry nothing the student's code wrote.

    The error text of a hidden case may be anything: the student's process
    writes it. Only an exception type of Python's own (or numpy's) is named.

    >>> error_kind("raised ValueError: operands could not be broadcast (3, 7)")
    'your code raised ValueError on it'
    >>> error_kind("raised Leak_0_123: whatever")
    'your code raised an exception of a class of its own on it'
    """
    if error.startswith("raised "):
        return f"your code raised {known_error_name(error[7:].split(':', 1)[0])} on it"
    if error.startswith("`") and " is not a function " in error:
        return f"`{function}` is not a function"
    for start, words in _ERROR_KINDS:
        if error.startswith(start):
            return words.format(function=function)
    return "your code gave no answer the grader could read"


_SHAPE = re.compile(r"\(\s*\d+\s*(?:,\s*\d*\s*)*\)")


def private_failure(exercise: Exercise, case: Case, outcome: Outcome, expected: Sequence[np.ndarray]) -> str:
    """What went wrong on a hidden case, as far as privacy allows (the case is known by its fixed label).

    Said: which kind of failure, the number of values returned, the size of
    the error (share of entries wrong, largest absolute and relative error),
    a score's own verdict with shapes masked. Never said: the case's inputs,
    shapes or expected values, nor any text the student's code produced while
    handling them (an exception's message, printed output, a class name).
    """
    if outcome.error is not None:
        return error_kind(outcome.error, exercise.function)
    if outcome.mutated:
        return "your code changed its input in place"
    got = outcome.output
    if exercise.score is not None and got is not None:
        return _SHAPE.sub("(...)", exercise.score(case, got).message or "the score is too low")[:200]
    if got is None or len(got) != len(expected):
        return f"it returned {0 if got is None else len(got)} value(s), expected {len(expected)}"
    for k, (g, e) in enumerate(zip(got, expected)):
        which = f" (returned value {k + 1})" if len(expected) > 1 else ""
        if g.shape != e.shape:
            return f"the output{which} has the wrong shape (or number of dimensions)"
        rtol, atol = case.tol or (exercise.rtol, exercise.atol)
        bad = ~_close(g, e, rtol, atol)
        if bad.any():
            with np.errstate(all="ignore"):
                diff = np.abs(g[bad] - e[bad])
                nonzero = np.abs(e[bad]) > 0
                rel = diff[nonzero] / np.abs(e[bad][nonzero])
            if not np.isfinite(diff).all():
                size = "some entries are inf or NaN where the answer is finite"
            else:
                size = f"the largest error is {float(diff.max()):.2g}"
                size += f" (relative {float(rel.max()):.2g})" if rel.size else ""
            return f"the output{which} is wrong in {100 * bad.mean():.0f}% of its entries; {size}"
    return "it differs from the expected answer"


def _close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Elementwise closeness; NaN matches NaN only where the reference is NaN too."""
    both_nan = np.isnan(got) & np.isnan(expected)
    same_inf = np.isinf(got) & np.isinf(expected) & (np.sign(got) == np.sign(expected))
    with np.errstate(invalid="ignore"):
        near = np.abs(got - expected) <= atol + rtol * np.abs(expected)
    return both_nan | same_inf | (near & np.isfinite(got))


# -- all three in one process: what a check cell does ---------------------------

def run(exercise_id: str, fn: Callable[..., Any], *, hidden: bool = False, seed: int | None = None,
        quiet: bool = False) -> None:
    """Check a student's function against every case of an exercise.

    Raises :class:`CheckFailed` (an AssertionError) at the first failing case,
    with a message that says what was expected, what came back and a hint.
    Prints a one-line confirmation. Returns None on purpose: nbgrader reads a
    number displayed by a check cell as partial credit.
    """
    exercise = get(exercise_id)
    cases = exercise.cases(hidden=hidden, seed=seed)
    verdict = Verdict(True, "ok")
    for number, case in enumerate(cases, start=1):
        outcome = call_student(exercise, fn, case)
        verdict = judge(exercise, case, outcome, expected_output(exercise, case))
        if not verdict.passed and hidden:  # its inputs stay hidden: the fixed label and the size of the error
            label = f" ({case.label})" if case.label else ""
            hint = case.hint or exercise.hint
            raise CheckFailed(f"{exercise.function}: hidden check {number} of {len(cases)}{label} failed: "
                              f"{private_failure(exercise, case, outcome, expected_output(exercise, case))}."
                              + (f"\n  Hint: {hint}" if hint else ""))
        if not verdict.passed:
            raise CheckFailed(f"{exercise.function}: check {number} of {len(cases)} failed.\n  {verdict.message}")
    if not quiet:
        kind = "hidden check" if hidden else "check"
        detail = f" ({verdict.message})" if exercise.score is not None and verdict.message != "ok" else ""
        what = f"the {kind}" if len(cases) == 1 else f"all {len(cases)} {kind}s"
        print(f"✔ {exercise.function}: {what} passed{detail}.")


# -- helpers ----------------------------------------------------------------------

def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 check"``, ``"3 checks"``; ``many`` for irregular plurals (``plural(2, "entry", "entries")``)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _describe_value(v: Any) -> str:
    if isinstance(v, np.ndarray):
        if v.size <= 6:
            return np.array2string(v, precision=4, separator=", ")
        return f"<{v.dtype} array of shape {v.shape}>"
    if isinstance(v, (tuple, list)):  # a cache of arrays: each element as above, not numpy's full repr
        inner = ", ".join(_describe_value(x) for x in v)
        return f"({inner}{',' if len(v) == 1 else ''})" if isinstance(v, tuple) else f"[{inner}]"
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def _changed_inputs(before: tuple[tuple, dict], after: tuple[tuple, dict]) -> list[str]:
    changed = []
    for i, (b, a) in enumerate(zip(before[0], after[0])):
        if _changed(b, a):
            changed.append(f"argument {i + 1}")
    for k, b in before[1].items():
        if _changed(b, after[1].get(k)):
            changed.append(k)
    return changed


def _changed(before: Any, after: Any) -> bool:
    """Whether an input array, or an array inside an input list, tuple or dict, was changed in place."""
    if isinstance(before, np.ndarray):
        return not _same_array(before, after)
    if isinstance(before, (list, tuple)):
        return (not isinstance(after, (list, tuple)) or len(after) != len(before)
                or any(_changed(b, a) for b, a in zip(before, after)))
    if isinstance(before, dict):
        return not isinstance(after, dict) or any(_changed(b, after.get(k)) for k, b in before.items())
    return False


def _same_array(a: np.ndarray, b: Any) -> bool:
    return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


class _float_errors:
    """Turn numpy floating-point overflow/invalid/divide into errors when ``strict``."""

    def __init__(self, strict: bool):
        self.strict = strict

    def __enter__(self):
        if self.strict:
            self._state = np.seterr(over="raise", invalid="raise", divide="raise")
            self._warn = warnings.catch_warnings()
            self._warn.__enter__()
            warnings.simplefilter("error", RuntimeWarning)
        return self

    def __exit__(self, *exc):
        if self.strict:
            np.seterr(**self._state)
            self._warn.__exit__(*exc)
        return False


class _forbid:
    """Make the exercise's forbidden functions raise ForbiddenCall while the student's code runs.

    Functions without Python code (numpy ufuncs, C functions, tensor methods)
    are swapped for a stub where they live (``numpy.tanh``, ``torch.Tensor.tanh``)
    and wherever the student's function reaches them by another name: its
    globals (``from numpy import tanh as t``) and default arguments, and those
    of the functions it closes over (a wrapper's). Python functions (the
    reference, ``torch.nn.functional.softmax``) are caught with a profile hook
    that compares code objects, however they were imported. A module imported
    during the call is not guarded yet; :meth:`imported_forbidden` tells the
    caller to call again.
    """

    def __init__(self, exercise: Exercise, fn: Any = None):
        self.exercise = exercise
        self.fn = fn
        self.swapped: list[tuple[Any, str, Any, bool]] = []
        self.codes: dict[Any, str] = {}
        self.unresolved: list[str] = []

    def _names(self) -> list[str]:
        names = list(self.exercise.forbidden)
        if self.exercise.reference is not None:
            names.append(_qualified(self.exercise.reference))
        return names

    def __enter__(self):
        stubs: dict[int, tuple[Any, Any]] = {}  # id(original) -> (original, stub)
        for dotted in self._names():
            target = _resolve(dotted)
            if target is None:
                self.unresolved.append(dotted)
                continue
            code = getattr(target, "__code__", None)
            if code is not None:
                self.codes[code] = dotted
                continue
            stub = _forbidden_stub(dotted, self.exercise)
            stubs[id(target)] = (target, stub)
            owner_name, _, attr = dotted.rpartition(".")
            owner = sys.modules.get(owner_name) or _resolve(owner_name)
            if owner is not None and getattr(owner, attr, None) is target:
                self._swap(owner, attr, stub)
        if stubs:
            for namespace in _namespaces(self.fn):
                for name, value in list(namespace.items()):
                    if id(value) in stubs and stubs[id(value)][0] is value:
                        self._swap(namespace, name, stubs[id(value)][1])
            for function in _functions(self.fn):
                defaults = getattr(function, "__defaults__", None)
                if defaults and any(id(d) in stubs and stubs[id(d)][0] is d for d in defaults):
                    self._swap(function, "__defaults__",
                               tuple(stubs[id(d)][1] if id(d) in stubs and stubs[id(d)][0] is d else d
                                     for d in defaults))
        if self.codes:
            self._previous = sys.getprofile()
            sys.setprofile(self._profile)
        return self

    def _swap(self, owner: Any, attr: str, value: Any) -> None:
        if isinstance(owner, dict):
            self.swapped.append((owner, attr, owner[attr], True))
            owner[attr] = value
            return
        own = not isinstance(owner, type) or attr in vars(owner)  # False: a class inherits it (a tensor method)
        self.swapped.append((owner, attr, getattr(owner, attr), own))
        setattr(owner, attr, value)

    def imported_forbidden(self) -> bool:
        """Whether a forbidden name that was not importable before the call resolves now."""
        return any(_resolve(dotted) is not None for dotted in self.unresolved)

    def _profile(self, frame, event, arg):
        if event == "call" and frame.f_code in self.codes:
            sys.setprofile(None)
            raise ForbiddenCall(_forbidden_message(self.codes[frame.f_code], self.exercise))

    def __exit__(self, *exc):
        if self.codes:
            sys.setprofile(self._previous)
        for owner, attr, original, own in reversed(self.swapped):
            if isinstance(owner, dict):
                owner[attr] = original
            elif own:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)
        return False


def _functions(fn: Any, depth: int = 3) -> list[Any]:
    """``fn`` and the Python functions it wraps or closes over, to ``depth`` levels."""
    found, todo = [], [(fn, 0)]
    while todo:
        f, level = todo.pop()
        if not hasattr(f, "__code__") or any(f is g for g in found):
            continue
        found.append(f)
        if level < depth:
            inner = [c.cell_contents for c in (getattr(f, "__closure__", None) or ()) if _filled(c)]
            inner.append(getattr(f, "__wrapped__", None))
            todo.extend((g, level + 1) for g in inner if g is not None)
    return found


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return True


def _namespaces(fn: Any) -> list[dict]:
    """The distinct global namespaces of ``fn`` and the functions it wraps (never a module of numpy or dlkit)."""
    spaces: list[dict] = []
    for f in _functions(fn):
        g = getattr(f, "__globals__", None)
        if isinstance(g, dict) and not any(g is h for h in spaces):
            module = str(g.get("__name__", ""))
            if not module.startswith(("numpy", "dlkit", "torch", "scipy")):
                spaces.append(g)
    return spaces


def _forbidden_message(dotted: str, exercise: Exercise) -> str:
    return (f"calls `{dotted}`, which this exercise asks you to implement yourself; "
            f"write `{exercise.function}` with basic numpy operations")


def _forbidden_stub(dotted: str, exercise: Exercise):
    def stub(*args, **kwargs):
        raise ForbiddenCall(_forbidden_message(dotted, exercise))
    return stub


def _qualified(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _resolve(dotted: str) -> Any:
    """The object a dotted name refers to, if its module is already imported."""
    module_name, _, attr = dotted.rpartition(".")
    while module_name:
        module = sys.modules.get(module_name)
        if module is not None:
            obj = module
            for part in dotted[len(module_name) + 1:].split("."):
                obj = getattr(obj, part, None)
                if obj is None:
                    return None
            return obj
        module_name, _, _ = module_name.rpartition(".")
    return None
