"""Training helpers: pick a device, seed every RNG, and a training loop (lesson 04 on).

The setup cell of every lesson calls::

    dev = dlkit.train.device()
    print(dlkit.train.describe_device(dev))
    dlkit.train.seed_everything(0)
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import torch

_DEVICE_KINDS = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return _mps_available()
    return True


def device(prefer: str | torch.device | None = None) -> torch.device:
    """The device to train on: CUDA if present, then Apple MPS, then the CPU.

    Args:
        prefer: ``None`` (pick automatically), or a device to use when it is
            available: ``"cuda"``, ``"cuda:1"``, ``"mps"``, ``"cpu"`` or a
            ``torch.device``. When the preferred device is missing, a warning
            says so and the automatic choice is returned, so a lesson written
            for a GPU still runs on a laptop.

    Returns:
        a ``torch.device``.

    Example:
        >>> dlkit.train.device("cpu")
        device(type='cpu')
    """
    if prefer is not None:
        if not isinstance(prefer, (str, torch.device)):
            raise TypeError(
                f"prefer must be None, a string such as 'cuda' or 'cpu', or a torch.device; "
                f"got {type(prefer).__name__}."
            )
        try:
            wanted = torch.device(prefer)
        except RuntimeError as err:
            raise ValueError(
                f"prefer={prefer!r} is not a device name. Use one of {_DEVICE_KINDS}, e.g. 'cuda' or 'cuda:0'."
            ) from err
        if wanted.type not in _DEVICE_KINDS:
            raise ValueError(f"prefer={prefer!r}: dlkit supports the device types {_DEVICE_KINDS}, got {wanted.type!r}.")
        usable = _available(wanted.type)
        if usable and wanted.type == "cuda" and wanted.index is not None:
            usable = wanted.index < torch.cuda.device_count()
        if usable:
            return wanted
        warnings.warn(f"device {prefer!r} is not available on this machine; using the best available device instead.",
                      stacklevel=2)
    for kind in _DEVICE_KINDS:
        if _available(kind):
            return torch.device(kind)
    raise AssertionError("unreachable: the CPU is always available")  # pragma: no cover


def describe_device(dev: str | torch.device | None = None) -> str:
    """One line saying what ``dev`` is, for the setup cell's printout.

    Args:
        dev: a device (``None`` means ``device()``).

    Returns:
        e.g. ``"CPU (2 threads)"``, ``"CUDA: NVIDIA H100 80GB HBM3 (79 GiB)"``
        or ``"MPS: Apple GPU"``.

    Example:
        >>> dlkit.train.describe_device("cpu")
        'CPU (2 threads)'
    """
    if dev is None:
        dev = device()
    if not isinstance(dev, (str, torch.device)):
        raise TypeError(f"dev must be a torch.device or a device name such as 'cpu', got {type(dev).__name__}.")
    dev = torch.device(dev)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            return "CUDA (not available on this machine)"
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        return f"CUDA: {props.name} ({props.total_memory / 2**30:.0f} GiB)"
    if dev.type == "mps":
        return "MPS: Apple GPU"
    if dev.type == "cpu":
        threads = torch.get_num_threads()
        return f"CPU ({threads} thread{'s' if threads != 1 else ''})"
    return str(dev)


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, numpy's global RNG and torch (CPU and every GPU).

    Two runs that call ``seed_everything(s)`` with the same ``s`` and then do
    the same work draw the same random numbers (GPU kernels may still differ
    in the last bits; that is a property of the kernels, not of the seed).

    Args:
        seed: an integer in ``[0, 2**32)`` (numpy's limit).

    Example:
        >>> dlkit.train.seed_everything(0); a = torch.rand(1)
        >>> dlkit.train.seed_everything(0); bool(torch.rand(1) == a)
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} ({seed!r}). Pass e.g. seed_everything(0).")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}. Use a small non-negative integer such as 0.")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
