"""Repository contracts: dependency lists agree, notebooks are committed clean, CI calls `make test`."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from autograder import notebooks as nbs
from tests.conftest import REPO

CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name where they differ


def _split(req: str) -> tuple[str, str]:
    req = req.split(";", 1)[0].split("#", 1)[0]  # drop environment markers and comments
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_lists_the_same_packages_and_bounds_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(_split(r) for r in extra)
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str) and d not in ("pip",))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda.update(_split(d) for d in pip_section if not d.startswith("-e"))
    conda.pop("python")
    got = {name: conda.get(CONDA_NAMES.get(name, name)) for name in wanted}
    assert got == wanted, "environment.yml and pyproject.toml disagree"
    extra_in_conda = set(conda) - {CONDA_NAMES.get(n, n) for n in wanted}
    assert not extra_in_conda, f"environment.yml lists packages pyproject.toml does not: {extra_in_conda}"


def test_pyproject_uses_lower_bounds_not_exact_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pinned = [r for r in reqs if "==" in r.split(";")[0] or "<" in r.split(";")[0]]
    assert not pinned, f"pin exact versions only in .ci/constraints.txt, not in pyproject: {pinned}"


def test_ci_pins_a_cpu_torch_build():
    lines = [ln.strip() for ln in (REPO / ".ci" / "constraints.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    torch_pins = [ln for ln in lines if ln.startswith("torch")]
    assert torch_pins and all("+cpu" in ln and "==" in ln for ln in torch_pins), torch_pins


def test_ci_runs_the_readme_test_command_and_nothing_else():
    commands = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines()
                if ln.strip() and not ln.strip().startswith("#")]
    assert commands[-1] == "make test"
    assert all(c.startswith(("set ", "cd ")) or c == ".ci/install-chromium" for c in commands[:-1]), commands
    assert "make test" in (REPO / "README.md").read_text() and "make demo" in (REPO / "README.md").read_text()


@pytest.mark.parametrize("target", ["setup", "demo", "test", "lab", "release", "bench"])
def test_makefile_has_target(target):
    assert re.search(rf"^{target}:", (REPO / "Makefile").read_text(), re.M), f"Makefile lacks `{target}`"


def _committed_notebooks():
    return sorted((REPO / "solutions").glob("*/*.ipynb")) + sorted((REPO / "lessons").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", _committed_notebooks(), ids=lambda p: str(p.relative_to(REPO)))
def test_committed_notebooks_carry_no_outputs(path):
    nb = nbs.read(path)
    assert nbs.has_outputs(nb) == [], f"clear outputs and execution counts of cells {nbs.has_outputs(nb)}"
    assert "widgets" not in nb.metadata, "remove saved widget state from the notebook metadata"


@pytest.mark.parametrize("path", sorted((REPO / "solutions").glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_every_lesson_starts_with_the_setup_cell_and_a_colab_badge(path):
    from dlkit.notebook import SETUP_CELL, colab_url

    nb = nbs.read(path)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == SETUP_CELL, "the first code cell must be dlkit.notebook.SETUP_CELL"
    lesson_path = f"lessons/{path.parent.name}/{path.name}"
    assert colab_url(lesson_path) in nb.cells[0].source, "the title cell needs the Open in Colab badge"
