"""The first code cell of every lesson, and the links that point at the course.

Every lesson starts with :data:`SETUP_CELL` (tests check this), which

* on Colab installs dlkit from the course repository when it is not importable;
* everywhere calls :func:`start`, which seeds every random number generator and
  prints one line with the dlkit version, the device and the data mode.

The repository URL lives in one place, :data:`dlkit.REPOSITORY_URL`; the setup
cell and the "Open in Colab" badges are built from it by :func:`setup_cell` and
:func:`colab_url`.
"""

from __future__ import annotations

import platform

import dlkit


def install_spec(repository_url: str = dlkit.REPOSITORY_URL) -> str:
    """What ``pip install`` gets on Colab: ``dlkit @ git+<repository>``."""
    return f"dlkit @ git+{repository_url}"


def setup_cell(seed: int = 0) -> str:
    """The source of a lesson's setup cell (the first code cell)."""
    return (
        "# Setup: on Colab this installs dlkit; everywhere it reports the device and seeds the RNGs.\n"
        "import sys\n"
        "try:\n"
        "    import dlkit\n"
        "except ModuleNotFoundError:\n"
        "    if \"google.colab\" not in sys.modules:\n"
        "        raise ModuleNotFoundError(\"dlkit is not installed here: run `make lab` in the course folder, \"\n"
        "                                  \"or `pip install -e .` there, then restart the kernel.\") from None\n"
        f"    %pip install --quiet \"{install_spec()}\"\n"
        "    import dlkit\n"
        f"DEVICE = dlkit.start(seed={seed})"
    )


#: The setup cell of a lesson seeded with 0.
SETUP_CELL = setup_cell(0)


def colab_url(notebook_path: str, branch: str = "main") -> str:
    """The "Open in Colab" address of a notebook, e.g. ``lessons/01-neurons/01-neurons.ipynb``."""
    repo = dlkit.REPOSITORY_URL.removeprefix("https://github.com/").removesuffix(".git")
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{notebook_path}"


def colab_badge(notebook_path: str) -> str:
    """Markdown for the "Open in Colab" badge of a notebook."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook_path)})")


def start(seed: int = 0, *, quiet: bool = False):
    """Seed every RNG and report where the lesson runs; returns the torch device to use.

    Example:
        >>> DEVICE = dlkit.start(seed=0)   # doctest: +SKIP
        dlkit 0.1.0 | Python 3.11 | torch 2.13.0 | device: CPU (2 threads) | seed 0 | data: embedded
    """
    from dlkit import train
    from dlkit.data import use_full_data

    train.seed_everything(seed)
    dev = train.device()
    if not quiet:
        import torch

        data_mode = "full-size (DLKIT_FULL_DATA)" if use_full_data() else "embedded (set DLKIT_FULL_DATA=1 for full-size)"
        print(f"dlkit {dlkit.__version__} | Python {platform.python_version()} | torch {torch.__version__} | "
              f"device: {train.describe_device(dev)} | seed {seed} | data: {data_mode}")
    return dev
