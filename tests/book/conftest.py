"""Shared by the book tests: the book built once per session and served on 127.0.0.1 (the browser: tests/browser.py).

The browser is Debian's chromium (``apt-get install -y chromium chromium-driver``),
driven by playwright with ``executable_path``; no browser is ever downloaded.
Under ``CI`` a missing browser fails the tests; elsewhere they skip and say how
to install it. Screenshots go to ``build/test-artifacts/book/`` (printed at the
end of the run).
"""

from __future__ import annotations

import importlib.util
import re
import threading
import time
import warnings
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, INSTALL_HINT  # noqa: F401 (the browser lives in tests/browser.py)
from tests.conftest import REPO

#: The book the tests build; apart from build/book (``make book``), whose pages Sphinx executes itself.
BOOK_OUT = REPO / "build" / "book-tests"
#: A check cell's hidden part (in solutions/ only), cut where a test runs a solution without the grader's seed.
HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.DOTALL)


def load_build_module():
    """``book/build.py`` as a module (the book folder is not a package)."""
    spec = importlib.util.spec_from_file_location("dlkit_book_build", REPO / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def book_build():
    return load_build_module()


def executed_solutions() -> dict[str, Path]:
    """Every lesson's executed solution notebook, run once per test session and shared with the lesson-run tests.

    Under pytest-xdist another worker may be running a lesson right now: the lessons nobody is running are
    run here first, then this waits for the others (no lesson runs twice).
    """
    from tests.lessons.course import LESSONS, executed_solution

    found = {}
    for wait in (False, True):
        for lesson in LESSONS:
            if lesson.name not in found:
                path = executed_solution(lesson, wait=wait)
                if path is not None:
                    found[lesson.name] = path
    return found


@pytest.fixture(scope="session")
def book_html(book_build) -> Path:
    """The book, built once per session into build/book-tests from this session's executions of the solutions.

    Each page shows the outputs of its solution's run in tests/lessons, the hidden checks' lines cut (Sphinx
    runs no lesson again); ``make book`` builds the same pages into build/book and runs them itself.
    """
    from filelock import FileLock

    executed = executed_solutions()
    BOOK_OUT.mkdir(parents=True, exist_ok=True)
    with FileLock(str(BOOK_OUT / ".lock")):     # pytest-xdist workers share one build
        started = time.perf_counter()
        with warnings.catch_warnings():   # Sphinx's notices to the extensions' authors, not ours
            warnings.simplefilter("ignore")
            html = book_build.build(BOOK_OUT, executed=executed)
        print(f"\nbook built in {time.perf_counter() - started:.1f} s")
    return html


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def book_url(book_html):
    """The built book served on 127.0.0.1 (as a reader gets it from a web server; search needs http)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(book_html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


