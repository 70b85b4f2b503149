"""Read a class download (a folder or an LMS .zip) safely: every file in it, as :class:`RawFile`.

Nothing here decides who a file belongs to: :mod:`autograder.intake` does,
from the file names each LMS writes. This module only reads, and refuses
what must not be read: zip entries whose path holds ``..``, is absolute, or
is a symlink are recorded with a problem (the rest of the archive is still
read), sizes are capped, so a zip bomb is refused rather than inflated.

:func:`collect` is the short form kept for scripts: one :class:`Submission`
per student id, attributed by :func:`autograder.intake.intake`.

Example::

    >>> subs = collect(Path("downloads/01.zip"), notebook_name="01-neurons.ipynb")  # doctest: +SKIP
    >>> [(s.student_id, s.problem) for s in subs]                                      # doctest: +SKIP
    [('s001', ''), ('evil', "zip entry '../evil.ipynb' points outside the archive (refused)")]
"""

from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from autograder.validate import MAX_NOTEBOOK_BYTES

#: Total uncompressed bytes read from one archive.
MAX_ARCHIVE_BYTES = 2 * 1024 ** 3
#: Receipts (.txt) larger than this are listed but not read.
MAX_RECEIPT_BYTES = 64 * 1024


@dataclass
class Submission:
    """One student's notebook bytes, or the reason it could not be collected (``problem``)."""

    student_id: str
    data: bytes
    origin: str
    problem: str = ""

    @property
    def sha256(self) -> str:
        """The bytes' digest; for a submission that cannot be graded, the reason's (so a new reason re-records it)."""
        if self.problem:
            return hashlib.sha256(b"problem\0" + self.problem.encode("utf-8")).hexdigest()
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class RawFile:
    """One file of a class download: its path parts, bytes (notebooks and receipts only) and when it was written.

    ``problem`` says why it was not read (escapes the archive, a link, too large).
    """

    parts: tuple[str, ...]
    origin: str
    data: bytes = b""
    problem: str = ""
    modified: str = ""  # ISO 8601, from the zip entry or the file, "" when unknown
    escapes: bool = False  # a zip entry whose path leaves the archive: it belongs to no one

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else ""

    @property
    def is_notebook(self) -> bool:
        return self.name.lower().endswith(".ipynb")

    @property
    def is_receipt(self) -> bool:
        return self.name.lower().endswith(".txt")


def read_download(path: Path) -> list[RawFile]:
    """Every file of a folder or a .zip except hidden ones (checkpoints, ``__MACOSX``), in path order.

    Notebooks and ``.txt`` receipts are read (capped); other files are listed
    with no data. Raises FileNotFoundError/ValueError when ``path`` is neither
    a folder nor a zip.
    """
    path = Path(path)
    if path.is_dir():
        return _from_folder(path)
    if path.is_file() and zipfile.is_zipfile(path):
        return _from_zip(path)
    if path.exists():
        raise ValueError(f"{path} is neither a folder nor a .zip archive; pass the folder or the zip the LMS gave you")
    raise FileNotFoundError(f"{path} does not exist; pass a folder of notebooks or an LMS .zip")


def collect(path: Path, *, notebook_name: str | None = None) -> list[Submission]:
    """Submissions in a folder or a .zip, one per student id, sorted by id (see :mod:`autograder.intake`)."""
    from autograder.intake import intake

    return intake(path, notebook_name=notebook_name).submissions()


def _hidden(parts: tuple[str, ...]) -> bool:
    """Checkpoints, dot files and macOS metadata; ``..`` is judged elsewhere, never skipped."""
    return any((p.startswith(".") and p != "..") or p == "__MACOSX" for p in parts)


def _wants_data(name: str) -> bool:
    low = name.lower()
    return low.endswith(".ipynb") or low.endswith(".txt")


def _iso(ts: float | tuple) -> str:
    try:
        if isinstance(ts, tuple):
            return datetime(*ts).replace(tzinfo=timezone.utc).isoformat()  # zip times carry no zone
        return datetime.fromtimestamp(ts, timezone.utc).replace(microsecond=0).isoformat()
    except (ValueError, OverflowError, OSError):
        return ""


def _too_large(name: str, size: int) -> str:
    cap = MAX_NOTEBOOK_BYTES if name.lower().endswith(".ipynb") else MAX_RECEIPT_BYTES
    return f"{name!r} is larger than {cap // 2**10} KiB" if cap < 2**20 else \
        f"{name!r} is larger than {cap // 2**20} MiB"


def _from_folder(root: Path) -> list[RawFile]:
    found = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if _hidden(parts) or (path.is_dir() and not path.is_symlink()):
            continue
        origin = "/".join(parts)
        raw = RawFile(parts, origin)
        if path.is_symlink():
            raw.problem = "the file is a symbolic link; submit the file itself"
        elif _wants_data(path.name):
            st = path.stat()
            raw.modified = _iso(st.st_mtime)
            cap = MAX_NOTEBOOK_BYTES if raw.is_notebook else MAX_RECEIPT_BYTES
            if st.st_size > cap:
                raw.problem = _too_large(origin, st.st_size)
            else:
                raw.data = path.read_bytes()
        found.append(raw)
    return found


def _from_zip(archive: Path) -> list[RawFile]:
    found = []
    total = 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir():
                continue
            parts = tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))
            if not parts or _hidden(parts):
                continue
            raw = RawFile(parts, name, modified=_iso(info.date_time))
            mode = info.external_attr >> 16
            escapes = ".." in parts or name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name))
            cap = MAX_NOTEBOOK_BYTES if raw.is_notebook else MAX_RECEIPT_BYTES
            raw.escapes = escapes
            if escapes:
                raw.problem = f"zip entry {name!r} points outside the archive (refused)"
            elif stat.S_ISLNK(mode):
                raw.problem = f"zip entry {name!r} is a symbolic link (refused)"
            elif not _wants_data(name):
                pass
            elif info.file_size > cap:
                raw.problem = f"zip entry {_too_large(name, info.file_size)}"
            elif total + info.file_size > MAX_ARCHIVE_BYTES:
                raw.problem = f"the archive holds more than {MAX_ARCHIVE_BYTES // 2**30} GiB; grade it in parts"
            else:
                with zf.open(info) as fh:
                    data = fh.read(cap + 1)  # never trust the declared size
                if len(data) > cap:
                    raw.problem = f"zip entry {_too_large(name, len(data))} once inflated (refused)"
                else:
                    total += len(data)
                    raw.data = data
            found.append(raw)
    return found
