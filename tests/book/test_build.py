"""The book's pages, checked without a browser: what book/build.py makes of a lesson, and the built site."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import dlkit
from dlkit.notebook import colab_url
from tests.book.conftest import load_build_module
from tests.conftest import REPO
from tests.helpers import _meta

build = load_build_module()
# myst-parser still calls an API Sphinx 11 will remove; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning")
LESSONS = build.lessons(REPO)


def _tiny(solution_source: str, student_source: str, *, markdown_answer: bool = False):
    """A solution notebook and the student notebook release would make of it."""
    def notebook(answer, written):
        nb = new_notebook()
        nb.cells = [
            new_markdown_cell("# 99 · Tiny\n\n[![Open In Colab](https://colab.research.google.com/assets/"
                              "colab-badge.svg)](https://colab.research.google.com/github/x/y/blob/main/"
                              "lessons/99-tiny/99-tiny.ipynb)", metadata=_meta("title")),
            new_code_cell(answer, metadata=_meta("relu-answer", solution=True, locked=False)),
            new_code_cell('checks.run("01.relu", relu)' + ("\n### BEGIN HIDDEN TESTS\nchecks.run(\"01.relu\", relu, "
                          "hidden=True)\n### END HIDDEN TESTS" if answer is solution_source else ""),
                          metadata=_meta("relu-check", grade=True, points=1)),
        ]
        if markdown_answer:
            nb.cells.append(new_markdown_cell(written, metadata=_meta("why-answer", solution=True, locked=False)))
        return json.loads(json.dumps(nb))
    return (notebook(solution_source, "### BEGIN SOLUTION\nBecause it is cheap.\n### END SOLUTION"),
            notebook(student_source, "YOUR ANSWER HERE"))


SOLUTION = "def relu(x):\n    ### BEGIN SOLUTION\n    return np.maximum(x, 0.0)\n    ### END SOLUTION"
STUB = "def relu(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def test_an_exercise_shows_the_stub_unrun_then_the_solution_folded():
    solution, student = _tiny(SOLUTION, STUB)
    cells = build.book_notebook(solution, student, "99-tiny")["cells"]
    stub, answer, check = cells[1], cells[2], cells[3]
    assert stub["source"] == STUB and stub["metadata"]["tags"] == ["skip-execution"]
    assert answer["source"] == "def relu(x):\n    return np.maximum(x, 0.0)\n"
    assert answer["metadata"]["tags"] == ["hide-input"]
    assert answer["metadata"]["mystnb"]["code_prompt_show"] == "Show solution"
    assert "HIDDEN" not in check["source"]            # the page runs the student's (visible) checks only
    assert all(c.get("outputs", []) == [] for c in cells)


def test_the_colab_badge_keeps_its_link_and_gets_a_local_picture():
    solution, student = _tiny(SOLUTION, STUB)
    title = build.book_notebook(solution, student, "99-tiny")["cells"][0]["source"]
    assert "(../open-in-colab.svg)" in title and "colab-badge.svg" not in title
    assert "(https://colab.research.google.com/github/x/y/blob/main/lessons/99-tiny/99-tiny.ipynb)" in title


def test_a_written_answer_is_folded_in_a_dropdown():
    solution, student = _tiny(SOLUTION, STUB, markdown_answer=True)
    cells = build.book_notebook(solution, student, "99-tiny")["cells"]
    assert cells[-2]["source"] == "YOUR ANSWER HERE"
    assert cells[-1]["source"].startswith(":::{admonition} Show solution\n:class: dropdown")
    assert "Because it is cheap." in cells[-1]["source"] and "SOLUTION" not in cells[-1]["source"]


def test_a_stale_student_notebook_is_refused_with_the_fix():
    solution, student = _tiny(SOLUTION, STUB)
    del student["cells"][1]
    with pytest.raises(build.BookError, match=r"relu-answer.*stale.*make release"):
        build.book_notebook(solution, student, "99-tiny")


def test_the_lesson_map_lists_every_planned_lesson_and_links_those_that_exist():
    planned = build.planned_lessons(REPO / "README.md")
    assert [number for number, _ in planned] == [f"{n:02d}" for n in range(1, 14)]
    table = build.lesson_map(planned, LESSONS)
    for name in LESSONS:
        assert f"(lessons/{name}.ipynb)" in table
    assert table.count("| planned |") == 13 - len(LESSONS)


def test_a_readme_without_lesson_table_is_refused(tmp_path):
    (tmp_path / "README.md").write_text("# no table\n")
    with pytest.raises(build.BookError, match="lesson table"):
        build.planned_lessons(tmp_path / "README.md")


def test_a_broken_internal_link_fails_the_build(tmp_path):
    repo = tmp_path / "repo"
    solution, student = _tiny(SOLUTION, STUB)
    solution["cells"][0]["source"] += "\n\nNext: [lesson 100](100-missing.ipynb)."
    student["cells"][0]["source"] += "\n\nNext: [lesson 100](100-missing.ipynb)."
    for folder, nb in (("solutions", solution), ("lessons", student)):
        (repo / folder / "99-tiny").mkdir(parents=True)
        (repo / folder / "99-tiny" / "99-tiny.ipynb").write_text(json.dumps(nb))
    (repo / "README.md").write_text("| # | lesson | status |\n|---|---|---|\n| 99 | Tiny | ready |\n")
    build.stage(tmp_path / "out", repo)   # stages fine: the link is only checked by Sphinx
    with pytest.raises(build.BookError, match="Sphinx reported errors"):
        build.build(tmp_path / "out", repo=repo)


def _ran(solution: dict, outputs: dict[int, list[dict]]) -> dict:
    """``solution`` as nbclient returns it after a run: the same cells, with ``outputs`` by cell index."""
    ran = json.loads(json.dumps(solution))
    for index, cell in enumerate(ran["cells"]):
        if cell["cell_type"] == "code":
            cell.update(outputs=outputs.get(index, []), execution_count=index)
    return ran


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def test_an_executed_solution_gives_the_page_its_outputs_and_the_page_is_not_run_again():
    solution, student = _tiny(SOLUTION, STUB)
    figure = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
              "metadata": {}}
    ran = _ran(solution, {1: [figure], 2: [_stream("✔ relu: all 9 checks passed.\n"),
                                            _stream("✔ relu: all 20 hidden checks passed.\n")]})
    page = build.book_notebook(solution, student, "99-tiny", ran)
    stub, answer, check = page["cells"][1:4]
    assert stub["outputs"] == [] and stub["metadata"]["tags"] == ["skip-execution"]
    assert answer["outputs"] == [figure]
    assert check["outputs"] == [_stream("✔ relu: all 9 checks passed.\n")]   # the page's check is the visible one
    assert page["metadata"]["mystnb"] == {"execution_mode": "off"}
    assert "mystnb" not in build.book_notebook(solution, student, "99-tiny")["metadata"]   # make book: Sphinx runs it


def test_the_hidden_confirmation_the_page_cuts_is_what_a_hidden_check_prints(capsys):
    from dlkit import checks

    def relu(x):
        return np.maximum(x, 0.0)

    checks.run("01.relu", relu, hidden=True, seed=3)
    hidden = capsys.readouterr().out
    checks.run("01.relu", relu)
    visible = capsys.readouterr().out
    assert build.HIDDEN_CONFIRMATION.sub("", hidden) == "" and hidden
    assert build.HIDDEN_CONFIRMATION.sub("", visible) == visible


def test_an_executed_notebook_of_other_cells_or_with_a_failing_cell_is_refused():
    solution, student = _tiny(SOLUTION, STUB)
    other = _ran(solution, {})
    other["cells"][1]["source"] = "def relu(x):\n    return x"
    with pytest.raises(build.BookError, match=r"other cells than the solution's.*run the solution again"):
        build.book_notebook(solution, student, "99-tiny", other)
    failed = _ran(solution, {2: [{"output_type": "error", "ename": "CheckFailed", "evalue": "relu: check 1 of 9",
                                  "traceback": []}]})
    with pytest.raises(build.BookError, match=r"cell 2 of solutions/99-tiny/99-tiny.ipynb raised CheckFailed"):
        build.book_notebook(solution, student, "99-tiny", failed)


def test_a_book_built_from_executed_solutions_shows_their_outputs(tmp_path):
    repo = tmp_path / "repo"
    solution, student = _tiny(SOLUTION, STUB)
    for folder, nb in (("solutions", solution), ("lessons", student)):
        (repo / folder / "99-tiny").mkdir(parents=True)
        (repo / folder / "99-tiny" / "99-tiny.ipynb").write_text(json.dumps(nb))
    (repo / "README.md").write_text("| # | lesson | status |\n|---|---|---|\n| 99 | Tiny | ready |\n")
    # Outputs no run of these cells prints: were the page run again, they would not be on it.
    ran = _ran(solution, {2: [_stream("✔ relu: all 9 checks passed (handed in).\n")]})
    (tmp_path / "ran.ipynb").write_text(json.dumps(ran))
    html = build.build(tmp_path / "out", repo=repo, executed={"99-tiny": tmp_path / "ran.ipynb"})
    page = (html / "lessons" / "99-tiny.html").read_text(encoding="utf-8")
    assert "all 9 checks passed (handed in)." in page   # (run, the check cell would fail: it imports nothing)


# -- the site as built -----------------------------------------------------------------------


def test_every_lesson_has_a_page_with_figures_and_no_solution_markers(book_html):
    assert LESSONS, "no lesson found under solutions/"
    for name in LESSONS:
        page = (book_html / "lessons" / f"{name}.html").read_text(encoding="utf-8")
        assert re.search(r'<img [^>]*src="\.\./_images/[0-9a-f]+\.png"', page), f"{name}: no figure"
        assert "Show solution" in page and "YOUR CODE HERE" in page
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "hidden=True", "Traceback"):
            assert marker not in page, f"{name}: {marker!r} appears on the page"


def test_the_site_loads_nothing_from_the_network(book_html):
    for page in book_html.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?:)?//[^"]*"', text)
        assert not remote, f"{page.relative_to(book_html)} loads {remote} from the network"
    assert (book_html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (book_html / "searchindex.js").is_file()


def test_each_badge_opens_the_student_notebook_in_colab(book_html):
    for name in LESSONS:
        page = (book_html / "lessons" / f"{name}.html").read_text(encoding="utf-8")
        links = set(re.findall(r'href="(https://colab\.research\.google\.com/github/[^"]+)"', page))
        student = json.loads((REPO / "lessons" / name / f"{name}.ipynb").read_text())
        stamped = set(re.findall(r"\]\((https://colab\.research\.google\.com/github/[^)]+)\)",
                                 "".join(student["cells"][0]["source"])))
        assert links and links == stamped, f"{name}: badge {links} differs from the student notebook's {stamped}"
        repo = dlkit.REPOSITORY_URL.removeprefix("https://github.com/").removesuffix(".git")
        (link,) = links
        assert link.startswith(f"https://colab.research.google.com/github/{repo}/blob/")
        assert link.endswith(f"/lessons/{name}/{name}.ipynb")
        assert colab_url(f"lessons/{name}/{name}.ipynb").rsplit("/blob/", 1)[0] == link.rsplit("/blob/", 1)[0]
