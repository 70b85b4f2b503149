"""A Moodle-shaped class graded with one call: summary, exit code, seed guard, cell notes, and the
workspace as a working nbgrader course (bare ``nbgrader export``, formgrader's HTTP API on 127.0.0.1)."""

from __future__ import annotations

import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder import hostile as H
from autograder.__main__ import main
from autograder.feedback import write_feedback
from autograder.grade import grade_lesson
from autograder.results import load_results
from autograder.sandbox import Limits, probe
from autograder.seeds import SeedMismatch
from autograder.synthetic import fill
from tests.autograder import lms_fixtures as fx
from tests.autograder.grade_support import LESSON, lite_lesson, released

pytestmark = pytest.mark.skipif(probe()[0] is None, reason="no working bubblewrap here")

SEED = 424242
# participant id -> (name, what they handed in)
CLASS = {"80001": ("Alice Anders", "correct"), "80006": ("王小明", "blank"),
         "80005": ("Émile Zola", "syntax"), "80002": ("Bruno Díaz", "sleeps")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("moodle")
    source_root, release_root = lite_lesson(root)
    base = released(release_root)
    correct = H.correct_notebook(LESSON, base)
    kinds = {"correct": correct, "blank": base,
             "syntax": fill(correct, {"tanh-answer": "def tanh(x):\n    x = np.asarray(x\n    return x"}),
             "sleeps": fill(correct, {"relu-answer": "import time\ntime.sleep(600)"})}
    files = {f"{name}_{pid}_assignsubmission_file_/{fx.NB_NAME}": H._dump(kinds[kind])
             for pid, (name, kind) in CLASS.items()}
    files["???.ipynb"] = H._dump(correct)  # belongs to no one: listed, counted, never graded
    download = fx.write_zip(root / "moodle.zip", files)
    ws = root / "ws"
    summary = grade_lesson(LESSON, download, ws, jobs=2, limits=Limits(timeout_s=25), seed=SEED, progress=False,
                           source_root=source_root, release_root=release_root)
    return root, ws, summary, download, (source_root, release_root)


def test_summary_separates_graded_timed_out_rejected_unattributed(graded):
    _, ws, summary, *_ = graded
    assert (summary.count("graded"), summary.count("timed_out"), summary.count("rejected")) == (3, 1, 0)
    assert summary.unattributed == 1 and summary.anything_graded
    assert "3 graded, 1 timed out, 0 rejected, 1 file(s) attributed to no student" in summary.line()
    records = {r.student_id: r for r in load_results(ws, LESSON)}
    assert set(records) == set(CLASS)  # every student once, under the Moodle participant id
    assert records["80001"].score == records["80001"].max_score > 0 and records["80006"].score == 0


def test_feedback_says_why_cells_did_not_run(graded):
    _, ws, *_ = graded
    records = {r.student_id: r for r in load_results(ws, LESSON)}
    syntax = " ".join(records["80005"].cell_notes)
    assert "`tanh-answer` does not run: SyntaxError on line 2 of the cell" in syntax
    assert "time limit" in " ".join(records["80002"].cell_notes)
    assert records["80001"].cell_notes == []
    pages = {p.parent.parent.name: p.read_text(encoding="utf-8") for p in write_feedback(ws, LESSON, seed=SEED)}
    assert "Cells that did not run" in pages["80005"] and "SyntaxError on line 2" in pages["80005"]
    assert "Cells that did not run" not in pages["80001"]


def test_another_seed_asks_for_regrade(graded):
    root, ws, _, download, (source_root, release_root) = graded
    before = {p.name: p.read_bytes() for p in (ws / "results" / LESSON).glob("*.json")}
    with pytest.raises(SeedMismatch, match="--regrade"):
        grade_lesson(LESSON, download, ws, seed=SEED + 1, progress=False, source_root=source_root,
                     release_root=release_root)
    assert {p.name: p.read_bytes() for p in (ws / "results" / LESSON).glob("*.json")} == before
    with pytest.raises(SeedMismatch):
        write_feedback(ws, LESSON, seed=SEED + 1)


def _nbgrader_env() -> dict[str, str]:
    bindir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "PYTHONWARNINGS": "ignore"}


def test_bare_nbgrader_export_in_the_workspace(graded):
    _, ws, *_ = graded
    ours = (ws / "grades.csv").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=ws, capture_output=True, text=True,
                          env=_nbgrader_env(), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (ws / "grades.csv").read_bytes() == ours  # nbgrader writes its own file, never over ours
    with open(ws / "nbgrader-grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    records = {r.student_id: r for r in load_results(ws, LESSON)}
    assert set(rows) == set(records)
    for sid, row in rows.items():
        assert float(row["score"]) == records[sid].score
        assert row["timestamp"]
    assert (rows["80001"]["first_name"], rows["80001"]["last_name"]) == ("Alice", "Anders")
    assert rows["80006"]["last_name"] == "王小明"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str):
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=20) as resp:
        return json.loads(resp.read().decode("utf-8"))


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory):
    """formgrader (a Jupyter server with nbgrader's extension) on 127.0.0.1, serving the graded workspace."""
    _, ws, *_ = graded
    home = tmp_path_factory.mktemp("formgrader")
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "server", "--no-browser", "--ServerApp.allow_root=True",
           f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={ws}", "--ServerApp.port_retries=0",
           '--ServerApp.jpserver_extensions={"nbgrader.server_extensions.formgrader": True}']
    env = {**_nbgrader_env(), "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_CONFIG_DIR": str(home / "cfg")}
    log = open(home / "server.log", "w")
    server = subprocess.Popen(cmd, cwd=ws, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(f"{base}/formgrader/api/assignments", token)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("formgrader did not start:\n" + (home / "server.log").read_text()[-3000:])
                time.sleep(1)
        yield {"base": base, "token": token, "ws": ws}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_formgrader_shows_the_same_grades(formgrader):
    ws, token = formgrader["ws"], formgrader["token"]
    base = f"{formgrader['base']}/formgrader/api"
    assignments = _get(f"{base}/assignments", token)
    records = {r.student_id: r for r in load_results(ws, LESSON)}
    [assignment] = [a for a in assignments if a["name"] == LESSON]
    assert assignment["num_submissions"] == len(records)
    subs = {s["student"]: s for s in _get(f"{base}/submissions/{LESSON}", token)}
    assert set(subs) == set(records)
    for sid, sub in subs.items():
        assert sub["autograded"] is True and sub["needs_manual_grade"] is False, sub
        assert sub["score"] == records[sid].score and sub["timestamp"]
    assert (subs["80001"]["first_name"], subs["80001"]["last_name"]) == ("Alice", "Anders")
    notebooks = _get(f"{base}/submitted_notebooks/{LESSON}/{LESSON}", token)
    assert {n["student"] for n in notebooks} == set(records)
    assert not any(n["needs_manual_grade"] for n in notebooks)


def test_formgrader_pages_in_a_browser(formgrader, chromium, artifacts):
    """What the instructor sees: Manage Assignments lists the lesson; a submission opens with its grades."""
    base, token = formgrader["base"], formgrader["token"]
    page = chromium.new_page()
    try:
        page.goto(f"{base}/formgrader?token={token}")
        row = page.locator("tr", has_text=LESSON).first
        row.wait_for()
        assert str(len(load_results(formgrader["ws"], LESSON))) in row.inner_text()   # its submissions counted
        page.screenshot(path=artifacts / "formgrader-manage-assignments.png", full_page=True)

        notebooks = _get(f"{base}/formgrader/api/submitted_notebooks/{LESSON}/{LESSON}", token)
        alice = next(n for n in notebooks if n["student"] == "80001")
        page.goto(f"{base}/formgrader/submissions/{alice['id']}/?token={token}")
        page.get_by_text("def relu", exact=False).first.wait_for()
        scores = page.locator("input.score")
        assert scores.count() > 0 and all(float(v) > 0 for v in scores.evaluate_all("els => els.map(e => e.value)")
                                          if v), "the correct submission shows no points"
        page.screenshot(path=artifacts / "formgrader-submission.png", full_page=True)
    finally:
        page.close()


def test_cli_exits_non_zero_when_nothing_was_graded(tmp_path, capsys):
    empty = tmp_path / "download"
    empty.mkdir()
    (empty / "readme.txt").write_text("the LMS gave me only this")
    code = main(["grade", "01", str(empty), "--workspace", str(tmp_path / "ws"), "--seed", "1"])
    captured = capsys.readouterr()
    assert code == 3 and "NOTHING WAS GRADED" in captured.err
