"""Parsers for the published file formats: IDX (MNIST, Fashion-MNIST), CIFAR python pickles, IMDb archive.

Each parser checks the structure it reads and raises :class:`FormatError` (a
ValueError) naming the file and what is wrong when a file is truncated or
corrupt, rather than returning garbage.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import re
import tarfile
import zlib

import numpy as np


class FormatError(ValueError):
    """A data file does not have the structure its format promises (truncated, corrupt, wrong file)."""


def _fail(path, problem: str) -> FormatError:
    return FormatError(f"{os.fspath(path)}: {problem}. The file is truncated, corrupt or not the expected "
                       "one: delete it and download it again.")


# ---- IDX ------------------------------------------------------------------------------
#: IDX type byte -> big-endian numpy dtype (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT").
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array.

    Layout: two zero bytes, a type byte (``0x08`` = uint8, ...), a byte ``ndim``,
    ``ndim`` big-endian uint32 sizes, then the values in C order, big-endian.

    Shape: ``(d0, d1, ...)`` as stored, e.g. ``(60000, 28, 28)`` uint8 for MNIST images
    and ``(60000,)`` for its labels. Values come back in native byte order.

    Raises:
        FormatError: bad magic, unknown type, or fewer/more bytes than the sizes promise.

    Example:
        >>> images = read_idx("train-images-idx3-ubyte.gz")    # doctest: +SKIP
    """
    raw = _read_maybe_gzip(path)
    if len(raw) < 4:
        raise _fail(path, f"IDX header needs 4 bytes, the file has {len(raw)}")
    if raw[0] != 0 or raw[1] != 0:
        raise _fail(path, f"IDX files start with two zero bytes, got {raw[:2].hex()}")
    type_code, ndim = raw[2], raw[3]
    if type_code not in IDX_DTYPES:
        raise _fail(path, f"unknown IDX type byte 0x{type_code:02x} (known: {sorted(hex(c) for c in IDX_DTYPES)})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise _fail(path, f"IDX header for {ndim} dimensions needs {header} bytes, the file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[type_code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise _fail(path, f"IDX sizes {shape} of {dtype.name} need {expected:,} bytes, the file has {len(raw):,}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a native-order copy, writable


def _read_maybe_gzip(path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:
        raise _fail(path, f"gzip data is damaged ({type(err).__name__}: {err})") from None


# ---- CIFAR-10 python pickles -----------------------------------------------------------
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_BATCH = "test_batch"


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, strings and numpy arrays, nothing else: a pickle cannot run code here."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes; it only encodes text
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")


def _unpickle(data: bytes, where: str) -> dict:
    try:
        obj = _ArrayOnlyUnpickler(io.BytesIO(data), encoding="bytes").load()
    except Exception as err:  # any damage to a pickle surfaces as one of many exception types
        raise _fail(where, f"cannot unpickle ({type(err).__name__}: {err})") from None
    if not isinstance(obj, dict):
        raise _fail(where, f"expected a pickled dict, got {type(obj).__name__}")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _cifar_batch(blob: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    batch = _unpickle(blob, where)
    for key in ("data", "labels"):
        if key not in batch:
            raise _fail(where, f"CIFAR batch has no {key!r} entry (keys: {sorted(map(str, batch))})")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise _fail(where, f"CIFAR 'data' must be uint8 of shape (N, 3072), got {data.dtype} {data.shape}")
    if labels.shape != (data.shape[0],):
        raise _fail(where, f"{data.shape[0]} images but {labels.shape[0]} labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise _fail(where, f"CIFAR-10 labels must be in 0..9, got {labels.min()}..{labels.max()}")
    return data.reshape(-1, 3, 32, 32), labels


def read_cifar10(path: str | os.PathLike) -> dict:
    """Read ``cifar-10-python.tar.gz`` without unpacking it to disk.

    Layout: ``cifar-10-batches-py/`` holding ``data_batch_1`` .. ``data_batch_5``,
    ``test_batch`` (pickled dicts with ``data`` ``(N, 3072)`` uint8, rows of R, G, B
    planes, and ``labels``) and ``batches.meta`` (``label_names``).

    Returns: ``{"X_train": (50000, 3, 32, 32) uint8, "y_train": (50000,) int64,
    "X_test": (10000, 3, 32, 32) uint8, "y_test": (10000,) int64, "classes": tuple}``
    (smaller N for smaller archives of the same layout).

    Pickles are read with an unpickler that only builds numpy arrays, so a
    tampered archive cannot run code.

    Raises:
        FormatError: damaged gzip/tar, a missing member, or batches of the wrong shape.
    """
    members = {f"{CIFAR10_FOLDER}/{n}" for n in (*CIFAR10_TRAIN_BATCHES, CIFAR10_TEST_BATCH, "batches.meta")}
    blobs = _read_tar_members(path, lambda name: name in members)
    missing = sorted(members - set(blobs))
    if missing:
        raise _fail(path, f"the archive lacks {', '.join(missing)}")
    train = [_cifar_batch(blobs[f"{CIFAR10_FOLDER}/{n}"], f"{os.fspath(path)}:{n}") for n in CIFAR10_TRAIN_BATCHES]
    X_test, y_test = _cifar_batch(blobs[f"{CIFAR10_FOLDER}/{CIFAR10_TEST_BATCH}"], f"{os.fspath(path)}:test_batch")
    meta = _unpickle(blobs[f"{CIFAR10_FOLDER}/batches.meta"], f"{os.fspath(path)}:batches.meta")
    names = meta.get("label_names")
    if not isinstance(names, list) or len(names) != 10:
        raise _fail(path, "batches.meta must list 10 label_names")
    classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    return {"X_train": np.concatenate([x for x, _ in train]), "y_train": np.concatenate([y for _, y in train]),
            "X_test": X_test, "y_test": y_test, "classes": classes}


def _read_tar_members(path, wanted) -> dict[str, bytes]:
    """Read the regular files whose names satisfy ``wanted`` from a (gzip) tar, in one streaming pass."""
    out = {}
    try:
        with tarfile.open(path, mode="r|*") as tar:
            for member in tar:
                if member.isfile() and wanted(member.name):
                    out[member.name] = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise _fail(path, f"cannot read the tar archive ({type(err).__name__}: {err})") from None
    return out


# ---- IMDb (aclImdb_v1.tar.gz) ------------------------------------------------------------
IMDB_MEMBER = re.compile(r"^aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def read_imdb(path: str | os.PathLike) -> dict:
    """Read the labelled reviews of ``aclImdb_v1.tar.gz`` (Maas et al. 2011) without unpacking it.

    Layout: ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``, one UTF-8 review per
    file; ratings are 7-10 for ``pos`` and 1-4 for ``neg``. ``train/unsup`` and the
    bag-of-words files are skipped.

    Returns: ``{"train": (texts, labels, ratings), "test": (texts, labels, ratings)}`` with
    ``texts`` a list of str, ``labels`` ``(N,)`` int64 (0 = negative, 1 = positive) and
    ``ratings`` ``(N,)`` int64, ordered by label then review id (deterministic).

    Raises:
        FormatError: damaged archive, a review that is not UTF-8, a rating that
        contradicts its folder, or a split without both labels.
    """
    blobs = _read_tar_members(path, lambda name: IMDB_MEMBER.match(name) is not None)
    rows = {"train": [], "test": []}
    for name, blob in blobs.items():
        split, polarity, review_id, rating = IMDB_MEMBER.match(name).groups()
        rating, label = int(rating), int(polarity == "pos")
        if (label and not 7 <= rating <= 10) or (not label and not 1 <= rating <= 4):
            raise _fail(path, f"{name} has rating {rating}, impossible in the {polarity!r} folder")
        try:
            text = blob.decode("utf-8")
        except UnicodeDecodeError as err:
            raise _fail(path, f"{name} is not UTF-8 text ({err})") from None
        rows[split].append((label, int(review_id), rating, text))
    out = {}
    for split, items in rows.items():
        labels_present = {label for label, *_ in items}
        if labels_present != {0, 1}:
            found = sorted(labels_present)
            raise _fail(path, f"aclImdb/{split} must hold both pos and neg reviews, found labels {found}")
        items.sort(key=lambda row: (row[0], row[1]))
        out[split] = ([t for *_, t in items], np.array([r[0] for r in items], dtype=np.int64),
                      np.array([r[2] for r in items], dtype=np.int64))
    return out
