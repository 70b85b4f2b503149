"""Grade files each LMS imports: ``python -m autograder export --format canvas|moodle|blackboard|csv``.

One row per student, keyed on the identifier the LMS matches rows by; the
score is a plain decimal with a dot. A student who has a record scores its
points (a rejected submission 0, as in grades.csv); a student with no
record for a lesson gets an empty cell, which Canvas and Blackboard leave
unchanged.

- **canvas**: the Gradebook's "Import" CSV. Canvas matches rows by the
  ``ID`` column (the Canvas user id, the number in its download's file
  names); ``Student`` (the name, else the id: Canvas's download has no full
  name), ``SIS User ID``, ``SIS Login ID`` and ``Section`` are the columns its
  own export has before the assignments. One column per
  lesson, named after it (``--column "01 neurons (4567)"`` to hit an existing
  assignment by Canvas's "Name (id)" header).
- **moodle**: the assignment's offline grading worksheet ("Upload grading
  worksheet"; one lesson per file). Moodle's importer (assignfeedback_offline)
  needs ``Identifier`` (``Participant <n>``, the number in its download's
  folder names), ``Grade`` and ``Last modified (grade)``; rows whose grade
  was changed in Moodle after that time are skipped by Moodle, so the export
  time is written.
- **blackboard**: the Grade Center's "Upload" CSV, keyed on ``Username`` (the
  name in its download's file names), with ``Last Name`` and ``First Name``;
  a column without a ``|<column id>`` suffix becomes a new Grade Center column.
- **csv**: ``student_id, name``, then per lesson its score and maximum.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from autograder.intake import people, split_name
from autograder.results import SubmissionResult, load_all_results

FORMATS = ("canvas", "moodle", "blackboard", "csv")
MOODLE_PREFIX = "Participant "


class ExportError(ValueError):
    """The workspace, lesson or format cannot make the requested file; the message says what to do."""


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    warnings: list[str]


def export_table(workspace: Path, fmt: str, *, lessons: list[str] | None = None, column: str | None = None,
                 now: datetime | None = None) -> Table:
    """The header and rows of ``fmt`` for the workspace's records (all lessons, or ``lessons``)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    workspace = Path(workspace)
    records = load_all_results(workspace)
    if not records:
        found = "does not exist" if not workspace.exists() else "holds no result records (results/<lesson>/*.json)"
        raise ExportError(f"workspace {workspace} {found}; pass --workspace DIR, the folder `grade` wrote to")
    available = sorted({r.lesson for r in records})
    chosen = _chosen_lessons(lessons, available)
    if fmt == "moodle" and len(chosen) != 1:
        raise ExportError(f"a Moodle grading worksheet holds one assignment; pass --lesson (one of {', '.join(chosen)})")
    if column and len(chosen) != 1:
        raise ExportError("--column names the one lesson exported; pass --lesson too")
    by_student: dict[str, dict[str, SubmissionResult]] = {}
    for r in records:
        if r.lesson in chosen:
            by_student.setdefault(r.student_id, {})[r.lesson] = r
    names: dict[str, str] = {}
    for lesson in chosen:
        for sid, row in people(workspace, lesson).items():
            if row.get("name") and sid not in names:
                names[sid] = row["name"]
    maxima = {lesson: max((r.max_score for r in records if r.lesson == lesson), default=0.0) for lesson in chosen}
    students = sorted(by_student)
    warnings = _id_warnings(fmt, students)

    def score(sid: str, lesson: str, places: int | None = None) -> str:
        r = by_student[sid].get(lesson)
        if r is None:
            return ""
        return f"{r.score:.{places}f}" if places is not None else _num(r.score)

    if fmt == "canvas":
        cols = [column or lesson for lesson in chosen]
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *cols]
        rows = [[_canvas_name(names.get(sid, "")) or sid, sid, "", "", "", *(score(sid, l) for l in chosen)]
                for sid in students]
    elif fmt == "moodle":
        lesson = chosen[0]
        stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        header = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (grade)", "Feedback comments"]
        rows = [[f"{MOODLE_PREFIX}{sid}", names.get(sid, ""), "", by_student[sid][lesson].status.split(":")[0],
                 score(sid, lesson, 2), f"{maxima[lesson]:.2f}", "Yes", stamp, ""] for sid in students]
    elif fmt == "blackboard":
        cols = [column or f"{lesson} [Total Pts: {_num(maxima[lesson])} Score]" for lesson in chosen]
        header = ["Last Name", "First Name", "Username", *cols]
        rows = []
        for sid in students:
            first, last = split_name(names.get(sid, ""))
            rows.append([last, first, sid, *(score(sid, l) for l in chosen)])
    else:
        header = ["student_id", "name", *(c for lesson in chosen for c in (lesson, f"{lesson} max"))]
        rows = [[sid, names.get(sid, ""), *(c for l in chosen for c in (score(sid, l), _num(maxima[l])))]
                for sid in students]
    return Table(header, rows, warnings)


def write_export(workspace: Path, fmt: str, out: Path, **options) -> tuple[Path, Table]:
    """Write :func:`export_table` to ``out`` atomically, as UTF-8 CSV; returns the path and the table."""
    table = export_table(workspace, fmt, **options)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.header)
        writer.writerows(table.rows)
    os.replace(tmp, out)
    return out, table


def _chosen_lessons(lessons: list[str] | None, available: list[str]) -> list[str]:
    if not lessons:
        return available
    chosen = []
    for want in lessons:
        match = [l for l in available if l == want or l.split("-", 1)[0] == want]
        if not match:
            raise ExportError(f"no records of lesson {want!r} in the workspace; it has {', '.join(available)}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def _id_warnings(fmt: str, students: list[str]) -> list[str]:
    """Ids the LMS will not recognise (graded from a plain folder, say): a warning, since the instructor may know better."""
    odd = {"canvas": [s for s in students if not s.isdigit()],
           "moodle": [s for s in students if not s.isdigit()],
           "blackboard": [s for s in students if re.search(r"\s", s)]}.get(fmt, [])
    if not odd:
        return []
    what = {"canvas": "Canvas user ids (digits, from Canvas's download)",
            "moodle": "Moodle participant numbers (from Moodle's download)",
            "blackboard": "Blackboard usernames"}[fmt]
    return [f"{len(odd)} student id(s) ({', '.join(odd[:5])}) do not look like {what}; the LMS will not match "
            f"those rows: fix the ids in intake/<lesson>/submissions.csv and grade again"]


def _canvas_name(name: str) -> str:
    first, last = split_name(name)
    return f"{last}, {first}" if first else last


def _num(x: float) -> str:
    return f"{float(x):g}"
