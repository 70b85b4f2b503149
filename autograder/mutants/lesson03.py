"""Plausible wrong answers (mutants) and other correct answers for lesson 03's exercises.

Each source is a complete answer cell, executable with ``import numpy as np`` in
scope. The ``spirals`` sources train the notebook's ``TwoLayerNet`` with the
earlier answers, so they need those cells first (see :data:`REQUIRES`: exercise
names are answer cells, other entries are grade ids of locked cells).

- :data:`MUTANTS`: exercise name -> ``[(description, source), ...]``, answers a
  student could plausibly write that the exercise's checks must reject.
- :data:`ALTERNATIVES`: exercise name -> ``[(description, source), ...]``,
  correct answers written differently from the solution, which the checks must
  accept.
"""

from __future__ import annotations

from textwrap import dedent

#: Lesson number as used in exercise ids (``"03.rules"``).
LESSON = "03"

#: What an exercise's sources need first: earlier exercises, or grade ids of locked cells.
REQUIRES: dict[str, tuple[str, ...]] = {
    "spirals": ("imports", "forwards", "linear", "relu", "softmax_ce", "two-layer-net", "spiral-data"),
}


def _src(text: str) -> str:
    """An answer cell's source from an indented triple-quoted string."""
    return dedent(text).strip() + "\n"


def _rule(body: str) -> str:
    """A ``backward_rule`` whose branches are ``body`` (indented by 4)."""
    return _src("def backward_rule(op, a, b, out, dout):\n" + dedent(body).strip("\n").replace("\n", "\n    ")
                .join(["    ", ""]))


_RULES_OK = """
if op == "+":
    return dout, dout
if op == "*":
    return b * dout, a * dout
if op == "**":
    return b * a ** (b - 1) * dout, 0.0
if op == "exp":
    return out * dout, 0.0
if op == "tanh":
    return (1 - out**2) * dout, 0.0
return (dout if a > 0 else 0.0), 0.0
"""


def _rules_with(old: str, new: str) -> str:
    assert old in _RULES_OK, old
    return _rule(_RULES_OK.replace(old, new))


def _train(update: str = "net.params[name] -= learning_rate * grads[name]", steps: int = 2000,
           learning_rate: float = 1.0, names: str = "net.params") -> str:
    return _src(f"""
        spiral_model = None
        net = TwoLayerNet(2, 64, 3, seed=0)
        learning_rate = {learning_rate}
        for step in range({steps}):
            scores, caches = net.forward(X_train)
            loss, dscores = softmax_cross_entropy(scores, y_train)
            grads = net.backward(dscores, caches)
            for name in {names}:
                {update}
        spiral_model = net
    """)


MUTANTS: dict[str, list[tuple[str, str]]] = {
    "rules": [
        ("local derivatives only: forgets to multiply by dout", _rule(_RULES_OK.replace(" * dout", "")
                                                                      .replace("dout, dout", "1.0, 1.0")
                                                                      .replace("(dout if", "(1.0 if"))),
        ("'*' gives each input its own value instead of the other one", _rules_with(
            "return b * dout, a * dout", "return a * dout, b * dout")),
        ("tanh: 1 - tanh(a) instead of 1 - tanh(a)**2", _rules_with(
            "(1 - out**2) * dout", "(1 - out) * dout")),
        ("power rule without lowering the exponent: k a^k", _rules_with(
            "b * a ** (b - 1) * dout", "b * a ** b * dout")),
        ("ReLU passes dout on at a = 0 too (a >= 0)", _rules_with("a > 0", "a >= 0")),
        ("'+' sends the gradient to the first input only", _rules_with(
            "return dout, dout", "return dout, 0.0")),
        ("exp: its derivative taken as a (confusing e^a with the input)", _rules_with(
            "out * dout", "a * dout")),
    ],
    "topo": [
        ("micrograd's recursive build_topo: stops at Python's recursion limit on a long chain", _src("""
            def topological_order(edges, root):
                inputs_of = {}
                for node, source in edges.tolist():
                    inputs_of.setdefault(node, []).append(source)
                order, visited = [], set()
                def visit(node):
                    if node not in visited:
                        visited.add(node)
                        for source in inputs_of.get(node, []):
                            visit(source)
                        order.append(node)
                visit(int(root))
                return order
        """)),
        ("pre-order: appends a node before its inputs", _src("""
            def topological_order(edges, root):
                inputs_of = {}
                for node, source in edges.tolist():
                    inputs_of.setdefault(node, []).append(source)
                order, visited, stack = [], set(), [int(root)]
                while stack:
                    node = stack.pop()
                    if node not in visited:
                        visited.add(node)
                        order.append(node)
                        stack.extend(inputs_of.get(node, []))
                return order[::-1][::-1]
        """)),
        ("no visited set: a node reached twice is listed twice", _src("""
            def topological_order(edges, root):
                inputs_of = {}
                for node, source in edges.tolist():
                    inputs_of.setdefault(node, []).append(source)
                order, stack = [], [(int(root), False)]
                while stack:
                    node, inputs_done = stack.pop()
                    if inputs_done:
                        order.append(node)
                    else:
                        stack.append((node, True))
                        stack.extend((source, False) for source in inputs_of.get(node, []))
                return order
        """)),
        ("every node sorted by number: assumes nodes are numbered in creation order", _src("""
            def topological_order(edges, root):
                return sorted(set(edges.ravel().tolist()) | {int(root)})
        """)),
        ("breadth-first from the root, reversed: a node used near the root and deep down comes too late", _src("""
            def topological_order(edges, root):
                inputs_of = {}
                for node, source in edges.tolist():
                    inputs_of.setdefault(node, []).append(source)
                order, visited, queue = [], {int(root)}, [int(root)]
                while queue:
                    node = queue.pop(0)
                    order.append(node)
                    for source in inputs_of.get(node, []):
                        if source not in visited:
                            visited.add(source)
                            queue.append(source)
                return order[::-1]
        """)),
    ],
    "linear": [
        ("dW = x.T @ dout: the transpose of the gradient, shape (D, M)", _src("""
            def linear_backward(dout, cache):
                x, W, b = cache
                return dout @ W, x.T @ dout, dout.sum(axis=0)
        """)),
        ("db averaged over the batch instead of summed", _src("""
            def linear_backward(dout, cache):
                x, W, b = cache
                return dout @ W, dout.T @ x, dout.mean(axis=0)
        """)),
        ("dx = dout @ W.T: only the shapes of a square W fit", _src("""
            def linear_backward(dout, cache):
                x, W, b = cache
                return dout @ W.T, dout.T @ x, dout.sum(axis=0)
        """)),
        ("db summed over everything: one number instead of one per output", _src("""
            def linear_backward(dout, cache):
                x, W, b = cache
                return dout @ W, dout.T @ x, dout.sum()
        """)),
        ("dW divided by the batch size, as if the layer averaged", _src("""
            def linear_backward(dout, cache):
                x, W, b = cache
                return dout @ W, dout.T @ x / x.shape[0], dout.sum(axis=0)
        """)),
    ],
    "relu": [
        ("passes dout on at x = 0 too (x >= 0)", _src("""
            def relu_backward(dout, cache):
                return np.where(cache >= 0, dout, 0.0)
        """)),
        ("zeroes the caller's dout in place", _src("""
            def relu_backward(dout, cache):
                dout[cache <= 0] = 0
                return dout
        """)),
        ("returns the local derivative without dout", _src("""
            def relu_backward(dout, cache):
                return (cache > 0).astype(float)
        """)),
        ("applies ReLU to dout instead of masking by x", _src("""
            def relu_backward(dout, cache):
                return np.maximum(dout, 0)
        """)),
    ],
    "softmax_ce": [
        ("textbook softmax without subtracting the maximum: exp overflows", _src("""
            def softmax_cross_entropy(logits, y):
                N = logits.shape[0]
                p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
                loss = -np.log(p[np.arange(N), y]).mean()
                grad = p.copy()
                grad[np.arange(N), y] -= 1
                return loss, grad / N
        """)),
        ("gradient not divided by N", _src("""
            def softmax_cross_entropy(logits, y):
                N = logits.shape[0]
                shifted = logits - logits.max(axis=1, keepdims=True)
                logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                grad = np.exp(logp)
                grad[np.arange(N), y] -= 1
                return -logp[np.arange(N), y].mean(), grad
        """)),
        ("loss summed over the batch instead of averaged", _src("""
            def softmax_cross_entropy(logits, y):
                N = logits.shape[0]
                shifted = logits - logits.max(axis=1, keepdims=True)
                logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                grad = np.exp(logp)
                grad[np.arange(N), y] -= 1
                return -logp[np.arange(N), y].sum(), grad / N
        """)),
        ("gradient is the softmax alone: forgets to subtract the one-hot label", _src("""
            def softmax_cross_entropy(logits, y):
                N = logits.shape[0]
                shifted = logits - logits.max(axis=1, keepdims=True)
                logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                return -logp[np.arange(N), y].mean(), np.exp(logp) / N
        """)),
        ("log of a clipped softmax: the loss saturates for very wrong large logits", _src("""
            def softmax_cross_entropy(logits, y):
                N = logits.shape[0]
                e = np.exp(logits - logits.max(axis=1, keepdims=True))
                p = e / e.sum(axis=1, keepdims=True)
                loss = -np.log(np.clip(p[np.arange(N), y], 1e-12, 1.0)).mean()
                grad = p.copy()
                grad[np.arange(N), y] -= 1
                return loss, grad / N
        """)),
    ],
    "spirals": [
        ("gradient ascent: the update adds the gradient", _train("net.params[name] += learning_rate * grads[name]")),
        ("stops after 100 steps: still underfits", _train(steps=100)),
        ("learning rate 0.01: the loss barely moves in 2000 steps", _train(learning_rate=0.01)),
        ("updates only the output layer (W2, b2)", _train(names='("W2", "b2")')),
    ],
}

ALTERNATIVES: dict[str, list[tuple[str, str]]] = {
    "rules": [
        ("a table of local derivatives, recomputing exp and tanh from a", _src("""
            def backward_rule(op, a, b, out, dout):
                local = {
                    "+": lambda: (1.0, 1.0),
                    "*": lambda: (b, a),
                    "**": lambda: (b * a ** (b - 1), 0.0),
                    "exp": lambda: (float(np.exp(a)), 0.0),
                    "tanh": lambda: (1.0 - float(np.tanh(a)) ** 2, 0.0),
                    "relu": lambda: (float(a > 0), 0.0),
                }[op]()
                return local[0] * dout, local[1] * dout
        """)),
    ],
    "topo": [
        ("Kahn's algorithm: repeatedly take a node whose inputs are all placed", _src("""
            def topological_order(edges, root):
                inputs_of, users_of = {}, {}
                for node, source in edges.tolist():
                    inputs_of.setdefault(node, set()).add(source)
                    users_of.setdefault(source, set()).add(node)
                needed, stack = {int(root)}, [int(root)]
                while stack:
                    for source in inputs_of.get(stack.pop(), ()):
                        if source not in needed:
                            needed.add(source)
                            stack.append(source)
                waiting = {n: len(inputs_of.get(n, ())) for n in needed}
                ready = [n for n, k in waiting.items() if k == 0]
                order = []
                while ready:
                    node = ready.pop()
                    order.append(node)
                    for user in users_of.get(node, ()):
                        if user in needed:
                            waiting[user] -= 1
                            if waiting[user] == 0:
                                ready.append(user)
                return np.array(order)
        """)),
        ("depth-first with an explicit stack of (node, next input index)", _src("""
            def topological_order(edges, root):
                inputs_of = {}
                for node, source in edges.tolist():
                    inputs_of.setdefault(node, []).append(source)
                order, visited, stack = [], {int(root)}, [(int(root), 0)]
                while stack:
                    node, i = stack.pop()
                    sources = inputs_of.get(node, [])
                    if i < len(sources):
                        stack.append((node, i + 1))
                        if sources[i] not in visited:
                            visited.add(sources[i])
                            stack.append((sources[i], 0))
                    else:
                        order.append(node)
                return order
        """)),
    ],
    "linear": [
        ("einsum, one index per axis", _src("""
            def linear_backward(dout, cache):
                x, W, b = cache
                dx = np.einsum("nm,md->nd", dout, W)
                dW = np.einsum("nm,nd->md", dout, x)
                return dx, dW, np.einsum("nm->m", dout)
        """)),
        ("one sample at a time, summing outer products", _src("""
            def linear_backward(dout, cache):
                x, W, b = cache
                dW, db = np.zeros_like(W), np.zeros_like(b)
                for n in range(x.shape[0]):
                    dW += np.outer(dout[n], x[n])
                    db += dout[n]
                return dout @ W, dW, db
        """)),
    ],
    "relu": [
        ("multiplies by the 0/1 mask", _src("""
            def relu_backward(dout, cache):
                return dout * (cache > 0)
        """)),
    ],
    "softmax_ce": [
        ("one-hot matrix from np.eye, log-sum-exp written out", _src("""
            def softmax_cross_entropy(logits, y):
                N, K = logits.shape
                m = logits.max(axis=1, keepdims=True)
                lse = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
                onehot = np.eye(K)[y]
                loss = np.sum(onehot * (lse - logits)) / N
                return loss, (np.exp(logits - lse) - onehot) / N
        """)),
    ],
    "spirals": [
        ("a larger learning rate for fewer steps, another initial seed", _src("""
            spiral_model = None
            net = TwoLayerNet(2, 64, 3, seed=3)
            for step in range(1500):
                scores, caches = net.forward(X_train)
                loss, dscores = softmax_cross_entropy(scores, y_train)
                grads = net.backward(dscores, caches)
                for name in net.params:
                    net.params[name] -= 2.0 * grads[name]
            spiral_model = net
        """)),
        ("mini-batch SGD, 32 points a step, 100 hidden units", _src("""
            spiral_model = None
            net = TwoLayerNet(2, 100, 3, seed=0)
            rng = np.random.default_rng(0)
            for epoch in range(150):
                order = rng.permutation(len(X_train))
                for start in range(0, len(X_train), 32):
                    batch = order[start:start + 32]
                    scores, caches = net.forward(X_train[batch])
                    loss, dscores = softmax_cross_entropy(scores, y_train[batch])
                    grads = net.backward(dscores, caches)
                    for name in net.params:
                        net.params[name] -= 0.5 * grads[name]
            spiral_model = net
        """)),
    ],
}
