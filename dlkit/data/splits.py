"""The container every loader returns: train/validation/test arrays plus a one-line description."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from dlkit.reference._validate import check_int, check_real

SPLIT_NAMES = ("train", "val", "test")


class SplitTensors(NamedTuple):
    """The six split arrays of a :class:`DataSplits` as torch tensors (copies)."""

    X_train: "torch.Tensor"  # noqa: F821 (torch is imported lazily)
    y_train: "torch.Tensor"  # noqa: F821
    X_val: "torch.Tensor"  # noqa: F821
    y_val: "torch.Tensor"  # noqa: F821
    X_test: "torch.Tensor"  # noqa: F821
    y_test: "torch.Tensor"  # noqa: F821


@dataclass(repr=False, eq=False)
class DataSplits:
    """A dataset split into train, validation and test parts.

    Shape:
        - ``X_train``: ``(N_train, *input_shape)``; ``y_train``: ``(N_train,)`` for
          classification (int64 class indices) or ``(N_train, *target_shape)``
          for regression and forecasting (float32). The same for ``val`` and ``test``.

    Attributes:
        name: short name, e.g. ``"iris"``.
        X_train, y_train, X_val, y_val, X_test, y_test: numpy arrays.
        classes: class names (``classes[y]`` names label ``y``), or None for regression.
        source: where the data comes from, e.g. ``"scikit-learn load_iris (UCI)"``.
        task: ``"classification"``, ``"regression"`` or ``"language-model"``.
        feature_names: names of the columns of a tabular ``X``, else None.
        notes: preprocessing in words, e.g. ``"standardized with train mean/std"``.
        info: anything else a lesson may want (scaler statistics, raw series, ...).

    Examples:
        >>> from dlkit import data
        >>> ds = data.load_iris(seed=0)
        >>> ds.X_train.shape, ds.classes
        ((104, 4), ('setosa', 'versicolor', 'virginica'))
        >>> train_dl, val_dl, test_dl = ds.dataloaders(batch_size=32)
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...] | None
    source: str
    task: str = "classification"
    feature_names: tuple[str, ...] | None = None
    notes: str = ""
    seed: int | None = None
    info: dict = field(default_factory=dict)

    # ---- what a learner reads -------------------------------------------------
    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. ``(4,)`` for iris or ``(1, 8, 8)`` for digit images."""
        return tuple(self.X_train.shape[1:])

    @property
    def n_classes(self) -> int | None:
        """Number of classes, or None when the task is not classification."""
        return None if self.classes is None else len(self.classes)

    def split(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(X, y)`` of one split: ``which`` is ``"train"``, ``"val"`` or ``"test"``."""
        if which not in SPLIT_NAMES:
            raise ValueError(f"which must be one of {SPLIT_NAMES}, got {which!r}.")
        return getattr(self, f"X_{which}"), getattr(self, f"y_{which}")

    @property
    def description(self) -> str:
        """One line: name, source, shapes and dtypes of each split, classes, preprocessing."""
        sizes = ", ".join(f"{s} {len(self.split(s)[0])}" for s in SPLIT_NAMES)
        x_dtype, y_dtype = self.X_train.dtype, self.y_train.dtype
        if x_dtype == object:
            what = "raw texts (str)"
        else:
            what = f"examples of shape {tuple(self.input_shape)} ({x_dtype})"
        parts = [f"{self.name}: {self.source}", f"{sizes} {what}"]
        if self.classes is not None:
            names = ", ".join(self.classes[:10]) + (", ..." if len(self.classes) > 10 else "")
            parts.append(f"{len(self.classes)} classes ({names}), labels {y_dtype}")
        else:
            parts.append(f"{self.task} target of shape {tuple(self.y_train.shape[1:])} ({y_dtype})")
        if self.notes:
            parts.append(self.notes)
        return "; ".join(parts)

    def __repr__(self) -> str:
        return self.description

    __str__ = __repr__

    # ---- torch ----------------------------------------------------------------
    def tensors(self) -> SplitTensors:
        """The six arrays as torch tensors (copies, so training never edits ``ds``).

        Features become float32 (token ids stay int64); classification labels int64;
        regression targets float32.
        """
        import torch

        out = []
        for which in SPLIT_NAMES:
            X, y = self.split(which)
            if X.dtype == object:
                raise TypeError(
                    f"{self.name} holds raw text in X_{which}; turn it into token ids first, "
                    "e.g. vocab = data.WordVocab.build(ds.X_train); X = vocab.encode_batch(ds.X_train, max_len=200)."
                )
            X_dtype = torch.int64 if np.issubdtype(X.dtype, np.integer) else torch.float32
            y_dtype = torch.int64 if np.issubdtype(y.dtype, np.integer) else torch.float32
            out += [torch.tensor(X, dtype=X_dtype), torch.tensor(y, dtype=y_dtype)]
        return SplitTensors(*out)

    def torch_datasets(self):
        """``(train, val, test)`` as ``torch.utils.data.TensorDataset`` objects."""
        from torch.utils.data import TensorDataset

        t = self.tensors()
        return TensorDataset(t.X_train, t.y_train), TensorDataset(t.X_val, t.y_val), TensorDataset(t.X_test, t.y_test)

    def dataloaders(self, batch_size: int = 64, shuffle: bool = True, *, num_workers: int = 0,
                    drop_last: bool = False, seed: int | None = None):
        """Return ``(train_dl, val_dl, test_dl)``, torch DataLoaders over the three splits.

        Args:
            batch_size: examples per batch (the last batch may be smaller).
            shuffle: shuffle the training split each epoch; validation and test are never shuffled.
            num_workers: worker processes (0 loads in the main process, best for small sets).
            drop_last: drop the last incomplete training batch.
            seed: seeds the shuffling order; defaults to the dataset's seed, so two runs match.

        Examples:
            >>> train_dl, val_dl, test_dl = data.load_digits().dataloaders(batch_size=64)
            >>> xb, yb = next(iter(train_dl))    # xb: (64, 64) float32, yb: (64,) int64
        """
        import torch
        from torch.utils.data import DataLoader

        batch_size = check_int(batch_size, "batch_size", low=1)
        num_workers = check_int(num_workers, "num_workers", low=0)
        seed = self.seed if seed is None else check_int(seed, "seed")
        generator = torch.Generator()
        generator.manual_seed(0 if seed is None else seed)
        train, val, test = self.torch_datasets()
        common = dict(batch_size=batch_size, num_workers=num_workers)
        return (
            DataLoader(train, shuffle=bool(shuffle), drop_last=bool(drop_last), generator=generator, **common),
            DataLoader(val, shuffle=False, **common),
            DataLoader(test, shuffle=False, **common),
        )


def three_way_split(X: np.ndarray, y: np.ndarray, *, val_size: float, test_size: float, seed: int,
                    stratify: bool) -> tuple[np.ndarray, ...]:
    """Split ``X, y`` at random into ``(X_train, y_train, X_val, y_val, X_test, y_test)``.

    ``val_size`` and ``test_size`` are fractions of the whole set. With ``stratify``
    every split keeps the class proportions of ``y`` (to within one example).
    Input arrays are not modified; the outputs are new arrays.
    """
    val_size = check_real(val_size, "val_size", low=0.0, high=1.0, high_inclusive=False)
    test_size = check_real(test_size, "test_size", low=0.0, high=1.0, high_inclusive=False)
    seed = check_int(seed, "seed", low=0)
    if val_size + test_size >= 1.0:
        raise ValueError(
            f"val_size + test_size must be below 1 so that something is left to train on, "
            f"got {val_size} + {test_size}. Try val_size=0.15, test_size=0.15."
        )
    index = np.arange(len(X))
    labels = y if stratify else None
    rest, test = _split_index(index, labels, test_size, seed)
    # val_size is a fraction of the whole set; rescale it to a fraction of what is left.
    rest_labels = y[rest] if stratify else None
    train, val = _split_index(rest, rest_labels, val_size / (1.0 - test_size), seed + 1)
    return X[train], y[train], X[val], y[val], X[test], y[test]


def _split_index(index: np.ndarray, labels, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if fraction == 0.0:
        return index, index[:0]
    from sklearn.model_selection import train_test_split  # here, not at the top: importing sklearn takes ~1 s

    try:
        return train_test_split(index, test_size=fraction, random_state=seed, stratify=labels, shuffle=True)
    except ValueError as err:  # sklearn's words assume its own argument names; say it in ours
        raise ValueError(
            f"cannot split {len(index)} examples into parts of {1 - fraction:.0%} and {fraction:.0%} keeping the "
            f"class proportions: {err} Use more examples or a larger val_size/test_size."
        ) from None


def train_val_split(X: np.ndarray, y: np.ndarray, *, val_size: float, seed: int, stratify: bool):
    """Split an official training set into ``(X_train, y_train, X_val, y_val)`` (test kept as published)."""
    val_size = check_real(val_size, "val_size", low=0.0, high=1.0, high_inclusive=False)
    seed = check_int(seed, "seed", low=0)
    train, val = _split_index(np.arange(len(X)), y if stratify else None, val_size, seed)
    return X[train], y[train], X[val], y[val]


def standardize(splits: tuple[np.ndarray, ...]) -> tuple[tuple[np.ndarray, ...], dict]:
    """Standardize the X arrays of ``(X_train, y_train, X_val, y_val, X_test, y_test)`` with train statistics.

    Formula: ``x' = (x - mean_train) / std_train`` per feature (std of a constant
    feature is taken as 1). Only the training split is used to compute the
    statistics, so nothing leaks from validation or test.
    Returns the new tuple and ``{"mean": ..., "std": ...}``.
    """
    X_train = splits[0]
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    out = list(splits)
    for i in (0, 2, 4):
        out[i] = ((splits[i] - mean) / std).astype(np.float32)
    return tuple(out), {"mean": mean.astype(np.float32), "std": std.astype(np.float32)}
