"""The first code cell of every lesson, and the links that point at the course.

Every lesson starts with :data:`SETUP_CELL` (tests check this), which

* on Colab installs dlkit from the course repository when it is not importable;
* everywhere calls :func:`start`, which seeds every random number generator,
  makes inline figures sharp on high-resolution screens, and prints one line
  with the dlkit version, the device and the data mode.

The repository URL and the release ref live in one place,
:data:`dlkit.REPOSITORY_URL` and :data:`dlkit.RELEASE_REF`. Solutions carry
the development setup cell (:data:`SETUP_CELL`, installing the default
branch) and a badge for :data:`DEVELOPMENT_REF`; ``autograder release``
stamps the student versions with :func:`stamp`, so they install and link the
release they came from (:func:`setup_cell` and :func:`colab_url` with ``ref``).
"""

from __future__ import annotations

import platform

import dlkit

#: The branch solutions link to and install from before a release is stamped.
DEVELOPMENT_REF = "main"


def install_spec(repository_url: str | None = None, ref: str | None = None) -> str:
    """What ``pip install`` gets on Colab: ``dlkit @ git+<repository>[@<ref>]``."""
    spec = f"dlkit @ git+{repository_url or dlkit.REPOSITORY_URL}"
    return f"{spec}@{ref}" if ref else spec


def setup_cell(seed: int = 0, ref: str | None = None) -> str:
    """The source of a lesson's setup cell (the first code cell); ``ref`` pins the Colab install."""
    what = f"dlkit {ref}, the release this notebook came from" if ref else "dlkit"
    return (
        f"# Setup: on Colab this installs {what}; everywhere it reports the device and seeds the RNGs.\n"
        "import sys\n"
        "try:\n"
        "    import dlkit\n"
        "except ModuleNotFoundError:\n"
        "    if \"google.colab\" not in sys.modules:\n"
        "        raise ModuleNotFoundError(\"dlkit is not installed here: run `make lab` in the course folder, \"\n"
        "                                  \"or `pip install -e .` there, then restart the kernel.\") from None\n"
        f"    %pip install --quiet \"{install_spec(ref=ref)}\"\n"
        "    import dlkit\n"
        f"DEVICE = dlkit.start(seed={seed})"
    )


#: The setup cell of a lesson seeded with 0, as solutions carry it (unpinned).
SETUP_CELL = setup_cell(0)


def released_setup_cell(ref: str | None = None) -> str:
    """The setup cell of a released student notebook: :data:`SETUP_CELL` pinned to ``ref`` (default the release)."""
    return setup_cell(0, ref=ref or dlkit.RELEASE_REF)


def colab_url(notebook_path: str, branch: str = DEVELOPMENT_REF) -> str:
    """The "Open in Colab" address of a notebook at a branch or tag, e.g. ``lessons/01-neurons/01-neurons.ipynb``."""
    repo = dlkit.REPOSITORY_URL.removeprefix("https://github.com/").removesuffix(".git")
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{notebook_path}"


def colab_badge(notebook_path: str, branch: str = DEVELOPMENT_REF) -> str:
    """Markdown for the "Open in Colab" badge of a notebook."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook_path, branch)})")


def stamp(nb, notebook_path: str, ref: str | None = None, *, require_setup: bool = True) -> list[int]:
    """Pin a student notebook to a release, in place; returns the indices of the cells it changed.

    The setup cell (:data:`SETUP_CELL`) becomes :func:`released_setup_cell`, and
    the Colab badge of ``notebook_path`` links ``ref`` instead of
    :data:`DEVELOPMENT_REF`. ``ref`` defaults to :data:`dlkit.RELEASE_REF`.
    Raises ValueError when the notebook has no setup cell to pin (unless ``require_setup=False``).
    """
    ref = ref or dlkit.RELEASE_REF
    changed = []
    pinned = False
    for index, cell in enumerate(nb.cells):
        source = cell.source
        if cell.cell_type == "code" and source == SETUP_CELL:
            cell.source, pinned = released_setup_cell(ref), True
        elif cell.cell_type == "markdown":
            cell.source = source.replace(colab_url(notebook_path), colab_url(notebook_path, ref))
        if cell.source != source:
            changed.append(index)
    if require_setup and not pinned:
        raise ValueError(f"{notebook_path} has no setup cell to pin: its first code cell must be "
                         f"dlkit.notebook.SETUP_CELL")
    return changed


def _sharp_inline_figures() -> None:
    """Inline matplotlib figures as 2x PNGs shown at their normal size (sharp on HiDPI screens), in IPython only."""
    try:
        from IPython import get_ipython

        if get_ipython() is None:
            return
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")
    except Exception:  # no IPython, or an inline backend that cannot: figures stay as they were
        pass


def start(seed: int = 0, *, quiet: bool = False):
    """Seed every RNG and report where the lesson runs; returns the torch device to use.

    Example:
        >>> DEVICE = dlkit.start(seed=0)   # doctest: +SKIP
        dlkit 0.1.0 | Python 3.11 | torch 2.13.0 | device: CPU (2 threads) | seed 0 | data: embedded
    """
    from dlkit import train
    from dlkit.data import use_full_data

    train.seed_everything(seed)
    _sharp_inline_figures()
    dev = train.device()
    if not quiet:
        import torch

        data_mode = "full-size (DLKIT_FULL_DATA)" if use_full_data() else "embedded (set DLKIT_FULL_DATA=1 for full-size)"
        print(f"dlkit {dlkit.__version__} | Python {platform.python_version()} | torch {torch.__version__} | "
              f"device: {train.describe_device(dev)} | seed {seed} | data: {data_mode}")
    return dev
