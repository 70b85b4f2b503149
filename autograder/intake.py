"""Who handed in what: attribute the files of an LMS download to students, one submission each.

``grade`` reads a class download through :func:`intake`, which understands
the shapes the common LMSs produce (examples for lesson 01)::

    Canvas       andersalice_123401_7890100_01-neurons.ipynb          id 123401 (Canvas user id)
                 andersalice_LATE_123401_7890199_01-neurons-1.ipynb  (a late re-submission: newer file id)
    Moodle       Alice Anders_123401_assignsubmission_file_/01-neurons.ipynb   id 123401 (participant id)
                 Alice Anders_123401_assignsubmission_file_01-neurons.ipynb    (not "download as folders")
    Blackboard   01-neurons_aanders_attempt_2026-11-30-10-15-03_01-neurons.ipynb   id aanders (username)
                 01-neurons_aanders_attempt_2026-11-30-10-15-03.txt   (the receipt: full name, date)
    Google       Alice Anders - 01-neurons.ipynb   (Classroom's copy in Drive)   id Alice-Anders
    plain        s001.ipynb, s001/anything/01-neurons.ipynb                       id s001

wherever they sit: flat, in per-student folders, or under one top folder
(a Drive export or "Compress folder" wraps everything in one; such a folder
is recognised and looked through when it holds more than one student, or
is named like the lesson).

The rule for several notebooks of one student, in this order:

1. the instructor's ``choice`` in the manifest: ``use`` picks an entry,
   ``skip`` leaves it out;
2. inside one student folder, the notebook named like the lesson's
   (``01-neurons.ipynb``) is the submission, the other notebooks there are
   listed as not graded;
3. entries the LMS orders (Canvas file ids, Blackboard attempt times): the
   latest (default) or the first (``--attempt first``); the others are listed
   as superseded;
4. anything else is a **conflict**: the student gets a rejected record naming
   the entries, until the instructor deletes one or marks one ``use``.

Nothing is dropped in silence. Every file is a row of the manifest
``<workspace>/intake/<lesson>/submissions.csv`` (student id, name when the
LMS gave one, LMS, source entry, attempt, submission time, late, the
instructor's choice, the decision). A file that belongs to no one is listed
with its reason and counted as unattributed. An instructor can correct the
manifest (a student id, a name, a ``use``/``skip`` choice); the next
``grade`` run reads it back and honours it for the entries it lists.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from autograder.collect import RawFile, Submission, read_download

log = logging.getLogger(__name__)

#: A student id usable as a folder and file name: letters of any script, digits, ``._@+-``.
SAFE_ID = re.compile(r"^[^\W_][\w.@+-]{0,99}$")

CANVAS = re.compile(r"^(?P<sortable>[^\W_]+)_(?P<late>LATE_)?(?P<uid>\d+)_(?P<file_id>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$")
BLACKBOARD = re.compile(r"^(?P<head>.+)_attempt_(?P<ts>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+))?$")
BB_RECEIPT_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()\s]+)\)\s*$", re.M)
GOOGLE = re.compile(r"^(?P<name>.+?) - (?P<file>.+\.ipynb)$", re.I)
DRIVE_TOP = re.compile(r"-\d{8}T\d{6}Z-\d{3}$")  # Drive's zip names: <folder>-20261130T101503Z-001

ATTEMPT_RULES = ("latest", "first")
MANIFEST_COLUMNS = ["student_id", "name", "lms", "source", "attempt", "submitted_at", "late",
                    "choice", "decision"]


@dataclass
class Entry:
    """One file of the download, attributed (``student_id``) or not (``problem`` says why)."""

    raw: RawFile
    student_id: str = ""
    name: str = ""
    lms: str = ""
    unit: str = ""          # the flat file, or the student's folder: entries of one unit are one hand-in
    file_name: str = ""     # the student's own file name, without the LMS's prefix
    attempt: str = ""       # sortable; "" when the LMS gives no order
    submitted_at: str = ""
    late: bool = False
    choice: str = ""        # the instructor's, from the manifest: "", "use" or "skip"
    decision: str = ""
    problem: str = ""

    @property
    def source(self) -> str:
        return self.raw.origin


@dataclass
class Intake:
    """The attributed download: every entry with its decision, and the submission chosen per student."""

    entries: list[Entry]
    chosen: dict[str, Submission] = field(default_factory=dict)
    people: dict[str, Entry] = field(default_factory=dict)  # student id -> the entry standing for them

    def submissions(self) -> list[Submission]:
        """One per attributed student, sorted by id; a conflict or a missing notebook carries its ``problem``."""
        return [self.chosen[k] for k in sorted(self.chosen)]

    @property
    def unattributed(self) -> list[Entry]:
        return [e for e in self.entries if not e.student_id and e.raw.is_notebook]

    @property
    def conflicts(self) -> list[str]:
        return sorted(sid for sid, s in self.chosen.items() if s.problem.startswith("conflict:"))


# -- attribution ---------------------------------------------------------------------------------

def intake(path: Path, *, notebook_name: str | None = None, attempt: str = "latest",
           manifest: Path | None = None) -> Intake:
    """Read a download and attribute it (see the module docstring); ``manifest`` is read back when it exists."""
    if attempt not in ATTEMPT_RULES:
        raise ValueError(f"--attempt must be one of {', '.join(ATTEMPT_RULES)}, got {attempt!r}")
    files = read_download(Path(path))
    depth = _top_depth(files, notebook_name)
    receipts = _receipts(files)
    entries = [_attribute(f, depth, receipts) for f in files]
    if manifest is not None and Path(manifest).exists():
        _apply_corrections(entries, read_manifest(manifest))
    result = Intake(entries)
    _choose(result, notebook_name, attempt)
    return result


def _top_depth(files: list[RawFile], notebook_name: str | None) -> int:
    """How many common top folders wrap the whole download (a Drive export, a zipped folder)."""
    parts = [f.parts for f in files if not f.problem and not f.is_receipt]
    lesson_stem = PurePosixPath(notebook_name).stem.lower() if notebook_name else None
    depth = 0
    while parts and all(len(p) > depth + 1 for p in parts):
        top = {p[depth] for p in parts}
        if len(top) != 1:
            break
        folder = next(iter(top))
        if MOODLE.match(folder):
            break
        below = {p[depth + 1] for p in parts}
        lesson_like = lesson_stem is not None and lesson_stem in folder.lower()
        if len(below) > 1 or DRIVE_TOP.search(folder) or lesson_like or _lms_name(next(iter(below))):
            depth += 1
            continue
        break
    return depth


def _lms_name(name: str) -> bool:
    return bool(CANVAS.match(name) or MOODLE.match(name) or BLACKBOARD.match(name))


def _receipts(files: list[RawFile]) -> dict[str, tuple[str, str]]:
    """Blackboard receipts: ``<assignment>_<user>_attempt_<time>`` -> (full name, username)."""
    out = {}
    for f in files:
        if f.is_receipt and f.data and BLACKBOARD.match(PurePosixPath(f.name).stem):
            m = BB_RECEIPT_NAME.search(f.data.decode("utf-8", "replace"))
            if m:
                out[PurePosixPath(f.name).stem] = (m.group("name"), m.group("user"))
    return out


def _attribute(raw: RawFile, depth: int, receipts: dict[str, tuple[str, str]]) -> Entry:
    e = Entry(raw, submitted_at=raw.modified)
    parts = raw.parts[depth:] if len(raw.parts) > depth else raw.parts
    if raw.escapes:
        e.problem = raw.problem or "the entry points outside the download"
        e.decision = f"rejected: {e.problem}"
        return e
    name = parts[-1]
    e.file_name = name
    e.unit = "/".join(raw.parts[:depth + 1])
    if m := CANVAS.match(name):
        e.lms, e.student_id, e.file_name = "canvas", m["uid"], m["file"]
        e.attempt, e.late = f"{int(m['file_id']):020d}", bool(m["late"])
    elif m := BLACKBOARD.match(PurePosixPath(name).stem if raw.is_receipt else name):
        head = m["head"]
        full, user = receipts.get(f"{head}_attempt_{m['ts']}", ("", ""))
        e.lms, e.student_id, e.name = "blackboard", user or head.rsplit("_", 1)[-1], full
        e.file_name = m["file"] or name
        e.attempt = m["ts"]
        e.submitted_at = _bb_time(m["ts"]) or e.submitted_at
    elif (m := MOODLE.match(name)) or any(MOODLE.match(p) for p in parts[:-1]):
        m = m or next(MOODLE.match(p) for p in parts[:-1] if MOODLE.match(p))
        e.lms, e.student_id, e.name = "moodle", m["pid"], m["name"]
        if not m["file"]:  # the folder form: the file keeps its own name
            e.unit = "/".join(raw.parts[:depth + parts.index(m.group(0)) + 1])
        else:
            e.file_name = m["file"]
    elif len(parts) == 1 and (m := GOOGLE.match(name)):
        e.lms, e.name, e.file_name = "google", m["name"].strip(), m["file"]
        e.student_id = _slug(e.name)
    elif len(parts) == 1 and not raw.is_notebook:  # a loose readme or pdf: nobody's missing notebook
        e.decision = "not graded: not a notebook, and outside any student's folder"
        return e
    else:
        raw_id = parts[0][: -len(".ipynb")] if len(parts) == 1 else parts[0]
        e.lms = "folder"
        e.student_id = raw_id if SAFE_ID.match(raw_id) else _slug(raw_id)
        if e.student_id != raw_id:
            e.name = unicodedata.normalize("NFC", raw_id).strip()
    if e.name:
        e.name = unicodedata.normalize("NFC", e.name)
    if not SAFE_ID.match(e.student_id or ""):
        what = e.student_id or name
        e.student_id = ""
        e.problem = (f"cannot tell whose file {raw.origin!r} is ({what!r} is no usable student id); write the "
                     f"student id into the manifest's student_id column and grade again")
    elif raw.problem:
        e.problem = raw.problem
    return e


def _slug(text: str) -> str:
    """A folder-safe id that keeps letters of every script: ``"Zoë O'Neil"`` -> ``"Zoë-O-Neil"``."""
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"[^\w.@+]+|_+", "-", text).strip("-._")[:100]


def _bb_time(ts: str) -> str:
    try:
        return datetime.strptime(ts, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=timezone.utc).isoformat()
    except ValueError:
        return ""


def _apply_corrections(entries: list[Entry], rows: list[dict[str, str]]) -> None:
    """The instructor's edits of the manifest, for the entries it lists (matched by source)."""
    by_source = {row.get("source", ""): row for row in rows}
    for e in entries:
        row = by_source.get(e.source)
        if row is None:
            continue
        sid = (row.get("student_id") or "").strip()
        if sid and sid != e.student_id:
            if SAFE_ID.match(sid):
                e.student_id, e.problem = sid, e.raw.problem
            else:
                e.problem = f"the manifest gives student id {sid!r}, which cannot be a file name; use letters, digits, ._@+-"
                e.student_id = ""
        if (row.get("name") or "").strip():
            e.name = row["name"].strip()
        choice = (row.get("choice") or "").strip().lower()
        if choice in ("use", "skip"):
            e.choice = choice
        elif choice:
            log.warning("manifest: choice %r for %s is neither 'use' nor 'skip'; ignored", choice, e.source)


def _choose(result: Intake, notebook_name: str | None, attempt: str) -> None:
    by_student: dict[str, list[Entry]] = {}
    for e in result.entries:
        if e.raw.is_receipt and e.lms == "blackboard":
            e.decision = "receipt (read for the name and the date)"
            if e.student_id:
                result.people.setdefault(e.student_id, e)
            continue
        if not e.student_id:
            e.decision = e.decision or f"rejected: {e.problem}"
            continue
        if not e.raw.is_notebook:
            e.decision = "not graded: not a notebook (.ipynb)"
            by_student.setdefault(e.student_id, [])
            continue
        if e.choice == "skip":
            e.decision = "not graded: skipped in the manifest"
            by_student.setdefault(e.student_id, [])
            continue
        by_student.setdefault(e.student_id, []).append(e)
    for sid, candidates in by_student.items():
        pick, reason = _pick(candidates, notebook_name, attempt)
        if pick is not None:
            pick.decision = "graded" if not pick.problem else f"rejected: {pick.problem}"
            result.chosen[sid] = Submission(sid, b"" if pick.problem else pick.raw.data, pick.source, pick.problem)
            result.people[sid] = _merged(pick, result.people.get(sid))
        else:
            others = [e.source for e in result.entries if e.student_id == sid]
            result.chosen[sid] = Submission(sid, b"", (candidates[0].source if candidates else others[0]), reason)
            result.people[sid] = _merged(candidates[0] if candidates else
                                         next(e for e in result.entries if e.student_id == sid), result.people.get(sid))


def _merged(entry: Entry, receipt: Entry | None) -> Entry:
    if receipt is not None and not entry.name:
        entry.name = receipt.name
    return entry


def _pick(candidates: list[Entry], notebook_name: str | None, attempt: str) -> tuple[Entry | None, str]:
    """The entry to grade, or ``(None, reason)``; marks every other candidate's decision."""
    sid = candidates[0].student_id if candidates else ""
    if not candidates:
        return None, "no notebook (.ipynb) among the files handed in; submit the lesson's .ipynb file"
    used = [e for e in candidates if e.choice == "use"]
    if len(used) > 1:
        for e in used:
            e.decision = "conflict: marked 'use' more than once"
        return None, (f"conflict: the manifest marks {len(used)} entries 'use' for {sid}: "
                      f"{', '.join(e.source for e in used)}; keep one")
    if used:
        for e in candidates:
            if e is not used[0]:
                e.decision = "not graded: another entry is marked 'use'"
        return used[0], ""
    remaining = []
    for unit in dict.fromkeys(e.unit for e in candidates):
        in_unit = [e for e in candidates if e.unit == unit]
        named = [e for e in in_unit if notebook_name and e.file_name == notebook_name]
        if len(in_unit) > 1 and len(named) == 1 and not any(e.attempt for e in in_unit):
            for e in in_unit:
                if e is not named[0]:
                    e.decision = f"not graded: the same folder holds {notebook_name}"
            remaining.append(named[0])
        else:
            remaining.extend(in_unit)
    if len(remaining) == 1:
        return remaining[0], ""
    keys = [e.attempt for e in remaining]
    if all(keys) and len(set(keys)) == len(keys):
        ordered = sorted(remaining, key=lambda e: e.attempt)
        pick = ordered[-1] if attempt == "latest" else ordered[0]
        for e in remaining:
            if e is not pick:
                e.decision = f"superseded: the {attempt} attempt is {pick.source}"
        return pick, ""
    for e in remaining:
        e.decision = "conflict: several entries for this student"
    return None, (f"conflict: {len(remaining)} entries belong to student {sid} and nothing orders them: "
                  f"{', '.join(e.source for e in remaining)}. Delete all but one, or write 'use' in the choice "
                  f"column of the manifest (intake/<lesson>/submissions.csv) next to the one to grade, and grade again")


# -- the manifest --------------------------------------------------------------------------------

def manifest_path(workspace: Path, lesson: str) -> Path:
    """``<workspace>/intake/<lesson>/submissions.csv``."""
    return Path(workspace) / "intake" / lesson / "submissions.csv"


def write_manifest(result: Intake, path: Path) -> Path:
    """The manifest, atomically, one row per file of the download, sorted by student id then source."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted(result.entries, key=lambda e: (e.student_id == "", e.student_id, e.source))
    fd, tmp = tempfile.mkstemp(prefix=".submissions.", suffix=".csv", dir=path.parent)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        for e in rows:
            writer.writerow({"student_id": e.student_id, "name": e.name, "lms": e.lms, "source": e.source,
                             "attempt": e.attempt.lstrip("0") if e.lms == "canvas" else e.attempt,
                             "submitted_at": e.submitted_at, "late": "yes" if e.late else "",
                             "choice": e.choice, "decision": e.decision})
    os.replace(tmp, path)
    return path


def read_manifest(path: Path) -> list[dict[str, str]]:
    """The rows of a manifest; ValueError names the file when its header is not a manifest's."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = {"student_id", "source"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path} is not a submissions manifest (no {', '.join(sorted(missing))} column); "
                             f"delete it and grade again to rebuild it")
        return list(reader)


def people(workspace: Path, lesson: str) -> dict[str, dict[str, str]]:
    """Student id -> the manifest row of their graded entry (name, lms, submitted_at, ...); {} without a manifest."""
    path = manifest_path(workspace, lesson)
    if not path.exists():
        return {}
    out: dict[str, dict[str, str]] = {}
    for row in read_manifest(path):
        sid = row.get("student_id", "")
        if not sid:
            continue
        if row.get("decision", "").startswith(("graded", "rejected", "conflict")) or sid not in out:
            if sid in out and out[sid].get("name") and not row.get("name"):
                row = {**row, "name": out[sid]["name"]}
            out[sid] = row
    return out


def split_name(full: str) -> tuple[str, str]:
    """``"Alice van Anders"`` -> ``("Alice", "van Anders")``; one word is a last name."""
    words = full.split()
    if len(words) < 2:
        return "", full.strip()
    return words[0], " ".join(words[1:])


def intake_for_lesson(submissions: Path, workspace: Path, lesson: str, notebook_name: str,
                      attempt: str = "latest") -> Intake:
    """:func:`intake` with the lesson's manifest read back and written again; logs what an instructor must know."""
    path = manifest_path(workspace, lesson)
    result = intake(submissions, notebook_name=notebook_name, attempt=attempt, manifest=path)
    write_manifest(result, path)
    notebooks = [e for e in result.entries if e.raw.is_notebook]
    if not notebooks:
        log.warning("%s holds no notebook (.ipynb): nothing to grade (is it the right folder or zip?)", submissions)
    for e in result.unattributed:
        log.warning("not attributed to any student: %s (%s)", e.source, e.problem)
    for sid in result.conflicts:
        log.warning("conflict for %s: %s", sid, result.chosen[sid].problem)
    log.info("intake: %d file(s), %d student(s); manifest %s", len(result.entries), len(result.chosen), path)
    return result
