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


def run_nbgrader(cmd: list[str], cwd: Path, config: str | None = None) -> subprocess.CompletedProcess:
    """Run an nbgrader command line in ``cwd`` with an nbgrader_config.py there.

    nbgrader reads ``nbgrader_config.py`` from its working directory, so
    ``config`` (the text of one; default: the course's, copied) is written
    there; the interpreter's bin folder goes first on PATH because nbgrader
    calls ``alembic`` by name.
    """
    cwd = Path(cwd)
    if config is None:
        shutil.copyfile(NBGRADER_CONFIG, cwd / "nbgrader_config.py")
    else:
        (cwd / "nbgrader_config.py").write_text(config, encoding="utf-8")
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

    #: Where a bare ``nbgrader export`` run in the course writes (grades.csv is the autograder's own).
    EXPORT_NAME = "nbgrader-grades.csv"

    def config_text(self) -> str:
        """This course's nbgrader_config.py: the repository's settings, then this root's paths and database.

        With it in the course root, ``nbgrader export``, ``nbgrader generate_feedback``
        and formgrader run there unchanged and read ``<root>/gradebook.db``.
        """
        shared = Path(NBGRADER_CONFIG).read_text(encoding="utf-8")
        return (shared.rstrip() + "\n\n# -- this course root (written by python -m autograder) --\n"
                f"c.CourseDirectory.root = {str(self.root)!r}\n"
                f"c.CourseDirectory.source_directory = {str(self.source_root)!r}\n"
                f"c.CourseDirectory.release_directory = {str(self.release_root)!r}\n"
                f"c.CourseDirectory.db_url = {'sqlite:///' + str(self.gradebook)!r}\n"
                f"c.CsvExportPlugin.to = {str(self.root / self.EXPORT_NAME)!r}\n")

    def write_config(self) -> Path:
        """Write :meth:`config_text` to ``<root>/nbgrader_config.py``."""
        path = self.root / "nbgrader_config.py"
        path.write_text(self.config_text(), encoding="utf-8")
        return path

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
        proc = run_nbgrader(cmd, cwd=self.root, config=self.config_text())
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
