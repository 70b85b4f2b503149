"""dlkit.data.make_biased_lending: the bias its docstring documents is the bias it generates."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import data


@pytest.fixture(scope="module")
def lending():
    return data.make_biased_lending(n_samples=40_000, seed=3)


def _all(ds, what):
    return np.concatenate([getattr(ds, f"{what}_{s}") for s in ("train", "val", "test")])


def test_shapes_columns_and_splits(lending):
    assert lending.feature_names == data.embedded.LENDING_FEATURES and lending.feature_names[0] == "group"
    assert lending.X_train.shape[1] == 5 and lending.X_train.dtype == np.float32
    assert lending.y_train.dtype == np.int64 and set(np.unique(lending.y_train)) == {0, 1}
    assert sum(len(getattr(lending, f"y_{s}")) for s in ("train", "val", "test")) == 40_000
    for s in ("train", "val", "test"):
        assert lending.info[f"merit_{s}"].shape == getattr(lending, f"y_{s}").shape
    assert set(np.unique(lending.X_train[:, 0])) == {0.0, 1.0}


def test_the_documented_bias(lending):
    X, y = _all(lending, "X"), _all(lending, "y")
    merit = np.concatenate([lending.info[f"merit_{s}"] for s in ("train", "val", "test")])
    g = X[:, 0]
    assert abs(g.mean() - 0.35) < 0.01                                   # the minority share
    assert abs(y[g == 0].mean() - 0.50) < 0.02 and abs(y[g == 1].mean() - 0.19) < 0.02   # "about 50% and 19%"
    assert abs(merit[g == 0].mean() - merit[g == 1].mean()) < 0.02       # equally creditworthy groups
    assert np.all(y <= merit) and np.all((merit != y) <= (g == 1))      # only group 1 ever loses an approval
    proxy_gap = X[g == 1, 3].mean() - X[g == 0, 3].mean()                # postcode_area gives the group away
    assert abs(proxy_gap - 1.0) < 0.05
    assert abs(X[g == 1, 1].mean() - X[g == 0, 1].mean()) < 0.05         # the score does not


def test_no_bias_means_equal_records():
    ds = data.make_biased_lending(n_samples=20_000, bias=0.0, seed=1)
    X, y = _all(ds, "X"), _all(ds, "y")
    assert abs(y[X[:, 0] == 0].mean() - y[X[:, 0] == 1].mean()) < 0.03
    np.testing.assert_array_equal(ds.y_test, ds.info["merit_test"])


def test_seeded_and_offline():
    a, b = data.make_biased_lending(n_samples=500, seed=7), data.make_biased_lending(n_samples=500, seed=7)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert "generated locally" in a.source and not np.array_equal(
        a.X_test, data.make_biased_lending(n_samples=500, seed=8).X_test)


@pytest.mark.parametrize("kwargs,match", [({"minority": 1.0}, "minority"), ({"bias": -1.0}, "bias"),
                                          ({"n_samples": 10}, "n_samples")])
def test_bad_arguments_say_what_is_expected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.make_biased_lending(**kwargs)
