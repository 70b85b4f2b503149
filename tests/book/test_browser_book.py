"""The book in a real browser (headless chromium): pages load offline, maths and figures show, toggles work."""

from __future__ import annotations

import pytest

from tests.book.conftest import load_build_module
from tests.conftest import REPO

LESSONS = load_build_module().lessons(REPO)
pytestmark = pytest.mark.slow


@pytest.fixture()
def page(chromium, book_url):
    """A tab that may only talk to the book's server: any other request is refused and recorded."""
    tab = chromium.new_page()
    tab.problems = []
    tab.on("console", lambda m: m.type in ("error", "warning") and tab.problems.append(f"console {m.type}: {m.text}"))
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: tab.problems.append(f"request failed: {r.url}"))

    def refuse(route):
        if route.request.url.startswith(book_url + "/"):
            route.continue_()
        else:
            tab.problems.append(f"network request: {route.request.url}")
            route.abort()

    tab.route("**/*", refuse)
    yield tab
    tab.close()


def _open(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")


def test_the_landing_page_shows_the_lesson_map(page, book_url, artifacts):
    _open(page, f"{book_url}/index.html")
    assert "Deep learning" in page.title() or "dlkit" in page.title()
    table = page.locator("table").filter(has_text="builds on")
    assert table.locator("tbody tr").count() == 13
    for name in LESSONS:
        link = table.locator(f'a[href="lessons/{name}.html"]')
        assert link.is_visible(), f"the lesson map has no visible link to {name}"
    assert page.get_by_role("link", name="grading the lessons").is_visible()
    page.screenshot(path=artifacts / "landing.png", full_page=True)
    assert page.problems == []


@pytest.mark.parametrize("name", LESSONS)
def test_a_lesson_page_renders_maths_figures_toggles_and_badge(page, book_url, artifacts, name):
    _open(page, f"{book_url}/lessons/{name}.html")
    page.screenshot(path=artifacts / f"{name}-top.png")
    # typeset maths: MathJax (served by the book) replaced the TeX with its own elements
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
    page.evaluate("() => MathJax.startup.promise")
    maths = page.locator("mjx-container")
    assert maths.count() > 5 and maths.first.bounding_box()["width"] > 0
    # a figure that has loaded and has a size on screen
    figure = page.locator('.cell_output img[src*="_images/"]').first
    figure.scroll_into_view_if_needed()
    assert figure.is_visible() and figure.evaluate("img => img.complete && img.naturalWidth > 100")
    # the badge opens the student notebook in Colab, and its (local) picture loaded
    badge = page.locator('a[href^="https://colab.research.google.com/github/"]').first
    assert badge.get_attribute("href").endswith(f"/lessons/{name}/{name}.ipynb")
    assert badge.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    # the first solution: folded, opens on a click, folds again on a second
    toggle = page.locator("details.hide", has=page.locator("summary", has_text="Show solution")).first
    summary, code = toggle.locator("summary"), toggle.locator(".cell_input")
    summary.scroll_into_view_if_needed()
    assert not code.is_visible()
    summary.click()
    assert code.is_visible() and "return" in code.inner_text()
    assert toggle.locator("summary").inner_text().strip() == "Hide solution"
    page.mouse.wheel(0, -250)
    page.wait_for_timeout(600)     # let the theme's unfolding animation finish before the picture
    page.screenshot(path=artifacts / f"{name}-solution.png")
    summary.click()
    assert not code.is_visible()
    page.screenshot(path=artifacts / f"{name}-full.png", full_page=True)
    assert page.problems == []


def test_search_finds_a_lesson(page, book_url):
    _open(page, f"{book_url}/search.html?q=softmax")
    results = page.locator("#search-results a")
    results.first.wait_for(timeout=20_000)
    assert any(f"lessons/{name}.html" in (results.nth(i).get_attribute("href") or "")
               for i in range(results.count()) for name in LESSONS)
    assert page.problems == []
