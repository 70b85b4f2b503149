"""dlkit.train: device selection, device description, seeding."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from dlkit import train


def test_device_auto_is_available_kind():
    dev = train.device()
    assert isinstance(dev, torch.device)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if train._mps_available() else "cpu")
    assert dev.type == expected


def test_device_prefers_cpu_when_asked():
    assert train.device("cpu") == torch.device("cpu")
    assert train.device(torch.device("cpu")) == torch.device("cpu")


def test_device_order_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(train, "_mps_available", lambda: True)
    assert train.device().type == "mps"
    monkeypatch.setattr(train, "_mps_available", lambda: False)
    assert train.device().type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert train.device().type == "cuda"


def test_device_missing_preference_warns_and_falls_back(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(train, "_mps_available", lambda: False)
    with pytest.warns(UserWarning, match="not available"):
        assert train.device("cuda") == torch.device("cpu")


@pytest.mark.parametrize("bad, exc", [(3, TypeError), ("tpu", ValueError), ("gpu", ValueError)])
def test_device_bad_preference(bad, exc):
    with pytest.raises(exc, match="prefer"):
        train.device(bad)


def test_describe_cpu_counts_threads():
    text = train.describe_device("cpu")
    n = torch.get_num_threads()
    assert text == f"CPU ({n} thread{'s' if n != 1 else ''})"
    assert train.describe_device(None).split()[0] in {"CPU", "CUDA:", "MPS:"}


def test_describe_device_rejects_non_device():
    with pytest.raises(TypeError, match="torch.device"):
        train.describe_device(0.5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_describe_cuda_names_the_gpu():
    text = train.describe_device("cuda")
    assert text.startswith("CUDA: ") and torch.cuda.get_device_name(0) in text and "GiB" in text


def _draw():
    return random.random(), np.random.rand(), torch.rand(3).tolist()


def test_seed_everything_repeats_every_rng():
    train.seed_everything(123)
    first = _draw()
    train.seed_everything(123)
    assert _draw() == first
    train.seed_everything(124)
    assert _draw() != first


@pytest.mark.parametrize("bad, exc", [(1.5, TypeError), ("0", TypeError), (True, TypeError), (-1, ValueError),
                                      (2**32, ValueError)])
def test_seed_everything_rejects_bad_seed(bad, exc):
    with pytest.raises(exc, match="seed"):
        train.seed_everything(bad)
