"""Shared pytest setup: headless plotting, one thread per test process, repo paths."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


# -- measured notebook times, printed at the end of the run -------------------------

_NOTEBOOK_TIMES: list[tuple[str, float, float | None]] = []


@pytest.fixture()
def record_notebook_time(record_property):
    """Record a notebook's execution time and peak memory in the report (and the junit XML)."""

    def record(name: str, seconds: float, peak_mb: float | None) -> None:
        record_property("seconds", round(seconds, 2))
        record_property("peak_rss_mb", None if peak_mb is None else round(peak_mb))
        _NOTEBOOK_TIMES.append((name, seconds, peak_mb))

    return record


def pytest_terminal_summary(terminalreporter):
    if not _NOTEBOOK_TIMES:
        return
    terminalreporter.section("notebook execution (measured)")
    for name, seconds, peak in sorted(_NOTEBOOK_TIMES):
        mem = f"{peak:7.0f} MiB" if peak is not None else "    n/a"
        terminalreporter.write_line(f"{name:<55} {seconds:6.1f} s  peak {mem}")
