"""Embedded loaders: shapes, dtypes, determinism, stratification, torch views, clear errors (offline)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import datasets as skd

from dlkit import data
from dlkit.data.splits import three_way_split

# name -> (loader taking seed, total examples, input shape, task)
LOADERS = {
    "iris": (lambda seed: data.load_iris(seed=seed), 150, (4,), "classification"),
    "wine": (lambda seed: data.load_wine(seed=seed), 178, (13,), "classification"),
    "breast_cancer": (lambda seed: data.load_breast_cancer(seed=seed), 569, (30,), "classification"),
    "digits": (lambda seed: data.load_digits(seed=seed), 1797, (64,), "classification"),
    "digit_images": (lambda seed: data.load_digits(seed=seed, as_images=True), 1797, (1, 8, 8), "classification"),
    "moons": (lambda seed: data.make_moons(n_samples=300, seed=seed), 300, (2,), "classification"),
    "circles": (lambda seed: data.make_circles(n_samples=300, seed=seed), 300, (2,), "classification"),
    "spirals": (lambda seed: data.make_spirals(n_samples=300, n_classes=4, seed=seed), 300, (2,), "classification"),
    "mixture": (lambda seed: data.make_gaussian_mixture(n_samples=400, seed=seed), 400, (2,), "classification"),
    "regression": (lambda seed: data.make_regression_1d(seed=seed), 200, (1,), "regression"),
    "sines": (lambda seed: data.noisy_sines(n_samples=200, seq_len=12, horizon=3, seed=seed), 200, (12, 1),
              "regression"),
    "digit_sequences": (lambda seed: data.digits_as_sequences(seed=seed), 1797, (8, 8), "classification"),
    "sequence_task": (lambda seed: data.make_sequence_task("reverse", n_samples=200, seed=seed), 200, (8,),
                      "classification"),
}
CLASSIFIERS = [name for name, spec in LOADERS.items() if spec[3] == "classification" and name != "sequence_task"]


@pytest.fixture(scope="module")
def built():
    """Each loader run once with seed 0 (the module's tests only read the results)."""
    return {name: spec[0](0) for name, spec in LOADERS.items()}


@pytest.mark.parametrize("name", LOADERS)
def test_shapes_and_dtypes(built, name):
    _, total, input_shape, task = LOADERS[name]
    ds = built[name]
    assert ds.input_shape == input_shape and ds.task == task
    sizes = []
    for which in ("train", "val", "test"):
        X, y = ds.split(which)
        assert X.shape[1:] == input_shape and len(X) == len(y) > 0
        assert X.dtype in (np.float32, np.int64)
        assert y.dtype == (np.int64 if task == "classification" else np.float32)
        assert np.isfinite(X).all()
        sizes.append(len(X))
    assert sum(sizes) == total
    assert 0.6 < sizes[0] / total < 0.8, "about 70% train by default"


@pytest.mark.parametrize("name", LOADERS)
def test_same_seed_same_data_other_seed_other_split(built, name):
    again, other = LOADERS[name][0](0), LOADERS[name][0](1)
    for attr in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(built[name], attr), getattr(again, attr))
    assert not np.array_equal(built[name].X_train, other.X_train)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_splits_are_stratified(built, name):
    ds = built[name]
    y_all = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    overall = np.bincount(y_all, minlength=ds.n_classes) / len(y_all)
    for which in ("train", "val", "test"):
        y = ds.split(which)[1]
        share = np.bincount(y, minlength=ds.n_classes) / len(y)
        # stratification keeps every class within about one example of its share
        assert np.all(np.abs(share - overall) <= 1.5 / len(y) + 1e-9), (which, share, overall)


@pytest.mark.parametrize("name", LOADERS)
def test_description_is_one_informative_line(built, name):
    ds = built[name]
    text = str(ds)
    assert text == repr(ds) == ds.description and "\n" not in text
    assert ds.name in text and f"train {len(ds.X_train)}" in text and str(ds.input_shape) in text
    if ds.classes is not None:
        assert f"{len(ds.classes)} classes" in text and ds.classes[0] in text


def test_iris_is_standardized_with_training_statistics_only():
    ds = data.load_iris(seed=3)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1, atol=1e-5)
    raw = data.load_iris(seed=3, standardize=False)
    expected_val = (raw.X_val - raw.X_train.mean(axis=0)) / raw.X_train.std(axis=0)
    np.testing.assert_allclose(ds.X_val, expected_val, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ds.info["mean"], raw.X_train.mean(axis=0), rtol=1e-6)


def test_rows_are_the_real_sklearn_rows():
    ds = data.load_wine(seed=0, standardize=False)
    rows = np.concatenate([ds.X_train, ds.X_val, ds.X_test])
    original = skd.load_wine().data.astype(np.float32)
    np.testing.assert_array_equal(np.sort(rows, axis=0), np.sort(original, axis=0))
    assert ds.classes == ("class_0", "class_1", "class_2") and len(ds.feature_names) == 13


def test_digits_pixels_in_unit_range_and_images_match_flat():
    flat, images = data.load_digits(seed=0), data.load_digits(seed=0, as_images=True)
    assert 0.0 <= flat.X_train.min() and flat.X_train.max() <= 1.0
    np.testing.assert_array_equal(images.X_train.reshape(len(images.X_train), -1), flat.X_train)


def test_generators_follow_their_formulas():
    mix = data.make_gaussian_mixture(n_samples=800, n_components=6, std=0.01, radius=3.0)
    X, y = mix.X_train, mix.y_train
    np.testing.assert_allclose(np.linalg.norm(mix.info["means"], axis=1), 3.0, rtol=1e-6)
    assert np.abs(X - mix.info["means"][y]).max() < 0.06
    spirals = data.make_spirals(n_samples=300, noise=0.0)
    assert np.linalg.norm(spirals.X_train, axis=1).max() <= 1.0 + 1e-6
    reg = data.make_regression_1d(noise=0.0, kind="sine")
    np.testing.assert_allclose(reg.y_train, reg.info["true_fn"](reg.X_train[:, 0]), atol=1e-5)
    circles = data.make_circles(n_samples=300, noise=0.0, factor=0.4)
    radius = np.linalg.norm(circles.X_train, axis=1)
    np.testing.assert_allclose(radius[circles.y_train == 1], 0.4, atol=1e-5)


def test_sequence_tasks_and_sines():
    rev = data.make_sequence_task("reverse", n_samples=50, length=6, vocab_size=5)
    np.testing.assert_array_equal(rev.y_train, rev.X_train[:, ::-1])
    srt = data.make_sequence_task("sort", n_samples=50)
    np.testing.assert_array_equal(srt.y_train, np.sort(srt.X_train, axis=1))
    sines = data.noisy_sines(n_samples=50, seq_len=30, horizon=4, noise=0.0)
    assert sines.y_train.shape == (len(sines.X_train), 4)
    assert np.abs(sines.X_train).max() <= 1.5 + 1e-6


def test_dataloaders_batches_and_order():
    ds = data.load_digits(seed=0)
    train_dl, val_dl, test_dl = ds.dataloaders(batch_size=100)
    xb, yb = next(iter(train_dl))
    assert xb.shape == (100, 64) and xb.dtype == torch.float32 and yb.dtype == torch.int64
    assert sum(len(b[0]) for b in val_dl) == len(ds.X_val)
    val_x = torch.cat([b[0] for b in val_dl])
    np.testing.assert_array_equal(val_x.numpy(), ds.X_val)  # validation is never shuffled
    first = next(iter(ds.dataloaders(batch_size=100)[0]))[1]
    assert torch.equal(first, yb), "same dataset seed, same shuffling order"
    other = next(iter(ds.dataloaders(batch_size=100, seed=5)[0]))[1]
    assert not torch.equal(other, yb)
    unshuffled = next(iter(ds.dataloaders(batch_size=100, shuffle=False)[0]))[1]
    np.testing.assert_array_equal(unshuffled.numpy(), ds.y_train[:100])


def test_tensors_are_copies_with_torch_dtypes():
    ds = data.make_regression_1d()
    t = ds.tensors()
    assert t.X_train.dtype == torch.float32 and t.y_train.dtype == torch.float32
    before = ds.X_train.copy()
    X = t.X_train
    X += 100.0  # in place on the tensor
    np.testing.assert_array_equal(ds.X_train, before)
    tokens = data.make_sequence_task(n_samples=40).tensors()
    assert tokens.X_train.dtype == torch.int64


def test_raw_text_needs_encoding_before_tensors():
    reviews = data.make_reviews(n_reviews=100)
    with pytest.raises(TypeError, match="WordVocab"):
        reviews.tensors()
    vocab = data.WordVocab.build(reviews.X_train)
    ids = vocab.encode_batch(reviews.X_train, max_len=30)
    assert ids.shape == (len(reviews.X_train), 30) and ids.dtype == np.int64
    assert vocab.words[:2] == ("<pad>", "<unk>") and vocab.encode("zzzz unseen") == [1, 1]


@pytest.mark.parametrize("call, error, words", [
    (lambda: data.load_iris(seed=-1), ValueError, "seed"),
    (lambda: data.load_iris(val_size=1.5), ValueError, "val_size"),
    (lambda: data.load_iris(val_size=0.5, test_size=0.5), ValueError, "below 1"),
    (lambda: data.make_moons(n_samples="100"), TypeError, "n_samples"),
    (lambda: data.make_moons(noise=-0.1), ValueError, "noise"),
    (lambda: data.make_gaussian_mixture(layout="hex"), ValueError, "ring"),
    (lambda: data.make_gaussian_mixture(layout="grid", n_components=5), ValueError, "square"),
    (lambda: data.make_sequence_task("shuffle"), ValueError, "reverse"),
    (lambda: data.load_digits().dataloaders(batch_size=0), ValueError, "batch_size"),
    (lambda: data.load_digits().split("validation"), ValueError, "val"),
    (lambda: data.load_mnist(full="yes"), TypeError, "full"),
    (lambda: data.make_spirals(n_samples=30, n_classes=10, seed=0), ValueError, "class proportions"),
])
def test_bad_arguments_are_explained(call, error, words):
    with pytest.raises(error, match=words):
        call()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(60, 200), n_classes=st.integers(2, 5), val=st.sampled_from([0.1, 0.2, 0.25]),
       test=st.sampled_from([0.1, 0.15, 0.3]), seed=st.integers(0, 1000))
def test_three_way_split_partitions_and_stratifies(n, n_classes, val, test, seed):
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n) % n_classes
    X_tr, y_tr, X_va, y_va, X_te, y_te = three_way_split(X, y, val_size=val, test_size=test, seed=seed,
                                                         stratify=True)
    ids = np.concatenate([X_tr, X_va, X_te])[:, 0]
    assert sorted(ids.tolist()) == list(range(n)), "every example in exactly one split"
    np.testing.assert_array_equal(y[ids.astype(int)], np.concatenate([y_tr, y_va, y_te]))
    assert abs(len(X_te) - test * n) <= 1 + n_classes
    for part in (y_tr, y_va, y_te):
        counts = np.bincount(part, minlength=n_classes)
        assert counts.max() - counts.min() <= 2
