"""Checks for lesson 03: backpropagation.

Exercises: ``backward_rule`` (the local gradient rules of a scalar autograd),
``topological_order`` (the order backward visits a graph), ``linear_backward``,
``relu_backward``, ``softmax_cross_entropy`` (array backward, CS231n contract)
and ``spiral_model`` (a two-layer numpy network, scored on held-out spirals).

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
from dlkit.checks.core import Case, Exercise, Verdict, accuracy_at_least, register

F32_TOL = (2e-5, 1e-6)

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
        _rule_case("relu", 0.0, 0.0, 3.0, "relu(a) at a = 0 sends back 0, as torch",
                   hint="Pass dout on only where a > 0 (strictly); at a = 0 torch sends back 0."),
    ]


def _rules_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for op in OPS:
        for _ in range(2):
            a, dout = rng.normal(0, 2), rng.normal(0, 2)
            if op in ("+", "*"):
                b = rng.normal(0, 2)
            elif op == "**":
                a, b = abs(a) + 0.1, float(rng.choice([2.0, 3.0, -1.0, 0.5, -0.5, 1.5]))
            else:
                b = 0.0
            cases.append(_rule_case(op, a, b, dout, f"{op} with new values"))
    cases.append(_rule_case("relu", 0.0, 0.0, rng.normal(0, 2), "relu(a) at a = 0"))
    return cases


register(Exercise(
    id="03.rules", function="backward_rule", reference=backward_rule,
    visible=_rules_visible, hidden=_rules_hidden,
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


def _topo_visible() -> list[Case]:
    rng = np.random.default_rng(3)
    # the neuron of the diagram: 0 x1, 1 w1, 2 x2, 3 w2, 4 b, 5 x1*w1, 6 x2*w2, 7 5+6, 8 n = 7+b, 9 o = tanh(n)
    neuron = _edges([(5, 0), (5, 1), (6, 2), (6, 3), (7, 5), (7, 6), (8, 7), (8, 4), (9, 8)])
    chain, chain_root = _relabel(_chain(3000), 2999, 3000, rng)
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
        Case((chain, chain_root), label="a chain 3000 nodes long, numbered at random",
             hint="A recursive search stops at Python's recursion limit (about 1000 calls deep). "
                  "Keep your own stack of nodes still to visit instead of recursing."),
    ]


def _topo_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for n in (int(rng.integers(5, 12)), int(rng.integers(20, 60)), int(rng.integers(100, 300))):
        dag = _random_dag(rng, n)
        extra = int(rng.integers(1, 4))  # nodes computed from the graph that the root does not depend on
        spare = _edges([(n + k, int(rng.integers(0, n))) for k in range(extra)])
        edges, root = _relabel(np.concatenate([dag, spare]), n - 1, n + extra, rng)
        cases.append(Case((edges, root), label="a random expression graph, numbered at random"))
    dup = _random_dag(rng, 8)
    cases.append(Case(_relabel(np.concatenate([dup, dup[:3]]), 7, 8, rng), label="edges listed twice"))
    n = int(rng.integers(3000, 5000))
    cases.append(Case(_relabel(_chain(n), n - 1, n, rng), label="a long chain, numbered at random"))
    cases.append(Case((_edges([]), int(rng.integers(0, 50))), label="a root with no inputs"))
    return cases


register(Exercise(
    id="03.topo", function="topological_order", reference=None, score=_topo_score,
    visible=_topo_visible, hidden=_topo_hidden,
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


def _linear_case(rng: np.random.Generator, n: int, d: int, m: int, label: str) -> Case:
    x, W, b = rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m)
    return Case((rng.normal(size=(n, m)), (x, W, b)), label=label)


def _linear_visible() -> list[Case]:
    rng = np.random.default_rng(4)
    one = Case((np.array([[1.0, -1.0, 2.0]]), (np.array([[1.0, 2.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                                                 np.zeros(3))), label="one sample, 2 inputs, 3 outputs")
    return [
        one,
        _linear_case(rng, 4, 3, 2, "a batch of 4: db and dW sum over the batch"),
        _linear_case(rng, 3, 3, 3, "square shapes: W and W.T, x.T @ dout and dout.T @ x differ"),
    ]


def _linear_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [_linear_case(rng, *(int(v) for v in rng.integers(1, 8, size=3)), "random shapes") for _ in range(4)]
    d = int(rng.integers(2, 6))
    cases.append(_linear_case(rng, d, d, d, "square shapes"))
    cases.append(_linear_case(rng, 1, int(rng.integers(2, 6)), int(rng.integers(2, 6)), "a batch of one"))
    return cases


register(Exercise(
    id="03.linear", function="linear_backward", reference=linear_backward,
    visible=_linear_visible, hidden=_linear_hidden,
    forbidden=("dlkit.reference.layers.linear_backward",),
    hint="Let the shapes guide you: dx is (N, D) like x, dW is (M, D) like W, db is (M,) like b; each is built "
         "from dout (N, M) and one other array, and dW and db add up the contributions of all N samples.",
))


# -- 4. relu backward --------------------------------------------------------------------

def relu_backward(dout, cache):
    """Answer key: ``dout`` where the forward input ``cache`` (x) was > 0, else 0."""
    _, ref_cache = ref.relu_forward(cache)
    return ref.relu_backward(dout, ref_cache)


def _relu_visible() -> list[Case]:
    return [
        Case((np.array([1.0, 2.0, 3.0, 4.0]), np.array([-2.0, -0.5, 0.5, 2.0])), label="negative inputs send back 0"),
        Case((np.array([[5.0, -5.0], [2.0, 7.0]]), np.array([[1.0, 1.0], [-1.0, 0.0]])),
             label="x = 0 sends back 0, as torch; dout keeps its sign",
             hint="Keep dout where x > 0 (strictly), 0 elsewhere; do not change dout itself."),
    ]


def _relu_hidden(rng: np.random.Generator) -> list[Case]:
    cases = []
    for _ in range(4):
        shape = tuple(int(s) for s in rng.integers(1, 7, size=rng.integers(1, 4)))
        x = rng.normal(size=shape)
        x[rng.random(shape) < 0.2] = 0.0
        cases.append(Case((rng.normal(size=shape), x), label="random shapes, some x exactly 0"))
    return cases


register(Exercise(
    id="03.relu", function="relu_backward", reference=relu_backward,
    visible=_relu_visible, hidden=_relu_hidden,
    forbidden=("dlkit.reference.activations.relu_backward",),
    hint="ReLU passes its input on where x > 0 and blocks it elsewhere; its gradient does the same to dout.",
))


# -- 5. softmax cross-entropy ------------------------------------------------------------

def softmax_cross_entropy(logits, y):
    """Answer key: mean cross-entropy of integer labels over raw logits, and its gradient."""
    return ref.cross_entropy(logits, y)


def _ce_case(rng: np.random.Generator, n: int, k: int, label: str, scale: float = 2.0) -> Case:
    return Case((rng.normal(0, scale, size=(n, k)), rng.integers(0, k, size=n)), label=label)


def _ce_visible() -> list[Case]:
    rng = np.random.default_rng(5)
    return [
        Case((np.zeros((1, 2)), np.array([0])), label="equal logits: loss log 2, gradient [-0.5, 0.5]"),
        _ce_case(rng, 4, 3, "a batch of 4: the loss is the mean, so the gradient is divided by N",
                 ),
        Case((np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 1000.0]]), np.array([0, 0])),
             label="very large logits, one row very wrong (its loss is about 1000)",
             hint="exp(1000) overflows. Subtract each row's maximum first, and take the log of the "
                  "softmax as z - max - log(sum(exp(z - max)))."),
    ]


def _ce_hidden(rng: np.random.Generator) -> list[Case]:
    cases = [_ce_case(rng, int(rng.integers(1, 9)), int(rng.integers(2, 7)), "random logits") for _ in range(4)]
    cases.append(_ce_case(rng, 5, 4, "very large logits", scale=600.0))
    cases.append(_ce_case(rng, 1, int(rng.integers(2, 6)), "a batch of one"))
    return cases


register(Exercise(
    id="03.softmax_ce", function="softmax_cross_entropy", reference=softmax_cross_entropy,
    visible=_ce_visible, hidden=_ce_hidden, strict_float=True,
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


def _held_out(n: int, seed: int, label: str) -> Case:
    X, y = spirals(n, seed)
    return Case((X,), secret=y, label=label)


register(Exercise(
    id="03.spirals", function="spiral_model", reference=None, kind="model",
    score=accuracy_at_least(SPIRAL_TARGET),
    visible=lambda: [_held_out(1500, 1, "1500 new spiral points, not the ones you trained on")],
    hidden=lambda rng: [_held_out(1500, int(rng.integers(2, 2**31)), "new spiral points")],
    hint="Train longer or with a larger learning rate until the training accuracy is near 99%; "
         "check that the loss goes down. The update is W -= lr * dW (minus: downhill).",
))
