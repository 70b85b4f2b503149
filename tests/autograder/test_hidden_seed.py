"""The hidden-check seed: required, full-entropy, and per submission; and what the grader shows of a hidden case.

The real-sandbox side (a submission that leaks its hidden inputs, a table of
leaked inputs, notebooks built to exhaust the parser) is in
``test_hostile_batch.py``; these are the pieces, without a sandbox.
"""

from __future__ import annotations

import resource

import numpy as np
import pytest

from autograder import grade
from autograder import notebooks as nbs
from autograder.__main__ import main
from autograder.explain import cell_notes
from autograder.seeds import SeedMissing, new_seed, require_seed, short_seed_warning
from dlkit.checks import core

SEED = "0d6f4f3b1c9a8e7d6c5b4a3928171605f4e3d2c1b0a99887766554433221100f"


def _draw(seed, salt="", exercise_id="01.sigmoid"):
    return [c.args for c in core.get(exercise_id).cases(hidden=True, seed=seed, salt=salt)]


def _same(a, b) -> bool:
    return len(a) == len(b) and all(
        len(x) == len(y) and all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(x, y))
        for x, y in zip(a, b))


def test_every_bit_of_the_seed_reaches_the_draw():
    """Seeds equal modulo 2**32 (once drawn alike), or differing only in the last of 64 hex digits, draw apart."""
    assert not _same(_draw(1234), _draw(1234 + 2 ** 32))
    assert not _same(_draw(SEED), _draw(SEED[:-1] + "e"))
    assert _same(_draw(SEED), _draw(SEED)) and _same(_draw(1234), _draw("1234"))
    entropy = core.hidden_seed(SEED, "01.sigmoid").entropy
    assert entropy.bit_length() > 128  # the whole HMAC-SHA256 digest, not a 32-bit word of it


def test_hidden_inputs_are_per_submission_and_stable():
    a, b = "a" * 64, "b" * 64
    assert _same(_draw(SEED, a), _draw(SEED, a))
    assert not _same(_draw(SEED, a), _draw(SEED, b)) and not _same(_draw(SEED, a), _draw(SEED))
    spec = grade.load_lesson("01-neurons")
    grader = grade.Grader.create(spec, seed=SEED, unsafe=True, confine=False)
    first, again, other = grader.cases_for(a), grader.cases_for(a), grader.cases_for(b)
    for eid, cases in first.items():
        visible = slice(0, cases.n_visible)
        assert _same([c.args for c in cases.cases], [c.args for c in again[eid].cases]), eid
        assert _same([c.args for c in cases.cases[visible]], [c.args for c in other[eid].cases[visible]]), eid
    assert not _same([c.args for c in first["01.sigmoid"].cases], [c.args for c in other["01.sigmoid"].cases])


def test_grade_refuses_without_a_seed_and_says_how_to_make_one(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DLKIT_HIDDEN_SEED", raising=False)
    with pytest.raises(SeedMissing, match="python -m autograder seed"):
        require_seed(None)
    assert require_seed(None, public_seed=True) == str(core.DEFAULT_HIDDEN_SEED)
    monkeypatch.setenv("DLKIT_HIDDEN_SEED", SEED)
    assert require_seed(None) == SEED
    monkeypatch.delenv("DLKIT_HIDDEN_SEED")
    (tmp_path / "subs").mkdir()
    assert main(["grade", "01", str(tmp_path / "subs"), "--workspace", str(tmp_path / "ws")]) == 1
    err = capsys.readouterr().err
    assert "no hidden-check seed" in err and "python -m autograder seed" in err and "--public-seed" in err
    assert not (tmp_path / "ws" / "results").exists()


def test_seed_command_prints_a_fresh_256_bit_secret(capsys):
    assert main(["seed"]) == 0
    out, err = capsys.readouterr()
    seed = out.strip()
    assert len(seed) == 64 and int(seed, 16) >= 0 and "keep it out of the repository" in err
    assert new_seed() != new_seed()
    assert short_seed_warning("1234") and not short_seed_warning(seed)


# -- what the grader shows of a hidden case: fixed words only ------------------------------------

@pytest.mark.parametrize("error, shown", [
    ("raised ValueError: LEAK 0.1234567 0.7654321", "your code raised ValueError on it"),
    ("raised Leak_123456_654321: LEAK", "your code raised an exception of a class of its own on it"),
    ("expected a numpy array, got Leak_123456_654321", "your code returned something other than numbers"),
    ("calls `numpy.tanh`, which this exercise asks you to implement yourself", "it calls a function"),
    ("Leak 0.1234567 anything else", "your code gave no answer the grader could read"),
])
def test_a_hidden_failure_says_only_fixed_words(error, shown):
    exercise = core.get("01.sigmoid")
    case = exercise.cases(hidden=True, seed=SEED)[0]
    text = core.private_failure(exercise, case, core.Outcome(None, error), core.expected_output(exercise, case))
    assert shown.replace("your code ", "") in text and "LEAK" not in text and "Leak" not in text and "0.12" not in text


def test_a_hidden_check_in_a_plain_notebook_names_no_input():
    """``checks.run(..., hidden=True)`` (nbgrader's own autograde runs it) says the label and the error size."""
    exercise = core.get("01.sigmoid")
    with pytest.raises(core.CheckFailed) as failed:
        core.run("01.sigmoid", lambda x: np.asarray(x, dtype=float) * 0 + 0.5, hidden=True, seed=SEED)
    message = str(failed.value)
    assert "hidden check 1 of" in message and "largest error is" in message, message
    for case in exercise.cases(hidden=True, seed=SEED):
        for value in np.asarray(case.args[0], dtype=float).ravel()[:5]:
            assert repr(float(value)) not in message and f"{value:.4f}" not in message


def test_what_the_students_process_reports_is_shown_in_the_graders_words():
    check = grade.CheckSpec("sigmoid-check", 2.0, [("01.sigmoid", "sigmoid")], {"01.sigmoid"})
    cases = {"01.sigmoid": grade.case_set(core.get("01.sigmoid"), SEED)}
    message = {"results": [{"exercise_id": "01.sigmoid", "outcomes": [],
                            "rigged": ["returned a Leak_0_123456 object defining __eq__"]}],
               "patched": ["numpy.allclose", "Leak_0_123456.x"], "flags": ["Leak_0_123456 0.1234567"]}
    verdict, flags = grade.judge_check(check, message, cases, {}, "")
    text = " ".join([verdict.message, *map(str, flags)])
    assert "Leak" not in text and "0.123" not in text, text
    assert "numpy.allclose" in text and "__eq__" in text and "(a name the grader does not know)" in text


def test_cell_notes_name_only_known_exception_types():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")])
    done = {"errors": [{"grade_id": "a", "error": "Leak_0_123456"}, {"grade_id": "b", "error": "ZeroDivisionError"}]}
    notes = " ".join(cell_notes(nb, done, "", 1024))
    assert "Leak" not in notes and "an exception of a class of its own" in notes and "ZeroDivisionError" in notes


# -- untrusted notebooks are read with bounds, outside the grader's process --------------------------

def test_a_notebook_made_to_exhaust_the_parser_costs_the_grader_nothing():
    """20 MB of empty lists (under the size cap): the capped child refuses it; the grader's own memory stays put."""
    bomb = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + b"[]," * 6_500_000 + b"[]]}"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(nbs.NotebookError) as refused:
        nbs.parse_untrusted(bomb)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert refused.value.problem == "bounds" and "clear the outputs" in str(refused.value)
    assert grown_mb < 100, f"the grader's process grew by {grown_mb:.0f} MiB"


@pytest.mark.parametrize("data, words", [
    (b"[" * 100_000 + b"]" * 100_000, "nested more than"),
    (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "' + b"a = 1\\n" * 200_000 + b'"}]}',
     "characters, more than"),
    (b'{"nbformat": 4, "cells": [1, 2', "not valid notebook JSON"),
])
def test_bounds_give_a_clear_reason(data, words):
    with pytest.raises(nbs.NotebookError, match=words):
        nbs.parse_untrusted(data)


def test_a_real_notebook_is_read_as_before():
    data = (nbs.SOLUTIONS / "01-neurons" / "01-neurons.ipynb").read_bytes()
    assert nbs.parse_untrusted(data) == nbs.parse(data)


@pytest.mark.parametrize("student_id", ["../escape", "a/b", "..", "a\\b", "a\0b", ""])
def test_no_file_is_named_after_a_student_id_that_is_not_a_plain_name(tmp_path, student_id):
    from autograder.feedback import feedback_path
    from autograder.results import result_path

    with pytest.raises(ValueError, match="plain name"):
        result_path(tmp_path, "01-neurons", student_id)
    with pytest.raises(ValueError, match="plain name"):
        feedback_path(tmp_path, "01-neurons", student_id)
