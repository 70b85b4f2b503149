"""The headless chromium the browser tests share, one per test session (tests/book, the formgrader test).

The browser is Debian's chromium (``apt-get install -y chromium chromium-driver``),
driven by playwright with ``executable_path``; no browser is ever downloaded.
Under ``CI`` a missing browser fails the tests; elsewhere they skip and say how
to install it. Screenshots go to ``build/test-artifacts/book/`` (printed at the
end of the run). The root conftest imports these fixtures, so every test module
gets the same session's browser: playwright's sync API runs one per process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("DLKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("install Debian's chromium: `apt-get update && apt-get install -y chromium chromium-driver` "
                "(or point DLKIT_CHROMIUM at a chromium binary)")
ARTIFACTS = REPO / "build" / "test-artifacts" / "book"


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
