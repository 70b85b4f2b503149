"""``make test`` runs pytest-xdist with ``--dist loadgroup``: the tests of one ``xdist_group`` run on one worker."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO

PROBE = """
import pytest

pytestmark = pytest.mark.xdist_group("module")


def per_group():
    return pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xdist_group(n)) for n in "abc"])


@per_group()
def test_one(name):
    pass


@per_group()
def test_two(name):
    pass
"""


def test_each_group_runs_on_one_worker(tmp_path):
    # The probe runs under this repository's conftest (which restores grouping under pytest 9) and options.
    probe = REPO / "tests" / f"test_zz_probe_{tmp_path.name}.py"
    probe.write_text(PROBE)
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
                               "-v", str(probe.relative_to(REPO))], cwd=REPO, capture_output=True,
                              text=True, timeout=300)
    finally:
        probe.unlink()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    workers = {}
    for worker, group in re.findall(r"^\[(gw\d)\] .*PASSED \S+::test_\w+\[(\w)\]", done.stdout, re.M):
        workers.setdefault(group, set()).add(worker)
    assert sorted(workers) == ["a", "b", "c"], done.stdout[-3000:]
    assert all(len(ran_on) == 1 for ran_on in workers.values()), f"a group ran on two workers: {workers}"
