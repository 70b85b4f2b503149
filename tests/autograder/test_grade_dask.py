"""Grading on Dask distributed: a real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1.

Each cluster here is separate processes started by the test (never threads of
the test process), on free ports, killed when the test ends. The lesson is the
fast copy of lesson 01 (answer and check cells only).
"""

from __future__ import annotations

import os
import pickle
import re
import signal
import socket
import subprocess
import sys
import logging
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder import REPO
from autograder import hostile as H
from autograder import results as R
from autograder.distributed import DaskExecutor, GradingStopped, WorkerRefused, check_workers, dask_grading
from autograder.grade import grade_lesson, load_lesson
from autograder.sandbox import Limits
from autograder.synthetic import demo_class
from tests.autograder.grade_support import LESSON, lite_lesson, released

# One worker runs the module under --dist loadgroup: the lesson (a module fixture) is released once, not per worker.
pytestmark = [pytest.mark.usefixtures("sandbox_available"), pytest.mark.xdist_group("dask")]
distributed = pytest.importorskip("distributed", reason="grade --executor dask needs `pip install distributed`")

#: The instructor's secret seed of these batches (as `python -m autograder seed` makes them).
SEED = "3c9e1f7a5b2d4e6f8a0c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f"
LIMITS = Limits(timeout_s=30, memory_mb=2048)
#: Hostile submissions graded through Dask: the seed in the worker's environment, killing the
#: grader's processes, patching the checks, an edited check cell (repaired).
HOSTILE = ("read-secrets", "kill-grader", "monkeypatch", "tamper-check")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A ``dask scheduler`` and named ``dask worker`` processes (one thread each, no nanny) on 127.0.0.1."""

    def __init__(self, tmp: Path):
        self.tmp = Path(tmp)
        self.procs: dict[str, subprocess.Popen] = {}
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"

    def _start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = REPO) -> None:
        log = open(self.tmp / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen([sys.executable, "-m", *argv], cwd=cwd, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def scheduler(self, *, cwd: Path = REPO, **env_vars: str) -> "Cluster":
        """``env_vars``: more environment, e.g. Dask settings (``DASK_DISTRIBUTED__SCHEDULER__...="1"``)."""
        env = {k: v for k, v in os.environ.items() if k != "DLKIT_HIDDEN_SEED"}  # the scheduler never has it
        env.update(env_vars)
        self._start("scheduler", ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                                  str(self.port), "--no-dashboard"], env, cwd)
        return self

    def worker(self, name: str, *, seed: str | None = SEED, seed_file: Path | None = None,
               path_first: Path | None = None) -> "Cluster":
        env = {k: v for k, v in os.environ.items() if k != "DLKIT_HIDDEN_SEED"}
        env["OMP_NUM_THREADS"] = "1"
        if seed_file is not None:
            env["DLKIT_HIDDEN_SEED_FILE"] = str(seed_file)
        elif seed is not None:
            env["DLKIT_HIDDEN_SEED"] = seed
        if path_first is not None:
            env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
        self._start(name, ["distributed.cli.dask_worker", self.address, "--name", name, "--nthreads", "1",
                           "--no-nanny", "--no-dashboard", "--death-timeout", "60"], env)
        return self

    def wait(self, workers: int, timeout_s: float = 90) -> None:
        with distributed.Client(self.address, timeout=timeout_s) as client:
            client.wait_for_workers(workers, timeout=timeout_s)

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self) -> None:
        for name in list(self.procs):
            self.kill(name)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def cluster(tmp_path):
    made = Cluster(tmp_path)
    yield made
    made.close()


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    """The fast lesson, released once: ``(root, source_root, release_root, correct notebook)``."""
    root = tmp_path_factory.mktemp("dask")
    source_root, release_root = lite_lesson(root)
    return root, source_root, release_root, H.correct_notebook(LESSON, released(release_root))


def _grade(lite, subs: Path, ws: Path, **kw):
    _, source_root, release_root, _ = lite
    return grade_lesson(LESSON, subs, ws, jobs=2, limits=LIMITS, progress=False, use_gradebook=False,
                        source_root=source_root, release_root=release_root, seed=SEED, **kw)


def _slow(correct: nbformat.NotebookNode, seconds: float) -> bytes:
    """A correct submission whose first answer cell sleeps ``seconds`` first."""
    target = H.find_target(correct)
    nb = nbformat.from_dict(pickle.loads(pickle.dumps(correct)))
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == target.answer_id:
            cell.source = f"import time\ntime.sleep({seconds})\n{cell.source}"
    return H._dump(nb)


def _comparable(record: R.SubmissionResult) -> dict:
    """A record without what differs between two gradings of the same bytes: times and run logs."""
    data = record.to_dict()
    for key in ("seconds", "graded_at", "log_tail"):
        data.pop(key, None)
    return data


def _rows(ws: Path) -> list[str]:
    return (ws / "grades.csv").read_text().splitlines()


def test_mixed_batch_same_records_and_grades_as_local(lite, cluster, tmp_path):
    """Correct, blank, partly wrong and hostile submissions: identical records and grades.csv on both executors;
    the hostile ones are handled as the catalogue demands; a second Dask run (on a local cluster) re-runs nothing."""
    root, _, release_root, correct = lite
    cluster.scheduler().worker("w1").worker("w2")
    subs = tmp_path / "subs"
    H.write_submissions(subs, correct, names=HOSTILE)
    for student, notebooks in demo_class(LESSON, {f"{LESSON}.ipynb": released(release_root)}).items():
        (subs / f"{student}.ipynb").write_bytes(H._dump(notebooks[f"{LESSON}.ipynb"]))
    local = _grade(lite, subs, tmp_path / "local")
    cluster.wait(2)
    remote = _grade(lite, subs, tmp_path / "dask", executor="dask", scheduler=cluster.address)

    assert remote.line() == local.line()
    assert _rows(tmp_path / "dask") == _rows(tmp_path / "local")
    here = {r.student_id: r for r in R.load_results(tmp_path / "local", LESSON)}
    there = {r.student_id: r for r in R.load_results(tmp_path / "dask", LESSON)}
    assert sorted(there) == sorted(here) and len(there) == len(HOSTILE) + 3
    for student in here:
        assert _comparable(there[student]) == _comparable(here[student]), student
    target = H.find_target(correct)
    for name in HOSTILE:
        assert H.problems(H.by_name(name), there[f"hostile-{name}"], target) == [], name
    assert there["hostile-tamper-check"].repairs, "the edited check cell was repaired"
    assert SEED not in (tmp_path / "dask" / "results").joinpath(LESSON).joinpath("hostile-read-secrets.json").read_text()
    assert all(cluster.procs[w].poll() is None for w in ("w1", "w2")), "kill-grader killed a Dask worker"

    # Again, on the LocalCluster that `--executor dask` starts without --scheduler (the seed reaches its
    # worker processes through their environment): nothing is graded twice, grades.csv does not change.
    again = _grade(lite, subs, tmp_path / "dask", executor="dask")
    assert again.reused == len(there)
    assert _rows(tmp_path / "dask") == _rows(tmp_path / "local")


def _kill_workers_holding(cluster: Cluster, prefix: str, times: int, killed: list[str]) -> None:
    """``times`` times: kill the worker holding the task whose key starts with ``prefix``, 1 s after seeing it
    there (a worker killed already is not counted again); ``killed`` gets their names."""
    with distributed.Client(cluster.address, timeout=30) as client:
        deadline = time.monotonic() + 180
        while len(killed) < times and time.monotonic() < deadline:
            names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
            for address, keys in client.processing().items():
                if any(str(k).startswith(prefix) for k in keys) and names.get(address) not in killed:
                    time.sleep(1.0)  # well inside the time the submission sleeps
                    cluster.kill(names[address])
                    killed.append(names[address])
                    break
            time.sleep(0.1)


def test_worker_killed_mid_submission_is_retried_and_recorded_once(lite, cluster, tmp_path, monkeypatch):
    _, _, _, correct = lite
    cluster.scheduler().worker("w1").worker("w2")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "fast.ipynb").write_bytes(H._dump(correct))
    (subs / "slow.ipynb").write_bytes(_slow(correct, 6))
    writes: list[str] = []
    real_write = R.write_result
    monkeypatch.setattr(R, "write_result", lambda ws, rec: (writes.append(rec.student_id), real_write(ws, rec))[1])
    cluster.wait(2)
    killed: list[str] = []
    killer = threading.Thread(target=_kill_workers_holding, args=(cluster, "grade-slow-", 1, killed))
    killer.start()
    summary = _grade(lite, subs, tmp_path / "ws", executor="dask", scheduler=cluster.address)
    killer.join()

    assert killed, "the slow submission was never seen running"
    assert sorted(writes) == ["fast", "slow"], "each record is written once"
    records = {r.student_id: r for r in summary.records}
    assert records["slow"].graded and records["slow"].score == records["slow"].max_score > 0
    assert records["fast"].score == records["slow"].score
    assert [row.split(",")[0] for row in _rows(tmp_path / "ws")[1:]] == ["fast", "slow"]


def test_a_submission_whose_workers_keep_dying_is_recorded_as_a_grader_error_and_retried_next_run(
        lite, cluster, tmp_path):
    """Past the scheduler's allowed failures (1 here): a record that names the workers that died and says what it
    may be, counted apart in the summary; the next run grades it again, with one row per student."""
    _, _, _, correct = lite
    cluster.scheduler(DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1").worker("w1").worker("w2").worker("w3")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "doomed.ipynb").write_bytes(_slow(correct, 10))
    (subs / "fine.ipynb").write_bytes(H._dump(correct))
    ws = tmp_path / "ws"
    cluster.wait(3)
    killed: list[str] = []
    killer = threading.Thread(target=_kill_workers_holding, args=(cluster, "grade-doomed-", 2, killed))
    killer.start()
    summary = _grade(lite, subs, ws, executor="dask", scheduler=cluster.address)
    killer.join()

    assert len(killed) == 2, killed
    records = {r.student_id: r for r in summary.records}
    assert records["fine"].graded and records["fine"].score == records["fine"].max_score > 0
    doomed = records["doomed"]
    assert doomed.rejected and doomed.reason.startswith("internal grader error (WorkersDied: "), doomed.reason
    for name in killed:
        assert re.search(rf"worker {name} at tcp://127\.0\.0\.1:\d+", doomed.reason), doomed.reason
    assert "2 times" in doomed.reason and "kills its worker's machine, e.g. by memory" in doomed.reason
    assert summary.count("grader_error") == 1 and "1 of them NOT GRADED" in summary.line()
    assert SEED not in doomed.reason

    again = _grade(lite, subs, ws, executor="dask", scheduler=cluster.address)  # w3 is left, and nobody kills it
    records = {r.student_id: r for r in again.records}
    assert again.reused == 1 and records["doomed"].graded and records["doomed"].score == records["fine"].score
    assert again.count("grader_error") == 0 and "NOT GRADED" not in again.line()
    assert [row.split(",")[0] for row in _rows(ws)[1:]] == ["doomed", "fine"]


def test_a_stuck_worker_and_its_students_are_named(cluster, caplog):
    """When nothing finishes for a while, the warning says which worker holds which unfinished submission."""
    cluster.scheduler().worker("w1").worker("w2")
    cluster.wait(2)
    caplog.set_level(logging.WARNING, logger="autograder")
    with DaskExecutor(cluster.address, slow_after_s=1.0, progress=False) as ex:
        ex.submit("stuck-student", time.sleep, 12)
        ex.submit("quick-student", abs, -1)
        outcomes = {key: (value, error) for key, value, error in ex.results()}
    assert outcomes == {"stuck-student": (None, None), "quick-student": (1, None)}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings, "nothing finished for 12 s and nobody said so"
    assert re.fullmatch(rf"no submission finished for \d+ s on {re.escape(cluster.address)}; still grading: "
                        rf"worker w[12] at tcp://127\.0\.0\.1:\d+ holds stuck-student", warnings[0]), warnings


def test_scheduler_lost_stops_the_run_and_rerunning_resumes(lite, cluster, tmp_path, monkeypatch):
    _, _, _, correct = lite
    cluster.scheduler().worker("w1")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a-fast.ipynb").write_bytes(H._dump(correct))
    (subs / "b-slow.ipynb").write_bytes(_slow(correct, 20))
    (subs / "c-fast.ipynb").write_bytes(H._dump(correct))
    ws = tmp_path / "ws"
    cluster.wait(1)
    outcome: list[BaseException] = []

    def run():
        try:
            _grade(lite, subs, ws, executor="dask", scheduler=cluster.address)
        except BaseException as exc:  # what the main thread checks
            outcome.append(exc)

    grading = threading.Thread(target=run)
    grading.start()
    first = R.result_path(ws, LESSON, "a-fast")
    deadline = time.monotonic() + 120
    while not first.exists() and time.monotonic() < deadline and grading.is_alive():
        time.sleep(0.1)
    assert first.exists(), cluster.log("w1")
    cluster.kill("scheduler")
    grading.join(timeout=120)

    assert not grading.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], GradingStopped), outcome
    message = str(outcome[0])
    assert "lost the connection to the Dask scheduler" in message and "re-run the same command" in message
    assert not R.result_path(ws, LESSON, "b-slow").exists()
    cluster.kill("w1")

    (subs / "b-slow.ipynb").write_bytes(_slow(correct, 0))  # the student handed in again meanwhile
    restarted = Cluster(tmp_path / "second")
    (tmp_path / "second").mkdir()
    try:
        restarted.scheduler().worker("w2")
        restarted.wait(1)
        summary = _grade(lite, subs, ws, executor="dask", scheduler=restarted.address)
        assert summary.reused >= 1 and summary.count("graded") == 3
        rows = _rows(ws)
        assert [row.split(",")[0] for row in rows[1:]] == ["a-fast", "b-slow", "c-fast"]
        again = _grade(lite, subs, ws, executor="dask", scheduler=restarted.address)
        assert again.reused == 3 and _rows(ws) == rows
    finally:
        restarted.close()


def _one_student(tmp_path: Path, notebook: nbformat.NotebookNode) -> Path:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "student.ipynb").write_bytes(H._dump(notebook))
    return subs


def _nobody_recorded(ws: Path) -> bool:
    folder = R.results_dir(ws, LESSON)
    return not folder.exists() or not list(folder.glob("*.json"))


def test_workers_without_a_sandbox_or_with_another_seed_are_refused(lite, cluster, tmp_path):
    """Nothing is submitted, nothing recorded: the message names each bad worker and its fix, never a seed.
    The good worker reads the seed from a file ($DLKIT_HIDDEN_SEED_FILE)."""
    _, _, _, correct = lite
    broken = tmp_path / "broken-bwrap"
    broken.mkdir()
    fake = broken / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    other_seed = "0" * 63 + "1"
    seed_file = tmp_path / "seed"
    seed_file.write_text(SEED + "\n")
    seed_file.chmod(0o600)
    cluster.scheduler().worker("good", seed_file=seed_file).worker("nosandbox", path_first=broken).worker("otherseed", seed=other_seed)
    subs = _one_student(tmp_path, correct)
    cluster.wait(3)

    with pytest.raises(WorkerRefused) as caught:
        _grade(lite, subs, tmp_path / "ws", executor="dask", scheduler=cluster.address)
    message = str(caught.value)
    assert "2 of 3 Dask worker(s) cannot grade" in message
    assert re.search(r"worker nosandbox at tcp://127\.0\.0\.1:\d+ has no working sandbox .*bwrap: No permissions.* "
                     r"Fix: install bubblewrap on that worker", message), message
    assert re.search(r"worker otherseed at tcp://127\.0\.0\.1:\d+ holds another hidden-check seed", message), message
    assert "worker good" not in message
    assert SEED not in message and other_seed not in message
    assert _nobody_recorded(tmp_path / "ws")


def test_a_scheduler_without_the_course_package_is_refused_before_anything_is_submitted(lite, cluster, tmp_path):
    """Dask's scheduler unpickles each task: without the course package every task would fail, and every student
    get an internal grader error. The run stops instead, saying so, and records nobody."""
    _, _, _, correct = lite
    elsewhere = tmp_path / "no-course"
    (elsewhere / "autograder").mkdir(parents=True)
    (elsewhere / "autograder" / "__init__.py").write_text("raise ImportError('the course package is not here')\n")
    cluster.scheduler(cwd=elsewhere, PYTHONPATH=str(elsewhere)).worker("w1")
    subs = _one_student(tmp_path, correct)
    cluster.wait(1)

    with pytest.raises(GradingStopped) as caught:
        _grade(lite, subs, tmp_path / "ws", executor="dask", scheduler=cluster.address)
    message = str(caught.value)
    assert f"the Dask scheduler at {cluster.address} cannot read grading tasks" in message, message
    assert "the course package is not here" in message and "nothing was submitted" in message
    assert _nobody_recorded(tmp_path / "ws")


def test_a_task_on_a_worker_without_a_sandbox_refuses(lite, tmp_path):
    """A worker that joined after the check still never grades unsandboxed: its task raises WorkerRefused."""
    _, source_root, release_root, correct = lite
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "bwrap").write_text("#!/bin/sh\nexit 1\n")
    (broken / "bwrap").chmod(0o755)
    spec = load_lesson(LESSON, source_root=source_root, release_root=release_root)
    _, _, job = dask_grading(spec, limits=LIMITS, seed=SEED, scheduler="tcp://unused", jobs=1, progress=False,
                             source_root=source_root, release_root=release_root, slow_after_s=60)
    fn, payload = job("student", H._dump(correct))
    script = ("import pickle, sys\nfn, payload = pickle.load(sys.stdin.buffer)\n"
              "try:\n    fn(payload)\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n"
              "else:\n    print('GRADED')\n")
    env = {**os.environ, "PATH": f"{broken}{os.pathsep}{os.environ['PATH']}", "DLKIT_HIDDEN_SEED": SEED}
    out = subprocess.run([sys.executable, "-c", script], input=pickle.dumps((fn, payload)), env=env, cwd=REPO,
                         capture_output=True, timeout=120)
    text = out.stdout.decode()
    assert text.startswith("WorkerRefused") and "no working sandbox" in text, text + out.stderr.decode()[-2000:]


def test_payloads_carry_no_seed(lite):
    """What goes through the scheduler (the task and the worker check) holds the seed's fingerprint at most."""
    _, source_root, release_root, correct = lite
    spec = load_lesson(LESSON, source_root=source_root, release_root=release_root)
    inputs, _, job = dask_grading(spec, limits=LIMITS, seed=SEED, scheduler="tcp://unused", jobs=1, progress=False,
                                  source_root=source_root, release_root=release_root, slow_after_s=60)
    fn, payload = job("student", H._dump(correct))
    assert sorted(payload) == ["data", "inputs_sha256", "lesson", "limits", "release_root", "source_root",
                               "student_id"]
    assert payload["inputs_sha256"] == inputs
    assert SEED.encode() not in pickle.dumps((fn, payload))


def test_check_workers_names_each_problem():
    good = {"worker": "worker a at tcp://1", "seed_set": True, "seed_fingerprint": "f", "inputs_sha256": "i",
            "refused": ""}
    check_workers({"tcp://1": good}, fingerprint="f", inputs_sha256="i")  # all match: no error
    unset = {**good, "worker": "worker b at tcp://2", "seed_set": False, "seed_fingerprint": "g"}
    stale = {**good, "worker": "worker c at tcp://3", "inputs_sha256": "old"}
    with pytest.raises(WorkerRefused) as caught:
        check_workers({"tcp://1": good, "tcp://2": unset, "tcp://3": stale}, fingerprint="f", inputs_sha256="i")
    text = str(caught.value)
    assert "2 of 3" in text and "worker b at tcp://2 holds no hidden-check seed" in text
    assert "worker c at tcp://3 has another version of the course" in text and "worker a" not in text


@pytest.mark.parametrize("kw, words", [
    ({"executor": "spark"}, "unknown executor 'spark'"),
    ({"scheduler": "tcp://x:1"}, "--scheduler goes with --executor dask"),
    ({"executor": "dask", "unsafe": True}, "Dask workers always grade in a sandbox"),
])
def test_bad_executor_options_are_refused(lite, tmp_path, kw, words):
    with pytest.raises(ValueError, match=words):
        _grade(lite, tmp_path / "none", tmp_path / "ws", **kw)
