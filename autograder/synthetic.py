"""Synthetic submissions for demos, tests and benchmarks.

A submission is a student notebook (from the release) whose answer cells are
replaced: with the solutions (a correct student), with nothing (blank), with
plausible wrong answers from ``autograder.mutants.lessonNN`` (partly wrong), or
with hostile code.
"""

from __future__ import annotations

import copy
import importlib
import re

import nbformat

from autograder import SOLUTIONS
from autograder import notebooks as nbs

_MARKERS = re.compile(r"^\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The solution (answer) cells of a notebook by grade id."""
    return {nbs.grade_id(c): c for c in nb.cells if nbs.is_answer(c)}


def solution_answers(lesson: str) -> dict[str, dict[str, str]]:
    """For each notebook of a lesson, its answer cells' solution code (markers removed) by grade id."""
    result = {}
    for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
        cells = answer_cells(nbs.read(path))
        result[path.name] = {gid: "\n".join(line for line in cell.source.splitlines() if not _MARKERS.match(line))
                             for gid, cell in cells.items()}
    return result


def fill(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose answer cells with the given grade ids hold the given sources."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if nbs.is_answer(cell) and nbs.grade_id(cell) in answers:
            cell.source = answers[nbs.grade_id(cell)]
    return out


def mutants(lesson: str) -> dict[str, list[tuple[str, str]]]:
    """Plausible wrong answers per exercise name (empty if the lesson has none yet)."""
    number = lesson.split("-", 1)[0]
    try:
        module = importlib.import_module(f"autograder.mutants.lesson{number}")
    except ModuleNotFoundError:
        return {}
    return getattr(module, "MUTANTS", {})


def demo_class(lesson: str, released: dict[str, nbformat.NotebookNode]) -> dict[str, dict[str, nbformat.NotebookNode]]:
    """Three students: ``correct``, ``blank`` and ``partly-wrong`` (every second exercise wrong: a mutant)."""
    answers = solution_answers(lesson)
    wrong = mutants(lesson)
    students: dict[str, dict[str, nbformat.NotebookNode]] = {"correct": {}, "blank": {}, "partly-wrong": {}}
    for name, nb in released.items():
        correct = answers.get(name, {})
        students["correct"][name] = fill(nb, correct)
        students["blank"][name] = copy.deepcopy(nb)
        partly = {}
        for k, gid in enumerate(correct):  # notebook order
            exercise = gid.removesuffix("-answer")
            if k % 2 == 0:
                partly[gid] = correct[gid]
            elif wrong.get(exercise):
                partly[gid] = wrong[exercise][0][1]
            # else: left unanswered
        students["partly-wrong"][name] = fill(nb, partly)
    return students
