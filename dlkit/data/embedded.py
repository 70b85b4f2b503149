"""Offline datasets: scikit-learn's bundled tables and 2-D generators (lessons 01-07, 10, 12).

Everything here works without a network: the tables ship inside scikit-learn
and the toy sets are generated from a seed. Every loader returns a
:class:`~dlkit.data.splits.DataSplits` with train/validation/test splits
(stratified for classification) and features as float32.
"""

from __future__ import annotations

import numpy as np

from dlkit.data.splits import DataSplits, standardize, three_way_split
from dlkit.reference._validate import check_choice, check_int, check_real

VAL_SIZE = 0.15
TEST_SIZE = 0.15


def _sklearn_datasets():
    """``sklearn.datasets``, imported on first use.

    Importing scikit-learn takes about a second (it pulls in scipy), and every
    lesson starts with ``from dlkit import data``; only the loaders that need it pay.
    """
    from sklearn import datasets

    return datasets


def _from_arrays(name: str, X: np.ndarray, y: np.ndarray, *, classes, source: str, seed: int,
                 val_size: float, test_size: float, scale: bool, task: str = "classification",
                 feature_names=None, notes: str = "") -> DataSplits:
    """Split, optionally standardize, and wrap arrays in a DataSplits."""
    seed = check_int(seed, "seed", low=0)
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64 if task == "classification" else np.float32)
    splits = three_way_split(X, y, val_size=val_size, test_size=test_size, seed=seed,
                             stratify=task == "classification")
    info = {}
    if scale:
        splits, info = standardize(splits)
        notes = "; ".join(n for n in (notes, "features standardized with train mean/std") if n)
    return DataSplits(name, *splits, classes=None if classes is None else tuple(classes), source=source,
                      task=task, feature_names=None if feature_names is None else tuple(feature_names),
                      notes=notes, seed=seed, info=info)


def _sklearn_table(loader: str, name: str, source: str, seed, val_size, test_size, standardize_):
    """One of scikit-learn's bundled tables, ``sklearn.datasets.<loader>()``, split into a DataSplits."""
    bunch = getattr(_sklearn_datasets(), loader)()
    return _from_arrays(name, bunch.data, bunch.target, classes=[str(c) for c in bunch.target_names],
                        source=source, seed=seed, val_size=val_size, test_size=test_size,
                        scale=standardize_, feature_names=list(bunch.feature_names))


def load_iris(seed: int = 0, *, val_size: float = VAL_SIZE, test_size: float = TEST_SIZE,
              standardize: bool = True) -> DataSplits:
    """Fisher's iris flowers: 150 examples, 4 measurements (cm), 3 species.

    Shape: ``X_*`` ``(N, 4)`` float32, ``y_*`` ``(N,)`` int64 in ``{0, 1, 2}``;
    about 70/15/15 % train/val/test, stratified.
    Source: ``sklearn.datasets.load_iris`` (UCI, Fisher 1936), bundled with scikit-learn.

    Example:
        >>> ds = load_iris(seed=0); ds.classes
        ('setosa', 'versicolor', 'virginica')
    """
    return _sklearn_table("load_iris", "iris", "scikit-learn load_iris (Fisher 1936, UCI)",
                          seed, val_size, test_size, standardize)


def load_breast_cancer(seed: int = 0, *, val_size: float = VAL_SIZE, test_size: float = TEST_SIZE,
                       standardize: bool = True) -> DataSplits:
    """Wisconsin diagnostic breast cancer: 569 examples, 30 cell-nucleus features, 2 classes.

    Shape: ``X_*`` ``(N, 30)`` float32, ``y_*`` ``(N,)`` int64; ``0 = malignant``, ``1 = benign``.
    Source: ``sklearn.datasets.load_breast_cancer`` (UCI WDBC), bundled with scikit-learn.

    Example:
        >>> load_breast_cancer().input_shape
        (30,)
    """
    return _sklearn_table("load_breast_cancer", "breast_cancer",
                          "scikit-learn load_breast_cancer (UCI WDBC)", seed, val_size, test_size, standardize)


def load_wine(seed: int = 0, *, val_size: float = VAL_SIZE, test_size: float = TEST_SIZE,
              standardize: bool = True) -> DataSplits:
    """Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars.

    Shape: ``X_*`` ``(N, 13)`` float32, ``y_*`` ``(N,)`` int64 in ``{0, 1, 2}``.
    Source: ``sklearn.datasets.load_wine`` (UCI), bundled with scikit-learn.

    Example:
        >>> load_wine().n_classes
        3
    """
    return _sklearn_table("load_wine", "wine", "scikit-learn load_wine (UCI)", seed, val_size, test_size,
                          standardize)


def load_digits(seed: int = 0, *, val_size: float = VAL_SIZE, test_size: float = TEST_SIZE,
                as_images: bool = False) -> DataSplits:
    """Handwritten digits: 1797 grey 8x8 images, 10 classes (the offline stand-in for MNIST).

    Shape: ``X_*`` ``(N, 64)`` float32 in ``[0, 1]`` (pixel / 16), or ``(N, 1, 8, 8)``
    (NCHW, for conv nets) with ``as_images=True``; ``y_*`` ``(N,)`` int64 in ``0..9``.
    Source: ``sklearn.datasets.load_digits`` (UCI optical digits), bundled with scikit-learn.

    Example:
        >>> load_digits(as_images=True).input_shape
        (1, 8, 8)
    """
    bunch = _sklearn_datasets().load_digits()
    X = bunch.data / 16.0
    if as_images:
        X = X.reshape(-1, 1, 8, 8)
    return _from_arrays("digits", X, bunch.target, classes=[str(c) for c in bunch.target_names],
                        source="scikit-learn load_digits (UCI optical digits)", seed=seed, val_size=val_size,
                        test_size=test_size, scale=False, notes="pixels scaled to [0, 1]")


# ---- 2-D generators ----------------------------------------------------------------

def _check_generator_args(n_samples: int, noise: float, low: int = 10) -> tuple[int, float]:
    n_samples = check_int(n_samples, "n_samples", low=low)
    noise = check_real(noise, "noise", low=0.0)
    return n_samples, noise


def make_moons(n_samples: int = 600, noise: float = 0.2, seed: int = 0, *, val_size: float = VAL_SIZE,
               test_size: float = TEST_SIZE) -> DataSplits:
    """Two interleaving half circles in 2-D, 2 classes: not linearly separable.

    Shape: ``X_*`` ``(N, 2)`` float32, ``y_*`` ``(N,)`` int64 in ``{0, 1}``; ``n_samples`` in all.
    Formula: upper moon ``(cos t, sin t)``, lower moon ``(1 - cos t, 0.5 - sin t)``, ``t`` in
    ``[0, pi]``, plus Gaussian noise with standard deviation ``noise``.
    Source: generated locally with ``sklearn.datasets.make_moons``.

    Example:
        >>> ds = make_moons(n_samples=200, noise=0.1, seed=1)
        >>> ds.input_shape, ds.classes
        ((2,), ('upper', 'lower'))
    """
    n_samples, noise = _check_generator_args(n_samples, noise)
    X, y = _sklearn_datasets().make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return _from_arrays("moons", X, y, classes=["upper", "lower"], seed=seed, val_size=val_size,
                        test_size=test_size, scale=False, source=f"generated (sklearn make_moons, noise={noise})")


def make_circles(n_samples: int = 600, noise: float = 0.1, factor: float = 0.5, seed: int = 0, *,
                 val_size: float = VAL_SIZE, test_size: float = TEST_SIZE) -> DataSplits:
    """A small circle inside a large one, 2 classes: needs a non-linear boundary.

    Shape: ``X_*`` ``(N, 2)`` float32, ``y_*`` ``(N,)`` int64; ``1`` is the inner circle.
    Formula: outer ``(cos t, sin t)``, inner ``factor * (cos t, sin t)``, plus Gaussian noise.
    Source: generated locally with ``sklearn.datasets.make_circles``.

    Example:
        >>> make_circles(factor=0.3).classes
        ('outer', 'inner')
    """
    n_samples, noise = _check_generator_args(n_samples, noise)
    factor = check_real(factor, "factor", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    X, y = _sklearn_datasets().make_circles(n_samples=n_samples, noise=noise, factor=factor, random_state=seed)
    return _from_arrays("circles", X, y, classes=["outer", "inner"], seed=seed, val_size=val_size,
                        test_size=test_size, scale=False,
                        source=f"generated (sklearn make_circles, noise={noise}, factor={factor})")


def make_spirals(n_samples: int = 600, n_classes: int = 3, noise: float = 0.2, turns: float = 1.0,
                 seed: int = 0, *, val_size: float = VAL_SIZE, test_size: float = TEST_SIZE) -> DataSplits:
    """Interleaved spiral arms in 2-D, one class per arm (the CS231n spiral set).

    Shape: ``X_*`` ``(N, 2)`` float32, ``y_*`` ``(N,)`` int64 in ``0..n_classes-1``.
    Formula: arm ``k`` has radius ``r`` in ``[0, 1]`` and angle
    ``theta = 2 pi (k / K + turns * r) + noise * eps``, ``eps ~ N(0, 1)``;
    the point is ``r * (sin theta, cos theta)``.
    Source: generated locally from ``seed``.

    Example:
        >>> make_spirals(n_samples=300, n_classes=3).n_classes
        3
    """
    n_samples, noise = _check_generator_args(n_samples, noise)
    n_classes = check_int(n_classes, "n_classes", low=2)
    turns = check_real(turns, "turns", low=0.0, low_inclusive=False)
    seed = check_int(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    r = rng.uniform(0.0, 1.0, size=n_samples)
    theta = 2 * np.pi * (y / n_classes + turns * r) + noise * rng.standard_normal(n_samples)
    X = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    return _from_arrays("spirals", X, y, classes=[f"arm {k}" for k in range(n_classes)], seed=seed,
                        val_size=val_size, test_size=test_size, scale=False,
                        source=f"generated ({n_classes} spiral arms, {turns} turns, noise={noise})")


def make_gaussian_mixture(n_samples: int = 1000, n_components: int = 8, std: float = 0.05,
                          radius: float = 2.0, layout: str = "ring", seed: int = 0, *,
                          val_size: float = VAL_SIZE, test_size: float = TEST_SIZE) -> DataSplits:
    """A mixture of equally likely 2-D Gaussians: the classic toy target for GANs (lesson 10).

    Shape: ``X_*`` ``(N, 2)`` float32, ``y_*`` ``(N,)`` int64: which component drew the point.
    Formula: ``x = mu_k + std * eps``, ``k`` uniform, ``eps ~ N(0, I)``. With
    ``layout="ring"`` the means are ``radius * (cos 2 pi k / K, sin 2 pi k / K)``; with
    ``"grid"`` they lie on a square grid spanning ``[-radius, radius]^2``
    (``n_components`` must then be a square number). ``info["means"]`` holds ``(K, 2)`` means.
    Source: generated locally from ``seed``.

    Example:
        >>> ds = make_gaussian_mixture(n_components=8, layout="ring"); ds.info["means"].shape
        (8, 2)
    """
    n_samples = check_int(n_samples, "n_samples", low=10)
    std = check_real(std, "std", low=0.0)
    n_components = check_int(n_components, "n_components", low=1)
    radius = check_real(radius, "radius", low=0.0, low_inclusive=False)
    check_choice(layout, ("ring", "grid"), "layout")
    seed = check_int(seed, "seed", low=0)
    if layout == "ring":
        angle = 2 * np.pi * np.arange(n_components) / n_components
        means = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    else:
        side = int(round(np.sqrt(n_components)))
        if side * side != n_components:
            raise ValueError(f"layout='grid' needs a square number of components (4, 9, 16, 25), got {n_components}.")
        ticks = np.linspace(-radius, radius, side) if side > 1 else np.zeros(1)
        means = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(-1, 2)
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_components
    X = means[y] + std * rng.standard_normal((n_samples, 2))
    ds = _from_arrays("gaussian_mixture", X, y, classes=[f"component {k}" for k in range(n_components)],
                      seed=seed, val_size=val_size, test_size=test_size, scale=False,
                      source=f"generated ({n_components} Gaussians on a {layout}, std={std})")
    ds.info["means"] = means.astype(np.float32)
    return ds


def make_regression_1d(n_samples: int = 200, noise: float = 0.3, kind: str = "linear", seed: int = 0, *,
                       val_size: float = VAL_SIZE, test_size: float = TEST_SIZE) -> DataSplits:
    """A 1-D regression toy set for losses and gradient descent (lesson 02).

    Shape: ``X_*`` ``(N, 1)`` float32 with ``x`` uniform in ``[-3, 3]``; ``y_*`` ``(N,)`` float32.
    Formula: ``kind="linear"``: ``y = 2 x + 1 + noise * eps``; ``kind="sine"``:
    ``y = sin(x) + 0.3 x + noise * eps``; ``eps ~ N(0, 1)``. ``info["true_fn"]`` is the
    noiseless function, for plots.
    Source: generated locally from ``seed``.

    Example:
        >>> make_regression_1d(kind="sine").task
        'regression'
    """
    n_samples, noise = _check_generator_args(n_samples, noise)
    check_choice(kind, ("linear", "sine"), "kind")
    seed = check_int(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, size=(n_samples, 1))
    true_fn = _linear_truth if kind == "linear" else _sine_truth
    y = true_fn(x[:, 0]) + noise * rng.standard_normal(n_samples)
    ds = _from_arrays("regression_1d", x, y, classes=None, seed=seed, val_size=val_size, test_size=test_size,
                      scale=False, task="regression", source=f"generated ({kind} function, noise={noise})")
    ds.info["true_fn"] = true_fn
    return ds


def _linear_truth(x: np.ndarray) -> np.ndarray:
    return 2.0 * x + 1.0


def _sine_truth(x: np.ndarray) -> np.ndarray:
    return np.sin(x) + 0.3 * x


# ---- a tabular task with a known bias (lesson 12) ------------------------------------------------

#: Column names of :func:`make_biased_lending`'s ``X``; column 0 is the sensitive attribute.
LENDING_FEATURES = ("group", "repayment_score", "savings", "postcode_area", "noise")


def make_biased_lending(n_samples: int = 20_000, bias: float = 1.0, minority: float = 0.35, seed: int = 0, *,
                        val_size: float = VAL_SIZE, test_size: float = TEST_SIZE) -> DataSplits:
    """Loan decisions with a sensitive attribute and a bias built in on purpose (generated, nothing downloaded).

    Shape: ``X_*`` ``(N, 5)`` float32, columns :data:`LENDING_FEATURES`; column 0, ``group``, is the
    sensitive attribute (0 or 1, group 1 the minority); ``y_*`` ``(N,)`` int64, 1 = the loan was
    approved in the historical records. ``info["merit_train"]`` (and ``_val``, ``_test``) hold the
    decisions an unbiased process would have made for the same people.

    How it is generated (the known bias). Each person has a group ``g`` (1 with probability
    ``minority``) and a hidden creditworthiness ``q ~ N(0, 1)`` drawn **independently of g**: the two
    groups are equally creditworthy by construction. The features are noisy views of ``q`` plus one
    proxy of the group::

        repayment_score = q + N(0, 0.6),  savings = q + N(0, 0.8),
        postcode_area   = g + N(0, 0.6)   (where people live: says nothing about q, much about g),
        noise           = N(0, 1).

    The recorded label is the historical decision ``y = 1[q + e - bias * g > 0]``, ``e ~ N(0, 0.5)``:
    a member of group 1 had to be ``bias`` standard deviations more creditworthy to be approved
    (**label bias**). With the default ``bias=1.0`` about 50% of group 0 and 19% of group 1 were
    approved. The merit labels are ``1[q + e > 0]``, the same decisions with ``bias = 0``.
    A model trained on the records learns the bias, also without the ``group`` column, through
    ``postcode_area``.

    Example:
        >>> ds = make_biased_lending(seed=0)
        >>> ds.feature_names[0], ds.X_train.shape[1]
        ('group', 5)
    """
    n_samples = check_int(n_samples, "n_samples", low=100)
    bias = check_real(bias, "bias", low=0.0)
    minority = check_real(minority, "minority", low=0.0, high=1.0)
    if not 0.0 < minority < 1.0:
        raise ValueError(f"minority is the share of group 1 and must lie strictly between 0 and 1, got {minority}")
    rng = np.random.default_rng(check_int(seed, "seed", low=0))
    g = (rng.random(n_samples) < minority).astype(np.float64)
    q = rng.normal(size=n_samples)
    X = np.stack([g, q + rng.normal(0, 0.6, n_samples), q + rng.normal(0, 0.8, n_samples),
                  g + rng.normal(0, 0.6, n_samples), rng.normal(size=n_samples)], axis=1)
    e = rng.normal(0, 0.5, n_samples)
    merit = (q + e > 0).astype(np.int64)
    y = (q + e - bias * g > 0).astype(np.int64)
    # Split the merit labels exactly as X and y: carry them as an extra column, then take it off.
    ds = _from_arrays("biased_lending", np.column_stack([X, merit]), y, classes=["denied", "approved"],
                      source=f"generated locally (dlkit.data.make_biased_lending, bias={bias:g}, seed={seed})",
                      seed=seed, val_size=val_size, test_size=test_size, scale=False,
                      feature_names=list(LENDING_FEATURES),
                      notes=f"label bias: group 1 needed +{bias:g} sd of creditworthiness to be approved")
    for split in ("train", "val", "test"):
        Xs = getattr(ds, f"X_{split}")
        ds.info[f"merit_{split}"] = Xs[:, -1].astype(np.int64)
        setattr(ds, f"X_{split}", np.ascontiguousarray(Xs[:, :-1]))
    return ds
