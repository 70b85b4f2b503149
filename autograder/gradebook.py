"""Keep nbgrader's gradebook (and the course folders formgrader reads) in step with the result records.

The workspace is an nbgrader course root. :func:`prepare` records the lesson
in ``gradebook.db`` with real ``nbgrader generate_assignment`` (grade cells,
points, source cells), once. :func:`sync` then writes every record's scores as
the grade cells' ``auto_score``, so formgrader and ``nbgrader export`` show
exactly what ``grades.csv`` says; a rejected submission has no submission row
(nbgrader then counts it as 0, as grades.csv does). It is idempotent: running
it twice changes nothing.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder import SOLUTIONS
from autograder.nbgrader_course import Course
from autograder.results import SubmissionResult


def db_url(workspace: Path) -> str:
    return f"sqlite:///{Path(workspace).resolve() / 'gradebook.db'}"


def prepare(workspace: Path, lesson: str, *, source_root: Path = SOLUTIONS) -> None:
    """Record the lesson in the workspace's gradebook with ``nbgrader generate_assignment`` (once)."""
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    Course(workspace, source_root).write_config()  # also mends workspaces made before the config was per course
    if (workspace / "gradebook.db").exists():
        with Gradebook(db_url(workspace)) as gb:
            try:
                if gb.find_assignment(lesson).notebooks:
                    return
            except MissingEntry:
                pass
    Course(workspace, source_root).generate(lesson)


def place(workspace: Path, lesson: str, student_id: str, notebook_name: str,
          submitted: bytes | None, autograded: nbformat.NotebookNode | None) -> None:
    """Write the submitted and autograded notebooks where nbgrader and formgrader look for them."""
    if submitted is not None:
        target = Path(workspace) / "submitted" / student_id / lesson / notebook_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(submitted)
    if autograded is not None:
        target = Path(workspace) / "autograded" / student_id / lesson / notebook_name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(autograded, target)


def sync(workspace: Path, lesson: str, notebook: str, records: list[SubmissionResult]) -> None:
    """Write each record's check points into the gradebook as auto scores (graded) or drop the submission (rejected).

    ``notebook`` is the notebook's file name (``01-neurons.ipynb``) or nbgrader's name for it (no suffix).
    """
    from autograder.intake import people, split_name

    notebook = Path(notebook).stem if notebook.endswith(".ipynb") else notebook
    who = people(workspace, lesson)
    with warnings.catch_warnings(), Gradebook(db_url(workspace)) as gb:
        warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy autoflush warnings
        for record in records:
            row = who.get(record.student_id, {})
            first, last = split_name(row.get("name", ""))
            names = {"first_name": first or None, "last_name": last or None} if (first or last) else {}
            gb.update_or_create_student(record.student_id, **names)
            if not record.graded:
                try:
                    gb.remove_submission(lesson, record.student_id)
                except MissingEntry:
                    pass
                continue
            submission = gb.update_or_create_submission(lesson, record.student_id)
            submission.timestamp = _when(row.get("submitted_at", "")) or _when(record.graded_at)
            _write_timestamp(Path(workspace), lesson, record.student_id, submission.timestamp)
            for check in record.checks:
                try:
                    grade = gb.find_grade(check.grade_id, notebook, lesson, record.student_id)
                except MissingEntry:
                    continue  # a check cell nbgrader does not know: grades.csv still has it
                grade.auto_score = float(check.points)
                grade.needs_manual_grade = grade.manual_score is not None  # as nbgrader's autograde decides
            gb.db.commit()


def _write_timestamp(workspace: Path, lesson: str, student_id: str, when: datetime | None) -> None:
    """``submitted/<student>/<lesson>/timestamp.txt``: formgrader shows a submission as autograded only when
    this file's time equals the gradebook's (nbgrader's own ``collect`` writes it)."""
    folder = workspace / "submitted" / student_id / lesson
    if when is not None and folder.is_dir():
        (folder / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8")


def _when(iso: str) -> datetime | None:
    """An ISO 8601 time as the naive UTC datetime nbgrader stores; None when there is none."""
    try:
        t = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None
    return t.astimezone(timezone.utc).replace(tzinfo=None) if t.tzinfo else t
