"""dlkit.checks: checks are data, comparisons cannot be rigged, messages say what and how."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlkit import checks
from dlkit.checks import core


def stable_sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def test_a_passing_check_prints_a_confirmation_and_returns_none(capsys):
    assert checks.run("01.sigmoid", stable_sigmoid) is None  # a number would be read as partial credit
    assert "sigmoid: all 12 checks passed" in capsys.readouterr().out


def test_hidden_cases_depend_on_the_instructor_seed():
    ex = checks.get("01.relu")
    a = ex.cases(hidden=True, seed=1)
    b = ex.cases(hidden=True, seed=2)
    again = ex.cases(hidden=True, seed=1)
    assert [c.args[0].shape for c in a] == [c.args[0].shape for c in again]
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, again))
    assert not all(x.args[0].shape == y.args[0].shape and np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, b))


def test_seed_comes_from_the_environment(monkeypatch):
    ex = checks.get("01.relu")
    monkeypatch.setenv(core.HIDDEN_SEED_ENV, "5")
    from_env = ex.cases(hidden=True)
    explicit = ex.cases(hidden=True, seed=5)
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(from_env, explicit))


def test_failure_message_names_expected_got_and_hint():
    with pytest.raises(checks.CheckFailed) as err:
        checks.run("01.relu", lambda x: np.abs(x))
    msg = str(err.value)
    assert isinstance(err.value, AssertionError)
    assert "relu: check 1 of 9 failed" in msg
    assert "expected" in msg and "got" in msg and "Hint:" in msg


def test_an_object_with_rigged_comparisons_cannot_pass():
    class Rigged(np.ndarray):
        def __eq__(self, other):
            return True

        def __abs__(self):
            return np.zeros(self.shape)

        def __sub__(self, other):
            return np.zeros(self.shape)

    class Anything:
        def __eq__(self, other):
            return True

        def __array__(self, dtype=None, copy=None):
            return np.zeros(5)

    with pytest.raises(checks.CheckFailed):
        checks.run("01.relu", lambda x: np.full(x.shape, 7.0).view(Rigged))
    with pytest.raises(checks.CheckFailed, match="expected a numpy array, got Anything"):
        checks.run("01.relu", lambda x: Anything())


def test_torch_tensors_and_tuples_are_converted_to_plain_arrays():
    (out,) = core.to_plain(torch.tensor([1.0, 2.0]))
    assert type(out) is np.ndarray and out.dtype == np.float64
    a, b = core.to_plain((np.array([1], dtype=np.int32), 2.5))
    assert a.dtype == np.float64 and b.shape == ()
    with pytest.raises(TypeError, match="boolean"):
        core.to_plain(True)
    with pytest.raises(TypeError, match="array of numbers"):
        core.to_plain(np.array(["a"]))


def test_wrong_shape_is_reported_before_values():
    with pytest.raises(checks.CheckFailed, match=r"has shape \(1, 5\), expected \(5,\)"):
        checks.run("01.relu", lambda x: np.maximum(x, 0)[None, :])


def test_changing_the_input_in_place_fails_even_with_the_right_values():
    def relu_in_place(x):
        x[x < 0] = 0
        return x

    with pytest.raises(checks.CheckFailed, match="changed its input argument 1 in place"):
        checks.run("01.relu", relu_in_place)


def test_changing_an_array_inside_an_input_list_in_place_is_caught():
    def inputs(first=np.ones(2), w=np.ones(3), rest=True):
        items = [first, (np.zeros(1), {"w": w})] if rest else [first]
        return (items, 1.0), {"extra": [np.ones(1)]}

    assert core._changed_inputs(inputs(), inputs()) == []
    assert core._changed_inputs(inputs(), inputs(first=np.ones(2) * 2)) == ["argument 1"]
    assert core._changed_inputs(inputs(), inputs(w=np.zeros(3))) == ["argument 1"]
    assert core._changed_inputs(inputs(), inputs(rest=False)) == ["argument 1"]
    assert core._changed_inputs(inputs(), ((inputs()[0]), {"extra": [np.zeros(1)]})) == ["extra"]

def test_overflow_fails_a_strict_exercise_even_when_the_value_comes_out_right():
    with pytest.raises(checks.CheckFailed, match="overflow"):
        checks.run("01.sigmoid", lambda x: 1 / (1 + np.exp(-x)))
    assert np.geterr()["over"] == "warn", "the float error state must be restored after a check"


def test_forbidden_functions_and_the_reference_are_caught_and_restored():
    with pytest.raises(checks.CheckFailed, match="calls `numpy.tanh`"):
        checks.run("01.tanh", lambda x: np.tanh(x))
    assert np.tanh(0.5) == pytest.approx(0.46211715726), "numpy.tanh must be restored afterwards"

    from dlkit.reference import sigmoid as aliased_reference

    with pytest.raises(checks.CheckFailed, match="calls `dlkit.reference.activations.sigmoid`"):
        checks.run("01.sigmoid", lambda x: aliased_reference(x))
    import sys

    assert sys.getprofile() is None


def test_not_implemented_gets_a_friendly_message():
    def stub(x):
        raise NotImplementedError()

    with pytest.raises(checks.CheckFailed, match="not implemented yet"):
        checks.run("01.relu", stub)


def test_student_errors_are_reported_not_raised():
    with pytest.raises(checks.CheckFailed, match="raised ZeroDivisionError"):
        checks.run("01.relu", lambda x: 1 / 0)
    with pytest.raises(checks.CheckFailed, match="is not a function"):
        checks.run("01.relu", 3)


def test_judge_is_pure_data_comparison():
    ex = checks.get("01.relu")
    case = ex.cases()[0]
    expected = checks.expected_output(ex, case)
    good = checks.Outcome(output=tuple(e.copy() for e in expected))
    assert checks.judge(ex, case, good, expected).passed
    nan = checks.Outcome(output=(np.full_like(expected[0], np.nan),))
    assert not checks.judge(ex, case, nan, expected).passed, "NaN must never match a number"
    err = checks.Outcome(output=None, error="raised ValueError: boom")
    verdict = checks.judge(ex, case, err, expected)
    assert not verdict.passed and "boom" in verdict.message


def test_unknown_exercises_say_what_exists():
    with pytest.raises(KeyError, match="01.sigmoid"):
        checks.get("01.nope")
    with pytest.raises(KeyError, match="no checks for lesson 77"):
        checks.get("77.x")
    with pytest.raises(KeyError, match="look like"):
        checks.get("sigmoid")


def test_every_lesson01_exercise_rejects_its_reference_passed_directly():
    for ex in checks.all_exercises("01"):
        if ex.reference is None:  # rated by a score, nothing to call
            continue
        with pytest.raises(checks.CheckFailed, match="calls"):
            checks.run(ex.id, ex.reference)


# -- model and value exercises: answers rated in the grader, on held-out data ------------

def _digits_exercise(threshold: float) -> checks.Exercise:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0

    def held_out(rng):
        idx = rng.choice(len(y), size=300, replace=False)
        return [checks.Case((X[idx],), secret=y[idx].astype(float), label="300 held-out digits")]

    return checks.Exercise(
        id=f"98.model_{int(threshold * 100)}", function="model", reference=None, kind="model",
        score=checks.accuracy_at_least(threshold),
        visible=lambda: [checks.Case((X[:200],), secret=y[:200].astype(float), label="200 digits")],
        hidden=held_out)


def _train_digits(epochs: int) -> torch.nn.Module:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    xt, yt = torch.tensor(X / 16.0, dtype=torch.float32), torch.tensor(y)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    return model


def test_a_trained_torch_model_is_rated_on_held_out_inputs_and_left_in_train_mode(capsys):
    ex = checks.register(_digits_exercise(0.9))
    model = _train_digits(60)
    model.train()
    checks.run(ex.id, model, hidden=True, seed=3)
    assert model.training, "predict must restore the model's mode"
    assert "accuracy on 300 held-out examples" in capsys.readouterr().out
    with pytest.raises(checks.CheckFailed, match=r"accuracy on 200 held-out examples is \d+\.\d%; at least 90% needed"):
        checks.run(ex.id, _train_digits(0))


def test_model_exercises_accept_predict_objects_and_functions_and_never_see_labels():
    ex = checks.register(_digits_exercise(0.5))
    seen = []

    class Memorizer:
        def predict(self, X):
            seen.append(X)
            return np.zeros(len(X))

    with pytest.raises(checks.CheckFailed, match="accuracy"):
        checks.run(ex.id, Memorizer())
    case = ex.cases()[0]
    outcome = checks.call_student(ex, lambda X: np.eye(10)[np.zeros(len(X), dtype=int)], case)
    assert outcome.output[0].shape == (200, 10)
    assert not checks.judge(ex, case, outcome, checks.expected_output(ex, case)).passed
    assert len(seen) == 1 and seen[0].shape == (200, 64), "the model gets inputs only"
    with pytest.raises(checks.CheckFailed, match="must be a trained model"):
        checks.run(ex.id, 42)


def test_accuracy_scores_labels_logits_and_binary_scores():
    case = checks.Case((), secret=np.array([0.0, 1.0, 1.0, 0.0]))
    plain = checks.accuracy_at_least(0.75)
    assert plain(case, (np.array([0.0, 1.0, 1.0, 1.0]),)).passed
    assert plain(case, (np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 2.0], [5.0, 0.0]]),)).passed
    assert not plain(case, (np.array([1.0, 0.0, 0.0, 1.0]),)).passed
    assert "shape" in plain(case, (np.zeros(3),)).message
    logits = checks.accuracy_at_least(1.0, binary_cutoff=0.0)
    assert logits(case, (np.array([[-2.0], [0.5], [3.0], [-0.1]]),)).passed
    with pytest.raises(ValueError):
        checks.accuracy_at_least(1.5)


def test_value_exercises_take_the_answer_as_it_is():
    ex = checks.get("01.neuron")
    assert ex.kind == "value" and ex.cases()[0].args == ()
    checks.run("01.neuron", np.array([1.2, -4.7, 0.4]), quiet=True)
    with pytest.raises(checks.CheckFailed, match="not set yet"):
        checks.run("01.neuron", None)
    with pytest.raises(checks.CheckFailed, match="list of plain numbers"):
        checks.run("01.neuron", [object(), 1.0, 2.0])


def test_an_exercise_needs_a_known_kind_and_a_reference_or_score():
    with pytest.raises(ValueError, match="kind"):
        checks.Exercise("98.x", "x", reference=abs, visible=list, hidden=lambda rng: [], kind="magic")
    with pytest.raises(ValueError, match="reference or a score"):
        checks.Exercise("98.y", "y", reference=None, visible=list, hidden=lambda rng: [])


# -- forbidden functions however they are reached; dtypes; wording --------------------------------

from numpy import tanh as _bound_tanh  # noqa: E402  (a name bound before the call, as a student might)


def _outcome(eid, fn, x):
    return core.call_student(checks.get(eid), fn, core.Case((x,)))


@pytest.mark.parametrize("answer", [
    lambda x: _bound_tanh(x),                                       # from numpy import tanh as t
    lambda x, f=np.tanh: f(x),                                      # a default argument
    lambda x: torch.from_numpy(x).tanh().numpy(),                   # a tensor method
    lambda x: torch.nn.functional.tanh(torch.from_numpy(x)).numpy(),  # torch's functional API
    lambda x: torch.tanh(torch.from_numpy(x)).numpy(),
], ids=["bound-name", "default-arg", "tensor-method", "functional", "torch-function"])
def test_a_forbidden_function_is_caught_however_it_is_reached(answer):
    x = np.array([0.5, -1.0])
    outcome = _outcome("01.tanh", answer, x)
    assert outcome.output is None and "calls `" in outcome.error and "tanh" in outcome.error

    def wrapper(*args):  # the grader wraps the student's function in a closure like this
        return answer(*args)
    assert "calls `" in _outcome("01.tanh", wrapper, x).error
    # everything is restored afterwards
    assert _bound_tanh is np.tanh and np.tanh(0.0) == 0.0 and float(torch.tensor(0.0).tanh()) == 0.0
    assert "tanh" not in vars(torch.Tensor)


def test_a_forbidden_module_imported_inside_the_call_is_caught_in_a_fresh_interpreter():
    import subprocess
    import sys

    code = ("import numpy as np\nfrom dlkit.checks import core\nimport dlkit.checks.lesson01\n"
            "assert 'scipy.special' not in __import__('sys').modules\n"
            "def sigmoid(x):\n    from scipy.special import expit\n    return expit(x)\n"
            "print(core.call_student(core.get('01.sigmoid'), sigmoid, core.Case((np.array([0.5]),))).error)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "calls `scipy.special.expit`" in out.stdout


def test_an_output_less_precise_than_the_input_fails_with_a_clear_message():
    x64, x32 = np.array([[1.0, -2.0]]), np.array([[1.0, -2.0]], dtype=np.float32)
    lower = _outcome("01.relu", lambda x: np.maximum(x, 0).astype(np.float32), x64)
    assert "returned float32 values for float64 inputs, which loses precision" in lower.error
    as_tensor = _outcome("01.relu", lambda x: torch.relu(torch.from_numpy(x).float()), x64)
    assert "returned float32 values" in as_tensor.error
    integers = _outcome("01.relu", lambda x: np.maximum(x, 0).astype(np.int64), x64)
    assert "returned int64 values" in integers.error
    assert _outcome("01.relu", lambda x: np.maximum(x, 0), x32).error is None
    assert _outcome("01.relu", lambda x: np.maximum(x, 0).astype(np.float64), x32).error is None  # more precise: fine


def test_keep_dtype_wants_exactly_the_inputs_float_dtype():
    import dataclasses

    relu = dataclasses.replace(checks.get("01.relu"), keep_precision=False, keep_dtype=True)
    x32 = np.array([[1.0, -2.0]], dtype=np.float32)
    wider = core.call_student(relu, lambda x: np.maximum(x, 0).astype(np.float64), core.Case((x32,)))
    assert "must keep the inputs' dtype (float32)" in wider.error
    assert core.call_student(relu, lambda x: np.maximum(x, 0), core.Case((x32,))).error is None


def test_an_exact_function_gets_no_tolerance():
    with pytest.raises(checks.CheckFailed, match="off by"):
        checks.run("01.relu", lambda x: np.maximum(x, 0) + 1e-12 * (x > 0))


def test_messages_use_plurals_and_say_how_far_off():
    assert core.plural(1, "check") == "1 check" and core.plural(3, "entry", "entries") == "3 entries"
    ex = checks.get("01.relu")
    case = core.Case((np.array([1.0, 2.0]),))
    verdict = core.judge(ex, case, core.Outcome((np.array([1.0, 2.5]),)), (np.array([1.0, 2.0]),))
    assert "off by 0.5; 1 of 2 entries differs" in verdict.message
    verdict = core.judge(ex, case, core.Outcome(()), (np.array([1.0, 2.0]),))
    assert "returned 0 values, expected 1" in verdict.message
