"""Hidden checks are fair, for every lesson's exercises: each hidden case is of a kind a visible case
shows (same label), and labels are fixed text that never depends on the instructor's seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlkit import checks

LESSONS = sorted(p.stem.removeprefix("lesson") for p in (Path(checks.__file__).parent).glob("lesson[0-9][0-9].py"))
EXERCISES = [ex for lesson in LESSONS for ex in checks.all_exercises(lesson)]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda ex: ex.id)
def test_every_hidden_case_has_a_visible_case_of_the_same_kind(exercise):
    visible = {case.label for case in exercise.cases()}
    for seed in (1, 2, 3):
        hidden = exercise.cases(hidden=True, seed=seed)
        assert hidden, f"{exercise.id} has no hidden cases"
        missing = sorted({case.label for case in hidden} - visible)
        assert not missing, f"{exercise.id}: hidden kinds without a visible case of the same label: {missing}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda ex: ex.id)
def test_hidden_labels_are_fixed_text(exercise):
    labels = [[case.label for case in exercise.cases(hidden=True, seed=seed)] for seed in (1, 2, 3, 4)]
    assert all(label for label in labels[0]), f"{exercise.id}: every hidden case needs a label"
    assert labels[1:] == labels[:-1], f"{exercise.id}: hidden labels change with the seed: {labels}"
