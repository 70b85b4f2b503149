"""Shared by the grading-core tests: a fast copy of lesson 01 (answer and check cells only), released by nbgrader."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from autograder import SOLUTIONS
from autograder import notebooks as nbs
from autograder.release import generate

LESSON = "01-neurons"


def lite_lesson(root: Path) -> tuple[Path, Path]:
    """Write lesson 01's answer and check cells, after a numpy-only imports cell, to ``root/source`` and release it with nbgrader to ``root/release``.

    Returns ``(source_root, release_root)`` for :func:`autograder.grade.load_lesson`.
    """
    source_root, release_root = Path(root) / "source", Path(root) / "release"
    nb = nbs.read(SOLUTIONS / LESSON / f"{LESSON}.ipynb")
    lite = copy.deepcopy(nb)
    graded = [c for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("solution") or c.metadata.get("nbgrader", {}).get("grade")]
    imports = copy.deepcopy(next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "imports"))
    imports.source = "import numpy as np\nfrom dlkit import checks"  # no torch or matplotlib: seconds faster
    lite.cells = [imports, *graded]
    path = source_root / LESSON / f"{LESSON}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(lite, path)
    generate(LESSON, release_root, source_root=source_root)
    return source_root, release_root


def released(release_root: Path) -> nbformat.NotebookNode:
    return nbs.read(Path(release_root) / LESSON / f"{LESSON}.ipynb")
