"""Sequence data for recurrent networks and attention (lessons 09 and 11).

Sequences are batch first, ``(N, T, F)``: ``N`` examples of ``T`` time steps with
``F`` features each, as ``torch.nn.LSTM(..., batch_first=True)`` expects.
"""

from __future__ import annotations

import numpy as np

from dlkit.data.embedded import TEST_SIZE, VAL_SIZE, _from_arrays, load_digits
from dlkit.data.splits import DataSplits, three_way_split
from dlkit.reference._validate import check_choice, check_int, check_real


def noisy_sines(n_samples: int = 1000, seq_len: int = 40, horizon: int = 1, noise: float = 0.05, seed: int = 0,
                *, val_size: float = VAL_SIZE, test_size: float = TEST_SIZE) -> DataSplits:
    """Forecasting toy set: continue a noisy sine wave ``horizon`` steps past what you see.

    Shape: ``X_*`` ``(N, seq_len, 1)`` float32; ``y_*`` ``(N, horizon)`` float32.
    Formula: ``s_t = A sin(2 pi f t + phi) + noise * eps_t`` for ``t = 0 .. seq_len + horizon - 1``,
    with ``A ~ U(0.5, 1.5)``, ``f ~ U(0.02, 0.1)`` cycles per step, ``phi ~ U(0, 2 pi)``,
    ``eps_t ~ N(0, 1)``, drawn anew for every example. ``X`` holds the first ``seq_len``
    values, ``y`` the next ``horizon`` (noisy too, so a perfect model still has error
    about ``noise``). Examples are independent, so the split is random.
    Source: generated locally from ``seed``.

    Example:
        >>> noisy_sines(seq_len=20, horizon=5).y_train.shape
        (700, 5)
    """
    n_samples = check_int(n_samples, "n_samples", low=10)
    seq_len = check_int(seq_len, "seq_len", low=1)
    horizon = check_int(horizon, "horizon", low=1)
    noise = check_real(noise, "noise", low=0.0)
    seed = check_int(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    amplitude = rng.uniform(0.5, 1.5, size=(n_samples, 1))
    frequency = rng.uniform(0.02, 0.1, size=(n_samples, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(n_samples, 1))
    t = np.arange(seq_len + horizon)[None, :]
    series = amplitude * np.sin(2 * np.pi * frequency * t + phase) + noise * rng.standard_normal((n_samples, t.size))
    return _from_arrays("noisy_sines", series[:, :seq_len, None], series[:, seq_len:], classes=None, seed=seed,
                        val_size=val_size, test_size=test_size, scale=False, task="regression",
                        source=f"generated (random sine waves, noise={noise}, forecast {horizon} step(s))")


def digits_as_sequences(seed: int = 0, *, val_size: float = VAL_SIZE, test_size: float = TEST_SIZE) -> DataSplits:
    """Digit images read row by row: sequence classification with 8 steps of 8 pixels.

    Shape: ``X_*`` ``(N, 8, 8)`` float32 in ``[0, 1]``: ``X[n, t]`` is row ``t`` of image ``n``
    (batch first, time, features); ``y_*`` ``(N,)`` int64 digit ``0..9``.
    Source: ``sklearn.datasets.load_digits`` (UCI optical digits), bundled with scikit-learn.

    Example:
        >>> digits_as_sequences().input_shape       # (time steps, features per step)
        (8, 8)
    """
    ds = load_digits(seed=seed, val_size=val_size, test_size=test_size, as_images=True)
    for which in ("train", "val", "test"):
        setattr(ds, f"X_{which}", ds.split(which)[0][:, 0])  # (N, 1, 8, 8) -> (N, 8, 8), a view of new arrays
    ds.name = "digits_as_sequences"
    ds.notes = "pixels scaled to [0, 1]; rows are time steps (batch first)"
    return ds


def load_stock_prices(window: int = 30, horizon: int = 1, *, val_size: float = VAL_SIZE,
                      test_size: float = TEST_SIZE) -> DataSplits:
    """A real time series: Google's daily closing price, Aug 2004 to Oct 2008 (1047 trading days).

    Shape: ``X_*`` ``(N, window, 1)`` float32, ``y_*`` ``(N, horizon)`` float32.
    Formula: with ``p_t = 100 * log(close_t)``, example ``i`` ends at day ``e = i + window - 1`` and
    ``X_i = p[i : e+1] - p_e``, ``y_i = p[e+1 : e+1+horizon] - p_e``: moves in percent relative
    to the last day seen. The naive forecast "no change" is ``y_hat = 0``: a baseline to beat.
    The split is chronological (no shuffling, so no peeking at the future): examples whose
    targets fall in the first ``1 - val_size - test_size`` of the days train, then validation,
    then test. ``info`` holds ``dates`` and ``close`` (the raw series) and ``target_day_{split}``
    (index of each example's first target day), for plots.
    Source: ``goog.npz`` from matplotlib's sample data (Yahoo Finance), installed with matplotlib.
    No dependency of the course ships a longer real series (scikit-learn bundles none).

    Example:
        >>> ds = load_stock_prices(window=20); ds.X_train.shape[1:]
        (20, 1)
    """
    from matplotlib import cbook

    window = check_int(window, "window", low=2)
    horizon = check_int(horizon, "horizon", low=1)
    with np.load(cbook.get_sample_data("goog.npz", asfileobj=False)) as npz:
        prices = npz["price_data"]
    dates, close = prices["date"].copy(), prices["close"].astype(np.float64)
    p = 100.0 * np.log(close)
    n_examples = len(p) - window - horizon + 1
    if n_examples < 30:
        raise ValueError(f"window + horizon = {window + horizon} leaves {n_examples} examples of {len(p)} days; "
                         "use a shorter window.")
    starts = np.arange(n_examples)
    last = starts + window - 1
    X = p[starts[:, None] + np.arange(window)] - p[last, None]
    y = p[last[:, None] + 1 + np.arange(horizon)] - p[last, None]
    target_day = last + 1
    val_start = int(len(p) * (1 - check_real(val_size, "val_size", low=0.0, high=1.0) -
                              check_real(test_size, "test_size", low=0.0, high=1.0)))
    test_start = int(len(p) * (1 - test_size))
    # an example belongs to the split that holds its last target day
    end_day = target_day + horizon - 1
    masks = {"train": end_day < val_start, "val": (target_day >= val_start) & (end_day < test_start),
             "test": target_day >= test_start}
    arrays, info = [], {"dates": dates, "close": close}
    for which, mask in masks.items():
        arrays += [X[mask, :, None].astype(np.float32), y[mask].astype(np.float32)]
        info[f"target_day_{which}"] = target_day[mask]
    first, last_day = (str(dates[0]), str(dates[-1]))
    return DataSplits("goog_prices", *arrays, classes=None, task="regression", info=info,
                      source=f"matplotlib sample data goog.npz, daily close {first} to {last_day}",
                      notes="100*log price relative to the last day seen; chronological split")


def make_sequence_task(task: str = "reverse", n_samples: int = 3000, length: int = 8, vocab_size: int = 10,
                       seed: int = 0, *, val_size: float = VAL_SIZE, test_size: float = TEST_SIZE) -> DataSplits:
    """Token-sequence puzzles for attention and transformers (lesson 11).

    Shape: ``X_*`` ``(N, length)`` int64 tokens in ``[0, vocab_size)``; ``y_*`` ``(N, length)``
    int64: ``task="copy"``: ``y = X``; ``"reverse"``: ``y = X[:, ::-1]``; ``"sort"``:
    ``y = sort(X)`` along each row. Each output position is a ``vocab_size``-way
    classification, so ``classes`` are the token ids as strings.
    Source: generated locally from ``seed``.

    Example:
        >>> ds = make_sequence_task("sort", length=5); ds.X_train.shape[1]
        5
    """
    check_choice(task, ("copy", "reverse", "sort"), "task")
    n_samples = check_int(n_samples, "n_samples", low=10)
    length = check_int(length, "length", low=1)
    vocab_size = check_int(vocab_size, "vocab_size", low=2)
    seed = check_int(seed, "seed", low=0)
    X = np.random.default_rng(seed).integers(0, vocab_size, size=(n_samples, length))
    y = {"copy": X.copy(), "reverse": X[:, ::-1].copy(), "sort": np.sort(X, axis=1)}[task]
    splits = three_way_split(X.astype(np.int64), y.astype(np.int64), val_size=val_size, test_size=test_size,
                             seed=seed, stratify=False)
    return DataSplits(f"sequence_{task}", *splits, classes=tuple(str(t) for t in range(vocab_size)), seed=seed,
                      source=f"generated ({task} {length} tokens of {vocab_size})",
                      notes="per-position token labels")
