"""A Colab start, simulated: a fresh virtual environment without dlkit, ``google.colab`` imported at kernel
start, the lesson's own setup cell installing dlkit from this checkout, then the whole lesson.

Faithful where it matters and affordable:

* Colab's interpreter comes with numpy, torch, matplotlib, ipywidgets, scikit-learn, tqdm and ipykernel
  preinstalled in its system site. Here a folder of its own plays that site: exactly those distributions
  and what they require, byte for byte as pip installed them for the environment running the tests
  (hard links to the files each one's RECORD lists: seconds, no download, no dlkit, no dev packages).
* Each test makes a *fresh* venv (isolated from this one) that sees that folder as its system site (a
  ``.pth`` line), with a stand-in ``google.colab`` package.
* The setup cell is the lesson's own; only the address it installs from is swapped for a wheel built from
  this checkout, and pip runs with ``--no-index`` semantics (PIP_NO_INDEX): the install is offline.

Lesson 01 runs whole there. Every lesson has the same setup cell (tests/lessons checks it), so what
differs between lessons on Colab is what they import: for every lesson, each module its cells import
is imported in one simulated Colab after the same offline install (a lesson that needs a package
neither Colab nor dlkit's requirements bring fails there). Running every lesson whole would execute
each a fifth time per test session for no other finding.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from dlkit.notebook import install_spec
from tests.book.conftest import HIDDEN_TESTS, load_build_module
from tests.conftest import REPO

# One worker runs the module under --dist loadgroup: the wheel and the simulated Colab are made once, not per worker.
pytestmark = [pytest.mark.slow, pytest.mark.notebook, pytest.mark.xdist_group("colab")]
COLAB_PREINSTALLED = ["numpy", "torch", "matplotlib", "ipywidgets", "scikit-learn", "tqdm", "ipykernel"]
# What dlkit needs beyond Colab's own packages: on Colab pip downloads these from PyPI when the setup
# cell installs dlkit; offline they come from this environment in the same way as the packages above.
DOWNLOADED_ON_COLAB = ["optuna", "captum", "fairlearn"]
LESSONS = load_build_module().lessons(REPO)


def _site_packages(prefix: Path) -> Path:
    return Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))


def _run(command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode:
        pytest.fail(f"{' '.join(map(str, command))} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-3000:]}", pytrace=False)
    return done


def _closure(names: list[str]) -> dict:
    """The installed distributions ``names`` need, by canonical name (dependencies of the base install)."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found, todo = {}, list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name not in found:
            found[name] = distribution(name)
            for line in found[name].requires or ():
                requirement = Requirement(line)
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    todo.append(requirement.name)
    return found


@pytest.fixture(scope="session")
def colab_base(tmp_path_factory) -> Path:
    """Colab's system site: its preinstalled distributions (and pip), linked from this environment."""
    site = tmp_path_factory.mktemp("colab-system-site")
    started = time.perf_counter()
    distributions = _closure(COLAB_PREINSTALLED + DOWNLOADED_ON_COLAB + ["pip"])
    assert "dlkit" not in distributions
    for dist in distributions.values():
        root = Path(dist.locate_file(""))
        for file in dist.files or ():
            if file.parts[0] == ".." or not (root / file).is_file():   # scripts and data outside the site
                continue
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(root / file, target)
            except OSError:    # another file system: copy
                shutil.copy2(root / file, target)
    print(f"\nColab's system site: {len(distributions)} distributions in {time.perf_counter() - started:.1f} s")
    return site


@pytest.fixture(scope="session")
def dlkit_wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout (as it is on disk), built offline.

    Built from a copy of the tracked files: setuptools writes build/ and *.egg-info into the folder it
    builds, so two pytest-xdist workers building from the checkout itself would trip over each other.
    """
    source = tmp_path_factory.mktemp("dlkit-source")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out),
          str(source)])
    (wheel,) = out.glob("dlkit-*.whl")
    return wheel


def _make_colab(root: Path, colab_base: Path, monkeypatch) -> dict:
    """A fresh venv over the base, a stand-in google.colab, and a kernel spec that imports it at start."""
    root.mkdir(parents=True, exist_ok=True)
    tmp_path = root
    venv = tmp_path / "colab"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    site = _site_packages(venv)
    # processed like a system site: its own .pth files run too
    (site / "colab-system-site.pth").write_text(f"import site; site.addsitedir({str(colab_base)!r})\n")
    fake = site / "google" / "colab"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('"""Stands in for Colab\'s google.colab module in the Colab simulation."""\n')
    python = venv / "bin" / "python"
    absent = subprocess.run([python, "-c", "import dlkit"], capture_output=True, text=True, cwd=tmp_path)
    assert absent.returncode != 0 and "No module named 'dlkit'" in absent.stderr, "dlkit is importable before setup"
    kernels = tmp_path / "jupyter" / "kernels" / "colab-sim"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.exec_lines=import google.colab"],
        "display_name": "Colab (simulated)", "language": "python",
        "env": {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1"},
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "MPLBACKEND", "CI"):
        monkeypatch.delenv(name, raising=False)
    return {"python": python, "venv": venv, "cwd": tmp_path}


@pytest.fixture()
def colab(tmp_path, colab_base, monkeypatch):
    return _make_colab(tmp_path, colab_base, monkeypatch)


@pytest.fixture(scope="module")
def colab_installed(tmp_path_factory, colab_base, dlkit_wheel):
    """One simulated Colab where dlkit was installed as the setup cell does it (pip, offline, from the wheel)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        env = _make_colab(tmp_path_factory.mktemp("colab-installed"), colab_base, monkeypatch)
        kernel_env = json.loads((env["cwd"] / "jupyter" / "kernels" / "colab-sim" / "kernel.json").read_text())["env"]
        _run([env["python"], "-m", "pip", "install", "--quiet", f"dlkit @ {dlkit_wheel.as_uri()}"],
             env={**os.environ, **kernel_env}, cwd=env["cwd"])
        yield env


def _imported_modules(name: str) -> set[str]:
    """The top-level modules the code cells of lesson ``name`` import (IPython's ! and % lines left out)."""
    import nbformat

    found = set()
    for cell in nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("name", LESSONS)
def test_every_module_a_lesson_imports_is_there_on_colab_after_the_setup_cell(colab_installed, name):
    modules = sorted(_imported_modules(name) - {"google"})
    assert "dlkit" in modules, f"{name} does not import dlkit"
    probe = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    done = subprocess.run([colab_installed["python"], "-c", probe, *modules], capture_output=True, text=True,
                          cwd=colab_installed["cwd"], env={k: v for k, v in os.environ.items()
                                                            if k not in ("PYTHONPATH", "VIRTUAL_ENV")})
    assert done.returncode == 0, (f"{name} imports {modules}; on Colab after its setup cell one is missing:\n"
                                  f"{done.stderr[-2000:]}")


def test_the_setup_cell_installs_dlkit_on_colab_and_the_lesson_runs(colab, dlkit_wheel, record_property):
    import nbformat

    name = LESSONS[0]
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    setup = next(cell for cell in nb.cells if cell.cell_type == "code")
    spec = install_spec()
    assert spec in setup.source, f"{name}'s setup cell does not install {spec!r} on Colab:\n{setup.source}"
    setup.source = setup.source.replace(spec, f"dlkit @ {dlkit_wheel.as_uri()}")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = HIDDEN_TESTS.sub("", cell.source)
    nb.cells.append(nbformat.v4.new_code_cell("import dlkit, sys\nprint('dlkit from', dlkit.__file__)"))
    started = time.perf_counter()
    NotebookClient(nb, kernel_name="colab-sim", timeout=600, resources={"metadata": {"path": str(colab["cwd"])}},
                   ).execute()
    seconds = time.perf_counter() - started
    record_property("colab_simulation_seconds", round(seconds, 1))
    where = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert f"dlkit from {_site_packages(colab['venv'])}" in where, where
    banner = "".join(o.get("text", "") for o in setup.outputs)
    assert re.search(r"^dlkit \S+ \| Python", banner, re.MULTILINE), f"the setup cell printed {banner!r}"
    assert "ERROR" not in banner and "WARNING" not in banner, banner
    print(f"\n{name} on simulated Colab: {seconds:.1f} s (install and run)")
