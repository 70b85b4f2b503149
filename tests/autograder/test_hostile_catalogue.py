"""The hostile catalogue: every entry builds, does what it says, and ``problems`` judges records by it."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time

import nbformat
import pytest

from autograder import LESSONS, REPO
from autograder import hostile as H
from autograder import notebooks as nbs

LESSON = "01-neurons"


@pytest.fixture(scope="module")
def correct():
    released = nbs.read(LESSONS / LESSON / f"{LESSON}.ipynb")
    return H.correct_notebook(LESSON, released)


@pytest.fixture(scope="module")
def target(correct):
    return H.find_target(correct)


def _answer(content: bytes, grade_id: str) -> str:
    nb = nbformat.reads(content.decode(), as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_names_and_student_ids_are_unique():
    names = [h.name for h in H.CATALOGUE]
    assert len(names) == len(set(names)) >= 25
    assert all(h.student_id == f"hostile-{h.name}" for h in H.CATALOGUE)
    assert H.SLOW <= set(names)
    with pytest.raises(KeyError, match="catalogue has"):
        H.by_name("no-such-entry")


def test_target_is_the_first_exercise(target):
    assert (target.answer_id, target.check_id, target.exercise_id) == ("sigmoid-answer", "sigmoid-check", "01.sigmoid")
    assert target.reference == "dlkit.reference.activations.sigmoid"
    from dlkit import checks

    assert "sigmoid-check" not in target.other_checks
    assert len(target.other_checks) == len(checks.all_exercises("01")) - 1


def test_expectations_name_real_checks(target):
    known = {target.check_id, *target.other_checks}
    for hostile in H.CATALOGUE:
        want = hostile.expect(target)
        assert want.status in {"graded", "rejected", "any"}, hostile.name
        assert set(want.zero) <= known and set(want.full) <= known, hostile.name
        assert not set(want.zero) & set(want.full), hostile.name
        # a rejection must say why
        if want.status == "rejected":
            assert want.reason_words, hostile.name


def test_answer_sources_compile_and_do_not_touch_other_cells(correct, target):
    assert {h.kind for h in H.CATALOGUE} == {"answer", "tamper", "file"}
    for hostile in H.CATALOGUE:
        if hostile.kind == "file":
            continue  # malformed on purpose; covered below
        content = hostile.build(correct, port=4321)
        nb = nbformat.reads(content.decode(), as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code" and gid and cell.metadata["nbgrader"].get("solution"):
                compile(cell.source, f"{hostile.name}:{gid}", "exec")
        if hostile.kind == "answer":
            assert _answer(content, "tanh-answer") == _answer(H._dump(correct), "tanh-answer"), hostile.name
    assert "4321" in _answer(H.by_name("network").build(correct, port=4321), target.answer_id)


@pytest.mark.parametrize("name", ["empty-file", "bad-json", "nbformat-3", "nbformat-too-new"])
def test_malformed_files_cannot_be_read(tmp_path, correct, name):
    path = tmp_path / "x.ipynb"
    path.write_bytes(H.by_name(name).build(correct))
    with pytest.raises(nbs.NotebookError):
        nbs.read(path)


def test_content_level_malformations(correct):
    schema = json.loads(H.by_name("schema-too-new").build(correct))
    versions = {c["metadata"]["nbgrader"]["schema_version"] for c in schema["cells"] if "nbgrader" in c["metadata"]}
    assert versions == {99}
    other = json.loads(H.by_name("wrong-lesson").build(correct))
    ids = {c["metadata"]["nbgrader"]["grade_id"] for c in other["cells"]}
    assert ids == set(H.WRONG_LESSON_IDS)
    dup = nbformat.reads(H.by_name("duplicate-grade-id").build(correct).decode(), as_version=4)
    gids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in dup.cells]
    assert gids.count("sigmoid-answer") == 2
    inflated = nbformat.reads(H.by_name("inflate-points").build(correct).decode(), as_version=4)
    assert any(c.metadata.get("nbgrader", {}).get("points") == 1000 for c in inflated.cells)


def _run_in_kernel_like_process(answer: str, check: str) -> subprocess.CompletedProcess:
    """Setup cell + answer cell + check cell in one fresh interpreter: what plain nbgrader does."""
    code = "import numpy as np\nfrom dlkit import checks\n" + answer + "\n" + check + "\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)


@pytest.mark.parametrize("name", ["monkeypatch", "fake-pass"])
def test_forging_entries_fool_a_check_that_runs_in_the_students_process(correct, target, name):
    """The attack is real: run in the student's own process, a wrong answer looks like a pass."""
    answer = _answer(H.by_name(name).build(correct), target.answer_id)
    check = f'checks.run("{target.exercise_id}", {target.function})' if name == "monkeypatch" else ""
    proc = _run_in_kernel_like_process(answer, check)
    assert proc.returncode == 0, proc.stderr
    assert "passed" in proc.stdout
    # ...and the answer is wrong: the honest check, in a clean process, fails
    honest = _run_in_kernel_like_process(answer.split("import builtins")[0] if name == "fake-pass" else
                                         H._wrong(target.function), f'checks.run("{target.exercise_id}", {target.function})')
    assert honest.returncode != 0 and "CheckFailed" in honest.stderr


def test_rigged_eq_fools_numpy_comparisons_but_not_the_grader(correct, target):
    from dlkit.checks.core import call_student, expected_output, get, judge

    namespace: dict = {"np": __import__("numpy")}
    exec(_answer(H.by_name("rigged-eq").build(correct), target.answer_id), namespace)
    fn = namespace[target.function]
    exercise = get(target.exercise_id)
    case = exercise.cases()[1]
    got = fn(*case.copy_inputs()[0])
    want = expected_output(exercise, case)[0]
    assert bool((got == want).all()) and bool((abs(got - want) == 0).all())  # the forgery works on the object
    assert not judge(exercise, case, call_student(exercise, fn, case), [want]).passed


@pytest.mark.parametrize("name", ["call-reference", "copy-reference"])
def test_reference_entries_return_the_right_values_through_the_answer_key(correct, target, name):
    from dlkit.checks.core import call_student, get

    namespace: dict = {"np": __import__("numpy")}
    exec(_answer(H.by_name(name).build(correct), target.answer_id), namespace)
    exercise = get(target.exercise_id)
    case = exercise.cases()[1]
    assert namespace[target.function](*case.copy_inputs()[0]) is not None  # computes the right answer...
    outcome = call_student(exercise, namespace[target.function], case)  # ...which the check refuses
    assert outcome.error and "implement yourself" in outcome.error


@pytest.mark.parametrize("name", ["unhook-reference", "reload-reference"])
def test_reference_entries_beat_the_in_process_watch(correct, target, name):
    """The attack is real: where the reference is still loaded and readable (a student's own kernel), these
    answers pass the in-process check; only the grader's withdrawn references and sealed sources stop them."""
    from dlkit.checks.core import call_student, expected_output, get, judge

    module = importlib.import_module(target.reference.rpartition(".")[0])
    saved = dict(vars(module))  # reload replaces the module's functions: put them back for other tests
    try:
        namespace: dict = {"np": __import__("numpy")}
        exec(_answer(H.by_name(name).build(correct), target.answer_id), namespace)
        exercise = get(target.exercise_id)
        case = exercise.cases()[1]
        outcome = call_student(exercise, namespace[target.function], case)
    finally:
        vars(module).clear()
        vars(module).update(saved)
    assert judge(exercise, case, outcome, expected_output(exercise, case)).passed, outcome.error


def _record(target, *, status="graded", points=None, flags=(), repairs=(), timed_out=False, log=""):
    points = points or {}
    gids = (target.check_id, *target.other_checks)
    checks = [{"grade_id": g, "exercise_ids": [], "points": points.get(g, 2.0), "max_points": 2.0, "passed": True,
               "visible_passed": True, "hidden_passed": True, "message": "ok"} for g in gids]
    return {"student_id": "s", "lesson": LESSON, "status": status, "score": 0.0, "max_score": 12.0,
            "timed_out": timed_out, "checks": checks, "flags": list(flags), "repairs": list(repairs), "log_tail": log}


def test_problems_accepts_a_handled_record_and_names_each_miss(target):
    ref = H.by_name("call-reference")
    good = _record(target, points={target.check_id: 0.0}, flags=["called the reference implementation in 01.sigmoid"])
    assert H.problems(ref, good, target) == []
    bad = _record(target, flags=[])
    found = H.problems(ref, bad, target)
    assert any("expected 0" in p for p in found) and any("flag" in p for p in found)

    loop = H.by_name("infinite-loop")
    assert H.problems(loop, _record(target, status="rejected: timed out after 10 s", timed_out=True,
                                    points={target.check_id: 0.0}), target) == []
    assert any("timed_out" in p for p in H.problems(loop, _record(target, status="rejected: time"), target))

    empty = H.by_name("empty-file")
    assert H.problems(empty, _record(target, status="rejected: the file is empty"), target) == []
    assert H.problems(empty, _record(target, status="graded"), target)
    assert any("neither" in p for p in H.problems(empty, _record(target, status="ok"), target))

    secrets = H.by_name("read-secrets")
    leaked = _record(target, log=H.LEAK_TAG + "solutions b'{...}'")
    assert any(H.LEAK_TAG in p for p in H.problems(secrets, leaked, target))
    with pytest.raises(TypeError, match="result record"):
        H.problems(secrets, 42, target)


def test_problems_reads_the_shared_dataclass(target):
    from autograder.results import SubmissionResult

    rec = SubmissionResult.from_dict(_record(target, status="rejected: not valid notebook JSON"))
    assert H.problems(H.by_name("bad-json"), rec, target) == []


def test_write_submissions_and_leftover_detectors(tmp_path, correct):
    paths = H.write_submissions(tmp_path / "class", correct, ["empty-file", "network"], port=5555)
    assert sorted(paths) == ["hostile-empty-file", "hostile-network"]
    assert paths["hostile-empty-file"].read_bytes() == b""
    assert H.stray_markers(tmp_path) == []
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / H.MARKER_FILE).write_text("x")
    assert H.stray_markers(tmp_path) == [tmp_path / "a" / "b" / H.MARKER_FILE]
    before = set(H.lingering_processes())
    sleeper = subprocess.Popen(["sleep", str(H.LINGER_SECONDS)])
    try:
        deadline = time.monotonic() + 5  # the child's command line is set once it has exec'd
        while sleeper.pid not in H.lingering_processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sleeper.pid in set(H.lingering_processes()) - before
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sleeper.pid not in H.lingering_processes()


def test_the_wrong_lesson_entry_uses_ids_no_lesson_can_use():
    """Lessons are numbered 01 to 13 and name exercises with identifiers: 00 and hyphens are free for fakes."""
    from pathlib import Path

    from dlkit.checks import core

    lessons = sorted(p.stem[len("lesson"):] for p in Path(core.__file__).parent.glob("lesson*.py"))
    used = {ex.id for n in lessons for ex in core.all_exercises(n)}
    grade_ids = {f"{ex.id.split('.', 1)[1]}-{kind}" for n in lessons for ex in core.all_exercises(n)
                 for kind in ("answer", "check")}
    assert H.WRONG_LESSON_EXERCISE not in used and H.WRONG_LESSON_EXERCISE.split(".")[0] not in lessons
    assert not set(H.WRONG_LESSON_IDS) & grade_ids
    assert all(not gid.removesuffix("-answer").removesuffix("-check").isidentifier() for gid in H.WRONG_LESSON_IDS)
    with pytest.raises(KeyError):
        core.get(H.WRONG_LESSON_EXERCISE)


def test_target_of_a_lesson_opening_with_a_value_exercise(tmp_path):
    """find_target skips exercises without a reference or of another kind, and names every other check."""
    import importlib.util

    from tests.lessons import fake_lesson

    root = fake_lesson.write(tmp_path)
    name = "dlkit.checks.lesson97"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, root / "dlkit" / "checks" / "lesson97.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    target = H.find_target(fake_lesson.notebook())
    assert (target.answer_id, target.check_id, target.exercise_id) == ("double-answer", "double-check", "97.double")
    assert target.reference == "dlkit.checks.lesson97._double"
    assert target.other_checks == ("offset-check", "classifier-check")
    # offset-check is above the target: a submission that dies in the target's answer cell may have earned it
    # (whether the grader trusts a channel the submission wrote into is its own business), the rest it cannot
    assert (target.earlier_checks, target.later_checks) == (("offset-check",), ("classifier-check",))
    forge = H.by_name("forge-channel").expect(target)
    assert (forge.zero, forge.full) == (("double-check", "classifier-check"), ())
