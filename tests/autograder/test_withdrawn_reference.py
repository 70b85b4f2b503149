"""The student process loses the reference answers: in memory (a tripwire) and on disk (Landlock)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from autograder import landlock
from autograder.harness import withdraw
from dlkit.checks import core

def _answer_key(x, scale=2.0):
    return ["SECRET-ANSWER-42", x * scale]


def test_withdraw_turns_every_alias_into_a_tripwire_and_drops_the_original_code():
    fn = types.FunctionType(_answer_key.__code__, _answer_key.__globals__, "answer_key", _answer_key.__defaults__)
    fn.__module__, fn.__qualname__ = "dlkit.reference.fake", "answer_key"
    alias = fn
    held = {"stored": fn}
    exercise = types.SimpleNamespace(id="99.fake", function="mine", reference=fn)
    assert fn(3) == ["SECRET-ANSWER-42", 6.0]

    assert withdraw(exercise) == "dlkit.reference.fake.answer_key"
    for call in (lambda: alias(3), lambda: held["stored"](3, scale=1),
                 lambda: types.FunctionType(fn.__code__, fn.__globals__)(3)):  # rebuilt from its code object
        with pytest.raises(RuntimeError, match=r"dlkit\.reference\.fake\.answer_key is withdrawn while 99\.fake"):
            call()
    assert "SECRET-ANSWER-42" not in fn.__code__.co_consts
    assert _answer_key(1) == ["SECRET-ANSWER-42", 2.0]  # a different function object keeps its code


def test_every_lesson_reference_can_be_withdrawn():
    """A closure or a builtin could not get a tripwire: the grader would have to leave it callable."""
    lessons = sorted(p.stem[len("lesson"):] for p in Path(core.__file__).parent.glob("lesson*.py"))
    assert lessons, "no lesson check modules found"
    for lesson in lessons:
        for exercise in core.all_exercises(lesson):
            ref = exercise.reference
            if ref is None:
                continue
            assert isinstance(ref, types.FunctionType), f"{exercise.id}: reference is a {type(ref).__name__}"
            assert ref.__closure__ is None and not hasattr(ref, "__wrapped__"), f"{exercise.id}: wrapped reference"


def test_plan_grants_every_sibling_and_nothing_beneath_a_denied_folder(tmp_path):
    (tmp_path / "pkg" / "reference").mkdir(parents=True)
    (tmp_path / "pkg" / "reference" / "answers.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "data.py").write_text("y = 2\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "into-denied").symlink_to(tmp_path / "pkg" / "reference")
    rules = dict(landlock.plan([str(tmp_path / "pkg" / "reference")], root=str(tmp_path)))
    full = landlock.READ_FILE | landlock.READ_DIR
    assert rules[str(tmp_path)] == landlock.READ_DIR and rules[str(tmp_path / "pkg")] == landlock.READ_DIR
    assert rules[str(tmp_path / "pkg" / "data.py")] == landlock.READ_FILE
    assert rules[str(tmp_path / "other")] == full
    assert str(tmp_path / "pkg" / "reference") not in rules and str(tmp_path / "into-denied") not in rules
    assert not [p for p in rules if p.startswith(str(tmp_path / "pkg" / "reference"))]


@pytest.mark.usefixtures("landlock_available")
def test_deny_reading_holds_for_reload_exec_symlinks_and_child_processes(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "reference").mkdir(parents=True)
    (pkg / "reference" / "answers.py").write_text("ANSWER = 42\n")
    (pkg / "data.py").write_text("DATA = 7\n")
    (tmp_path / "into-denied").symlink_to(pkg / "reference")
    script = textwrap.dedent(f"""
        import ctypes, importlib, os, subprocess, sys
        sys.path[:0] = [{str(tmp_path)!r}, {str(landlock.__file__.rsplit('/', 1)[0])!r}]
        import landlock
        import pkg.reference.answers as answers, pkg.data as data
        ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)                 # no_new_privs, as the harness sets it
        print("sealed:", repr(landlock.deny_reading([{str(pkg / 'reference')!r}])))
        print("loaded module still works:", answers.ANSWER)
        for name, attempt in [
            ("reload", lambda: importlib.reload(answers)),
            ("open", lambda: open({str(pkg / 'reference' / 'answers.py')!r}).read()),
            ("symlink", lambda: open({str(tmp_path / 'into-denied' / 'answers.py')!r}).read()),
            ("proc root", lambda: open("/proc/self/root" + {str(pkg / 'reference' / 'answers.py')!r}).read()),
        ]:
            try:
                attempt()
                print(name, "READ IT")
            except PermissionError:
                print(name, "denied")
        print("child:", subprocess.run(["cat", {str(pkg / 'reference' / 'answers.py')!r}],
                                       capture_output=True, text=True).returncode)
        print("sibling:", open({str(pkg / 'data.py')!r}).read().strip(), importlib.reload(data).DATA)
        print("listing:", os.listdir({str(pkg / 'reference')!r}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "sealed: ''" in out and "loaded module still works: 42" in out
    assert "READ IT" not in out
    for name in ("reload", "open", "symlink", "proc root"):
        assert f"{name} denied" in out
    assert "child: 1" in out and "sibling: DATA = 7 7" in out and "answers.py" in out


def test_deny_reading_says_why_when_it_cannot(monkeypatch):
    monkeypatch.setattr(landlock, "abi_version", lambda: 0)
    assert "no Landlock" in landlock.deny_reading(["/nonexistent"])
