"""Full-size loaders: offline stand-ins, the DLKIT_FULL_DATA switch, real download path on a local server."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from dlkit import data
from dlkit.data import full
from tests.data.data_builders import cifar_members, idx_bytes, imdb_members, tar_gz
from tests.data.data_http import FileServer, Route

NO_WAIT = dict(retries=1, backoff=0.0, timeout=1.0, progress=False)


@pytest.mark.parametrize("loader, name, channels", [(data.load_mnist, "mnist", 1),
                                                    (data.load_fashion_mnist, "fashion_mnist", 1),
                                                    (data.load_cifar10, "cifar10", 3)])
def test_offline_default_is_a_labelled_stand_in(loader, name, channels):
    ds = loader()
    assert ds.name == name and ds.input_shape == (channels, 8, 8) and ds.n_classes == 10
    assert "stand-in" in ds.description and "DLKIT_FULL_DATA" in ds.description
    np.testing.assert_array_equal(ds.X_train[:, -1], data.load_digits(as_images=True).X_train[:, 0])


def test_imdb_stand_in_is_text_with_both_labels():
    ds = data.load_imdb()
    assert ds.X_train.dtype == object and isinstance(ds.X_train[0], str)
    assert set(ds.y_train.tolist()) == {0, 1} and "stand-in" in ds.description


def test_full_switch_offline_says_which_file_and_where(data_cache, monkeypatch):
    monkeypatch.setenv("DLKIT_FULL_DATA", "1")
    with pytest.raises(data.DownloadError) as err:
        data.load_mnist(**NO_WAIT)
    message = str(err.value)
    assert "train-images-idx3-ubyte.gz" in message and "9,912,422 bytes" in message
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in message
    assert "4 of 4 files are missing" in message
    for remote in full.MNIST_FILES.values():
        assert str(data_cache / "mnist" / remote.filename) in message
    assert not any(p.is_file() for p in data_cache.rglob("*"))


def _serve(files: dict[str, bytes], remotes: dict[str, data.RemoteFile], server) -> dict[str, data.RemoteFile]:
    """The same RemoteFiles, pointed at the local server with the checksums of our built files."""
    return {key: dataclasses.replace(r, urls=(server.url("/" + r.filename),),
                                     sha256=hashlib.sha256(files[r.filename]).hexdigest(),
                                     size=len(files[r.filename])) for key, r in remotes.items()}


def test_full_mnist_end_to_end_through_the_downloader(data_cache, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte.gz": np.zeros((60_000, 28, 28), np.uint8),
              "train-labels-idx1-ubyte.gz": (np.arange(60_000) % 10).astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": np.zeros((10_000, 28, 28), np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 10_000).astype(np.uint8)}
    arrays["train-images-idx3-ubyte.gz"][:, 14, 14] = 255
    import gzip

    files = {name: gzip.compress(idx_bytes(a), compresslevel=1) for name, a in arrays.items()}
    with FileServer({"/" + n: Route(b) for n, b in files.items()}) as srv:
        monkeypatch.setattr(full, "MNIST_FILES", _serve(files, full.MNIST_FILES, srv))
        monkeypatch.setenv("DLKIT_FULL_DATA", "1")
        ds = data.load_mnist(seed=0, **NO_WAIT)
    assert ds.X_train.shape == (54_000, 1, 28, 28) and ds.X_val.shape == (6_000, 1, 28, 28)
    assert ds.X_test.shape == (10_000, 1, 28, 28) and ds.X_train.dtype == np.float32
    assert ds.X_train[:, 0, 14, 14].min() == 1.0 and ds.X_train.max() == 1.0
    np.testing.assert_array_equal(ds.y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert np.bincount(ds.y_val).tolist() == [600] * 10  # stratified validation split
    assert "SHA-256 verified" in ds.description
    assert sorted(p.name for p in (data_cache / "mnist").iterdir()) == sorted(files)


def test_full_cifar_rejects_an_archive_of_the_wrong_size(tmp_path, monkeypatch):
    members, _ = cifar_members(n_per_batch=2)
    blob = tar_gz(tmp_path / "c.tar.gz", members).read_bytes()
    with FileServer({"/cifar-10-python.tar.gz": Route(blob)}) as srv:
        served = _serve({"cifar-10-python.tar.gz": blob}, {"f": full.CIFAR10_FILE}, srv)["f"]
        monkeypatch.setattr(full, "CIFAR10_FILE", served)
        with pytest.raises(data.FormatError, match="50000"):
            data.load_cifar10(full=True, **NO_WAIT)


def test_full_imdb_rejects_an_archive_of_the_wrong_size(tmp_path, monkeypatch):
    blob = tar_gz(tmp_path / "a.tar.gz", imdb_members()).read_bytes()
    with FileServer({"/aclImdb_v1.tar.gz": Route(blob)}) as srv:
        served = _serve({"aclImdb_v1.tar.gz": blob}, {"f": full.IMDB_FILE}, srv)["f"]
        monkeypatch.setattr(full, "IMDB_FILE", served)
        with pytest.raises(data.FormatError, match="25000"):
            data.load_imdb(full=True, **NO_WAIT)


def test_published_checksums_are_well_formed():
    remotes = [*full.MNIST_FILES.values(), *full.FASHION_MNIST_FILES.values(), full.CIFAR10_FILE, full.IMDB_FILE]
    for r in remotes:
        assert r.sha256 is not None and len(r.sha256) == 64 and int(r.sha256, 16) >= 0
        assert r.size and r.urls and all(u.endswith(r.filename) for u in r.urls)
    assert len({r.sha256 for r in remotes}) == len(remotes)
