"""One owner of the file checks: notebooks.parse; read words them for instructors, validate for students."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import LESSONS
from autograder import notebooks as nbs
from autograder.validate import Rejected, validate

LESSON = "01-neurons"
V4 = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}}


@pytest.fixture(scope="module")
def released():
    return nbs.read(LESSONS / LESSON / f"{LESSON}.ipynb")


def _json(value) -> bytes:
    return json.dumps(value).encode()


#: input, the problem parse names, what read says after "<path>: ", what validate tells the student (unchanged).
CASES = [
    (b"", "empty", "the file is empty", "the file is empty"),
    (b" \n\t", "empty", "the file is empty", "the file is empty"),
    (b"\xff\xfe{}", "encoding", None, "the file is not UTF-8 text; submit the .ipynb file that Jupyter saved"),
    (b'{"cells": [', "json", "not valid notebook JSON (Expecting value at line 1)",
     "malformed notebook JSON (Expecting value at line 1); re-download it from Jupyter (File > Download)"),
    (_json([1, 2]), "not-object", "not a Jupyter notebook (the JSON is not an object)",
     "not a Jupyter notebook (the JSON is not an object)"),
    (_json({"nbformat": 3, "worksheets": []}), "nbformat", "nbformat 3 is not supported; save it as nbformat 4",
     "nbformat 3 is not supported; save the notebook as nbformat 4"),
    (_json({**V4, "nbformat": "4", "cells": []}), "nbformat", "nbformat '4' is not supported; save it as nbformat 4",
     "nbformat '4' is not supported; save the notebook as nbformat 4"),
    (_json(V4), "no-cells", "not a Jupyter notebook (no list of cells)", "not a Jupyter notebook (no list of cells)"),
    (_json({**V4, "cells": {}}), "no-cells", "not a Jupyter notebook (no list of cells)",
     "not a Jupyter notebook (no list of cells)"),
    (_json({**V4, "nbformat_minor": "5", "cells": []}), "nbformat-minor", "its nbformat_minor is '5', not a number",
     "the notebook's nbformat_minor is '5', not a number; re-download it from Jupyter (File > Download)"),
]


@pytest.mark.parametrize("data, problem, instructor, student", CASES)
def test_each_check_has_one_owner_and_two_wordings(tmp_path, released, data, problem, instructor, student):
    with pytest.raises(nbs.NotebookError) as parsed:
        nbs.parse(data, where="sub.ipynb")
    assert parsed.value.problem == problem
    if instructor is not None:
        assert str(parsed.value) == f"sub.ipynb: {instructor}"
        path = tmp_path / "x.ipynb"
        path.write_bytes(data)
        with pytest.raises(nbs.NotebookError) as read:
            nbs.read(path)
        assert str(read.value) == f"{path}: {instructor}"
    with pytest.raises(Rejected) as rejected:
        validate(data, released)
    assert str(rejected.value) == student


def test_parse_returns_the_json_unchanged_and_leaves_the_input_alone():
    doc = {**V4, "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["a", "b"]}]}
    data = _json(doc)
    assert nbs.parse(data) == doc and nbs.parse(data.decode()) == doc
    assert data == _json(doc)


def test_read_names_a_file_it_cannot_open(tmp_path):
    with pytest.raises(nbs.NotebookError, match="cannot read the file") as exc:
        nbs.read(tmp_path / "missing.ipynb")
    assert exc.value.problem == "unreadable" and str(tmp_path / "missing.ipynb") in str(exc.value)


@settings(max_examples=40, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12))
def test_any_json_is_accepted_by_parse_or_refused_with_a_notebook_error(value):
    data = _json(value)
    try:
        raw = nbs.parse(data)
    except nbs.NotebookError as exc:
        assert exc.problem in nbs.PROBLEMS
        assert str(exc) == nbs.PROBLEMS[exc.problem].format(detail=exc.detail)
    else:
        assert raw == value and raw["nbformat"] == 4 and isinstance(raw["cells"], list)
