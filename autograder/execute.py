"""Execute a notebook top to bottom with nbclient, measuring time and peak memory."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder import notebooks as nbs


@dataclass
class CellError:
    """A cell that raised: its index, grade id (if any), exception name and message."""

    index: int
    grade_id: str | None
    ename: str
    evalue: str


@dataclass
class ExecutionResult:
    """What running a notebook produced."""

    path: Path
    notebook: nbformat.NotebookNode
    seconds: float
    peak_rss_mb: float | None
    errors: list[CellError] = field(default_factory=list)

    def summary(self) -> str:
        mem = f", peak {self.peak_rss_mb:.0f} MiB" if self.peak_rss_mb is not None else ""
        errs = f", {len(self.errors)} cell(s) raised" if self.errors else ""
        return f"{self.path.name}: {self.seconds:.1f} s{mem}{errs}"


def execute(path: Path, *, timeout: int = 600, allow_errors: bool = False, progress: bool = False,
            env: Mapping[str, str] | None = None) -> ExecutionResult:
    """Run every cell of the notebook at ``path`` in a fresh kernel, in the notebook's folder.

    Args:
        timeout: seconds any one cell may take.
        allow_errors: go on after a cell raises (errors are collected), instead of stopping.
        progress: show a tqdm bar over the cells.
        env: environment variables set for the kernel on top of this process's environment
            (e.g. ``{"MPLBACKEND": "module://matplotlib_inline.backend_inline"}``, the backend of JupyterLab).
    """
    path = Path(path)
    nb = nbs.read(path)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(nb.cells), desc=path.stem, unit="cell", leave=True)
    peak = {"kb": None}

    def _sample(**_):
        pid = _kernel_pid(client)
        if pid is not None:
            peak["kb"] = max(peak["kb"] or 0, _vm_hwm_kb(pid) or 0) or None

    client.on_cell_complete = _sample
    if bar is not None:
        client.on_cell_start = lambda **_: bar.update(1)
    client.on_notebook_complete = _sample
    start = time.perf_counter()
    try:
        client.execute(**({"env": {**os.environ, **env}} if env else {}))
    finally:
        seconds = time.perf_counter() - start
        if bar is not None:
            bar.close()
    errors = _cell_errors(nb)
    rss = peak["kb"] / 1024 if peak["kb"] else None
    return ExecutionResult(path, nb, seconds, rss, errors)


def _cell_errors(nb: nbformat.NotebookNode) -> list[CellError]:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(CellError(i, nbs.grade_id(cell), out.get("ename", ""), out.get("evalue", "")))
    return found


def _kernel_pid(client: NotebookClient) -> int | None:
    try:
        return int(client.km.provisioner.process.pid)
    except Exception:  # not a local kernel, or already gone
        return None


def _vm_hwm_kb(pid: int) -> int | None:
    """Peak resident memory of a process in KiB (Linux /proc), or None where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
