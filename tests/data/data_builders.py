"""Build small files in the real published formats: IDX (gz), CIFAR-10 python tar.gz, aclImdb tar.gz."""

from __future__ import annotations

import gzip
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

IDX_TYPE = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B, np.dtype("int32"): 0x0C,
            np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``: 0, 0, type byte, ndim, big-endian uint32 sizes, big-endian values."""
    header = bytes([0, 0, IDX_TYPE[array.dtype], array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, *, compress: bool = True) -> Path:
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw, compresslevel=1) if compress else raw)
    return path


def tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    """A gzip-compressed tar holding ``members`` (name -> bytes), in the given order."""
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def cifar_batch(n: int, seed: int, label: str = "batch") -> tuple[bytes, np.ndarray, np.ndarray]:
    """A pickled CIFAR batch dict (bytes keys, as the Python 2 originals load), plus its images and labels."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n)
    batch = {b"batch_label": label.encode(), b"labels": [int(v) for v in labels], b"data": data,
             b"filenames": [f"img_{seed}_{i}.png".encode() for i in range(n)]}
    return pickle.dumps(batch, protocol=2), data, labels


CIFAR_NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]


def cifar_members(n_per_batch: int = 4) -> tuple[dict[str, bytes], dict]:
    """Members of a small ``cifar-10-python.tar.gz`` and the arrays they hold."""
    members, train_data, train_labels = {}, [], []
    for i in range(1, 6):
        blob, data, labels = cifar_batch(n_per_batch, seed=i)
        members[f"cifar-10-batches-py/data_batch_{i}"] = blob
        train_data.append(data)
        train_labels.append(labels)
    blob, test_data, test_labels = cifar_batch(n_per_batch, seed=99)
    members["cifar-10-batches-py/test_batch"] = blob
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps(
        {b"label_names": CIFAR_NAMES, b"num_cases_per_batch": n_per_batch, b"num_vis": 3072}, protocol=2)
    members["cifar-10-batches-py/readme.html"] = b"<html></html>"
    expected = {"train_data": np.concatenate(train_data), "train_labels": np.concatenate(train_labels),
                "test_data": test_data, "test_labels": test_labels}
    return members, expected


IMDB_REVIEWS = {
    "aclImdb/train/pos/0_9.txt": "A wonderful film.<br />Loved it.",
    "aclImdb/train/pos/12_7.txt": "Pretty good, caf\u00e9 scenes included.",
    "aclImdb/train/neg/3_1.txt": "Awful.",
    "aclImdb/train/neg/1_4.txt": "Not great, not terrible.",
    "aclImdb/test/pos/5_10.txt": "Masterpiece!",
    "aclImdb/test/neg/2_2.txt": "Boring and long.",
    "aclImdb/train/unsup/7_0.txt": "unlabelled text",
}


def imdb_members(reviews: dict[str, str] | None = None) -> dict[str, bytes]:
    """Members of a small ``aclImdb_v1.tar.gz``: reviews plus the extra files the real archive has."""
    members = {"aclImdb/README": b"Large Movie Review Dataset v1.0", "aclImdb/imdb.vocab": b"the\nand\n"}
    members.update({name: text.encode("utf-8") for name, text in (reviews or IMDB_REVIEWS).items()})
    members["aclImdb/train/labeledBow.feat"] = b"0 0:1\n"
    return members
