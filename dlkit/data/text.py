"""Text data: an offline character corpus (lesson 09), vocabularies, and a generated review set.

The corpus comes from the Python standard library itself, so it is on every
machine that can run the course: ``pydoc_data.topics``, the help texts that
``help("with")`` or ``help("FORMATTING")`` print. They are the language
reference's own prose (about 460,000 characters of English with code samples
in Python 3.11; the exact text changes a little between Python versions, and
``ds.description`` says which). The Zen of Python alone (856 characters) is too
short to train on, and license files are missing from many installs.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from dlkit.data.splits import DataSplits, three_way_split
from dlkit.reference._validate import check_int, check_real

MIN_CORPUS_CHARS = 20_000


def corpus_text() -> dict[str, str]:
    """The help topics of ``pydoc_data.topics`` as ``{topic name: text}`` (sorted by name).

    Raises:
        RuntimeError: when this Python has no ``pydoc_data`` (a stripped-down build).
    """
    try:
        from pydoc_data.topics import topics
    except ImportError as err:
        raise RuntimeError(
            f"This Python ({sys.version.split()[0]}) has no pydoc_data module, the source of the offline text "
            "corpus. Install the full standard library (e.g. apt install python3-full) or use "
            "load_text_corpus(text=your_string)."
        ) from err
    return {name: topics[name] for name in sorted(topics)}


@dataclass(frozen=True)
class CharVocab:
    """A character vocabulary: ``chars[i]`` is the character with id ``i``.

    Example:
        >>> v = CharVocab.build("hello"); v.encode("hell"), v.decode([2, 0])
        (array([1, 0, 2, 2]), 'le')
    """

    chars: tuple[str, ...]
    index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "index", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def build(cls, text: str) -> "CharVocab":
        """Every distinct character of ``text``, sorted by code point."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}.")
        return cls(tuple(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters)"

    def encode(self, text: str) -> np.ndarray:
        """``text`` -> ``(len(text),)`` int64 ids; raises ValueError naming an unknown character."""
        if not isinstance(text, str):
            raise TypeError(f"encode takes a str, got {type(text).__name__}.")
        unknown = set(text) - self.index.keys()
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {sorted(unknown)!r}. Build the vocabulary "
                             "from text that contains them, or remove them first.")
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """Ids (a sequence, numpy array or 1-D tensor) -> the string they spell."""
        ids = np.asarray(ids.tolist() if hasattr(ids, "tolist") else ids, dtype=np.int64).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must be in [0, {len(self)}), got values from {ids.min()} to {ids.max()}.")
        return "".join(self.chars[i] for i in ids)


@dataclass(repr=False, eq=False)
class TextSplits(DataSplits):
    """A :class:`DataSplits` for character-level language modelling, plus its vocabulary and raw text.

    Shape: ``X_*`` ``(N, seq_len)`` int64 character ids; ``y_*`` ``(N, seq_len)`` int64, the
    same windows shifted by one character (``y[:, t]`` is the character after ``X[:, t]``).
    ``texts["train"]`` (and ``"val"``, ``"test"``) is the raw text of each split.
    """

    vocab: CharVocab | None = None
    texts: dict = field(default_factory=dict)


def _windows(ids: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping ``(X, y)`` windows: ``X[i] = ids[i*L : i*L+L]``, ``y[i] = ids[i*L+1 : i*L+L+1]``."""
    n = (len(ids) - 1) // seq_len
    X = ids[: n * seq_len].reshape(n, seq_len)
    y = ids[1: n * seq_len + 1].reshape(n, seq_len)
    return X.copy(), y.copy()


def load_text_corpus(seq_len: int = 64, seed: int = 0, *, val_size: float = 0.05, test_size: float = 0.05,
                     max_chars: int | None = None, text: str | None = None) -> TextSplits:
    """A character-level language-modelling set from Python's own help texts (offline).

    Shape: ``X_*`` ``(N, seq_len)`` int64 ids, ``y_*`` ``(N, seq_len)`` int64 next-character
    ids; ``len(ds.vocab)`` ids in all (about 100). Whole help topics go to train, val or
    test (shuffled with ``seed``, about 90/5/5 % of the characters), so no topic is
    split across sets.

    Args:
        seq_len: characters per training window.
        seed: which topics land in which split.
        max_chars: keep only the first ``max_chars`` characters of each split's text
            (after the split) for faster lessons on CPU.
        text: use this string instead of the help texts (split into contiguous 90/5/5 parts).

    Source: ``pydoc_data.topics`` from the Python standard library (see the module docstring).

    Example:
        >>> ds = load_text_corpus(seq_len=32, max_chars=50_000)
        >>> ds.vocab.decode(ds.X_train[0])[:20]            # doctest: +SKIP
    """
    seq_len = check_int(seq_len, "seq_len", low=1)
    seed = check_int(seed, "seed", low=0)
    val_size = check_real(val_size, "val_size", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    test_size = check_real(test_size, "test_size", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    if text is None:
        parts = _split_documents(corpus_text(), seed, val_size, test_size)
        source = f"Python {sys.version.split()[0]} standard library help texts (pydoc_data.topics)"
    elif isinstance(text, str):
        a, b = int(len(text) * (1 - val_size - test_size)), int(len(text) * (1 - test_size))
        parts = {"train": text[:a], "val": text[a:b], "test": text[b:]}
        source = "text given by the caller"
    else:
        raise TypeError(f"text must be a str or None, got {type(text).__name__}.")
    vocab = CharVocab.build("".join(parts.values()))
    if max_chars is not None:
        max_chars = check_int(max_chars, "max_chars", low=seq_len + 1)
        parts = {k: v[:max_chars] for k, v in parts.items()}
    arrays = []
    for which in ("train", "val", "test"):
        if len(parts[which]) <= seq_len:
            raise ValueError(f"the {which} text has {len(parts[which])} characters, too few for seq_len={seq_len}. "
                             "Give more text or a smaller seq_len.")
        arrays += _windows(vocab.encode(parts[which]), seq_len)
    n_chars = sum(len(v) for v in parts.values())
    return TextSplits("text_corpus", *arrays, classes=None, source=source, task="language-model",
                      notes=f"{n_chars:,} characters, vocabulary of {len(vocab)}; decode with ds.vocab.decode(ids)",
                      seed=seed, vocab=vocab, texts=parts)


def _split_documents(docs: dict[str, str], seed: int, val_size: float, test_size: float) -> dict[str, str]:
    """Assign whole documents to train/val/test by shuffled order until each split has its share of characters."""
    total = sum(len(t) for t in docs.values())
    if total < MIN_CORPUS_CHARS:
        raise RuntimeError(f"the help texts have only {total} characters (Python run with -OO?); "
                           "pass text=... to load_text_corpus instead.")
    names = list(docs)
    order = np.random.default_rng(seed).permutation(len(names))
    quota = {"test": test_size * total, "val": val_size * total}
    chosen: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    filled = {"test": 0, "val": 0}
    for i in order:
        name = names[i]
        target = next((s for s in ("test", "val") if filled[s] < quota[s]), "train")
        chosen[target].append(docs[name])
        if target != "train":
            filled[target] += len(docs[name])
    return {split: "\n\n".join(texts) for split, texts in chosen.items()}


# ---- word-level text (IMDb and its stand-in) ------------------------------------------------
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-case words, numbers and single punctuation marks: ``"Not bad!" -> ["not", "bad", "!"]``."""
    return TOKEN.findall(text.lower())


@dataclass(frozen=True)
class WordVocab:
    """A word vocabulary with ``<pad>`` = 0 and ``<unk>`` = 1, built from training texts only.

    Example:
        >>> v = WordVocab.build(["a good film", "a bad film"]); v.encode_batch(["good film"], max_len=4)
        array([[5, 3, 0, 0]])
    """

    words: tuple[str, ...]
    index: dict = field(init=False, repr=False, compare=False)
    PAD = 0
    UNK = 1

    def __post_init__(self):
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.words)})

    @classmethod
    def build(cls, texts, max_size: int = 20_000, min_count: int = 1) -> "WordVocab":
        """The ``max_size`` most frequent tokens (ties broken alphabetically) seen at least ``min_count`` times."""
        max_size = check_int(max_size, "max_size", low=3)
        min_count = check_int(min_count, "min_count", low=1)
        counts = Counter(tok for text in texts for tok in tokenize(text))
        ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(("<pad>", "<unk>", *ranked[: max_size - 2]))

    def __len__(self) -> int:
        return len(self.words)

    def __repr__(self) -> str:
        return f"WordVocab({len(self)} words incl. <pad>, <unk>)"

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; unknown words map to ``<unk>`` (1)."""
        return [self.index.get(tok, self.UNK) for tok in tokenize(text)]

    def encode_batch(self, texts, max_len: int) -> np.ndarray:
        """``(N, max_len)`` int64 ids, cut after ``max_len`` tokens and padded with ``<pad>`` (0)."""
        max_len = check_int(max_len, "max_len", low=1)
        out = np.zeros((len(texts), max_len), dtype=np.int64)
        for row, text in enumerate(texts):
            ids = self.encode(text)[:max_len]
            out[row, : len(ids)] = ids
        return out


_SUBJECTS = ("the film", "this movie", "the plot", "the acting", "the soundtrack", "the ending", "the cast",
             "the script", "the camera work", "the story")
_GOOD = ("wonderful", "brilliant", "moving", "superb", "charming", "gripping", "delightful", "memorable", "clever")
_BAD = ("dull", "clumsy", "boring", "tedious", "forgettable", "awful", "predictable", "lifeless", "silly")
_ADVERBS = ("", "truly ", "really ", "rather ", "quite ", "simply ")
_CLOSERS = {1: ("I would watch it again.", "Highly recommended.", "A must see.", "Ten out of ten."),
            0: ("I would not watch it again.", "Skip this one.", "A waste of time.", "Two out of ten.")}


def make_reviews(n_reviews: int = 1200, seed: int = 0, *, val_size: float = 0.15,
                 test_size: float = 0.15) -> DataSplits:
    """Short generated movie reviews, positive or negative: the offline stand-in for IMDb.

    Each review has 2 to 4 sentences "<subject> was <adverb><adjective>." with adjectives
    of its polarity, one time in five negated ("was not dull" in a positive review), and
    a closing remark. Learnable by a bag of words, but negation rewards word order.

    Shape: ``X_*`` ``(N,)`` object arrays of str; ``y_*`` ``(N,)`` int64 (0 negative, 1 positive).
    Source: generated locally from ``seed``.

    Example:
        >>> make_reviews(n_reviews=100).X_train[0]          # doctest: +SKIP
        'The plot was truly gripping. The cast was not boring. A must see.'
    """
    n_reviews = check_int(n_reviews, "n_reviews", low=20)
    seed = check_int(seed, "seed", low=0)
    rng = np.random.default_rng(seed)
    labels = np.arange(n_reviews) % 2
    texts = []
    for label in labels:
        same, opposite = (_GOOD, _BAD) if label else (_BAD, _GOOD)
        sentences = []
        for _ in range(rng.integers(2, 5)):
            subject = _SUBJECTS[rng.integers(len(_SUBJECTS))].capitalize()
            if rng.random() < 0.2:
                sentences.append(f"{subject} was not {opposite[rng.integers(len(opposite))]}.")
            else:
                adverb = _ADVERBS[rng.integers(len(_ADVERBS))]
                sentences.append(f"{subject} was {adverb}{same[rng.integers(len(same))]}.")
        sentences.append(_CLOSERS[int(label)][rng.integers(4)])
        texts.append(" ".join(sentences))
    splits = three_way_split(np.array(texts, dtype=object), labels.astype(np.int64), val_size=val_size,
                             test_size=test_size, seed=seed, stratify=True)
    return DataSplits("imdb", *splits, classes=("negative", "positive"), notes="X holds raw review text", seed=seed,
                      source="offline stand-in: generated template reviews (not IMDb); full=True or "
                             "DLKIT_FULL_DATA=1 loads the real set")
