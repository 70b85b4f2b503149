"""What the per-lesson claims tests share: a notebook's definitions, and tiny MNIST files.

A claims test re-runs a lesson's experiments with other seeds. It needs the
notebook's functions and data without running the notebook's experiments
(:func:`notebook_definitions`), and, for the full-size path, MNIST files in the
real format that a test can afford (:func:`install_tiny_mnist`).
"""

from __future__ import annotations

import ast
import dataclasses
import gzip
import hashlib
from pathlib import Path

import nbformat
import numpy as np


def _definitions(source: str, data: frozenset[str]) -> str:
    """Only the imports, defs, UPPER_CASE constants and the data of a cell: what it defines, not what it runs."""
    keep = []
    for node in ast.parse(source).body:
        constant = isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and (t.id.isupper() or t.id in data)
                                                        for t in node.targets)
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef)) or constant:
            keep.append(ast.get_source_segment(source, node))
    return "\n".join(keep)


def notebook_definitions(notebook: Path, data: set[str], device: str = "cpu") -> dict:
    """The notebook's functions, constants and the variables named in ``data`` (answers included).

    Every code cell but the setup and check cells contributes its imports, ``def``s and
    assignments to UPPER_CASE names or to names in ``data``; nothing else runs.
    """
    import torch

    torch.set_num_threads(1)
    nb = nbformat.read(notebook, as_version=4)
    namespace: dict = {"DEVICE": torch.device(device)}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and gid != "setup" and not gid.endswith("-check"):
            exec(compile(_definitions(cell.source, frozenset(data)), f"<{gid}>", "exec"), namespace)
    return namespace


def install_tiny_mnist(tmp_path: Path, monkeypatch, counts: tuple[int, int] | None = None) -> None:
    """Put MNIST IDX files with the official counts (500 inked images per split) in a cache under
    ``tmp_path``, make dlkit trust them (never fetched), and set ``DLKIT_FULL_DATA=1``.

    ``counts`` (train, test), when given, writes that many images instead and makes the loader expect
    them (``full.MNIST_COUNTS``), for a test that cannot afford 70,000 images in a model."""
    from dlkit.data import full
    from tests.data.data_builders import idx_bytes

    rng = np.random.default_rng(0)
    if counts is not None:
        monkeypatch.setattr(full, "MNIST_COUNTS", counts)
    n_train, n_test = counts or (60_000, 10_000)
    images = {"train": np.zeros((n_train, 28, 28), np.uint8), "t10k": np.zeros((n_test, 28, 28), np.uint8)}
    for split in images.values():  # the loader insists on the official counts; a few images carry ink
        inked = min(500, len(split))
        split[:inked] = rng.integers(0, 256, (inked, 28, 28))
    arrays = {f"{split}-images-idx3-ubyte.gz": images[split] for split in images}
    arrays |= {f"{split}-labels-idx1-ubyte.gz": (np.arange(len(images[split])) % 10).astype(np.uint8)
               for split in images}
    files = {name: gzip.compress(idx_bytes(a), compresslevel=1) for name, a in arrays.items()}
    cache = tmp_path / "cache"
    (cache / "mnist").mkdir(parents=True)
    for name, blob in files.items():
        (cache / "mnist" / name).write_bytes(blob)  # already downloaded: verified, never fetched
    monkeypatch.setattr(full, "MNIST_FILES", {
        key: dataclasses.replace(r, urls=("http://127.0.0.1:9/unreachable",), size=len(files[r.filename]),
                                 sha256=hashlib.sha256(files[r.filename]).hexdigest())
        for key, r in full.MNIST_FILES.items()})
    monkeypatch.setenv("DLKIT_DATA_DIR", str(cache))
    monkeypatch.setenv("DLKIT_FULL_DATA", "1")
