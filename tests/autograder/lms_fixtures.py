"""Class downloads shaped the way Canvas, Moodle, Blackboard and Google Classroom/Drive write them.

The file names follow each LMS's bulk download (see autograder/README.md,
"Where the LMS formats come from"). Every builder returns the files as
``{path inside the download: bytes}`` and the expected ``{student id: (name, notebook bytes)}``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

LESSON = "01-neurons"
NB_NAME = f"{LESSON}.ipynb"


def nb(tag: str) -> bytes:
    """A tiny distinct notebook (its bytes identify who it came from)."""
    return ('{"cells": [], "metadata": {"tag": "%s"}, "nbformat": 4, "nbformat_minor": 5}' % tag).encode()


#: (full name, Canvas sortable name, Canvas user id, Moodle participant id, Blackboard username)
STUDENTS = [
    ("Alice Anders", "andersalice", "123401", "80001", "aanders"),
    ("Bruno Díaz", "diazbruno", "123402", "80002", "bdiaz"),
    ("Chen Wei", "chenwei", "123403", "80003", "cwei"),
    ("Daria Ivanova", "ivanovadaria", "123404", "80004", "divanova"),
    ("Émile Zola", "zolaemile", "123405", "80005", "ezola"),
    ("王小明", "王小明", "123406", "80006", "xwang"),
    ("Fatima Al-Sayed", "alsayedfatima", "123407", "80007", "falsayed"),
    ("Grace O'Neil", "oneilgrace", "123408", "80008", "goneil"),
    ("Hiro Tanaka", "tanakahiro", "123409", "80009", "htanaka"),
    ("Ines de la Cruz", "delacruzines", "123410", "80010", "idelacruz"),
    ("Jonas Müller", "mullerjonas", "123411", "80011", "jmuller"),
    ("Kofi Mensah", "mensahkofi", "123412", "80012", "kmensah"),
]


def canvas() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Flat files ``<sortable>_[LATE_]<user id>_<file id>_<file name>``; student 7 re-submitted late."""
    files, expected = {}, {}
    for k, (_, sortable, uid, *_rest) in enumerate(STUDENTS):
        files[f"{sortable}_{uid}_{7890100 + k}_{NB_NAME}"] = nb(f"canvas-{uid}-first")
        expected[uid] = nb(f"canvas-{uid}-first")
    late_uid = STUDENTS[6][2]
    files[f"{STUDENTS[6][1]}_LATE_{late_uid}_7890199_{LESSON}-1.ipynb"] = nb(f"canvas-{late_uid}-late")
    expected[late_uid] = nb(f"canvas-{late_uid}-late")
    return files, expected


def moodle(*, folders: bool = True) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]]]:
    """``<Full Name>_<participant id>_assignsubmission_file_/<file>`` (or flat, without the slash)."""
    files, expected = {}, {}
    for name, _, _, pid, _ in STUDENTS:
        sep = "/" if folders else ""
        files[f"{name}_{pid}_assignsubmission_file_{sep}{NB_NAME}"] = nb(f"moodle-{pid}")
        expected[pid] = (name, nb(f"moodle-{pid}"))
    # an online text alongside one submission: not a notebook, listed, never graded
    files[f"{STUDENTS[0][0]}_{STUDENTS[0][3]}_assignsubmission_onlinetext_{'/' if folders else ''}onlinetext.html"] = b"<p>hi</p>"
    return files, expected


def blackboard(assignment: str = LESSON) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]]]:
    """``<assignment>_<username>_attempt_<Y-m-d-H-M-S>_<file>`` plus a ``.txt`` receipt per attempt; two attempts for one."""
    files, expected = {}, {}
    for k, (name, *_rest, user) in enumerate(STUDENTS):
        ts = f"2026-11-30-10-{k:02d}-03"
        stem = f"{assignment}_{user}_attempt_{ts}"
        files[f"{stem}.txt"] = (f"Name: {name} ({user})\nAssignment: {assignment}\n"
                                f"Date Submitted: Monday, 30 November 2026 10:{k:02d}:03 o'clock GMT\n"
                                f"Current Mark: Needs Marking\n\nSubmission Field:\nThere is no student submission "
                                f"text data for this assignment.\n\nFiles:\n\tOriginal filename: {NB_NAME}\n"
                                f"\tFilename: {stem}_{NB_NAME}\n").encode()
        files[f"{stem}_{NB_NAME}"] = nb(f"bb-{user}-1")
        expected[user] = (name, nb(f"bb-{user}-1"))
    user = STUDENTS[2][4]
    stem = f"{assignment}_{user}_attempt_2026-12-01-09-00-00"
    files[f"{stem}.txt"] = f"Name: {STUDENTS[2][0]} ({user})\n".encode()
    files[f"{stem}_{NB_NAME}"] = nb(f"bb-{user}-2")
    expected[user] = (STUDENTS[2][0], nb(f"bb-{user}-2"))
    return files, expected


def google(top: str = f"{LESSON}") -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]]]:
    """A Drive folder download: one top folder holding ``<Full Name> - <file>`` per student."""
    files, expected = {}, {}
    for name, *_ in STUDENTS:
        files[f"{top}/{name} - {NB_NAME}"] = nb(f"google-{name}")
    from autograder.intake import _slug

    for name, *_ in STUDENTS:
        expected[_slug(name)] = (name, nb(f"google-{name}"))
    return files, expected


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        target = Path(root) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return Path(root)
