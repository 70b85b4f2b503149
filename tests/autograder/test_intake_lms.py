"""Intake of real LMS download shapes: every student once, under the LMS's identifier, nothing dropped."""

from __future__ import annotations

import csv

import pytest

from autograder.intake import intake, manifest_path, read_manifest, write_manifest
from tests.autograder import lms_fixtures as fx

NB = fx.NB_NAME


@pytest.mark.parametrize("as_zip", [False, True])
def test_canvas_ids_and_late_resubmission(tmp_path, as_zip):
    files, expected = fx.canvas()
    src = fx.write_zip(tmp_path / "c.zip", files) if as_zip else fx.write_folder(tmp_path / "c", files)
    result = intake(src, notebook_name=NB)
    subs = {s.student_id: s for s in result.submissions()}
    assert set(subs) == set(expected) and len(subs) == 12
    for uid, data in expected.items():
        assert subs[uid].data == data and subs[uid].problem == ""
    late = [e for e in result.entries if e.late]
    assert len(late) == 1 and late[0].decision == "graded"
    superseded = [e for e in result.entries if e.decision.startswith("superseded")]
    assert [e.student_id for e in superseded] == [fx.STUDENTS[6][2]]


def test_canvas_first_attempt_rule(tmp_path):
    files, _ = fx.canvas()
    result = intake(fx.write_folder(tmp_path / "c", files), notebook_name=NB, attempt="first")
    uid = fx.STUDENTS[6][2]
    assert {s.student_id: s for s in result.submissions()}[uid].data == fx.nb(f"canvas-{uid}-first")


@pytest.mark.parametrize("folders", [True, False])
def test_moodle_names_with_spaces_and_any_script(tmp_path, folders):
    files, expected = fx.moodle(folders=folders)
    result = intake(fx.write_zip(tmp_path / "m.zip", files), notebook_name=NB)
    subs = {s.student_id: s for s in result.submissions()}
    assert set(subs) == set(expected)
    for pid, (name, data) in expected.items():
        assert subs[pid].data == data
        assert result.people[pid].name == name  # "王小明", "Émile Zola", "Grace O'Neil" intact
    html = [e for e in result.entries if e.source.endswith("onlinetext.html")]
    assert html and html[0].decision.startswith("not graded: not a notebook")


def test_blackboard_receipts_and_attempts(tmp_path):
    files, expected = fx.blackboard(assignment="Lesson 01_neurons")  # an assignment name with a space and _
    result = intake(fx.write_zip(tmp_path / "gradebook_01.zip", files), notebook_name=NB)
    subs = {s.student_id: s for s in result.submissions()}
    assert set(subs) == set(expected)
    for user, (name, data) in expected.items():
        assert subs[user].data == data, user
        assert result.people[user].name == name
        assert result.people[user].submitted_at.startswith("2026-")


def test_google_drive_top_folder_and_zip_name(tmp_path):
    files, expected = fx.google(top="01-neurons-20261130T101503Z-001")
    result = intake(fx.write_zip(tmp_path / "drive.zip", files), notebook_name=NB)
    subs = {s.student_id: s for s in result.submissions()}
    assert set(subs) == set(expected) and len(subs) == 12
    assert result.people["王小明"].name == "王小明"


def test_one_top_folder_does_not_collapse_the_class(tmp_path):
    files = {f"lesson01/s{k:03d}.ipynb": fx.nb(f"s{k}") for k in range(1, 4)}
    subs = {s.student_id: s for s in intake(fx.write_zip(tmp_path / "x.zip", files), notebook_name=NB).submissions()}
    assert set(subs) == {"s001", "s002", "s003"}
    assert subs["s002"].data == fx.nb("s2")


def test_one_student_folder_is_that_student(tmp_path):
    files = {f"s001/lesson/{NB}": fx.nb("a"), "s001/lesson/scratch.ipynb": fx.nb("b")}
    result = intake(fx.write_folder(tmp_path / "d", files), notebook_name=NB)
    assert [(s.student_id, s.data) for s in result.submissions()] == [("s001", fx.nb("a"))]
    assert any(e.decision.startswith("not graded: the same folder") for e in result.entries)


def test_two_entries_for_one_student_are_a_conflict_not_a_pick(tmp_path):
    files = {"dupid.ipynb": fx.nb("blank"), f"dupid/01-neurons/{NB}": fx.nb("full"), "ok.ipynb": fx.nb("ok")}
    src = fx.write_folder(tmp_path / "d", files)
    result = intake(src, notebook_name=NB)
    subs = {s.student_id: s for s in result.submissions()}
    assert subs["dupid"].problem.startswith("conflict:") and "dupid.ipynb" in subs["dupid"].problem
    assert subs["ok"].problem == ""
    # the instructor settles it in the manifest; the next run honours it
    path = manifest_path(tmp_path / "ws", fx.LESSON)
    write_manifest(result, path)
    rows = read_manifest(path)
    for row in rows:
        if row["source"].startswith("dupid/"):
            row["choice"] = "use"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = {s.student_id: s for s in intake(src, notebook_name=NB, manifest=path).submissions()}
    assert again["dupid"].problem == "" and again["dupid"].data == fx.nb("full")


def test_manifest_corrects_an_unattributable_entry(tmp_path):
    files = {"???.ipynb": fx.nb("q"), "s001.ipynb": fx.nb("s1")}
    src = fx.write_folder(tmp_path / "d", files)
    result = intake(src, notebook_name=NB)
    assert [e.source for e in result.unattributed] == ["???.ipynb"]
    assert "cannot tell whose file" in result.unattributed[0].problem
    path = write_manifest(result, tmp_path / "m.csv")
    rows = read_manifest(path)
    assert {r["source"] for r in rows} == {"???.ipynb", "s001.ipynb"}  # nothing dropped
    for row in rows:
        if row["source"] == "???.ipynb":
            row["student_id"], row["name"] = "s002", "Sam Two"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = intake(src, notebook_name=NB, manifest=path)
    assert {s.student_id for s in again.submissions()} == {"s001", "s002"}
    assert again.people["s002"].name == "Sam Two" and not again.unattributed


def test_a_student_without_a_notebook_gets_a_reason(tmp_path):
    files = {"andersalice_123401_7890100_answers.pdf": b"%PDF", f"diazbruno_123402_7890101_{NB}": fx.nb("b")}
    subs = {s.student_id: s for s in intake(fx.write_folder(tmp_path / "d", files), notebook_name=NB).submissions()}
    assert "no notebook" in subs["123401"].problem and subs["123402"].problem == ""


def test_names_with_spaces_in_plain_folders_are_kept(tmp_path):
    files = {f"Zoë Kowalska/{NB}": fx.nb("z"), f"s001/{NB}": fx.nb("s")}
    result = intake(fx.write_folder(tmp_path / "d", files), notebook_name=NB)
    assert {s.student_id for s in result.submissions()} == {"Zoë-Kowalska", "s001"}
    assert result.people["Zoë-Kowalska"].name == "Zoë Kowalska"


def test_bad_attempt_rule_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="latest, first"):
        intake(tmp_path, attempt="newest")
