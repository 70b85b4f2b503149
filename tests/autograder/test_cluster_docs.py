"""The cluster snippets of autograder/README.md ("Grading on a cluster") parse, and start what exists.

They are not run against a real Slurm or Kubernetes cluster (the README says so); this checks
what can be checked here: the Python and YAML are well-formed, the pods run commands that the
installed `distributed` provides (it has `dask worker`, not `dask-worker`), the scheduler runs
the workers' image (it unpickles grading tasks, so it needs the course package), and the seed
reaches the workers as a file outside what the sandbox shows.
"""

from __future__ import annotations

import ast
import re
from importlib.metadata import entry_points

import yaml  # a dev dependency, as is distributed (whose `dask` subcommands are checked)

from autograder import REPO


def _section() -> str:
    text = (REPO / "autograder" / "README.md").read_text()
    start = text.index("## Grading on a cluster")
    return text[start:text.index("\n## ", start + 1)]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", _section(), re.S | re.M)


def test_the_slurm_snippet_is_python_with_one_single_threaded_worker_per_job():
    (code,) = _blocks("python")
    tree = ast.parse(code)
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "SLURMCluster")
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert kwargs["cores"] == 1 and kwargs["processes"] == 1
    assert any("DLKIT_HIDDEN_SEED_FILE" in line for line in kwargs["job_script_prologue"])
    assert "--lifetime" in kwargs["worker_extra_args"], "workers retire before the walltime kills them"


def test_the_dask_operator_resource_starts_installed_commands_from_one_image():
    (text,) = _blocks("yaml")
    resource = yaml.safe_load(text)
    assert resource["kind"] == "DaskCluster"
    (worker,) = resource["spec"]["worker"]["spec"]["containers"]
    (scheduler,) = resource["spec"]["scheduler"]["spec"]["containers"]
    assert worker["image"] == scheduler["image"], "the scheduler unpickles grading tasks: it needs the course too"
    commands = {ep.name for ep in entry_points(group="dask_cli")}
    for container, sub in ((worker, "worker"), (scheduler, "scheduler")):
        assert container["command"][:2] == ["dask", sub] and sub in commands, container["command"]
    assert worker["command"][worker["command"].index("--nthreads") + 1] == "1"
    env = {e["name"]: e["value"] for e in worker["env"]}
    assert env["OMP_NUM_THREADS"] == "1" and env["DLKIT_HIDDEN_SEED_FILE"].startswith("/run/secrets/")
    (mount,) = worker["volumeMounts"]
    assert env["DLKIT_HIDDEN_SEED_FILE"].startswith(mount["mountPath"] + "/") and mount["readOnly"]
