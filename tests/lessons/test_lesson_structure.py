"""Every lesson's solution notebook follows the course's conventions (nothing is executed here).

Parametrized over every lesson folder (see :mod:`tests.lessons.course`); a new
lesson joins by existing. CONTRIBUTING.md states each rule in words.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from dlkit.notebook import SETUP_CELL, colab_badge
from tests.lessons.course import LESSONS, Lesson, binds, grade_id

NBGRADER_KEYS = {"grade", "grade_id", "locked", "schema_version", "solution", "task"}
HINT = re.compile(r"<details>\s*<summary>\s*Hint\b")
KINDS = ("function", "model", "value")

lessons = pytest.mark.parametrize("lesson", LESSONS, ids=str)


def check_source(lesson: Lesson, name: str, function: str) -> str:
    """The exact source a check cell must have."""
    return (f'checks.run("{lesson.number}.{name}", {function})\n'
            "### BEGIN HIDDEN TESTS\n"
            f'checks.run("{lesson.number}.{name}", {function}, hidden=True)\n'
            "### END HIDDEN TESTS")


def _region(source: str) -> tuple[int, int]:
    lines = [line.strip() for line in source.splitlines()]
    assert lines.count("### BEGIN SOLUTION") == 1 and lines.count("### END SOLUTION") == 1, \
        "exactly one ### BEGIN SOLUTION / ### END SOLUTION region"
    begin, end = lines.index("### BEGIN SOLUTION"), lines.index("### END SOLUTION")
    assert begin < end - 1, "the solution region is empty"
    assert source.rstrip().endswith("### END SOLUTION"), "nothing may follow the solution region"
    return begin, end


def test_lessons_are_found():
    assert LESSONS, "no lesson folder solutions/NN-slug/NN-slug.ipynb found"
    assert [lesson.number for lesson in LESSONS] == sorted({lesson.number for lesson in LESSONS}), \
        "two lesson folders share a number"


@lessons
def test_lesson_has_its_checks_mutants_and_student_files(lesson):
    for path in (lesson.checks_file, lesson.mutants_file, lesson.student):
        assert path.is_file(), f"{lesson.name} needs {path.relative_to(lesson.root)} (see CONTRIBUTING.md)"
    exercises = lesson.exercises()
    assert len(exercises) >= 3, f"a lesson has 3 to 6 graded exercises, {lesson.name} has {len(exercises)}"
    for ex in exercises:
        assert re.fullmatch(rf"{lesson.number}\.[a-z][a-z0-9_]*", ex.id), f"exercise id {ex.id!r}: use 'NN.name'"
        assert ex.kind in KINDS, ex.id


@lessons
def test_notebook_is_valid_nbformat_with_a_python_kernel(lesson):
    nb = lesson.notebook()
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"


@lessons
def test_first_cell_has_title_badge_and_objectives(lesson):
    first = lesson.notebook().cells[0]
    assert first.cell_type == "markdown"
    assert re.fullmatch(rf"# {lesson.number} · \S.*", first.source.splitlines()[0]), \
        f"the first line is the title '# {lesson.number} · <title>'"
    assert colab_badge(lesson.student_path) in first.source, "the Colab badge of the student notebook"
    objectives = first.source.split("After this lesson you can", 1)
    assert len(objectives) == 2, "cell 0 must list the learning objectives after 'After this lesson you can'"
    assert len(re.findall(r"^\d+\. ", objectives[1], flags=re.M)) >= 3, "at least three numbered objectives"


@lessons
def test_second_cell_is_the_setup_cell(lesson):
    cell = lesson.notebook().cells[1]
    assert cell.cell_type == "code" and cell.source == SETUP_CELL, "the first code cell is dlkit.notebook.SETUP_CELL"


@lessons
def test_every_cell_has_schema_3_metadata_and_a_unique_grade_id(lesson):
    nb = lesson.notebook()
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        assert meta is not None, f"cell {i} has no nbgrader metadata"
        assert NBGRADER_KEYS <= set(meta), f"cell {i} lacks {NBGRADER_KEYS - set(meta)}"
        assert meta["schema_version"] == 3 and meta["task"] is False, f"cell {i}"
        assert re.fullmatch(r"[A-Za-z0-9_-]+", meta["grade_id"]), meta["grade_id"]
    ids = [grade_id(c) for c in nb.cells]
    assert len(set(ids)) == len(ids), [g for g in ids if ids.count(g) > 1]


@lessons
def test_prose_and_demo_cells_are_locked_and_ungraded(lesson):
    for i, cell in enumerate(lesson.notebook().cells):
        meta = cell.metadata["nbgrader"]
        gid = meta["grade_id"]
        if gid.endswith("-answer"):
            assert (meta["solution"], meta["grade"], meta["locked"]) == (True, False, False), gid
            assert cell.cell_type == "code", gid
        elif gid.endswith("-check"):
            assert (meta["solution"], meta["grade"], meta["locked"]) == (False, True, True), gid
            assert isinstance(meta["points"], int) and meta["points"] > 0, gid
        else:
            assert (meta["solution"], meta["grade"], meta["locked"]) == (False, False, True), f"cell {i} {gid}"
            assert "points" not in meta, gid


@lessons
def test_answer_and_check_cells_match_the_registered_exercises(lesson):
    nb = lesson.notebook()
    ids = [grade_id(c) for c in nb.cells]
    expected = lesson.functions()
    graded = [g for g in ids if g.endswith("-answer") or g.endswith("-check")]
    assert graded == [f"{n}-{kind}" for n in expected for kind in ("answer", "check")], \
        "one <name>-answer then <name>-check per registered exercise, in registration order"
    for name, function in expected.items():
        at = ids.index(f"{name}-answer")
        assert ids[at + 1] == f"{name}-check", f"the check cell of {name} must follow its answer cell"
        assert nb.cells[at + 1].source == check_source(lesson, name, function), f"{name}-check"


@lessons
def test_points_sum_to_between_10_and_12(lesson):
    points = [c.metadata["nbgrader"].get("points", 0) for c in lesson.notebook().cells]
    assert 10 <= sum(points) <= 12, sum(points)


@lessons
def test_answer_cells_have_the_shape_their_kind_needs(lesson):
    """function: one documented def; value: ``name = None`` then assignments; model: ``name = None`` or a def."""
    answers = lesson.answers()
    for name, function in lesson.functions().items():
        kind, source = lesson.kinds()[name], answers[name]
        tree = ast.parse(source)
        begin, end = _region(source)
        if kind == "function" or (kind == "model" and isinstance(tree.body[0], ast.FunctionDef)):
            assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), \
                f"{name}-answer must hold only the def of {function}"
            fn = tree.body[0]
            assert fn.name == function, f"{name}-answer defines {fn.name}, not {function}"
            doc = ast.get_docstring(fn) or ""
            assert "Shapes" in doc and "Formula" in doc and "Example" in doc, \
                f"{function}'s docstring must give shapes first, then the formula and an example"
            assert doc.index("Shapes") < doc.index("Formula") < doc.index("Example"), function
            code = fn.body[1:]  # everything after the docstring is inside the solution region
        else:
            assert ast.unparse(tree.body[0]) == f"{function} = None", \
                f"{name}-answer starts with `{function} = None`, so the blank notebook says 'not set yet'"
            if kind == "value":
                assert all(isinstance(st, ast.Assign) and [t.id for t in st.targets if isinstance(t, ast.Name)]
                           == [function] for st in tree.body), f"{name}-answer may only assign {function}"
            assert function in binds(ast.Module(body=tree.body[1:], type_ignores=[])), \
                f"{name}-answer must bind {function} inside its solution region"
            code = tree.body[1:]
        assert code and all(begin < stmt.lineno - 1 < end for stmt in code), f"{name}: code outside the solution region"


@lessons
def test_hidden_test_markers_present_in_every_check_cell(lesson):
    cells = [c for c in lesson.notebook().cells if grade_id(c).endswith("-check")]
    assert cells
    for cell in cells:
        lines = cell.source.splitlines()
        assert lines[1:2] == ["### BEGIN HIDDEN TESTS"] and lines[-1] == "### END HIDDEN TESTS", grade_id(cell)
        assert "hidden=True" in lines[2]


@lessons
def test_checks_module_is_imported_in_a_locked_cell_before_the_first_check(lesson):
    nb = lesson.notebook()
    ids = [grade_id(c) for c in nb.cells]
    first_check = min(i for i, g in enumerate(ids) if g.endswith("-check"))
    importing = [i for i, c in enumerate(nb.cells[:first_check])
                 if c.cell_type == "code" and re.search(r"^from dlkit import .*\bchecks\b", c.source, re.M)]
    assert importing and nb.cells[importing[0]].metadata["nbgrader"]["locked"], \
        "`from dlkit import checks` in a locked cell before the first check cell"


@lessons
def test_each_exercise_has_layered_hints_before_its_answer(lesson):
    nb = lesson.notebook()
    ids = [grade_id(c) for c in nb.cells]
    for name in lesson.functions():
        at = ids.index(f"{name}-answer")
        previous_check = max([i for i, g in enumerate(ids[:at]) if g.endswith("-check")], default=0)
        prose = "\n".join(c.source for c in nb.cells[previous_check:at] if c.cell_type == "markdown")
        assert HINT.search(prose) and "</details>" in prose, f"no <details><summary>Hint ... hint for {name}"


@lessons
def test_committed_notebook_has_no_outputs_or_execution_counts(lesson):
    dirty = [i for i, c in enumerate(lesson.notebook().cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert dirty == [], f"cells {dirty} carry outputs or execution counts: clear them before committing"


@lessons
def test_no_plt_show_and_no_network(lesson):
    code = "\n".join(c.source for c in lesson.notebook().cells if c.cell_type == "code" and c.source != SETUP_CELL)
    assert "plt.show" not in code, "figures show themselves; plt.show() blocks in some front ends"
    for pattern in ("urlopen", "requests.", "download(", "http://", "https://"):
        assert pattern not in code, f"{pattern}: nothing downloads at run time"


@lessons
def test_ends_with_summary_and_further_reading(lesson):
    markdown = [c.source for c in lesson.notebook().cells if c.cell_type == "markdown"]
    assert markdown[-2].startswith("## Summary"), "the second-to-last markdown cell is '## Summary'"
    assert markdown[-1].startswith("## Further reading"), "the last markdown cell is '## Further reading'"
    assert len(re.findall(r"\]\(https://", markdown[-1])) >= 3, "at least three links to read further"
