"""Records name their seed by fingerprint; grade, feedback and report refuse to mix seeds."""

from __future__ import annotations

import json

import pytest

from autograder.feedback import write_feedback
from autograder.report import write_report
from autograder.results import SubmissionResult, read_result, result_path, write_result
from autograder.seeds import SeedMismatch, check_same_seed, seed_fingerprint

LESSON = "01-neurons"


def test_fingerprint_is_stable_distinct_and_not_the_seed(monkeypatch):
    monkeypatch.delenv("DLKIT_HIDDEN_SEED", raising=False)
    fp = seed_fingerprint(987654321)
    assert fp == seed_fingerprint("987654321") and len(fp) == 32 and "987654321" not in fp
    assert fp != seed_fingerprint(987654322)
    monkeypatch.setenv("DLKIT_HIDDEN_SEED", "987654321")
    assert seed_fingerprint(None) == fp  # the environment's seed is the one used


def _records(ws, seed):
    for sid in ("s001", "s002"):
        write_result(ws, SubmissionResult(sid, LESSON, "graded", score=1, max_score=2,
                                          seed_fingerprint=seed_fingerprint(seed)))


def test_feedback_and_report_refuse_another_seed(tmp_path):
    _records(tmp_path, 11)
    with pytest.raises(SeedMismatch, match="--regrade"):
        write_feedback(tmp_path, LESSON, seed=12)
    with pytest.raises(SeedMismatch, match="s001, s002"):
        write_report(tmp_path, LESSON, seed=12)
    assert len(write_feedback(tmp_path, LESSON, seed=11)) == 2


def test_record_round_trip_and_old_records_pass(tmp_path):
    _records(tmp_path, 5)
    assert read_result(result_path(tmp_path, LESSON, "s001")).seed_fingerprint == seed_fingerprint(5)
    old = json.loads(result_path(tmp_path, LESSON, "s002").read_text())
    del old["seed_fingerprint"]
    result_path(tmp_path, LESSON, "s002").write_text(json.dumps(old))
    check_same_seed([read_result(result_path(tmp_path, LESSON, "s002"))], 99, action="")  # no fingerprint: no claim
