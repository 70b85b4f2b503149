"""``grades.csv`` from the result records: one row per (student, lesson).

Columns: ``student_id, lesson, status, score, max_score``, then one column per
check grade id (the points earned), in the order the checks first appear.
Rows are sorted by (lesson, student id), so the file is the same however many
times a batch was interrupted and resumed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.results import SubmissionResult, load_all_results, write_atomic

BASE_COLUMNS = ["student_id", "lesson", "status", "score", "max_score"]


def rows(records: list[SubmissionResult]) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of grades.csv for the given records."""
    check_columns: list[str] = []
    for record in records:
        for check in record.checks:
            if check.grade_id not in check_columns:
                check_columns.append(check.grade_id)
    out = []
    for record in sorted(records, key=lambda r: (r.lesson, r.student_id)):
        row = {"student_id": record.student_id, "lesson": record.lesson, "status": record.status,
               "score": _num(record.score), "max_score": _num(record.max_score)}
        row.update({c.grade_id: _num(c.points) for c in record.checks})
        out.append(row)
    return BASE_COLUMNS + check_columns, out


def write_grades(workspace: Path, out: Path | None = None) -> Path:
    """Write grades.csv (default ``<workspace>/grades.csv``) atomically, one row per (student, lesson)."""
    records = load_all_results(workspace)
    header, table = rows(records)
    target = Path(out) if out else Path(workspace) / "grades.csv"
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, restval="")
    writer.writeheader()
    writer.writerows(table)
    write_atomic(target, buffer.getvalue(), newline="")
    return target


def _num(x: float) -> str:
    return f"{float(x):g}"
