"""Per-student HTML feedback from the result records: ``python -m autograder feedback LESSON``.

One self-contained page per student at
``<workspace>/feedback/<student>/<lesson>/<lesson>.html`` (where nbgrader puts
its feedback): per check the verdict, points and message, the total, the
repairs made to the notebook and the flags raised. Everything a submission
controls is HTML-escaped.

Hidden checks stay hidden: the page shows whether they passed, never their
inputs or source. The grader already writes student-facing messages; as a
second line of defence, :class:`Redactor` re-draws every hidden case from the
instructor's seed and replaces any message that quotes a hidden input (or
the ``hidden=True`` check source) with a generic one.

Example::

    >>> from autograder.results import SubmissionResult
    >>> page = render_feedback(SubmissionResult("s001", "01-neurons", "graded", score=2, max_score=4))
    >>> "s001" in page and "<script" not in page
    True
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable, Iterable

from autograder import results as res
from autograder.templates import render_page

#: Shown instead of a message that would reveal a hidden check.
HIDDEN_MESSAGE = ("A hidden check failed: your function gives a wrong result (or raises) for an input that is "
                  "not shown to you. Try your code on other shapes, very large and very small values, and float32.")

_HIDDEN_SOURCE = re.compile(r"hidden\s*=\s*True|BEGIN HIDDEN TESTS|END HIDDEN TESTS")

#: What to do about each kind of rejection, by a word in the reason.
_ADVICE = (
    ("internal grader error", "The grader could not finish grading this notebook; your instructor will look "
                              "into it and grade it again. You do not need to submit it again."),
    ("empty", "The file you handed in is empty. Save the notebook (File > Save) and submit the .ipynb again."),
    ("json", "The file is not a readable notebook. Download it again from JupyterLab/Colab (File > Download) "
             "and submit that file, without editing it in a text editor."),
    ("nbformat", "The notebook was saved in a format this course does not read. Open it in a current JupyterLab "
                 "or Colab, save it, and submit again."),
    ("lesson", "This notebook belongs to another lesson. Submit the notebook of this lesson."),
    ("time", "Your notebook did not finish within the time limit. Look for a loop that never ends."),
    ("memory", "Your notebook used more memory than allowed. Look for very large arrays."),
)


def advice(reason: str) -> str:
    """One sentence telling a student what to do about a rejection reason."""
    low = reason.lower()
    for word, text in _ADVICE:
        if word in low:
            return text
    return "Ask your instructor if the reason is unclear."


class Redactor:
    """Finds hidden inputs and hidden check source in messages, and replaces such messages.

    Args:
        exercise_ids: the exercises whose hidden cases to re-draw (``"01.sigmoid"``).
        seed: the instructor's seed (default: ``DLKIT_HIDDEN_SEED`` or dlkit's default).
        salt: the submission's SHA-256 (its record's ``submission_sha256``): the grader drew that
            submission's hidden inputs with it.

    Only fingerprints that pin down a hidden input are used: the printed form
    of a hidden argument that contains digits, is at least 6 characters long
    and is not also the printed form of a visible argument.
    """

    def __init__(self, exercise_ids: Iterable[str], seed: int | str | None = None, salt: str = ""):
        from dlkit.checks.core import get

        hidden: set[str] = set()
        visible: set[str] = set()
        for exercise_id in sorted(set(exercise_ids)):
            try:
                exercise = get(exercise_id)
            except KeyError:
                continue
            for case in exercise.cases():
                visible |= _fingerprints(case)
            for case in exercise.cases(hidden=True, seed=seed, salt=salt):
                hidden |= _fingerprints(case)
        self.fingerprints = frozenset(f for f in hidden - visible if len(f) >= 6 and any(ch.isdigit() for ch in f))

    def leaks(self, text: str) -> bool:
        """Whether ``text`` quotes a hidden input or hidden check source."""
        return bool(_HIDDEN_SOURCE.search(text)) or any(f in text for f in self.fingerprints)

    def clean(self, text: str) -> str:
        """``text``, or :data:`HIDDEN_MESSAGE` when it leaks."""
        return HIDDEN_MESSAGE if self.leaks(text) else text


def _fingerprints(case) -> set[str]:
    from dlkit.checks.core import _describe_value

    values = [*case.args, *case.kwargs.values()]
    return {_describe_value(v) for v in values} | {case.describe()}


def render_feedback(record: res.SubmissionResult, *, redactor: Redactor | None = None) -> str:
    """The feedback page of one record, as a complete HTML document (escaped, self-contained)."""
    if not isinstance(record, res.SubmissionResult):
        raise TypeError(f"render_feedback needs an autograder.results.SubmissionResult, got {type(record).__name__}; "
                        f"read records with autograder.results.load_results(workspace, lesson)")
    checks = [_visible_check(c, redactor) for c in record.checks]
    percent = 100.0 * record.score / record.max_score if record.max_score else 0.0
    return render_page(
        f"{record.lesson}: feedback for {record.student_id}", "feedback.html",
        r=record, checks=checks, passed=sum(c.passed for c in checks), percent=round(max(0.0, min(percent, 100.0)), 1),
        advice=advice(record.reason), fmt=_points,
    )


def _visible_check(check: res.CheckResult, redactor: Redactor | None) -> res.CheckResult:
    message = check.message
    if redactor is not None:
        message = redactor.clean(message)
    elif _HIDDEN_SOURCE.search(message):
        message = HIDDEN_MESSAGE
    return res.CheckResult(check.grade_id, list(check.exercise_ids), check.points, check.max_points, check.passed,
                           check.visible_passed, check.hidden_passed, message)


def _points(x: float) -> str:
    """Points without a useless ``.0``: 2 -> "2", 1.5 -> "1.5"."""
    return f"{x:g}"


def feedback_path(workspace: str | os.PathLike, lesson: str, student_id: str) -> Path:
    """``<workspace>/feedback/<student>/<lesson>/<lesson>.html`` (nbgrader's feedback layout)."""
    for what, name in (("student id", student_id), ("lesson", lesson)):
        if name in ("", ".", "..") or any(ch in name for ch in "/\\\0"):
            raise ValueError(f"{what} {name!r} cannot be a folder name; expected a plain name such as 's001'")
    return Path(workspace) / "feedback" / student_id / lesson / f"{lesson}.html"


def write_feedback(workspace: str | os.PathLike, lesson: str, *, seed: int | str | None = None) -> list[Path]:
    """Write one feedback page per recorded student of ``lesson``; return the paths.

    Raises:
        FileNotFoundError: when the workspace holds no results for the lesson.
    """
    records, redactor = lesson_records(workspace, lesson, seed=seed)
    written = []
    for record in records:
        path = feedback_path(workspace, lesson, record.student_id)
        write_html(path, render_feedback(record, redactor=redactor(record)))
        written.append(path)
    return written


def lesson_records(workspace: str | os.PathLike, lesson: str, *, seed: int | str | None = None
                   ) -> tuple[list[res.SubmissionResult], Callable[[res.SubmissionResult], Redactor]]:
    """The records of a lesson, and a function that gives each record its :class:`Redactor`.

    Each submission was graded on hidden inputs of its own (drawn from the
    seed and its SHA-256), so each record gets a redactor of its own.

    Raises FileNotFoundError when there are none, and
    :class:`autograder.seeds.SeedMismatch` (a ValueError) when a record was
    graded with another seed than ``seed`` (the redactor re-draws hidden cases from it).
    """
    from autograder.seeds import check_same_seed

    records = res.load_results(workspace, lesson)
    if not records:
        raise FileNotFoundError(f"no results for lesson {lesson!r} in {Path(workspace) / 'results' / lesson}; "
                                f"grade first: python -m autograder grade {lesson} SUBMISSIONS --workspace {workspace}")
    check_same_seed(records, seed, action=(
        "pass the seed they were graded with (the same for every command of the term), or grade them again "
        f"with this one: python -m autograder grade {lesson} SUBMISSIONS --regrade"))
    exercise_ids = {e for r in records for c in r.checks for e in c.exercise_ids}
    return records, lambda record: Redactor(exercise_ids, seed=seed, salt=record.submission_sha256)


def write_html(path: Path, text: str) -> None:
    """Write a page atomically (:func:`autograder.results.write_atomic`), creating its folder."""
    res.write_atomic(path, text)
