"""Layer objects over the functional layers, and ``Sequential`` (lessons 03, 05, 06).

Each layer object wraps one ``*_forward`` / ``*_backward`` pair and remembers
its cache between the two calls, so a network reads like torch::

    model = Sequential(Linear(2, 64, rng=rng), ReLU(), Linear(64, 3, rng=rng))
    logits = model.forward(x)
    loss, dlogits = cross_entropy(logits, y)
    model.backward(dlogits)          # fills every layer's grads
    optimizer.step()                 # see dlkit.reference.optim
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_int, check_real
from .activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from .layers import (
    as_generator,
    batchnorm_backward,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    embedding_backward,
    embedding_forward,
    linear_backward,
    linear_forward,
)


class Module:
    """Base class of every layer object. The contract a new layer (``Conv2d``, ``LSTM``, ...) follows:

    - ``__init__`` calls ``super().__init__()``, then puts each learned array in
      ``self.params[name]`` (torch's names: ``"weight"``, ``"bias"``, ...). Running
      statistics and other non-learned state are plain attributes.
    - ``forward(x)`` computes the output with the functional ``*_forward``, keeps the
      cache with ``self._cache = cache`` and returns the output. It reads
      ``self.training`` when train and eval differ.
    - ``backward(dout)`` gets the cache with ``self._saved()`` (which explains what to
      do when forward was not called), stores every parameter gradient in
      ``self.grads[name]`` (same keys and shapes as ``params``; overwritten, not
      accumulated) and returns the gradient with respect to the input (None when the
      input is not differentiable, as for ``Embedding``).
    - ``extra_repr()`` returns the constructor arguments for a short ``repr``.

    Optimizers replace the arrays in ``params`` with updated ones (they never modify
    an array in place), so always read ``self.params[name]`` inside ``forward``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True
        self._cache = None

    # ---- modes
    def train(self, mode: bool = True) -> "Module":
        """Switch to training mode (or eval when ``mode`` is False), here and in every sub-layer; returns self."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Switch to evaluation mode (dropout off, batch norm uses running statistics); returns self."""
        return self.train(False)

    # ---- structure
    def children(self) -> list["Module"]:
        """The layers directly inside this one (none for a plain layer)."""
        return []

    def modules(self):
        """This layer and every layer inside it, depth first."""
        yield self
        for child in self.children():
            yield from child.modules()

    def zero_grad(self) -> None:
        """Set every gradient to zeros (here and in sub-layers)."""
        for module in self.modules():
            if not module.children():  # containers only hold views of their layers' grads
                module.grads = {name: np.zeros_like(p) for name, p in module.params.items()}

    # ---- computation
    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x).")

    def backward(self, dout):
        raise NotImplementedError(f"{type(self).__name__} must implement backward(dout).")

    def __call__(self, x):
        return self.forward(x)

    def _saved(self):
        """The cache of the last forward, or a helpful error when there was none."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward; call forward(x) first.")
        return self._cache

    # ---- printing
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _uniform(rng: np.random.Generator, bound: float, shape: tuple, dtype) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


class Linear(Module):
    r"""Affine layer ``out = x W^T + b``, as ``torch.nn.Linear``.

    Shape: input ``(*, in_features)``, output ``(*, out_features)``;
    ``params["weight"]`` is ``(out_features, in_features)``, ``params["bias"]`` ``(out_features,)``.

    Init (torch's default): every weight and bias entry is drawn from
    :math:`U(-1/\sqrt{\text{in\_features}},\ 1/\sqrt{\text{in\_features}})` using ``rng``
    (a ``np.random.Generator`` or an int seed).

    Example::

        >>> layer = Linear(3, 2, rng=0)
        >>> layer.forward(np.ones((4, 3))).shape
        (4, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rng=None, dtype=np.float64):
        super().__init__()
        self.in_features = check_int(in_features, "in_features", low=1)
        self.out_features = check_int(out_features, "out_features", low=1)
        rng = as_generator(rng)
        bound = 1 / np.sqrt(self.in_features)
        self.params["weight"] = _uniform(rng, bound, (self.out_features, self.in_features), dtype)
        if bias:
            self.params["bias"] = _uniform(rng, bound, (self.out_features,), dtype)
        self.zero_grad()

    def forward(self, x):
        out, self._cache = linear_forward(x, self.params["weight"], self.params.get("bias"))
        return out

    def backward(self, dout):
        dx, dW, db = linear_backward(dout, self._saved())
        self.grads["weight"] = dW
        if db is not None:
            self.grads["bias"] = db
        return dx

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={'bias' in self.params}"


class _Activation(Module):
    """A parameter-free layer over one forward/backward pair."""

    _forward = staticmethod(relu_forward)
    _backward = staticmethod(relu_backward)

    def forward(self, x):
        out, self._cache = type(self)._forward(x)
        return out

    def backward(self, dout):
        return type(self)._backward(dout, self._saved())


class ReLU(_Activation):
    """``max(0, x)`` element-wise, as ``torch.nn.ReLU``. Shape: ``(*)`` -> ``(*)``. Example: ``ReLU().forward(x)``."""


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))`` element-wise, as ``torch.nn.Sigmoid``. Shape: ``(*)`` -> ``(*)``. Example: ``Sigmoid().forward(x)``."""

    _forward = staticmethod(sigmoid_forward)
    _backward = staticmethod(sigmoid_backward)


class Tanh(_Activation):
    """``tanh(x)`` element-wise, as ``torch.nn.Tanh``. Shape: ``(*)`` -> ``(*)``. Example: ``Tanh().forward(x)``."""

    _forward = staticmethod(tanh_forward)
    _backward = staticmethod(tanh_backward)


class LeakyReLU(Module):
    """``x`` if ``x > 0`` else ``negative_slope * x``, as ``torch.nn.LeakyReLU``. Shape: ``(*)`` -> ``(*)``.

    Example: ``LeakyReLU(0.1).forward(np.array([-1.0, 2.0]))`` gives ``array([-0.1, 2.])``.
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check_real(negative_slope, "negative_slope")

    def forward(self, x):
        out, self._cache = leaky_relu_forward(x, self.negative_slope)
        return out

    def backward(self, dout):
        return leaky_relu_backward(dout, self._saved())

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Dropout(Module):
    """Inverted dropout, as ``torch.nn.Dropout``; the identity in eval mode. Shape: ``(*)`` -> ``(*)``.

    ``rng`` (a ``np.random.Generator`` or int seed) makes the masks reproducible.

    Example::

        >>> Dropout(0.5, rng=0).eval().forward(np.ones(2))
        array([1., 1.])
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        self.p = check_real(p, "p", low=0.0, high=1.0)
        self.rng = as_generator(rng)

    def forward(self, x):
        out, self._cache = dropout_forward(x, self.p, train=self.training, rng=self.rng)
        return out

    def backward(self, dout):
        return dropout_backward(dout, self._saved())

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    r"""Batch normalisation over ``(N, C)`` or ``(N, C, L)`` inputs, as ``torch.nn.BatchNorm1d``.

    ``params``: ``"weight"`` (gamma, init ones) and ``"bias"`` (beta, init zeros), ``(C,)``.
    ``running_mean`` (zeros) and ``running_var`` (ones) are updated in training with
    ``momentum`` and used in eval mode. See :func:`batchnorm_forward` for the formula.

    Example::

        >>> bn = BatchNorm1d(2)
        >>> bn.forward(np.array([[1.0, 2.0], [3.0, 6.0]])).round(3).tolist()
        [[-1.0, -1.0], [1.0, 1.0]]
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *, dtype=np.float64):
        super().__init__()
        self.num_features = check_int(num_features, "num_features", low=1)
        self.eps = check_real(eps, "eps", low=0.0, low_inclusive=False)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0)
        self.params["weight"] = np.ones(self.num_features, dtype=dtype)
        self.params["bias"] = np.zeros(self.num_features, dtype=dtype)
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)
        self.zero_grad()

    def forward(self, x):
        x = as_float_array(x, "x", ndim=(2, 3))
        out, cache = batchnorm_forward(
            x, self.params["weight"], self.params["bias"], self.running_mean, self.running_var,
            train=self.training, momentum=self.momentum, eps=self.eps,
        )
        self.running_mean, self.running_var = cache.running_mean, cache.running_var
        self._cache = cache
        return out

    def backward(self, dout):
        dx, self.grads["weight"], self.grads["bias"] = batchnorm_backward(dout, self._saved())
        return dx

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors, as ``torch.nn.Embedding``.

    Shape: input ``(*)`` integer indices, output ``(*, embedding_dim)``;
    ``params["weight"]`` is ``(num_embeddings, embedding_dim)``, init N(0, 1) like torch.
    ``backward`` returns None: integer indices have no gradient.

    Example::

        >>> Embedding(10, 3, rng=0).forward(np.array([[1, 2]])).shape
        (1, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *, rng=None, dtype=np.float64):
        super().__init__()
        self.num_embeddings = check_int(num_embeddings, "num_embeddings", low=1)
        self.embedding_dim = check_int(embedding_dim, "embedding_dim", low=1)
        shape = (self.num_embeddings, self.embedding_dim)
        self.params["weight"] = as_generator(rng).standard_normal(shape).astype(dtype)
        self.zero_grad()

    def forward(self, indices):
        out, self._cache = embedding_forward(indices, self.params["weight"])
        return out

    def backward(self, dout):
        self.grads["weight"] = embedding_backward(dout, self._saved())
        return None

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Sequential(Module):
    """Layers applied one after another, as ``torch.nn.Sequential``.

    ``forward`` runs the layers in order; ``backward`` runs their backward passes in
    reverse and returns the gradient with respect to the input. ``params`` and
    ``grads`` are read-only views keyed like torch's ``state_dict`` (``"0.weight"``);
    optimizers update the layers themselves.

    Example::

        >>> net = Sequential(Linear(2, 4, rng=0), ReLU(), Linear(4, 1, rng=1))
        >>> net.forward(np.zeros((5, 2))).shape
        (5, 1)
    """

    def __init__(self, *layers: Module):
        # no super().__init__(): params and grads are the read-only views below
        self.training = True
        self._cache = None
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential takes layer objects (dlkit.reference.modules.Module), got {type(layer).__name__} "
                    f"at position {i}. Write Sequential(Linear(2, 3), ReLU()), not Sequential([...]) or a function."
                )
        self.layers = list(layers)

    def children(self) -> list[Module]:
        return self.layers

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{name}": p for i, layer in enumerate(self.layers) for name, p in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{name}": g for i, layer in enumerate(self.layers) for name, g in layer.grads.items()}

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __repr__(self) -> str:
        lines = [f"  ({i}): {layer!r}".replace("\n", "\n  ") for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"
