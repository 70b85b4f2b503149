"""Lesson 01's solution notebook follows the course's notebook conventions (no execution here).

Also holds the small readers of the notebook that the mutation tests reuse.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from dlkit import checks
from dlkit.notebook import SETUP_CELL, colab_badge

REPO = Path(__file__).resolve().parents[2]
LESSON = "01"
NOTEBOOK = REPO / "solutions" / "01-neurons" / "01-neurons.ipynb"
STUDENT_PATH = "lessons/01-neurons/01-neurons.ipynb"
TITLE = "# 01 · Neurons, layers and activation functions"
NBGRADER_KEYS = {"grade", "grade_id", "locked", "schema_version", "solution", "task"}
HINT = "<details><summary>Hint</summary>"


def load_notebook() -> nbformat.NotebookNode:
    """The solution notebook of lesson 01, as nbformat v4."""
    return nbformat.read(NOTEBOOK, as_version=4)


def grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def exercise_names() -> list[tuple[str, str]]:
    """``(name, function)`` of every exercise registered for lesson 01, in order: ``("dense", "dense_forward")``."""
    return [(ex.id.split(".", 1)[1], ex.function) for ex in checks.all_exercises(LESSON)]


def answer_sources(nb: nbformat.NotebookNode | None = None) -> dict[str, str]:
    """Exercise name -> source of its answer cell (``<name>-answer``), in notebook order."""
    nb = nb or load_notebook()
    return {grade_id(c)[: -len("-answer")]: c.source for c in nb.cells if grade_id(c).endswith("-answer")}


def check_source(name: str, function: str) -> str:
    """The exact source a check cell must have."""
    return (f'checks.run("01.{name}", {function})\n'
            "### BEGIN HIDDEN TESTS\n"
            f'checks.run("01.{name}", {function}, hidden=True)\n'
            "### END HIDDEN TESTS")


@pytest.fixture(scope="module")
def nb() -> nbformat.NotebookNode:
    return load_notebook()


@pytest.fixture(scope="module")
def ids(nb) -> list[str]:
    return [grade_id(c) for c in nb.cells]


def test_notebook_is_valid_nbformat(nb):
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_first_cell_has_title_badge_and_objectives(nb):
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert first.source.splitlines()[0] == TITLE
    assert colab_badge(STUDENT_PATH) in first.source
    objectives = first.source.split("After this lesson you can", 1)
    assert len(objectives) == 2, "cell 0 must list the learning objectives"
    assert len(re.findall(r"^\d+\. ", objectives[1], flags=re.M)) >= 3


def test_second_cell_is_the_setup_cell(nb):
    assert nb.cells[1].cell_type == "code"
    assert nb.cells[1].source == SETUP_CELL


def test_every_cell_has_schema_3_metadata_and_a_unique_grade_id(nb, ids):
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        assert meta is not None, f"cell {i} has no nbgrader metadata"
        assert NBGRADER_KEYS <= set(meta), f"cell {i} lacks {NBGRADER_KEYS - set(meta)}"
        assert meta["schema_version"] == 3 and meta["task"] is False
        assert re.fullmatch(r"[A-Za-z0-9_-]+", meta["grade_id"]), meta["grade_id"]
    assert len(set(ids)) == len(ids), [g for g in ids if ids.count(g) > 1]


def test_prose_and_demo_cells_are_locked_and_ungraded(nb):
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata["nbgrader"]
        gid = meta["grade_id"]
        if gid.endswith("-answer"):
            assert (meta["solution"], meta["grade"], meta["locked"]) == (True, False, False), gid
            assert cell.cell_type == "code"
        elif gid.endswith("-check"):
            assert (meta["solution"], meta["grade"], meta["locked"]) == (False, True, True), gid
            assert isinstance(meta["points"], int) and meta["points"] > 0, gid
        else:
            assert (meta["solution"], meta["grade"], meta["locked"]) == (False, False, True), f"cell {i} {gid}"
            assert "points" not in meta, gid


def test_answer_and_check_cells_match_the_registered_exercises(nb, ids):
    expected = exercise_names()
    graded = [g for g in ids if g.endswith("-answer") or g.endswith("-check")]
    assert graded == [f"{n}-{kind}" for n, _ in expected for kind in ("answer", "check")]
    for name, function in expected:
        at = ids.index(f"{name}-answer")
        assert ids[at + 1] == f"{name}-check", f"the check cell of {name} must follow its answer cell"
        assert nb.cells[at + 1].source == check_source(name, function)


def test_points_sum_to_between_10_and_12(nb):
    points = [c.metadata["nbgrader"].get("points", 0) for c in nb.cells]
    assert 10 <= sum(points) <= 12, sum(points)


def _kind(name: str) -> str:
    return checks.get(f"{LESSON}.{name}").kind


@pytest.mark.parametrize("name,function", [(n, f) for n, f in exercise_names() if _kind(n) == "value"])
def test_value_answer_cell_starts_unset_and_assigns_only_its_name(nb, name, function):
    """A "value" exercise's cell: ``name = None``, then the solution region assigning ``name``."""
    source = answer_sources(nb)[name]
    tree = ast.parse(source)
    assert tree.body and all(isinstance(st, ast.Assign) and [t.id for t in st.targets] == [function]
                             for st in tree.body), f"{name}-answer may only assign {function}"
    assert ast.unparse(tree.body[0]) == f"{function} = None", "start from None, so the check says 'not set yet'"
    lines = [line.strip() for line in source.splitlines()]
    begin, end = lines.index("### BEGIN SOLUTION"), lines.index("### END SOLUTION")
    assert all(begin < st.lineno - 1 < end for st in tree.body[1:]), "the answer must be inside the solution region"
    assert source.rstrip().endswith("### END SOLUTION")


@pytest.mark.parametrize("name,function", [(n, f) for n, f in exercise_names() if _kind(n) == "function"])
def test_answer_cell_is_one_documented_def_with_solution_markers(nb, name, function):
    source = answer_sources(nb)[name]
    tree = ast.parse(source)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), \
        f"{name}-answer must hold only the def of {function}"
    fn = tree.body[0]
    assert fn.name == function
    doc = ast.get_docstring(fn) or ""
    assert doc.index("Shapes") < doc.index("Formula") < doc.index("Example"), \
        f"{function}'s docstring must give shapes first, then the formula and an example"
    lines = [line.strip() for line in source.splitlines()]
    begin, end = lines.index("### BEGIN SOLUTION"), lines.index("### END SOLUTION")
    assert lines.count("### BEGIN SOLUTION") == 1 and lines.count("### END SOLUTION") == 1
    assert begin < end - 1, "the solution region is empty"
    code = fn.body[1:]  # everything after the docstring must be inside the solution region
    assert code and all(begin < stmt.lineno - 1 < end for stmt in code), "code outside the solution region"
    assert source.rstrip().endswith("### END SOLUTION"), "nothing may follow the solution region"


def test_hidden_test_markers_present_in_every_check_cell(nb):
    checks_cells = [c for c in nb.cells if grade_id(c).endswith("-check")]
    assert checks_cells
    for cell in checks_cells:
        lines = cell.source.splitlines()
        assert lines[1:2] == ["### BEGIN HIDDEN TESTS"] and lines[-1] == "### END HIDDEN TESTS", grade_id(cell)
        assert "hidden=True" in lines[2]


def test_checks_module_is_imported_in_a_locked_cell_before_the_first_check(nb, ids):
    first_check = min(i for i, g in enumerate(ids) if g.endswith("-check"))
    importing = [i for i, c in enumerate(nb.cells[:first_check])
                 if c.cell_type == "code" and re.search(r"^from dlkit import .*\bchecks\b", c.source, re.M)]
    assert importing and nb.cells[importing[0]].metadata["nbgrader"]["locked"]


@pytest.mark.parametrize("name,function", exercise_names())
def test_each_exercise_has_a_hint_before_its_answer(nb, ids, name, function):
    at = ids.index(f"{name}-answer")
    previous_check = max([i for i, g in enumerate(ids[:at]) if g.endswith("-check")], default=0)
    prose = [c.source for c in nb.cells[previous_check:at] if c.cell_type == "markdown"]
    assert any(HINT in text and "</details>" in text for text in prose), f"no <details> hint for {name}"


def test_committed_notebook_has_no_outputs_or_execution_counts(nb):
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert dirty == []


def test_no_plt_show_and_no_network(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and grade_id(c) != "setup")
    assert "plt.show" not in code
    for pattern in ("urlopen", "requests.", "download", "http://", "https://"):
        assert pattern not in code, pattern


def test_accuracy_claim_is_asserted_in_a_locked_cell_after_the_last_exercise(nb, ids):
    last_check = max(i for i, g in enumerate(ids) if g.endswith("-check"))
    claims = [(i, c) for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and re.search(r"^assert test_accuracy > 0\.90\b", c.source, re.M)]
    assert len(claims) == 1
    i, cell = claims[0]
    assert i > last_check and cell.metadata["nbgrader"]["locked"] and not cell.metadata["nbgrader"]["grade"]
    claim_text = nb.cells[i - 1].source
    assert nb.cells[i - 1].cell_type == "markdown" and "90%" in claim_text, "state the claim right before its assert"
    assert "MLPClassifier(hidden_layer_sizes=(16,), activation=\"relu\"" in "\n".join(c.source for c in nb.cells)


def test_ends_with_summary_and_further_reading(nb):
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown[-2].startswith("## Summary")
    assert markdown[-1].startswith("## Further reading")
    assert len(re.findall(r"\]\(https://", markdown[-1])) >= 3


def test_student_facing_widget_and_static_figure_both_present(nb):
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    widget = [i for i, s in enumerate(code) if "widgets.neuron_explorer(" in s]
    static = [i for i, s in enumerate(code) if "plot.neuron(" in s]
    assert widget and static and static[0] < widget[0], "show the static figure before the slider"
