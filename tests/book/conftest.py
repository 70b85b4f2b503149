"""Shared by the book and browser tests: the book built once per session, and a headless chromium.

The browser is Debian's chromium (``apt-get install -y chromium chromium-driver``),
driven by playwright with ``executable_path``; no browser is ever downloaded.
Under ``CI`` a missing browser fails the tests; elsewhere they skip and say how
to install it. Screenshots go to ``build/test-artifacts/book/`` (printed at the
end of the run).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
import threading
import time
import warnings
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = os.environ.get("DLKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("install Debian's chromium: `apt-get update && apt-get install -y chromium chromium-driver` "
                "(or point DLKIT_CHROMIUM at a chromium binary)")
ARTIFACTS = REPO / "build" / "test-artifacts" / "book"
BOOK_OUT = REPO / "build" / "book"
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


@pytest.fixture(scope="session")
def book_html(book_build) -> Path:
    """The book, built once per session into build/book (the executed outputs stay cached there)."""
    from filelock import FileLock

    BOOK_OUT.mkdir(parents=True, exist_ok=True)
    with FileLock(str(BOOK_OUT / ".lock")):     # pytest-xdist workers share one build
        started = time.perf_counter()
        with warnings.catch_warnings():   # Sphinx's notices to the extensions' authors, not ours
            warnings.simplefilter("ignore")
            html = book_build.build(BOOK_OUT)
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


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def _need(condition: bool, why: str) -> None:
    if condition:
        return
    if _in_ci():
        pytest.fail(f"{why}; CI runs the browser tests and never skips them: {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{why}: {INSTALL_HINT}")


@pytest.fixture(scope="session")
def chromium():
    """A headless chromium (Debian's), driven by playwright; a fresh profile per session."""
    _need(Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK), f"no chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "the playwright package is missing (pip install -e '.[dev]')")
    profile = tempfile.mkdtemp(prefix="dlkit-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900}, service_workers="block")
        # The suite runs two workers on two cores: a page or a kernel may wait its turn for a CPU. Waits
        # that end on a condition (an element, an idle network) get 90 s instead of playwright's 30 s.
        context.set_default_timeout(90_000)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter):
    if ARTIFACTS.is_dir() and any(ARTIFACTS.iterdir()):
        terminalreporter.section("browser screenshots")
        terminalreporter.write_line(f"saved in {ARTIFACTS}")
