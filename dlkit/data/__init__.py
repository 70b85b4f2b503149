"""dlkit.data: every dataset a lesson needs, offline by default, real when asked.

Embedded sets (scikit-learn tables, 2-D generators, sequences, a text corpus,
a real time series) need no network. Full-size sets (MNIST, Fashion-MNIST,
CIFAR-10, IMDb) download through :mod:`dlkit.data.download` when ``full=True``
or ``DLKIT_FULL_DATA=1``; otherwise their loaders return an embedded stand-in.

Every loader returns a :class:`DataSplits`::

    from dlkit import data
    ds = data.load_iris(seed=0)
    print(ds)                                    # one line: source, shapes, classes
    X_train, y_train = ds.X_train, ds.y_train    # numpy
    train_dl, val_dl, test_dl = ds.dataloaders(batch_size=64)   # torch

Which loader a lesson uses:

=============================  ======================================  ========
loader                         what                                    lessons
=============================  ======================================  ========
load_iris, load_wine           small tables, 3 classes                 01, 04
load_breast_cancer             30 features, 2 classes                  02
make_biased_lending            loans with a sensitive attribute and    12
                               a documented label bias (generated)
load_digits                    8x8 digits, 10 classes                  04-08
make_moons / circles / spirals 2-D toy classification                  01, 03
make_gaussian_mixture          2-D mixture, the GAN target             10
make_regression_1d             1-D regression                          02
noisy_sines, load_stock_prices forecasting (generated, real)           09
digits_as_sequences            sequence classification                 09
load_text_corpus               character-level language model          09
make_sequence_task             copy / reverse / sort token sequences   11
load_mnist, load_fashion_mnist full-size images (stand-in offline)     08
load_cifar10, load_imdb        full-size images / reviews              08, 09
=============================  ======================================  ========
"""

from dlkit.data.download import DownloadError, IntegrityError, RemoteFile, data_dir, fetch, use_full_data
from dlkit.data.embedded import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_circles,
    make_biased_lending,
    make_gaussian_mixture,
    make_moons,
    make_regression_1d,
    make_spirals,
)
from dlkit.data.formats import FormatError, read_cifar10, read_idx, read_imdb
from dlkit.data.full import load_cifar10, load_fashion_mnist, load_imdb, load_mnist
from dlkit.data.sequences import digits_as_sequences, load_stock_prices, make_sequence_task, noisy_sines
from dlkit.data.splits import DataSplits, SplitTensors
from dlkit.data.text import CharVocab, TextSplits, WordVocab, load_text_corpus, make_reviews, tokenize

__all__ = [
    "CharVocab", "DataSplits", "DownloadError", "FormatError", "IntegrityError", "RemoteFile", "SplitTensors",
    "TextSplits", "WordVocab", "data_dir", "digits_as_sequences", "fetch", "load_breast_cancer", "load_cifar10",
    "load_digits", "load_fashion_mnist", "load_imdb", "load_iris", "load_mnist", "load_stock_prices",
    "load_text_corpus", "load_wine", "make_biased_lending", "make_circles", "make_gaussian_mixture", "make_moons", "make_regression_1d",
    "make_reviews", "make_sequence_task", "make_spirals", "noisy_sines", "read_cifar10", "read_idx", "read_imdb",
    "tokenize", "use_full_data",
]
