"""A plain nbgrader course directory driven through nbgrader's own command line.

This is the reference path (generate, autograde, feedback, export exactly as an
instructor would run them by hand). The demo and the end-to-end tests use it.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from autograder import NBGRADER_CONFIG, SOLUTIONS
from autograder import notebooks as nbs


def run_nbgrader(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run an nbgrader command line in ``cwd`` with the course's nbgrader_config.py.

    nbgrader reads ``nbgrader_config.py`` from its working directory, so the
    course's config is copied there; the interpreter's bin folder goes first on
    PATH because nbgrader calls ``alembic`` by name.
    """
    cwd = Path(cwd)
    shutil.copyfile(NBGRADER_CONFIG, cwd / "nbgrader_config.py")
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message holds the command and its log."""


class Course:
    """An nbgrader course root at ``root`` whose source is ``source_root`` (default: solutions/).

    Student versions go to ``release_root`` (default ``<root>/release``).
    """

    def __init__(self, root: Path, source_root: Path = SOLUTIONS, *, release_root: Path | None = None,
                 cell_timeout: int = 120):
        self.root = Path(root).resolve()
        self.source_root = Path(source_root).resolve()
        self.release_root = Path(release_root).resolve() if release_root is not None else self.root / "release"
        self.cell_timeout = cell_timeout
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    def nbgrader(self, *args: str) -> str:
        """Run ``nbgrader <args>`` on this course; return its log, raise NbgraderError on failure."""
        cmd = [
            sys.executable, "-m", "nbgrader", *args,
            f"--CourseDirectory.root={self.root}",
            f"--CourseDirectory.source_directory={self.source_root}",
            f"--CourseDirectory.release_directory={self.release_root}",
            f"--CourseDirectory.db_url=sqlite:///{self.gradebook}",
            f"--ExecutePreprocessor.timeout={self.cell_timeout}",
        ]
        proc = run_nbgrader(cmd, cwd=self.root)
        log = (proc.stdout + proc.stderr).strip()
        if proc.returncode != 0:
            raise NbgraderError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}):\n{log}")
        return log

    def generate(self, lesson: str) -> Path:
        """``nbgrader generate_assignment``: records the lesson in the gradebook, writes release/."""
        self.nbgrader("generate_assignment", lesson, "--force")
        return self.release_root / lesson

    def submit(self, student: str, lesson: str, notebooks: dict[str, nbformat.NotebookNode]) -> Path:
        """Place a student's notebooks where nbgrader collects them: submitted/<student>/<lesson>/."""
        folder = self.root / "submitted" / student / lesson
        folder.mkdir(parents=True, exist_ok=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, folder / name)
        return folder

    def autograde(self, lesson: str) -> str:
        return self.nbgrader("autograde", lesson, "--create", "--force")

    def feedback(self, lesson: str) -> Path:
        self.nbgrader("generate_feedback", lesson, "--force")
        return self.root / "feedback"

    def export(self, to: Path | None = None) -> Path:
        """``nbgrader export`` to a CSV (default: <root>/grades.csv)."""
        target = Path(to or self.root / "grades.csv").resolve()
        self.nbgrader("export", f"--CsvExportPlugin.to={target}")
        return target


def read_grades(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """Rows of an nbgrader grades.csv keyed by (student_id, assignment)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {(row["student_id"], row["assignment"]): row for row in csv.DictReader(fh)}


def released_notebooks(release_dir: Path) -> dict[str, nbformat.NotebookNode]:
    """The student notebooks of a released lesson, by file name."""
    return {p.name: nbs.read(p) for p in sorted(Path(release_dir).glob("*.ipynb"))}
