"""Instructor tooling over nbgrader: release lessons, grade a class, feedback, export, report.

Run ``python -m autograder --help``. nbgrader stays the notebook format and the
gradebook, so formgrader, feedback and export keep working.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
LESSONS = REPO / "lessons"
NBGRADER_CONFIG = Path(__file__).resolve().parent / "nbgrader_config.py"
