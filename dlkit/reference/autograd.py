"""``Value``: a scalar that remembers how it was computed, and backpropagates (lesson 03).

Micrograd-sized: every operation computes its result and, right beside it, the
rule that sends the gradient back to its inputs. ``backward()`` visits the graph
in reverse topological order and applies those rules.

Example::

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + a.tanh()
    >>> c.backward()
    >>> round(a.grad, 6), b.grad      # dc/da = b + (1 - tanh(a)^2), dc/db = a
    (-2.929349, 2.0)
"""

from __future__ import annotations

import math

import numpy as np


def _ieee(op, *args) -> float:
    """``op`` on float64 numbers with IEEE results, as torch gives them.

    Python's own float arithmetic raises where torch returns a value:
    ``0.0 ** -0.5`` (ZeroDivisionError), ``math.exp(1000)`` (OverflowError),
    ``(-8.0) ** (1/3)`` (a complex number). numpy's float64 returns inf, inf and
    nan instead, which is what torch returns for the same float64 tensors.
    """
    with np.errstate(all="ignore"):
        return float(op(*(np.float64(a) for a in args)))


class Value:
    """One scalar in a computation graph.

    Attributes:
        data: the number (a Python float).
        grad: d(output)/d(this value), filled by ``output.backward()``; starts at 0.
        label: an optional name for printing.

    Supports ``+ - * / **`` (power by a plain number), unary ``-``, and the methods
    ``exp``, ``log``, ``tanh``, ``relu``, ``sigmoid``. Plain numbers mix in freely:
    ``2 * Value(3.0)`` is a Value.

    Out-of-range results follow torch (float64), never a Python exception:
    ``1 / Value(0.0)`` is inf, ``Value(1000.0).exp()`` is inf,
    ``Value(0.0) ** 0.5`` has gradient inf, ``Value(-8.0) ** (1/3)`` and
    ``Value(-1.0).log()`` are nan, ``Value(0.0).log()`` is -inf.

    Example::

        >>> a, b = Value(2.0), Value(-3.0)
        >>> y = a * b + a          # y = ab + a
        >>> y.backward()
        >>> a.grad, b.grad         # dy/da = b + 1, dy/db = a
        (-2.0, 2.0)
    """

    def __init__(self, data, _children: tuple = (), _op: str = "", label: str = ""):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            if hasattr(data, "item") and getattr(data, "size", 2) == 1:
                data = data.item()  # a numpy scalar or 1-element array
            else:
                raise TypeError(
                    f"Value holds one number, got {type(data).__name__} ({data!r}). "
                    "Use Value(float(x)); for arrays use the numpy layers in dlkit.reference."
                )
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._backward = lambda: None  # sends self.grad to the children; set by the op that made self
        self._prev = tuple(_children)
        self._op = _op

    @staticmethod
    def _wrap(other) -> "Value":
        return other if isinstance(other, Value) else Value(other)

    # ---- arithmetic: result and local gradient rule side by side
    def __add__(self, other) -> "Value":
        other = self._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a+b)/da = 1, d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other) -> "Value":
        other = self._wrap(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k) -> "Value":
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            raise TypeError(f"Value ** k needs a plain number k, got {type(k).__name__}; use (a.log() * b).exp().")
        out = Value(_ieee(np.power, self.data, k), (self,), f"**{k}")

        def _backward():  # d(a^k)/da = k a^(k-1); 0 for k = 0 (a constant), as torch
            if k != 0:
                self.grad += k * _ieee(np.power, self.data, k - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> "Value":
        out = Value(_ieee(np.exp, self.data), (self,), "exp")

        def _backward():  # d(e^a)/da = e^a
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> "Value":
        out = Value(_ieee(np.log, self.data), (self,), "log")  # -inf at 0, nan below, as torch

        def _backward():  # d(log a)/da = 1/a
            self.grad += _ieee(np.divide, out.grad, self.data)

        out._backward = _backward
        return out

    def tanh(self) -> "Value":
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():  # d(tanh a)/da = 1 - tanh(a)^2
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> "Value":
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():  # 1 where a > 0, else 0 (0 at a = 0, as torch)
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> "Value":
        z = math.exp(-abs(self.data))  # stable for large |a|
        s = 1 / (1 + z) if self.data >= 0 else z / (1 + z)
        out = Value(s, (self,), "sigmoid")

        def _backward():  # d(sigma(a))/da = sigma(a) (1 - sigma(a))
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    # ---- everything else is made of the operations above
    def __neg__(self) -> "Value":
        return self * -1

    def __sub__(self, other) -> "Value":
        return self + (-self._wrap(other))

    def __truediv__(self, other) -> "Value":
        return self * self._wrap(other) ** -1

    def __radd__(self, other) -> "Value":
        return self + other

    def __rmul__(self, other) -> "Value":
        return self * other

    def __rsub__(self, other) -> "Value":
        return self._wrap(other) - self

    def __rtruediv__(self, other) -> "Value":
        return self._wrap(other) / self

    # ---- backpropagation
    def backward(self) -> None:
        """Fill ``.grad`` of every Value this one depends on with d(self)/d(that value).

        Gradients accumulate (``+=``), so call it once per fresh graph; a value used
        twice receives both contributions.
        """
        # Order the graph so every node comes after everything it was computed from
        # (a depth-first search with an explicit stack, so long chains cannot hit
        # Python's recursion limit).
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            v, inputs_done = stack.pop()
            if inputs_done:
                order.append(v)
            elif v not in seen:
                seen.add(v)
                stack.append((v, True))  # revisit v once all its inputs are ordered
                stack.extend((child, False) for child in v._prev)
        # Walk it backwards: a node's grad is complete before it is passed on.
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{name})"
