"""Generate the student versions in lessons/ from solutions/ with real ``nbgrader generate_assignment``.

``release(lessons)`` regenerates and writes lessons/; ``differences(lessons)`` generates
into a temporary folder and lists every lesson whose committed student version
differs from what nbgrader would produce now.

Each generated notebook is then stamped with the release it belongs to
(:func:`dlkit.notebook.stamp`): its Colab setup cell installs dlkit at
``dlkit.RELEASE_REF`` and its Colab badge links the same ref, so a student's
notebook and its checks cannot drift apart. The nbgrader checksums of the
stamped cells are recomputed.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from dlkit import notebook as dlkit_notebook

from autograder import LESSONS, SOLUTIONS
from autograder import notebooks as nbs
from autograder.nbgrader_course import Course, NbgraderError


class ReleaseError(RuntimeError):
    """nbgrader could not generate a lesson; the message carries its log."""


def generate(lesson: str, release_root: Path, *, source_root: Path = SOLUTIONS) -> Path:
    """Run ``nbgrader generate_assignment`` for one lesson into ``release_root/<lesson>``; normalise it."""
    with tempfile.TemporaryDirectory(prefix="dlkit-release-") as scratch:  # a throwaway gradebook
        course = Course(Path(scratch), source_root, release_root=release_root)
        try:
            out = course.generate(lesson)
        except NbgraderError as exc:
            raise ReleaseError(f"nbgrader could not generate {lesson}:\n{exc}") from exc
        if not out.is_dir():
            raise ReleaseError(f"nbgrader generated nothing for {lesson} (is solutions/{lesson}/ empty?)")
    return _stamp_folder(out, lesson)


def _stamp_folder(out: Path, lesson: str) -> Path:
    """Stamp every notebook nbgrader generated for ``lesson`` into ``out`` (see :func:`stamp_release`)."""
    for path in sorted(out.rglob("*.ipynb")):
        nb = nbs.read(path)
        stamp_release(nb, f"{LESSONS.name}/{lesson}/{path.relative_to(out).as_posix()}")
        nbs.write(nb, path)
    return out


def stamp_release(nb, notebook_path: str, ref: str | None = None) -> list[int]:
    """Pin a generated student notebook to ``ref`` (default ``dlkit.RELEASE_REF``); fix the changed cells' checksums."""
    from nbgrader.utils import compute_checksum

    changed = dlkit_notebook.stamp(nb, notebook_path, ref, require_setup=False)
    for index in changed:
        meta = nb.cells[index].metadata.get("nbgrader", {})
        if "checksum" in meta:
            meta["checksum"] = compute_checksum(nb.cells[index])
    return changed


def _generate_each(lessons: list[str], out: Path, source_root: Path) -> dict[str, Path]:
    """Generate every lesson into its own folder under ``out``, a few nbgrader processes at a time.

    Each lesson is one ``nbgrader generate_assignment`` process with its own scratch
    course, so they are independent; most of each one's time is nbgrader's start-up.
    """
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(len(lessons), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = {lesson: pool.submit(generate, lesson, out / lesson, source_root=source_root)
                   for lesson in lessons}
        return {lesson: future.result() for lesson, future in futures.items()}


def release(lessons: list[str], *, lessons_root: Path = LESSONS, source_root: Path = SOLUTIONS) -> list[Path]:
    """Regenerate ``lessons_root/<lesson>`` for each lesson (replacing what was there)."""
    written = []
    with tempfile.TemporaryDirectory(prefix="dlkit-release-out-") as tmp:
        for lesson, generated in _generate_each(lessons, Path(tmp), source_root).items():
            target = lessons_root / lesson
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(generated, target)
            written.append(target)
    return written


def differences(lessons: list[str], *, lessons_root: Path = LESSONS, source_root: Path = SOLUTIONS,
                generated: Mapping[str, Path] | None = None) -> dict[str, list[str]]:
    """For each stale lesson, the files that differ from a fresh generation (empty dict: in sync).

    ``generated`` maps a lesson to the folder that ``nbgrader generate_assignment`` just wrote
    for it from ``source_root`` (e.g. in an nbgrader course that grades it next): that output is
    stamped and compared, rather than generated a second time. It is not changed.
    """
    stale: dict[str, list[str]] = {}
    generated = generated or {}
    with tempfile.TemporaryDirectory(prefix="dlkit-release-check-") as tmp:
        fresh = _generate_each([lesson for lesson in lessons if lesson not in generated], Path(tmp), source_root)
        for lesson in lessons:
            if lesson in generated:
                copy = shutil.copytree(generated[lesson], Path(tmp) / "given" / lesson)
                fresh[lesson] = _stamp_folder(Path(copy), lesson)
            generated_now = fresh[lesson]
            committed = lessons_root / lesson
            if not committed.is_dir():
                stale[lesson] = [f"{committed} is missing"]
                continue
            diffs = _compare_trees(generated_now, committed)
            if diffs:
                stale[lesson] = diffs
    return stale


def _compare_trees(expected: Path, actual: Path) -> list[str]:
    want = {p.relative_to(expected) for p in expected.rglob("*") if p.is_file()}
    have = {p.relative_to(actual) for p in actual.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts}
    diffs = [f"{rel}: missing from lessons/" for rel in sorted(want - have)]
    diffs += [f"{rel}: not produced by nbgrader (remove it or add it to solutions/)" for rel in sorted(have - want)]
    for rel in sorted(want & have):
        if not filecmp.cmp(expected / rel, actual / rel, shallow=False):
            diffs.append(f"{rel}: differs from the generated version")
    return diffs
