"""The result record of one graded submission: dataclasses, atomic writer, readers.

One JSON file per (lesson, student) lives in
``<workspace>/results/<lesson>/<student>.json``. The grader writes it
atomically (a temporary file in the same folder, then ``os.replace``), so a
grader killed mid-batch leaves either the old record or the new one, never a
half-written file. Feedback and the class report read only these records.

Example::

    >>> rec = SubmissionResult(student_id="s001", lesson="01-neurons", status="graded",
    ...                        score=2.0, max_score=2.0)
    >>> rec.graded, rec.rejected
    (True, False)
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

#: Bumped when a change to the grader could change a score; part of the
#: "grader inputs" that decide whether a stored record can be reused.
GRADER_VERSION = "1"

STATUS_GRADED = "graded"
REJECTED_PREFIX = "rejected: "

#: Cap (characters) for ``log_tail``, so a submission that prints gigabytes
#: cannot bloat the record.
LOG_TAIL_CHARS = 4000


class Flag(str):
    """A flag on a record: a ``code`` (what kind), the ``check`` it costs points (None: the submission), a ``detail``.

    It is also its own text, ``"<check>: <detail>"`` (or the detail alone), so
    feedback pages and reports show it as before; code that decides anything
    reads the fields, never the text.

    >>> f = Flag("patched", "changed numpy.allclose before this check", check="relu-check")
    >>> f, f.code, f.check
    ('relu-check: changed numpy.allclose before this check', 'patched', 'relu-check')
    """

    code: str
    check: str | None
    detail: str

    def __new__(cls, code: str, detail: str, *, check: str | None = None) -> "Flag":
        self = super().__new__(cls, f"{check}: {detail}" if check else detail)
        self.code, self.check, self.detail = str(code), check, str(detail)
        return self

    def __reduce__(self):
        return _flag, (self.code, self.detail, self.check)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "check": self.check, "detail": self.detail}

    @classmethod
    def from_data(cls, data: Any) -> "Flag | str":
        """A flag from a record: a ``{code, check, detail}`` object, or a plain text of an older record."""
        if isinstance(data, dict):
            return cls(str(data.get("code", "")), str(data.get("detail", "")), check=data.get("check") or None)
        return str(data)


def _flag(code: str, detail: str, check: str | None) -> Flag:
    return Flag(code, detail, check=check)


#: Flag codes the grader raises.
FLAG_CODES = {
    "patched": "student code changed numpy, builtins or the checks before a check",
    "harness": "the harness noticed tampering during a check (e.g. a profile hook left installed)",
    "uses-reference": "the answer's source names the exercise's reference implementation",
    "rigged": "the answer returned an object that brings its own comparisons",
    "called-reference": "the answer called the (withdrawn) reference implementation",
    "channel": "the result channel held data the harness did not write",
    "forged": "more than one result for one check on the channel",
    "flooded": "the submission flooded the result channel",
    "not-finished": "the notebook did not finish",
    "sealed": "dlkit's reference sources stayed readable",
    "exit": "a cell raised SystemExit or KeyboardInterrupt",
    "out-of-memory": "a cell ran out of memory",
    "fake-success": "printed text that imitates a passing check",
    "unsafe": "graded without a sandbox",
}


def write_atomic(path: str | os.PathLike, text: str, *, newline: str | None = None) -> Path:
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, fsync, then ``os.replace``.

    A reader sees the old file or the new one, never half of one; a writer
    killed midway leaves no temporary file behind it (it is removed on error).
    Creates the folder.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass
class CheckResult:
    """The verdict of one check cell (one nbgrader grade id).

    ``points`` is ``max_points`` when every visible and hidden case of every
    exercise the cell checks passed, else 0. ``message`` is student-facing:
    it never contains hidden inputs or hidden check source.
    """

    grade_id: str
    exercise_ids: list[str]
    points: float
    max_points: float
    passed: bool
    visible_passed: bool
    hidden_passed: bool
    message: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CheckResult":
        return cls(
            grade_id=str(data["grade_id"]),
            exercise_ids=[str(x) for x in data.get("exercise_ids", [])],
            points=float(data.get("points", 0.0)),
            max_points=float(data.get("max_points", 0.0)),
            passed=bool(data.get("passed", False)),
            visible_passed=bool(data.get("visible_passed", False)),
            hidden_passed=bool(data.get("hidden_passed", False)),
            message=str(data.get("message", "")),
        )


@dataclass
class SubmissionResult:
    """Everything recorded about one (lesson, student) submission.

    ``status`` is ``"graded"`` or ``"rejected: <reason>"``. ``checks`` lists
    one :class:`CheckResult` per check cell of the source notebook (empty when
    rejected). ``repairs`` lists tamper repairs, ``flags`` cheating or hostile
    behaviour (both student-facing). ``inputs_sha256`` fingerprints the grader
    inputs (seed, limits, lesson source, grader version) so a re-run can skip
    an unchanged submission.
    """

    student_id: str
    lesson: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    timed_out: bool = False
    submission_sha256: str = ""
    grader_version: str = GRADER_VERSION
    graded_at: str = ""
    checks: list[CheckResult] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    log_tail: str = ""
    inputs_sha256: str = ""
    seed_fingerprint: str = ""  # autograder.seeds.seed_fingerprint of the hidden-check seed ("" in old records)
    cell_notes: list[str] = field(default_factory=list)  # why cells did not run (autograder.explain), student-facing

    @property
    def graded(self) -> bool:
        return self.status == STATUS_GRADED

    @property
    def rejected(self) -> bool:
        return self.status.startswith(REJECTED_PREFIX)

    @property
    def reason(self) -> str:
        """The rejection reason (``""`` when graded)."""
        return self.status[len(REJECTED_PREFIX):] if self.rejected else ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["flags"] = [f.to_dict() if isinstance(f, Flag) else str(f) for f in self.flags]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SubmissionResult":
        if not isinstance(data, dict) or "student_id" not in data or "lesson" not in data:
            raise ValueError(f"a result record needs 'student_id' and 'lesson', got {str(data)[:200]}")
        return cls(
            student_id=str(data["student_id"]),
            lesson=str(data["lesson"]),
            status=str(data.get("status", "")),
            score=float(data.get("score", 0.0)),
            max_score=float(data.get("max_score", 0.0)),
            seconds=float(data.get("seconds", 0.0)),
            timed_out=bool(data.get("timed_out", False)),
            submission_sha256=str(data.get("submission_sha256", "")),
            grader_version=str(data.get("grader_version", "")),
            graded_at=str(data.get("graded_at", "")),
            checks=[CheckResult.from_dict(c) for c in data.get("checks", [])],
            repairs=[str(x) for x in data.get("repairs", [])],
            flags=[Flag.from_data(x) for x in data.get("flags", [])],
            log_tail=str(data.get("log_tail", "")),
            inputs_sha256=str(data.get("inputs_sha256", "")),
            seed_fingerprint=str(data.get("seed_fingerprint", "")),
            cell_notes=[str(x) for x in data.get("cell_notes", [])],
        )


def rejected(student_id: str, lesson: str, reason: str, **extra: Any) -> SubmissionResult:
    """A record for a submission that could not be graded, with its reason."""
    return SubmissionResult(student_id=student_id, lesson=lesson, status=REJECTED_PREFIX + reason,
                            graded_at=now_iso(), **extra)


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def results_dir(workspace: str | os.PathLike, lesson: str) -> Path:
    """``<workspace>/results/<lesson>``."""
    return Path(workspace) / "results" / lesson


def result_path(workspace: str | os.PathLike, lesson: str, student_id: str) -> Path:
    """``<workspace>/results/<lesson>/<student_id>.json``; a student id that is no plain file name is refused."""
    if student_id in ("", ".", "..") or any(ch in student_id for ch in "/\\\0"):
        raise ValueError(f"student id {student_id!r} cannot be a file name; expected a plain name such as 's001'")
    return results_dir(workspace, lesson) / f"{student_id}.json"


def write_result(workspace: str | os.PathLike, record: SubmissionResult) -> Path:
    """Write a record atomically (temp file + fsync + ``os.replace``) and return its path."""
    path = result_path(workspace, record.lesson, record.student_id)
    return write_atomic(path, json.dumps(record.to_dict(), indent=1, sort_keys=False, allow_nan=False))


def read_result(path: str | os.PathLike) -> SubmissionResult:
    """Read one record; ValueError names the file when it is not a valid record."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SubmissionResult.from_dict(data)
    except (json.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path} is not a valid result record ({exc}); delete it and grade again") from exc


def iter_results(workspace: str | os.PathLike, lesson: str) -> Iterator[SubmissionResult]:
    """Records of one lesson, sorted by student id; temp files are skipped."""
    folder = results_dir(workspace, lesson)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        if not path.name.startswith("."):
            yield read_result(path)


def load_results(workspace: str | os.PathLike, lesson: str) -> list[SubmissionResult]:
    """All records of one lesson (``"01-neurons"``), sorted by student id."""
    return list(iter_results(workspace, lesson))


def load_all_results(workspace: str | os.PathLike) -> list[SubmissionResult]:
    """All records of every lesson in the workspace, sorted by (lesson, student id)."""
    root = Path(workspace) / "results"
    if not root.is_dir():
        return []
    return [r for lesson in sorted(p.name for p in root.iterdir() if p.is_dir())
            for r in iter_results(workspace, lesson)]


def cap_text(text: str, limit: int = LOG_TAIL_CHARS) -> str:
    """The last ``limit`` characters of ``text``, marked when cut."""
    if len(text) <= limit:
        return text
    return "[... earlier output cut ...]\n" + text[-limit:]
