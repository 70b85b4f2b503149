"""Full-size datasets (MNIST, Fashion-MNIST, CIFAR-10, IMDb) and their offline stand-ins.

One switch picks which: ``full=True`` (or ``DLKIT_FULL_DATA=1`` when ``full=None``)
downloads, verifies and parses the real files through :mod:`dlkit.data.download`;
otherwise the loader returns an embedded stand-in with the same layout (channels
first, integer labels) that needs no network, and says so in its description.
The official test sets are kept as published; validation comes out of the
official training set (stratified).

Checksums: the SHA-256 values below are the published ones (the same values are
pinned by TensorFlow Datasets, Keras and Hugging Face datasets). Sizes are in bytes.
"""

from __future__ import annotations

import numpy as np

from dlkit.data import download as dl
from dlkit.data import formats
from dlkit.data.embedded import load_digits
from dlkit.data.splits import DataSplits, train_val_split
from dlkit.reference._validate import check_int

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
FASHION_MIRRORS = (
    "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)


def _idx_files(subdir: str, mirrors: tuple[str, ...], table, what: str) -> dict[str, dl.RemoteFile]:
    return {key: dl.RemoteFile(name, subdir, tuple(m + name for m in mirrors), sha, size, f"{what} {key}")
            for key, name, sha, size in table}


MNIST_FILES = _idx_files("mnist", MNIST_MIRRORS, (
    ("train images", "train-images-idx3-ubyte.gz",
     "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9_912_422),
    ("train labels", "train-labels-idx1-ubyte.gz",
     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28_881),
    ("test images", "t10k-images-idx3-ubyte.gz",
     "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1_648_877),
    ("test labels", "t10k-labels-idx1-ubyte.gz",
     "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4_542),
), "MNIST")

FASHION_MNIST_FILES = _idx_files("fashion-mnist", FASHION_MIRRORS, (
    ("train images", "train-images-idx3-ubyte.gz",
     "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26_421_880),
    ("train labels", "train-labels-idx1-ubyte.gz",
     "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29_515),
    ("test images", "t10k-images-idx3-ubyte.gz",
     "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4_422_102),
    ("test labels", "t10k-labels-idx1-ubyte.gz",
     "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5_148),
), "Fashion-MNIST")

CIFAR10_FILE = dl.RemoteFile(
    "cifar-10-python.tar.gz", "cifar-10",
    ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
    "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce", 170_498_071,
    "CIFAR-10, python version")

#: Training and test images in the real CIFAR-10 (a test on small files in its format changes this).
CIFAR10_COUNTS = (50_000, 10_000)

#: Training and test images in the real MNIST and Fashion-MNIST (a test on small files in their format changes this).
MNIST_COUNTS = (60_000, 10_000)

IMDB_FILE = dl.RemoteFile(
    "aclImdb_v1.tar.gz", "imdb",
    ("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
     "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"),
    "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe", 84_125_825,
    "Large Movie Review Dataset v1.0")

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
VAL_SIZE = 0.1


def _image_splits(name: str, X_train, y_train, X_test, y_test, classes, *, source: str, seed: int,
                  val_size: float) -> DataSplits:
    X_tr, y_tr, X_val, y_val = train_val_split(X_train, y_train, val_size=val_size, seed=seed, stratify=True)
    return DataSplits(name, X_tr, y_tr, X_val, y_val, X_test, y_test, classes=tuple(classes), source=source,
                      notes="pixels scaled to [0, 1], channels first (N, C, H, W)", seed=seed)


def _idx_dataset(name: str, files: dict, classes, fetch_options: dict, seed: int, val_size: float) -> DataSplits:
    paths, failures = {}, []
    for key, remote in files.items():  # try every file, so an offline error lists all that are missing
        try:
            paths[key] = dl.fetch(remote, **fetch_options)
        except dl.DownloadError as err:
            failures.append(str(err))
    if failures:
        header = f"{name}: {len(failures)} of {len(files)} files are missing."
        raise dl.DownloadError("\n\n".join([header, *failures]))
    arrays = {key: formats.read_idx(path) for key, path in paths.items()}
    for split, count in zip(("train", "test"), MNIST_COUNTS):
        images, labels = arrays[f"{split} images"], arrays[f"{split} labels"]
        if images.shape != (count, 28, 28) or labels.shape != (count,) or labels.max() > 9:
            raise formats.FormatError(
                f"{name} {split}: expected images (count, 28, 28) and labels ({count},) in 0..9, got "
                f"{images.shape} and {labels.shape}. Delete the files under {paths[f'{split} images'].parent} "
                "and download again.")
    to_float = lambda images: np.divide(images[:, None, :, :], 255, dtype=np.float32)  # noqa: E731 (one copy)
    return _image_splits(name, to_float(arrays["train images"]), arrays["train labels"].astype(np.int64),
                         to_float(arrays["test images"]), arrays["test labels"].astype(np.int64), classes,
                         source=f"{name} (downloaded, SHA-256 verified)", seed=seed, val_size=val_size)


def _digits_stand_in(name: str, real: str, channels: int, seed: int) -> DataSplits:
    ds = load_digits(seed=seed, as_images=True)
    if channels > 1:
        for which in ("train", "val", "test"):
            setattr(ds, f"X_{which}", np.repeat(ds.split(which)[0], channels, axis=1))
    ds.name = name
    ds.source = (f"offline stand-in: scikit-learn digits 8x8 (not {real}); full=True or "
                 f"{dl.ENV_FULL_DATA}=1 loads the real set")
    return ds


def load_mnist(full: bool | None = None, seed: int = 0, *, val_size: float = VAL_SIZE, **fetch_options) -> DataSplits:
    """Handwritten digits: MNIST when full, else the offline stand-in (scikit-learn digits).

    Shape: full: ``X_*`` ``(N, 1, 28, 28)`` float32 in ``[0, 1]``; ``N`` = 54000 / 6000 / 10000
    (train / val / test; test is the official 10k). Stand-in: ``(N, 1, 8, 8)``, 1797 images
    in all. ``y_*`` ``(N,)`` int64 in ``0..9`` either way. Write models that read
    ``ds.input_shape`` so the same code runs on both.

    Args:
        full: True downloads MNIST (about 11 MB, cached); False uses the stand-in;
            None (default) reads ``DLKIT_FULL_DATA``.
        seed: seeds the train/validation split.
        val_size: fraction of the official training set kept for validation.
        **fetch_options: passed to :func:`dlkit.data.download.fetch` (``cache_dir``, ``timeout``, ...).

    Source: LeCun, Cortes and Burges, http://yann.lecun.com/exdb/mnist/ (mirrors in ``MNIST_MIRRORS``).

    Example:
        >>> ds = load_mnist(full=False); ds.input_shape
        (1, 8, 8)
    """
    seed = check_int(seed, "seed", low=0)
    if not dl.use_full_data(full):
        return _digits_stand_in("mnist", "MNIST", 1, seed)
    return _idx_dataset("MNIST", MNIST_FILES, [str(d) for d in range(10)], fetch_options, seed, val_size)


def load_fashion_mnist(full: bool | None = None, seed: int = 0, *, val_size: float = VAL_SIZE,
                       **fetch_options) -> DataSplits:
    """Zalando's Fashion-MNIST (clothing, 10 classes) when full, else the digits stand-in.

    Shape: full: ``X_*`` ``(N, 1, 28, 28)`` float32 in ``[0, 1]``, ``y_*`` ``(N,)`` int64,
    classes ``FASHION_CLASSES``; 54000 / 6000 / 10000. Offline there is no clothing data:
    the stand-in is scikit-learn digits ``(N, 1, 8, 8)`` with digit class names, so code
    runs but the pictures are digits (the description says so).
    Source: Xiao, Rasul and Vollgraf 2017, https://github.com/zalandoresearch/fashion-mnist.

    Example:
        >>> load_fashion_mnist(full=False).n_classes
        10
    """
    seed = check_int(seed, "seed", low=0)
    if not dl.use_full_data(full):
        return _digits_stand_in("fashion_mnist", "Fashion-MNIST", 1, seed)
    return _idx_dataset("Fashion-MNIST", FASHION_MNIST_FILES, FASHION_CLASSES, fetch_options, seed, val_size)


def load_cifar10(full: bool | None = None, seed: int = 0, *, val_size: float = VAL_SIZE,
                 **fetch_options) -> DataSplits:
    """CIFAR-10 (32x32 colour photos, 10 classes) when full, else a 3-channel digits stand-in.

    Shape: full: ``X_*`` ``(N, 3, 32, 32)`` float32 in ``[0, 1]`` (RGB, channels first),
    ``y_*`` ``(N,)`` int64; 45000 / 5000 / 10000. Stand-in: scikit-learn digits repeated
    on 3 channels, ``(N, 3, 8, 8)``, digit class names.
    Source: Krizhevsky 2009, https://www.cs.toronto.edu/~kriz/cifar.html (about 170 MB).

    Example:
        >>> load_cifar10(full=False).input_shape
        (3, 8, 8)
    """
    seed = check_int(seed, "seed", low=0)
    if not dl.use_full_data(full):
        return _digits_stand_in("cifar10", "CIFAR-10", 3, seed)
    path = dl.fetch(CIFAR10_FILE, **fetch_options)
    parsed = formats.read_cifar10(path)
    n_train, n_test = CIFAR10_COUNTS
    if parsed["X_train"].shape[0] != n_train or parsed["X_test"].shape[0] != n_test:
        raise formats.FormatError(f"CIFAR-10 must have {n_train} + {n_test} images, got {parsed['X_train'].shape[0]} "
                                  f"+ {parsed['X_test'].shape[0]}. Delete {path}.")
    to_float = lambda images: np.divide(images, 255, dtype=np.float32)  # noqa: E731 (one copy)
    return _image_splits("CIFAR-10", to_float(parsed["X_train"]), parsed["y_train"], to_float(parsed["X_test"]),
                         parsed["y_test"], parsed["classes"], source="CIFAR-10 (downloaded, SHA-256 verified)",
                         seed=seed, val_size=val_size)


def load_imdb(full: bool | None = None, seed: int = 0, *, val_size: float = VAL_SIZE,
              **fetch_options) -> DataSplits:
    """IMDb movie reviews, positive or negative, when full, else a small generated stand-in.

    Shape: ``X_*`` ``(N,)`` numpy object arrays of review strings (HTML ``<br />`` turned
    into newlines); ``y_*`` ``(N,)`` int64, ``0 = negative``, ``1 = positive``. Full:
    22500 / 2500 / 25000. ``info["ratings_test"]`` holds the 1-10 star ratings of the test set.
    Turn text into ids with :class:`dlkit.data.text.WordVocab` before ``ds.tensors()``.
    Stand-in: 1200 short reviews generated from templates (see :func:`dlkit.data.text.make_reviews`).
    Source: Maas et al. 2011, https://ai.stanford.edu/~amaas/data/sentiment/ (about 84 MB).

    Example:
        >>> load_imdb(full=False).classes
        ('negative', 'positive')
    """
    from dlkit.data.text import make_reviews

    seed = check_int(seed, "seed", low=0)
    if not dl.use_full_data(full):
        return make_reviews(seed=seed)
    path = dl.fetch(IMDB_FILE, **fetch_options)
    parsed = formats.read_imdb(path)
    for split in ("train", "test"):
        if len(parsed[split][0]) != 25_000:
            raise formats.FormatError(f"IMDb {split} must hold 25000 reviews, got {len(parsed[split][0])}. "
                                      f"Delete {path}.")
    texts = {s: np.array([t.replace("<br />", "\n") for t in parsed[s][0]], dtype=object) for s in parsed}
    X_tr, y_tr, X_val, y_val = train_val_split(texts["train"], parsed["train"][1], val_size=val_size, seed=seed,
                                               stratify=True)
    return DataSplits("imdb", X_tr, y_tr, X_val, y_val, texts["test"], parsed["test"][1],
                      classes=("negative", "positive"), source="IMDb reviews, Maas et al. 2011 (downloaded, "
                      "SHA-256 verified)", notes="X holds raw review text", seed=seed,
                      info={"ratings_test": parsed["test"][2]})
