"""Run grading jobs in parallel behind a two-method interface (submit, results).

The batch code only talks to :class:`Executor`: ``submit(key, fn, *args)``
queues a job, ``results()`` yields ``(key, value, error)`` as jobs finish.
:class:`LocalExecutor` runs them on threads (each job's heavy work is a
sandboxed subprocess, so threads are enough);
:class:`autograder.distributed.DaskExecutor` implements the same two methods
on Dask distributed (``grade --executor dask``).

Example::

    >>> with LocalExecutor(jobs=2, progress=False) as ex:
    ...     for k in range(3):
    ...         ex.submit(k, pow, k, 2)
    ...     sorted(value for _, value, _ in ex.results())
    [0, 1, 4]
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Protocol

log = logging.getLogger("autograder")


class Executor(Protocol):
    def submit(self, key: str, fn: Callable[..., Any], *args: Any) -> None: ...

    def results(self) -> Iterator[tuple[str, Any, BaseException | None]]: ...


class LocalExecutor:
    """Threads on this machine, a tqdm progress bar, and a log line for each slow job.

    Args:
        jobs: jobs running at once (>= 1).
        ahead: jobs more than that started early, to do what they can outside a :meth:`slot` (a submission's
            checks and cases before its sandbox run, judging after it) while ``jobs`` others hold a slot.
        slow_after_s: log a warning once when a job has run this long (not counting a wait for a slot).
        progress: show a progress bar (tqdm).
        desc: the progress bar's label.
    """

    def __init__(self, jobs: int = 1, *, ahead: int = 0, slow_after_s: float = 60.0, progress: bool = True,
                 desc: str = "grading"):
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ValueError(f"jobs must be a positive integer, got {jobs!r}; pass --jobs 1 or more")
        if not isinstance(ahead, int) or isinstance(ahead, bool) or ahead < 0:
            raise ValueError(f"ahead must be 0 or more, got {ahead!r}")
        self.jobs = jobs
        self.slow_after_s = slow_after_s
        self.progress = progress
        self.desc = desc
        self._pool = ThreadPoolExecutor(max_workers=jobs + ahead, thread_name_prefix="grade")
        self._slots = threading.BoundedSemaphore(jobs)
        self._futures: dict[Future, str] = {}
        self._started: dict[str, float] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, key: str):
        """Hold one of the ``jobs`` slots (a sandbox running) for job ``key``; waits while all are held.

        Jobs that call it run their part outside it alongside the jobs holding a slot. Waiting for a slot
        is not running: the job's clock for the slow-job warning restarts when it gets one.
        """
        with self._lock:
            self._started.pop(key, None)
        with self._slots:
            with self._lock:
                self._started[key] = time.monotonic()
            yield

    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, key: str, fn: Callable[..., Any], *args: Any) -> None:
        def timed():
            with self._lock:
                self._started[key] = time.monotonic()
            try:
                return fn(*args)
            finally:
                with self._lock:
                    self._started.pop(key, None)
        self._futures[self._pool.submit(timed)] = key

    def slow_jobs(self) -> list[tuple[str, float]]:
        """Jobs running longer than ``slow_after_s``: ``(key, seconds)``."""
        now = time.monotonic()
        with self._lock:
            return [(k, now - t) for k, t in self._started.items() if now - t >= self.slow_after_s]

    def results(self) -> Iterator[tuple[str, Any, BaseException | None]]:
        pending = set(self._futures)
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(pending), desc=self.desc, unit="nb")
        try:
            while pending:
                done, pending = wait(pending, timeout=5.0, return_when=FIRST_COMPLETED)
                for key, seconds in self.slow_jobs():
                    if key not in self._warned:
                        self._warned.add(key)
                        log.warning("%s is slow: running for %.0f s", key, seconds)
                for future in done:
                    key = self._futures.pop(future)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix_str(key, refresh=False)
                    error = future.exception()
                    yield key, (None if error else future.result()), error
        finally:
            if bar is not None:
                bar.close()
