"""Validation and tamper repair on lesson 01's released notebook (no student code runs)."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest

from autograder import LESSONS, SOLUTIONS
from autograder import notebooks as nbs
from autograder.validate import Rejected, grade_id, repair, scan_answers, validate

LESSON = "01-neurons"


@pytest.fixture(scope="module")
def released():
    return nbs.read(LESSONS / LESSON / f"{LESSON}.ipynb")


@pytest.fixture(scope="module")
def source():
    return nbs.read(SOLUTIONS / LESSON / f"{LESSON}.ipynb")


def _cell(nb, gid):
    return next(c for c in nb.cells if grade_id(c) == gid)


def _bytes(nb) -> bytes:
    return nbformat.writes(nb).encode()


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"{\"cells\": [", "malformed"),
    (json.dumps({"nbformat": 3, "worksheets": []}).encode(), "nbformat 3"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 99, "cells": [], "metadata": {}}).encode(), "newer"),
])
def test_unreadable_files_are_rejected_with_a_reason(released, data, words):
    with pytest.raises(Rejected, match=words):
        validate(data, released)


@pytest.mark.parametrize("where, value, words", [
    ("metadata", ["not", "a", "dict"], "malformed metadata"),
    ("nbgrader", "a string", "malformed metadata"),
    ("nbformat_minor", "5", "not a number"),
])
def test_malformed_structure_inside_a_valid_notebook_is_rejected_not_a_crash(released, where, value, words):
    raw = json.loads(_bytes(released))
    cell = next(c for c in raw["cells"] if c.get("metadata", {}).get("nbgrader"))
    if where == "metadata":
        cell["metadata"] = value
    elif where == "nbgrader":
        cell["metadata"]["nbgrader"] = value
    else:
        raw["nbformat_minor"] = value
    with pytest.raises(Rejected, match=words):
        validate(json.dumps(raw).encode(), released)


def test_schema_other_lesson_and_ambiguous_answers_are_rejected(released):
    nb = copy.deepcopy(released)
    _cell(nb, "relu-check").metadata["nbgrader"]["schema_version"] = 4
    with pytest.raises(Rejected, match="schema"):
        validate(_bytes(nb), released)
    other = copy.deepcopy(released)
    for k, cell in enumerate(other.cells):
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["grade_id"] = f"not-a-lesson-{k}"
    with pytest.raises(Rejected, match="another lesson"):
        validate(_bytes(other), released)
    twice = copy.deepcopy(released)
    extra = copy.deepcopy(_cell(twice, "relu-answer"))
    extra.source = "def relu(x):\n    return x"
    extra.pop("id", None)
    twice.cells.insert(0, extra)
    with pytest.raises(Rejected, match="relu-answer"):
        validate(_bytes(twice), released)


def test_repair_restores_reinserts_renames_and_ignores_points(released, source):
    nb = copy.deepcopy(released)
    _cell(nb, "relu-answer").source = "def relu(x):\n    return np.maximum(x, 0)"
    _cell(nb, "sigmoid-check").source = 'print("all checks passed")'
    _cell(nb, "tanh-check").metadata["nbgrader"]["points"] = 1000
    _cell(nb, "softmax-answer").metadata["nbgrader"]["grade_id"] = "my-softmax"
    nb.cells = [c for c in nb.cells if grade_id(c) not in ("dense-check", "imports")]
    scratch = nbformat.v4.new_code_cell("print('my scratch work')")
    nb.cells.insert(5, scratch)
    fixed = validate(_bytes(nb), released)
    out = repair(fixed, released, source)
    text = "\n".join(out.repairs)
    for words in ("restored the check cell 'sigmoid-check'", "ignored the changed points of 'tanh-check'",
                  "renamed back to 'softmax-answer'", "re-inserted the deleted check cell 'dense-check'",
                  "re-inserted the deleted locked cell 'imports'"):
        assert words in text
    ids = [grade_id(c) for c in out.notebook.cells if grade_id(c)]
    assert ids == [grade_id(c) for c in released.cells if grade_id(c)]
    assert _cell(out.notebook, "relu-answer").source == "def relu(x):\n    return np.maximum(x, 0)"
    assert "BEGIN HIDDEN TESTS" in _cell(out.notebook, "sigmoid-check").source  # from the instructor source
    assert _cell(out.notebook, "tanh-check").metadata["nbgrader"]["points"] == 2
    assert any(c.source == "print('my scratch work')" for c in out.notebook.cells)
    assert repair(validate(_bytes(released), released), released, source).repairs == []


def test_scan_finds_reference_imports_and_hooks(released):
    nb = copy.deepcopy(released)
    _cell(nb, "sigmoid-answer").source = "import dlkit.reference as R\ndef sigmoid(x):\n    return R.sigmoid(x)"
    _cell(nb, "tanh-answer").source = "import sys\ndef tanh(x):\n    sys.setprofile(None)\n    return x"
    _cell(nb, "relu-answer").source = "from dlkit.reference import softmax\ndef relu(x):\n    return x"
    found = scan_answers(nb, {"sigmoid": {"dlkit.reference.sigmoid"}, "relu": {"dlkit.reference.relu"}})
    assert found["sigmoid"] == ["dlkit.reference.sigmoid"]
    assert found["tanh"] == ["sys.setprofile"]
    assert "relu" not in found  # another exercise's reference is allowed
