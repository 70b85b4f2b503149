"""LMS grade files read back the way each LMS's importer reads them: key column, names, number format."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest

from autograder.__main__ import main
from autograder.intake import intake_for_lesson
from autograder.lms import ExportError, export_table, write_export
from autograder.results import SubmissionResult, write_result
from tests.autograder import lms_fixtures as fx

LESSON = fx.LESSON


def _workspace(tmp_path, builder, *, scores=None, extra_lesson=False):
    """A workspace graded from an LMS download (records written directly: no sandbox needed here)."""
    files, expected = builder()
    ws = tmp_path / "ws"
    taken = intake_for_lesson(fx.write_zip(tmp_path / "dl.zip", files), ws, LESSON, fx.NB_NAME)
    for k, sub in enumerate(taken.submissions()):
        score = (scores or {}).get(sub.student_id, float(k % 13))
        write_result(ws, SubmissionResult(sub.student_id, LESSON, "graded", score=score, max_score=12.0))
        if extra_lesson and k < 3:
            write_result(ws, SubmissionResult(sub.student_id, "02-backprop", "graded", score=1.5, max_score=10.0))
    return ws, expected


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_canvas_import_matches_rows_by_id(tmp_path):
    ws, expected = _workspace(tmp_path, fx.canvas, scores={"123402": 10.5}, extra_lesson=True)
    path, _ = write_export(ws, "canvas", tmp_path / "canvas.csv")
    header, *rows = _read(path)
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == [LESSON, "02-backprop"]
    ids = [r[1] for r in rows]
    assert sorted(ids) == sorted(expected) and len(set(ids)) == len(ids)  # one row per student, keyed on ID
    by_id = {r[1]: r for r in rows}
    assert by_id["123402"][5] == "10.5"  # a dot, never a comma; no thousands separator
    assert all(r[0] for r in rows)  # Student is never blank (the id stands in when Canvas gave no name)
    assert all(float(r[5]) >= 0 for r in rows)
    assert sum(1 for r in rows if r[6] == "") == len(rows) - 3  # no record for that lesson: left empty


def test_canvas_one_lesson_and_its_column(tmp_path):
    ws, _ = _workspace(tmp_path, fx.canvas, extra_lesson=True)
    table = export_table(ws, "canvas", lessons=["01"], column="Lesson 1 (4567)")
    assert table.header[5:] == ["Lesson 1 (4567)"]


def test_moodle_worksheet_as_the_offline_importer_reads_it(tmp_path):
    ws, expected = _workspace(tmp_path, fx.moodle, scores={"80003": 7.25})
    path, _ = write_export(ws, "moodle", tmp_path / "moodle.csv", lessons=[LESSON])
    header, *rows = _read(path)
    # assignfeedback_offline's importer: it finds these three columns by header, or refuses the file
    grade, ident, modified = header.index("Grade"), header.index("Identifier"), header.index("Last modified (grade)")
    seen = {}
    for row in rows:
        assert row[ident].startswith("Participant ")
        seen[row[ident][len("Participant "):]] = row
        float(row[grade])
        datetime.fromisoformat(row[modified])
    assert set(seen) == set(expected)
    assert seen["80003"][grade] == "7.25"
    assert seen["80006"][header.index("Full name")] == "王小明"


def test_moodle_needs_one_lesson(tmp_path):
    ws, _ = _workspace(tmp_path, fx.moodle, extra_lesson=True)
    with pytest.raises(ExportError, match="one assignment"):
        export_table(ws, "moodle")


def test_blackboard_upload_keyed_on_username(tmp_path):
    ws, expected = _workspace(tmp_path, fx.blackboard)
    path, table = write_export(ws, "blackboard", tmp_path / "bb.csv")
    header, *rows = _read(path)
    assert header[:3] == ["Last Name", "First Name", "Username"] and header[3].startswith(f"{LESSON} [Total Pts: 12")
    users = [r[2] for r in rows]
    assert sorted(users) == sorted(expected) and len(set(users)) == len(users)
    names = {r[2]: (r[1], r[0]) for r in rows}
    assert names["idelacruz"] == ("Ines", "de la Cruz") and names["xwang"] == ("", "王小明")
    assert not table.warnings


def test_csv_and_ids_the_lms_will_not_know(tmp_path):
    ws, expected = _workspace(tmp_path, fx.google)
    table = export_table(ws, "canvas")
    assert table.warnings and "Canvas user ids" in table.warnings[0]
    table = export_table(ws, "csv")
    assert table.header == ["student_id", "name", LESSON, f"{LESSON} max"]
    assert {r[0]: r[1] for r in table.rows} == {sid: name for sid, (name, _) in expected.items()}


def test_mistyped_workspace_or_lesson_is_an_error_and_writes_nothing(tmp_path, capsys):
    assert main(["export", "--workspace", str(tmp_path / "grdaing"), "--format", "canvas",
                 "--out", str(tmp_path / "x.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()
    assert main(["export", "--workspace", str(tmp_path / "grdaing")]) == 1
    assert not (tmp_path / "grdaing").exists()
    ws, _ = _workspace(tmp_path, fx.canvas)
    assert main(["export", "--workspace", str(ws), "--format", "csv", "--lesson", "07"]) == 1
    assert "no records of lesson '07'" in capsys.readouterr().err
    assert main(["export", "--workspace", str(ws), "--format", "canvas"]) == 0
    assert len(_read(ws / "export-canvas.csv")) == 13
