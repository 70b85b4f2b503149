"""The local executor: --jobs sandboxes at once, and one job ahead doing a submission's checks and judging
beside them (``LocalExecutor(jobs, ahead=1)``, as ``grade`` runs it)."""

from __future__ import annotations

import threading
import time

import pytest

from autograder.executor import LocalExecutor


class Tracker:
    """Counts the jobs inside a slot at once, and records what happened in which order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.events: list[str] = []

    def log(self, event: str) -> None:
        with self.lock:
            self.events.append(event)

    def job(self, ex: LocalExecutor, key: str, held_s: float = 0.3) -> str:
        self.log(f"{key} before")  # a submission's checks and cases: outside the slot
        with ex.slot(key):
            with self.lock:
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
            self.log(f"{key} in")
            time.sleep(held_s)  # its sandbox run
            with self.lock:
                self.inside -= 1
        self.log(f"{key} after")  # judging it: outside the slot
        return key


@pytest.mark.parametrize("jobs", [1, 2])
def test_no_more_than_jobs_hold_a_slot_and_the_job_ahead_does_its_part_meanwhile(jobs):
    tracker = Tracker()
    with LocalExecutor(jobs, ahead=1, progress=False) as ex:
        for k in range(jobs + 3):
            ex.submit(f"s{k}", tracker.job, ex, f"s{k}")
        done = sorted(key for key, _, error in ex.results() if error is None)
    assert done == [f"s{k}" for k in range(jobs + 3)]
    assert tracker.most_inside == jobs
    # some job had done its part before the slot while every slot was held (the point of the job ahead)
    first_out = min(tracker.events.index(f"s{k} after") for k in range(jobs + 3))
    started_early = [e for e in tracker.events[:first_out] if e.endswith(" before")]
    assert len(started_early) == jobs + 1, tracker.events


def test_without_a_job_ahead_each_job_starts_when_one_ends():
    tracker = Tracker()
    with LocalExecutor(1, progress=False) as ex:
        for k in range(3):
            ex.submit(f"s{k}", tracker.job, ex, f"s{k}", 0.05)
        list(ex.results())
    assert tracker.events == [f"s{k} {what}" for k in range(3) for what in ("before", "in", "after")]


def test_a_job_waiting_for_a_slot_is_not_called_slow_but_one_holding_it_is():
    hold = threading.Event()
    waiting = threading.Event()
    ex = LocalExecutor(1, ahead=1, progress=False, slow_after_s=0.05)

    def holder():
        with ex.slot("holder"):
            hold.wait(10)

    def waiter():
        waiting.set()
        with ex.slot("waiter"):
            pass

    with ex:
        ex.submit("holder", holder)
        time.sleep(0.05)
        ex.submit("waiter", waiter)
        assert waiting.wait(5)
        time.sleep(0.2)
        slow = [key for key, _ in ex.slow_jobs()]
        hold.set()
        list(ex.results())
    assert slow == ["holder"]


def test_ahead_must_be_a_count():
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="ahead must be 0 or more"):
            LocalExecutor(1, ahead=bad)
