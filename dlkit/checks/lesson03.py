"""Checks for lesson 03: backpropagation.

Exercises: ``backward_rule`` (the local gradient rules of a scalar autograd),
``topological_order`` (the order backward visits a graph), ``linear_backward``,
``relu_backward``, ``softmax_cross_entropy`` (array backward, CS231n contract)
and ``spiral_model`` (a two-layer numpy network, scored on held-out spirals).

Visible and hidden cases come from the same builder (``_*_cases(rng)``): the
visible list adds the hand-written teaching cases to the builder's cases drawn
from ``cases.fixed_rng()``, the hidden list is the builder's cases drawn from
the grader's generator, so every hidden case has a visible case of the same
kind and label (see :mod:`dlkit.checks.cases`).

Every answer crosses the grader's wire as plain numbers and arrays: the
scalar autograd is graded through one rule at a time (the notebook's ``Value``
class calls the student's ``backward_rule`` and ``topological_order``), and a
layer's ``cache`` is a tuple of arrays. The answer keys are small functions
here built on :mod:`dlkit.reference`; the grader withdraws them, never the
reference functions themselves, so ``reference.Linear`` stays usable.
"""

from __future__ import annotations

import numpy as np

from dlkit import reference as ref
from dlkit.checks import cases
from dlkit.checks.core import Case, Exercise, Verdict, accuracy_at_least, register

# -- 1. the backward rule of one operation ---------------------------------------------

OPS = ("+", "*", "**", "exp", "tanh", "relu")


def backward_rule(op: str, a: float, b: float, out: float, dout: float):
    """Answer key: ``(da, db)``, what one operation sends back to its inputs (via dlkit.reference.Value)."""
    if op not in OPS:
        raise ValueError(f"op must be one of {OPS}, got {op!r}")
    x = ref.Value(a)
    if op in ("+", "*"):
        y = ref.Value(b)
        result = x + y if op == "+" else x * y
    else:
        y = ref.Value(0.0)
        result = x**b if op == "**" else getattr(x, op)()
    result.grad = float(dout)
    result._backward()
    return float(x.grad), float(y.grad)


def _forward(op: str, a: float, b: float) -> float:
    return {"+": lambda: a + b, "*": lambda: a * b, "**": lambda: a**b, "exp": lambda: np.exp(a),
            "tanh": lambda: np.tanh(a), "relu": lambda: max(a, 0.0)}[op]()


def _rule_case(op: str, a: float, b: float, dout: float, label: str, hint: str = "") -> Case:
    a, b, dout = float(a), float(b), float(dout)
    return Case((op, a, b, float(_forward(op, a, b)), dout), label=label, hint=hint)


#: The exponents the '**' cases draw from: whole and fractional, positive and negative.
EXPONENTS = (2.0, 3.0, -1.0, 0.5, -0.5, 1.5)


def _rules_cases(rng: np.random.Generator) -> list[Case]:
    """Each operation with random inputs and a random dout, two cases per operation, and relu at a = 0."""
    out = []
    for _ in range(2):
        a, b, dout = rng.normal(0, 2, size=3)
        out += [
            _rule_case("+", a, b, dout, "a + b, random a, b and dout",
                       hint="+ passes dout on unchanged to both of its inputs."),
            _rule_case("*", a, b, dout, "a * b, random a, b and dout",
                       hint="d(ab)/da = b and d(ab)/db = a, each times dout."),
            _rule_case("**", abs(a) + 0.1, float(rng.choice(EXPONENTS)), dout,
                       "a ** b for a > 0, b a constant exponent (whole or fractional, either sign), random dout",
                       hint="d(a**b)/da = b * a**(b - 1), times dout; db is 0.0 (the exponent is a constant)."),
            _rule_case("exp", a, 0.0, dout, "exp(a), random a and dout",
                       hint="d exp(a)/da = exp(a), which is out; times dout."),
            _rule_case("tanh", a, 0.0, dout, "tanh(a), random a and dout",
                       hint="d tanh(a)/da = 1 - out**2; times dout."),
            _rule_case("relu", a, 0.0, dout, "relu(a), random a of either sign and dout",
                       hint="relu sends back dout where a > 0 and 0 elsewhere."),
        ]
    out.append(_rule_case("relu", 0.0, 0.0, rng.normal(0, 2), "relu(a) at a = 0, random dout: sends back 0",
                          hint="Pass dout on only where a > 0 (strictly); at a = 0 torch sends back 0."))
    return out


def _rules_visible() -> list[Case]:
    return [
        _rule_case("+", 2.0, -3.0, 1.0, "a + b with dout = 1"),
        _rule_case("*", 2.0, -3.0, 1.0, "a * b with dout = 1",
                   hint="d(ab)/da = b and d(ab)/db = a: each input gets the *other* input."),
        _rule_case("*", 2.0, -3.0, 0.5, "a * b with dout = 0.5: the chain rule multiplies by dout",
                   hint="Every rule multiplies its local derivative by dout, the gradient arriving from above."),
        _rule_case("**", 3.0, 2.0, 1.0, "a ** 2 (b is the exponent, a constant: db = 0)"),
        _rule_case("**", 4.0, -0.5, 2.0, "a ** -0.5 with dout = 2"),
        _rule_case("exp", 1.0, 0.0, 1.0, "exp(a): its derivative is itself (use out)"),
        _rule_case("tanh", 0.5, 0.0, 1.0, "tanh(a)", hint="d tanh(a)/da = 1 - tanh(a)**2 = 1 - out**2."),
        _rule_case("tanh", -1.5, 0.0, -2.0, "tanh(a) with dout = -2"),
        _rule_case("relu", 1.5, 0.0, 3.0, "relu(a) for a > 0 passes dout on"),
        _rule_case("relu", -1.5, 0.0, 3.0, "relu(a) for a < 0 sends back 0"),
        *_rules_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="03.rules", function="backward_rule", reference=backward_rule,
    visible=_rules_visible, hidden=_rules_cases,
    forbidden=("dlkit.reference.autograd.Value.__init__", "torch.autograd.backward", "torch.autograd.grad",
               "torch.Tensor.backward"),
    hint="Return (da, db) = (d out/d a * dout, d out/d b * dout); db is 0 for one-input operations and for '**'.",
))


# -- 2. topological order ----------------------------------------------------------------

def _reachable(edges: np.ndarray, root: int) -> tuple[set[int], dict[int, list[int]]]:
    inputs: dict[int, list[int]] = {}
    for node, source in edges.tolist():
        inputs.setdefault(int(node), []).append(int(source))
    seen, stack = {root}, [root]
    while stack:
        for source in inputs.get(stack.pop(), []):
            if source not in seen:
                seen.add(source)
                stack.append(source)
    return seen, inputs


def _topo_score(case: Case, output: tuple) -> Verdict:
    """Is the answer a topological order of exactly the nodes the root depends on?"""
    edges, root = np.asarray(case.args[0]), int(case.args[1])
    if len(output) != 1:
        return Verdict(False, f"returned {len(output)} values; return one list (or 1-D array) of node numbers")
    order = output[0].reshape(-1) if output[0].ndim <= 1 else None
    if order is None:
        return Verdict(False, f"returned an array of shape {output[0].shape}; return a flat list of node numbers")
    if not np.all(np.isfinite(order)) or not np.all(order == np.round(order)):
        return Verdict(False, "returned something that is not a whole node number")
    order = [int(v) for v in order]
    needed, inputs = _reachable(edges, root)
    if len(order) != len(set(order)):
        twice = sorted({v for v in order if order.count(v) > 1})[:5]
        return Verdict(False, f"lists node(s) {twice} more than once; each node must appear exactly once "
                              "(keep a set of visited nodes)")
    extra, missing = sorted(set(order) - needed)[:5], sorted(needed - set(order))[:5]
    if missing:
        return Verdict(False, f"leaves out node(s) {missing}, which the root depends on")
    if extra:
        return Verdict(False, f"lists node(s) {extra}, which the root does not depend on; "
                              "start from the root and follow inputs only")
    position = {v: i for i, v in enumerate(order)}
    for node in order:
        for source in inputs.get(node, []):
            if position[source] > position[node]:
                return Verdict(False, f"puts node {node} before its input {source}; every node must come after "
                                      "all of its inputs (append a node only once its inputs are in the list)")
    return Verdict(True, "ok")


def _edges(pairs) -> np.ndarray:
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _relabel(edges: np.ndarray, root: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """The same graph with its nodes renumbered at random, so node numbers say nothing about the order."""
    perm = rng.permutation(n)
    return perm[edges] if edges.size else edges, int(perm[root])


def _chain(n: int) -> np.ndarray:
    return _edges([(k + 1, k) for k in range(n - 1)])


def _random_dag(rng: np.random.Generator, n: int, fan_in: int = 2) -> np.ndarray:
    """Node k (k >= 1) has 1..fan_in inputs among nodes < k, like the values an expression computes."""
    pairs = []
    for k in range(1, n):
        for _ in range(int(rng.integers(1, fan_in + 1))):
            pairs.append((k, int(rng.integers(0, k))))
    return _edges(pairs)


#: Every chain the checks try is at least this long: three times Python's default recursion limit.
CHAIN_MIN = 3000


def _topo_cases(rng: np.random.Generator) -> list[Case]:
    """Random expression graphs (with unneeded nodes), repeated edges, a long chain, a lone root; renumbered."""
    out = []
    for n in (int(rng.integers(5, 12)), int(rng.integers(20, 60)), int(rng.integers(100, 300))):
        dag = _random_dag(rng, n)
        extra = int(rng.integers(1, 4))  # nodes computed from the graph that the root does not depend on
        spare = _edges([(n + k, int(rng.integers(0, n))) for k in range(extra)])
        edges, root = _relabel(np.concatenate([dag, spare]), n - 1, n + extra, rng)
        out.append(Case((edges, root), label="a random expression graph, numbered at random, "
                                             "with nodes the root does not depend on",
                        hint="Start from the root and follow inputs only; list each node once, "
                             "after all of its inputs."))
    dup = _random_dag(rng, 8)
    out.append(Case(_relabel(np.concatenate([dup, dup[:3]]), 7, 8, rng),
                    label="a random graph with some edges listed twice (a value used twice by one operation)",
                    hint="A row listed twice is one input used twice: the node still appears once."))
    n = int(rng.integers(CHAIN_MIN, CHAIN_MIN + 2000))
    out.append(Case(_relabel(_chain(n), n - 1, n, rng), label="a chain thousands of nodes long, numbered at random",
                    hint="A recursive search stops at Python's recursion limit (about 1000 calls deep). "
                         "Keep your own stack of nodes still to visit instead of recursing."))
    out.append(Case((_edges([]), int(rng.integers(0, 50))), label="a root with no inputs: the order is just [root]"))
    return out


def _topo_visible() -> list[Case]:
    # the neuron of the diagram: 0 x1, 1 w1, 2 x2, 3 w2, 4 b, 5 x1*w1, 6 x2*w2, 7 5+6, 8 n = 7+b, 9 o = tanh(n)
    neuron = _edges([(5, 0), (5, 1), (6, 2), (6, 3), (7, 5), (7, 6), (8, 7), (8, 4), (9, 8)])
    return [
        Case((neuron, 9), label="the neuron o = tanh(x1*w1 + x2*w2 + b), nodes numbered 0 to 9"),
        Case((_edges([(3, 1), (3, 2), (1, 0), (2, 0), (4, 0)]), 3),
             label="a diamond: node 0 feeds nodes 1 and 2, which feed the root 3; node 4 is not needed",
             hint="List only the nodes the root depends on, each once: keep a set of the nodes already visited."),
        Case((_edges([(1, 0), (1, 0), (2, 1), (3, 2), (3, 0)]), 3),
             label="y = tanh(a * a) + a: a is used twice by node 1 (the same row twice) and again by the root",
             hint="Node 0 must come before node 1, even though the root reaches it in one step: "
                  "a node goes into the list only after *all* of its inputs, however far away."),
        Case((_edges([]), 0), label="a root with no inputs: the order is just [root]"),
        *_topo_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="03.topo", function="topological_order", reference=None, score=_topo_score,
    visible=_topo_visible, hidden=_topo_cases,
    forbidden=("graphlib.TopologicalSorter.static_order", "networkx.topological_sort"),
    hint="Depth-first from the root: a node goes into the list after all of its inputs are in it. "
         "Use your own stack (no recursion) and a set of visited nodes.",
))


# -- 3. linear backward ------------------------------------------------------------------

def linear_backward(dout, cache):
    """Answer key: ``(dx, dW, db)`` of ``x @ W.T + b`` for ``cache = (x, W, b)``."""
    x, W, b = cache
    _, ref_cache = ref.linear_forward(x, W, b)
    return ref.linear_backward(dout, ref_cache)


def _linear_case(rng: np.random.Generator, n: int, d: int, m: int, label: str, *, square: bool = False,
                 hint: str = "") -> Case:
    W = cases.square(rng, d) if square else cases.normal(rng, (m, d))
    x, b = cases.normal(rng, (n, d)), cases.normal(rng, W.shape[0])
    return Case((cases.normal(rng, (n, W.shape[0])), (x, W, b)), label=label, hint=hint)


def _linear_cases(rng: np.random.Generator) -> list[Case]:
    """Random sizes (1 to 7 each), all sizes equal with an unsymmetric W, and a batch of one."""
    d = int(rng.integers(2, 6))
    return [
        *(_linear_case(rng, *(int(v) for v in rng.integers(1, 8, size=3)), "random shapes") for _ in range(3)),
        _linear_case(rng, d, d, d, "square shapes: W and W.T, x.T @ dout and dout.T @ x differ", square=True,
                     hint="With N = D = M every product has a fitting shape, right or wrong: dx = dout @ W "
                          "(N, D) and dW = dout.T @ x (M, D), as one entry of each sum shows."),
        _linear_case(rng, 1, int(rng.integers(2, 6)), int(rng.integers(2, 6)), "a batch of one"),
    ]


def _linear_visible() -> list[Case]:
    one = Case((np.array([[1.0, -1.0, 2.0]]), (np.array([[1.0, 2.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                                                 np.zeros(3))), label="one sample, 2 inputs, 3 outputs")
    return [
        one,
        _linear_case(cases.fixed_rng(4), 4, 3, 2, "a batch of 4: db and dW sum over the batch"),
        *_linear_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="03.linear", function="linear_backward", reference=linear_backward,
    visible=_linear_visible, hidden=_linear_cases,
    forbidden=("dlkit.reference.layers.linear_backward",),
    hint="Let the shapes guide you: dx is (N, D) like x, dW is (M, D) like W, db is (M,) like b; each is built "
         "from dout (N, M) and one other array, and dW and db add up the contributions of all N samples.",
))


# -- 4. relu backward --------------------------------------------------------------------

def relu_backward(dout, cache):
    """Answer key: ``dout`` where the forward input ``cache`` (x) was > 0, else 0."""
    _, ref_cache = ref.relu_forward(cache)
    return ref.relu_backward(dout, ref_cache)


def _relu_cases(rng: np.random.Generator) -> list[Case]:
    """Random shapes of 1 to 3 dimensions, about a fifth of x exactly 0, dout of both signs."""
    out = []
    for shape in cases.shapes(rng, 3):
        x = cases.normal(rng, shape)
        x[rng.random(shape) < 0.2] = 0.0
        out.append(Case((cases.normal(rng, shape), x), label="random shapes, some x exactly 0",
                        hint="Keep dout where x > 0 (strictly), 0 elsewhere, in a new array shaped like x."))
    return out


def _relu_visible() -> list[Case]:
    return [
        Case((np.array([1.0, 2.0, 3.0, 4.0]), np.array([-2.0, -0.5, 0.5, 2.0])), label="negative inputs send back 0"),
        Case((np.array([[5.0, -5.0], [2.0, 7.0]]), np.array([[1.0, 1.0], [-1.0, 0.0]])),
             label="x = 0 sends back 0, as torch; dout keeps its sign",
             hint="Keep dout where x > 0 (strictly), 0 elsewhere; do not change dout itself."),
        *_relu_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="03.relu", function="relu_backward", reference=relu_backward,
    visible=_relu_visible, hidden=_relu_cases,
    forbidden=("dlkit.reference.activations.relu_backward",),
    hint="ReLU passes its input on where x > 0 and blocks it elsewhere; its gradient does the same to dout.",
))


# -- 5. softmax cross-entropy ------------------------------------------------------------

def softmax_cross_entropy(logits, y):
    """Answer key: mean cross-entropy of integer labels over raw logits, and its gradient."""
    return ref.cross_entropy(logits, y)


LARGE_LOGITS_HINT = ("exp(1000) overflows. Subtract each row's maximum first, and take the log of the "
                     "softmax as z - max - log(sum(exp(z - max))).")


def _ce_case(rng: np.random.Generator, n: int, k: int, label: str, scale: float = 2.0, hint: str = "") -> Case:
    return Case((cases.normal(rng, (n, k), scale=scale), rng.integers(0, k, size=n)), label=label, hint=hint)


def _ce_cases(rng: np.random.Generator) -> list[Case]:
    """Random logits (1 to 8 rows, 2 to 6 classes), logits in the hundreds and thousands, a batch of one."""
    return [
        *(_ce_case(rng, int(rng.integers(1, 9)), int(rng.integers(2, 7)), "random logits") for _ in range(3)),
        _ce_case(rng, 5, 4, "very large logits: hundreds to thousands, of both signs", scale=600.0,
                 hint=LARGE_LOGITS_HINT),
        _ce_case(rng, 1, int(rng.integers(2, 6)), "a batch of one"),
    ]


def _ce_visible() -> list[Case]:
    return [
        Case((np.zeros((1, 2)), np.array([0])), label="equal logits: loss log 2, gradient [-0.5, 0.5]"),
        _ce_case(cases.fixed_rng(5), 4, 3, "a batch of 4: the loss is the mean, so the gradient is divided by N"),
        Case((np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 1000.0]]), np.array([0, 0])),
             label="very large logits, one row very wrong (its loss is about 1000)", hint=LARGE_LOGITS_HINT),
        *_ce_cases(cases.fixed_rng()),
    ]


register(Exercise(
    id="03.softmax_ce", function="softmax_cross_entropy", reference=softmax_cross_entropy,
    visible=_ce_visible, hidden=_ce_cases, strict_float=True,
    forbidden=("dlkit.reference.losses.cross_entropy", "dlkit.reference.activations.log_softmax",
               "dlkit.reference.activations.softmax", "torch.nn.functional.cross_entropy",
               "scipy.special.logsumexp", "scipy.special.softmax", "scipy.special.log_softmax"),
    hint="loss = mean over rows of -log softmax(z)[y]; dz = (softmax(z) - onehot(y)) / N.",
))


# -- 6. a two-layer network trained on spirals (scored on held-out spirals) -----------------

SPIRAL_TARGET = 0.95
SPIRAL_NOISE = 0.2  # dlkit.data.make_spirals' default, the set the notebook trains on


def spirals(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` spiral points (all of make_spirals' splits) and their arms, for grading."""
    from dlkit import data

    s = data.make_spirals(n_samples=n, noise=SPIRAL_NOISE, seed=seed)
    X = np.concatenate([s.X_train, s.X_val, s.X_test]).astype(np.float64)
    y = np.concatenate([s.y_train, s.y_val, s.y_test]).astype(np.float64)
    return X, y


#: The one label of the spiral checks, visible (a fixed draw) and hidden (a draw from the grader's seed).
NEW_SPIRALS = "1500 new spiral points, not the ones you trained on"


def _held_out(seed: int) -> Case:
    X, y = spirals(1500, seed)
    return Case((X,), secret=y, label=NEW_SPIRALS)


register(Exercise(
    id="03.spirals", function="spiral_model", reference=None, kind="model",
    score=accuracy_at_least(SPIRAL_TARGET),
    visible=lambda: [_held_out(seed=1)],
    hidden=lambda rng: [_held_out(seed=int(rng.integers(2, 2**31)))],  # never 0 (training) or 1 (visible)
    hint="Train longer or with a larger learning rate until the training accuracy is near 99%; "
         "check that the loss goes down. The update is W -= lr * dW (minus: downhill).",
))
