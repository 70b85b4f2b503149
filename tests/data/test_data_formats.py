"""Parsers for IDX, CIFAR-10 pickles and the IMDb archive, on small files built in those formats."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from dlkit.data import formats
from tests.data.data_builders import (IMDB_REVIEWS, cifar_members, idx_bytes, imdb_members, tar_gz,
                                      write_idx)


# ---- IDX --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("compress", [True, False])
def test_idx_round_trip(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    if dtype == "uint8":
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    got = formats.read_idx(write_idx(tmp_path / "a.idx", array, compress=compress))
    np.testing.assert_array_equal(got, array)
    assert got.dtype == array.dtype and got.dtype.isnative and got.flags.writeable


def test_idx_labels_one_dimensional(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    got = formats.read_idx(write_idx(tmp_path / "labels-idx1-ubyte.gz", labels))
    assert got.shape == (5,) and got.tolist() == [5, 0, 4, 1, 9]


def test_idx_big_endian_is_decoded(tmp_path):
    raw = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2]) + bytes([0x01, 0x02, 0xFF, 0xFE])
    (tmp_path / "x.idx").write_bytes(raw)
    assert formats.read_idx(tmp_path / "x.idx").tolist() == [258, -2]


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:-7], "need"),                          # truncated data
    (lambda raw: raw + b"\x00", "need"),                     # trailing bytes
    (lambda raw: raw[:6], "header"),                         # truncated header
    (lambda raw: b"\x01" + raw[1:], "two zero bytes"),       # bad magic
    (lambda raw: raw[:2] + b"\x07" + raw[3:], "type byte"),  # unknown type
])
def test_idx_damaged_files_raise_clear_errors(tmp_path, damage, message):
    raw = idx_bytes(np.zeros((3, 4, 4), dtype=np.uint8))
    path = tmp_path / "bad.idx.gz"
    path.write_bytes(gzip.compress(damage(raw)))
    with pytest.raises(formats.FormatError, match=message) as err:
        formats.read_idx(path)
    assert str(path) in str(err.value) and "download it again" in str(err.value)


def test_idx_truncated_and_corrupted_gzip(tmp_path):
    blob = gzip.compress(idx_bytes(np.arange(4000, dtype=np.int32)))
    truncated, corrupted = tmp_path / "t.gz", tmp_path / "c.gz"
    truncated.write_bytes(blob[: len(blob) // 2])
    corrupted.write_bytes(blob[:20] + bytes(b ^ 0xFF for b in blob[20:60]) + blob[60:])
    for path in (truncated, corrupted):
        with pytest.raises(formats.FormatError, match="gzip"):
            formats.read_idx(path)


# ---- CIFAR-10 -----------------------------------------------------------------------------
def test_cifar_archive_round_trip(tmp_path):
    members, expected = cifar_members(n_per_batch=4)
    parsed = formats.read_cifar10(tar_gz(tmp_path / "cifar-10-python.tar.gz", members))
    assert parsed["X_train"].shape == (20, 3, 32, 32) and parsed["X_train"].dtype == np.uint8
    assert parsed["X_test"].shape == (4, 3, 32, 32)
    # rows are 1024 red, then 1024 green, then 1024 blue values, each image row-major
    first = expected["train_data"][0]
    np.testing.assert_array_equal(parsed["X_train"][0, 1, 0, :], first[1024:1056])
    np.testing.assert_array_equal(parsed["y_train"], expected["train_labels"])
    np.testing.assert_array_equal(parsed["y_test"], expected["test_labels"])
    assert parsed["classes"][0] == "airplane" and len(parsed["classes"]) == 10


def test_cifar_missing_batch(tmp_path):
    members, _ = cifar_members()
    del members["cifar-10-batches-py/data_batch_3"]
    with pytest.raises(formats.FormatError, match="data_batch_3"):
        formats.read_cifar10(tar_gz(tmp_path / "c.tar.gz", members))


def test_cifar_truncated_archive(tmp_path):
    members, _ = cifar_members(n_per_batch=50)
    path = tar_gz(tmp_path / "c.tar.gz", members)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(formats.FormatError, match="tar archive"):
        formats.read_cifar10(path)


def test_cifar_corrupted_pickle(tmp_path):
    members, _ = cifar_members()
    blob = members["cifar-10-batches-py/data_batch_2"]
    members["cifar-10-batches-py/data_batch_2"] = blob[:100]
    with pytest.raises(formats.FormatError, match="unpickle"):
        formats.read_cifar10(tar_gz(tmp_path / "c.tar.gz", members))


def test_cifar_pickle_cannot_run_code(tmp_path, capsys):
    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))

    members, _ = cifar_members()
    members["cifar-10-batches-py/test_batch"] = pickle.dumps({b"data": Evil()}, protocol=2)
    with pytest.raises(formats.FormatError, match=r"refusing to load \w+\.print"):
        formats.read_cifar10(tar_gz(tmp_path / "c.tar.gz", members))
    assert "never run" not in capsys.readouterr().out


def test_cifar_wrong_shape(tmp_path):
    members, _ = cifar_members()
    members["cifar-10-batches-py/test_batch"] = pickle.dumps(
        {b"data": np.zeros((4, 100), dtype=np.uint8), b"labels": [0, 1, 2, 3]}, protocol=2)
    with pytest.raises(formats.FormatError, match=r"\(N, 3072\)"):
        formats.read_cifar10(tar_gz(tmp_path / "c.tar.gz", members))


# ---- IMDb ------------------------------------------------------------------------------------
def test_imdb_archive_round_trip(tmp_path):
    parsed = formats.read_imdb(tar_gz(tmp_path / "aclImdb_v1.tar.gz", imdb_members()))
    texts, labels, ratings = parsed["train"]
    # ordered by label (neg first) then review id; unsup and other files ignored
    assert texts == ["Not great, not terrible.", "Awful.", "A wonderful film.<br />Loved it.",
                     "Pretty good, caf\u00e9 scenes included."]
    assert labels.tolist() == [0, 0, 1, 1] and labels.dtype == np.int64
    assert ratings.tolist() == [4, 1, 9, 7]
    assert parsed["test"][1].tolist() == [0, 1]


def test_imdb_rating_contradicting_folder(tmp_path):
    reviews = {**IMDB_REVIEWS, "aclImdb/train/pos/99_2.txt": "placed in the wrong folder"}
    with pytest.raises(formats.FormatError, match="rating 2"):
        formats.read_imdb(tar_gz(tmp_path / "a.tar.gz", imdb_members(reviews)))


def test_imdb_missing_label_folder(tmp_path):
    reviews = {k: v for k, v in IMDB_REVIEWS.items() if not k.startswith("aclImdb/test/neg")}
    with pytest.raises(formats.FormatError, match="aclImdb/test must hold both"):
        formats.read_imdb(tar_gz(tmp_path / "a.tar.gz", imdb_members(reviews)))


def test_imdb_not_utf8(tmp_path):
    members = imdb_members()
    members["aclImdb/train/neg/3_1.txt"] = b"\xff\xfe broken"
    with pytest.raises(formats.FormatError, match="UTF-8"):
        formats.read_imdb(tar_gz(tmp_path / "a.tar.gz", members))


def test_imdb_truncated_archive(tmp_path):
    members = imdb_members({**IMDB_REVIEWS, **{f"aclImdb/train/pos/{i + 100}_8.txt": f"review {i} " * 50
                                                for i in range(200)}})
    path = tar_gz(tmp_path / "a.tar.gz", members)
    path.write_bytes(path.read_bytes()[:-300])
    with pytest.raises(formats.FormatError, match="tar archive"):
        formats.read_imdb(path)
