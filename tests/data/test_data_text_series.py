"""The offline text corpus, the real time series and the word vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import data
from dlkit.data.text import corpus_text


@pytest.fixture(scope="module")
def corpus():
    return data.load_text_corpus(seq_len=32)


def test_corpus_windows_are_next_character_pairs(corpus):
    assert corpus.X_train.shape[1] == 32 and corpus.X_train.dtype == np.int64
    np.testing.assert_array_equal(corpus.X_train[:, 1:], corpus.y_train[:, :-1])
    # consecutive non-overlapping windows: the target's last char starts the next window
    np.testing.assert_array_equal(corpus.y_train[:-1, -1], corpus.X_train[1:, 0])
    text = corpus.texts["train"]
    assert corpus.vocab.decode(corpus.X_train[0]) == text[:32]
    assert corpus.vocab.decode(corpus.y_train[0]) == text[1:33]


def test_corpus_is_large_enough_and_split_by_topic(corpus):
    sizes = {k: len(v) for k, v in corpus.texts.items()}
    assert sum(sizes.values()) > 100_000
    assert 0.8 < sizes["train"] / sum(sizes.values()) < 0.95
    # every help topic lands whole in exactly one split
    for topic in corpus_text().values():
        assert sum(topic in text for text in corpus.texts.values()) == 1
    assert "Python" in corpus.description and "pydoc_data" in corpus.description


def test_corpus_is_deterministic_and_seed_moves_topics(corpus):
    again = data.load_text_corpus(seq_len=32)
    assert again.texts == corpus.texts and again.vocab == corpus.vocab
    assert data.load_text_corpus(seq_len=32, seed=1).texts["test"] != corpus.texts["test"]


def test_corpus_from_given_text_and_max_chars():
    ds = data.load_text_corpus(seq_len=4, text="abcdefghij" * 30, max_chars=50)
    assert len(ds.vocab) == 10 and len(ds.texts["train"]) == 50
    assert ds.X_train.shape == (12, 4)
    with pytest.raises(ValueError, match="too few"):
        data.load_text_corpus(seq_len=64, text="short text " * 20)


def test_char_vocab_round_trip_and_errors():
    vocab = data.CharVocab.build("hello world")
    assert vocab.decode(vocab.encode("low door")) == "low door"
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("zoo")
    with pytest.raises(ValueError, match=r"\[0, 8\)"):
        vocab.decode([0, 8])


def test_stock_prices_are_real_and_chronological():
    ds = data.load_stock_prices(window=10, horizon=2)
    assert ds.X_train.shape[1:] == (10, 1) and ds.y_train.shape[1:] == (2,)
    close = ds.info["close"]
    assert len(close) == 1047 and str(ds.info["dates"][0]) == "2004-08-19"
    np.testing.assert_allclose(ds.X_train[:, -1, 0], 0.0)  # relative to the last day seen
    days = [ds.info[f"target_day_{s}"] for s in ("train", "val", "test")]
    assert days[0].max() < days[1].min() and days[1].max() < days[2].min()
    # first training example: days 0..9 seen, predict days 10 and 11
    expected = 100 * (np.log(close[10:12]) - np.log(close[9]))
    np.testing.assert_allclose(ds.y_train[0], expected, rtol=1e-5)
    assert "goog" in ds.description


def test_tokenize_and_word_vocab_ranks_by_frequency():
    assert data.tokenize("Not bad, it's GOOD!") == ["not", "bad", ",", "it's", "good", "!"]
    vocab = data.WordVocab.build(["b a a", "c a b"], max_size=4)
    assert vocab.words == ("<pad>", "<unk>", "a", "b")
    np.testing.assert_array_equal(vocab.encode_batch(["a c b", "a"], max_len=2), [[2, 1], [2, 0]])
