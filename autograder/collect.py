"""Collect submissions from a folder or an LMS .zip: one notebook per student id.

The student id is the file name ``<id>.ipynb`` or the top folder
``<id>/.../*.ipynb``. Zip entries whose path holds ``..``, is absolute, or is
a symlink are refused (and recorded); the rest of the archive is still
collected. Sizes are capped, so a zip bomb is refused rather than inflated.

Example::

    >>> subs = collect(Path("downloads/01.zip"), notebook_name="01-neurons.ipynb")  # doctest: +SKIP
    >>> [(s.student_id, s.problem) for s in subs]                                      # doctest: +SKIP
    [('s001', ''), ('evil', "zip entry '../evil.ipynb' points outside the archive")]
"""

from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.validate import MAX_NOTEBOOK_BYTES

#: Total uncompressed bytes read from one archive.
MAX_ARCHIVE_BYTES = 2 * 1024 ** 3
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


@dataclass
class Submission:
    """One student's notebook bytes, or the reason it could not be collected (``problem``)."""

    student_id: str
    data: bytes
    origin: str
    problem: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def collect(path: Path, *, notebook_name: str | None = None) -> list[Submission]:
    """Submissions in a folder or a .zip, sorted by student id (one per id).

    Raises FileNotFoundError/ValueError when ``path`` is neither a folder nor a zip.
    """
    path = Path(path)
    if path.is_dir():
        found = _from_folder(path, notebook_name)
    elif path.is_file() and zipfile.is_zipfile(path):
        found = _from_zip(path, notebook_name)
    elif path.exists():
        raise ValueError(f"{path} is neither a folder nor a .zip archive; pass the folder or the zip the LMS gave you")
    else:
        raise FileNotFoundError(f"{path} does not exist; pass a folder of notebooks or an LMS .zip")
    return _unique(found)


def student_id_for(parts: tuple[str, ...]) -> str | None:
    """``("s001.ipynb",)`` -> ``"s001"``; ``("s001", "lesson", "x.ipynb")`` -> ``"s001"``."""
    if not parts:
        return None
    raw = parts[0][: -len(".ipynb")] if len(parts) == 1 else parts[0]
    return raw if SAFE_ID.match(raw) else None


def _safe_fallback_id(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", PurePosixPath(name).name.removesuffix(".ipynb")).strip("._")
    digest = hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:8]
    return f"{cleaned[:40] or 'unnamed'}-{digest}"


def _wanted(parts: tuple[str, ...]) -> bool:
    """A notebook that is not hidden (checkpoints, macOS metadata); ``..`` is judged elsewhere, never skipped."""
    return (parts[-1].endswith(".ipynb")
            and not any((p.startswith(".") and p != "..") or p == "__MACOSX" for p in parts))


def _from_folder(root: Path, notebook_name: str | None) -> list[Submission]:
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        parts = path.relative_to(root).parts
        if not _wanted(parts):
            continue
        sid = student_id_for(parts)
        origin = str(path.relative_to(root))
        if sid is None:
            found.append(Submission(_safe_fallback_id(origin), b"", origin, f"cannot tell the student id from {origin!r}"))
        elif path.is_symlink():
            found.append(Submission(sid, b"", origin, "the notebook is a symbolic link; submit the file itself"))
        elif path.stat().st_size > MAX_NOTEBOOK_BYTES:
            found.append(Submission(sid, b"", origin, f"the notebook is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB"))
        else:
            found.append(Submission(sid, path.read_bytes(), origin))
    return _prefer(found, notebook_name)


def _from_zip(archive: Path, notebook_name: str | None) -> list[Submission]:
    found = []
    total = 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir():
                continue
            parts = tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))
            if not parts or not _wanted(parts):
                continue
            mode = info.external_attr >> 16
            problem = ""
            escapes = ".." in parts or name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name))
            if escapes:
                problem = f"zip entry {name!r} points outside the archive (refused)"
            elif stat.S_ISLNK(mode):
                problem = f"zip entry {name!r} is a symbolic link (refused)"
            elif info.file_size > MAX_NOTEBOOK_BYTES:
                problem = f"zip entry {name!r} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB"
            elif total + info.file_size > MAX_ARCHIVE_BYTES:
                problem = f"the archive holds more than {MAX_ARCHIVE_BYTES // 2**30} GiB; grade it in parts"
            sid = None if escapes else student_id_for(parts)
            if problem or sid is None:
                found.append(Submission(sid or _safe_fallback_id(name), b"", name,
                                        problem or f"cannot tell the student id from {name!r}"))
                continue
            with zf.open(info) as fh:
                data = fh.read(MAX_NOTEBOOK_BYTES + 1)  # never trust the declared size
            if len(data) > MAX_NOTEBOOK_BYTES:
                found.append(Submission(sid, b"", name, f"zip entry {name!r} inflates beyond "
                                                         f"{MAX_NOTEBOOK_BYTES // 2**20} MiB (refused)"))
                continue
            total += len(data)
            found.append(Submission(sid, data, name))
    return _prefer(found, notebook_name)


def _prefer(found: list[Submission], notebook_name: str | None) -> list[Submission]:
    """When a student has several notebooks, keep the one named like the lesson's, else the first."""
    if not notebook_name:
        return found
    by_id: dict[str, list[Submission]] = {}
    for sub in found:
        by_id.setdefault(sub.student_id, []).append(sub)
    out = []
    for subs in by_id.values():
        named = [s for s in subs if PurePosixPath(s.origin.replace("\\", "/")).name == notebook_name]
        out.extend(named[:1] if named else subs)
    return out


def _unique(found: list[Submission]) -> list[Submission]:
    """One submission per student id: the first collected one that has no problem."""
    chosen: dict[str, Submission] = {}
    for sub in found:
        current = chosen.get(sub.student_id)
        if current is None or (current.problem and not sub.problem):
            chosen[sub.student_id] = sub
    return [chosen[k] for k in sorted(chosen)]
