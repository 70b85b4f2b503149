"""A student's JupyterLab in headless chromium: the lesson's widgets and the live training plot really render.

JupyterLab runs on 127.0.0.1 with the settings `make lab` uses (lab-config/),
on a copy of each lesson that has widgets: its cells up to the last widget,
with the solutions in place, then one cell that trains a tiny model with
``live_plot=True``. The test runs every cell from the Run menu, moves a slider
and checks that the explorer redraws, and that the training curves are one
picture updated in place.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.book.conftest import HIDDEN_TESTS, load_build_module
from tests.conftest import REPO

# One worker runs the module under --dist loadgroup: JupyterLab (a module fixture) starts once, not per worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("jupyterlab")]
WIDGET = re.compile(r"\bwidgets\.\w+\(|live_plot\s*=")
LIVE_PLOT_CELL = """\
import torch
from dlkit.plot.live import LivePlot
from dlkit.train import fit

torch.manual_seed(0)
xs = torch.randn(64, 2)
batches = [(xs[i:i + 16], (xs[i:i + 16].sum(1) > 0).long()) for i in range(0, 64, 16)]
net = torch.nn.Linear(2, 2)
live = LivePlot()
history = fit(net, batches, batches, loss_fn=torch.nn.CrossEntropyLoss(), epochs=4, progress=False,
              optimizer=torch.optim.SGD(net.parameters(), lr=0.5), live_plot=live)
print(f"live plot: mode {live.mode}, {live.updates} updates")"""


def _widget_lessons():
    found = []
    for name in load_build_module().lessons(REPO):
        nb = json.loads((REPO / "solutions" / name / f"{name}.ipynb").read_text())
        if any(c["cell_type"] == "code" and WIDGET.search("".join(c["source"])) for c in nb["cells"]):
            found.append(name)
    return found


def _lab_notebook(name: str) -> dict:
    """The lesson's cells up to its last widget (solutions in, hidden checks out), then the live-plot cell."""
    nb = json.loads((REPO / "solutions" / name / f"{name}.ipynb").read_text())
    cells = nb["cells"]
    last = max(i for i, c in enumerate(cells) if c["cell_type"] == "code" and WIDGET.search("".join(c["source"])))
    kept = []
    for cell in cells[:last + 1]:
        cell = dict(cell, source=HIDDEN_TESTS.sub("", "".join(cell["source"])))
        if cell["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None)
        kept.append(cell)
    kept.append({"cell_type": "code", "metadata": {}, "source": LIVE_PLOT_CELL, "outputs": [],
                 "execution_count": None})
    return dict(nb, cells=kept)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab as `make lab` starts it (lab-config/), on 127.0.0.1, in a folder of its own."""
    home = tmp_path_factory.mktemp("lab")
    (home / "work").mkdir()
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DLKIT_LIVE_PLOT", "MPLBACKEND")}
    env.update(JUPYTER_CONFIG_DIR=str(REPO / "lab-config"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_DATA_DIR=str(home / "data"), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={home / 'work'}", "--allow-root"]
    # Open the notebook with its own kernel rather than asking which one (a dialog a script would have to answer).
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    # Every cell in the page (no windowing), so the test can read every prompt without scrolling.
    tracker.write_text(json.dumps({"autoStartDefaultKernel": True, "windowingMode": "none"}))
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home / "work")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
    try:
        yield {"base": base, "token": token, "work": home / "work", "log": home / "lab.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_the_student_lab_has_no_authoring_tools(lab):
    for path in ("formgrader", "formgrader/api/assignments"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{lab['base']}/{path}?token={lab['token']}", timeout=10)
        assert refused.value.code == 404, f"/{path} answered {refused.value.code}"
    page = urllib.request.urlopen(f"{lab['base']}/lab?token={lab['token']}", timeout=20).read().decode()
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.DOTALL).group(1))
    disabled = set(config["disabledExtensions"])
    for plugin in ("@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:menu",
                   "@jupyterlab/apputils-extension:announcements"):
        assert plugin in disabled, f"{plugin} is enabled in the students' JupyterLab"
    assert "@jupyter/nbgrader:validate-assignment" not in disabled


def _wait(page, screenshot, expression, **kwargs):
    """``page.wait_for_function``, keeping a screenshot of what the page showed when it timed out."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(expression, **kwargs)
    except PlaywrightTimeout:
        page.screenshot(path=screenshot)
        print(page.evaluate("() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent)"))
        raise


STATE = """() => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
        .map(e => e.textContent);
    return {shown: prompts.length, pending: prompts.findIndex(t => !/\\[\\d+\\]/.test(t)),
            running: prompts.some(t => t.includes('*')),
            busy: !!document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="busy"]')};
}"""


def _run_all(page, notebook, screenshot, code_cells: int, timeout: float = 240) -> None:
    """Run every code cell from the Run menu, as a student would.

    Done when all ``code_cells`` prompts show an execution count: a notebook
    still being drawn shows fewer prompts, none of them pending. A kernel that
    is still settling (just started, its websocket reconnecting) can drop
    queued cells without a word; when nothing runs and cells are left, this
    starts again from the first one not run ("Run Selected Cell and All Below").
    """
    deadline = time.monotonic() + timeout
    command = "Run All Cells"
    while time.monotonic() < deadline:
        state = page.evaluate(STATE)
        if state["shown"] < code_cells:
            page.wait_for_timeout(500)
            continue
        if state["pending"] < 0:
            return
        if state["running"] or state["busy"]:
            page.wait_for_timeout(1000)
            continue
        if command != "Run All Cells":
            notebook.locator(".jp-CodeCell").nth(state["pending"]).locator(".jp-InputPrompt").click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=command, exact=True).click()
        command = "Run Selected Cell and All Below"
        page.wait_for_timeout(3000)
    page.screenshot(path=screenshot)
    pytest.fail(f"the cells did not all run within {timeout:.0f} s: {page.evaluate(STATE)}")


@pytest.mark.parametrize("name", _widget_lessons())
def test_widgets_and_live_plot_render_and_respond(lab, chromium, artifacts, name):
    notebook_json = _lab_notebook(name)
    (lab["work"] / f"{name}.ipynb").write_text(json.dumps(notebook_json))
    code_cells = sum(c["cell_type"] == "code" for c in notebook_json["cells"])
    page = chromium.new_page()
    outside = []

    def only_local(route):
        if route.request.url.startswith(lab["base"] + "/") or route.request.url.startswith("ws://127.0.0.1"):
            route.continue_()
        else:   # refused; the Colab badge's picture is the lesson's own content, JupyterLab itself asks nothing
            if route.request.url != "https://colab.research.google.com/assets/colab-badge.svg":
                outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    # A workspace of its own: otherwise JupyterLab reopens the previous lesson's tab, hidden behind this one.
    page.goto(f"{lab['base']}/lab/workspaces/{name}/tree/{name}.ipynb?token={lab['token']}")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.locator(".jp-Cell").first.wait_for(timeout=90_000)
    _wait(page, artifacts / f"lab-{name}-kernel.png",    # the kernel has started and answered
          "() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status=\"idle\"]')",
          timeout=90_000)
    assert not page.get_by_role("menuitem", name="Nbgrader").count()
    assert not page.get_by_text("Would you like to receive official Jupyter news?").count()

    _run_all(page, notebook, artifacts / f"lab-{name}-run-all.png", code_cells)
    errors = notebook.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, tracebacks[0][-2000:]

    # the explorer: a live widget (not its static picture) with sliders and a figure
    explorer = notebook.locator(".jp-OutputArea-output .widget-vbox").first
    try:
        explorer.wait_for(state="visible", timeout=90_000)   # its view drawn, not only attached
    except Exception:
        page.screenshot(path=artifacts / f"lab-{name}-no-widget.png", full_page=True)
        shown = page.evaluate("""() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]
            .filter(o => /explorer|widget|Loading/i.test(o.outerHTML)).map(o => o.outerHTML.slice(0, 600))""")
        pytest.fail(f"no live explorer widget in the notebook; outputs that mention one: {shown}\n"
                    f"JupyterLab's log: {lab['log'].read_text()[-3000:]}")
    explorer.scroll_into_view_if_needed()
    picture = explorer.locator("img.widget-image")
    picture.wait_for(timeout=90_000)
    assert picture.evaluate("img => img.complete && img.naturalWidth > 100")
    slider = explorer.locator(".widget-slider").first
    readout = slider.locator(".widget-readout")
    before = (readout.inner_text(), picture.get_attribute("src"))
    page.screenshot(path=artifacts / f"lab-{name}-widget.png")
    handle = slider.locator(".noUi-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function("([r, v]) => r.textContent !== v", arg=[readout.element_handle(), before[0]],
                           timeout=90_000)
    page.wait_for_function("([img, src]) => img.getAttribute('src') !== src && img.complete && img.naturalWidth > 100",
                           arg=[picture.element_handle(), before[1]], timeout=90_000)
    page.screenshot(path=artifacts / f"lab-{name}-widget-moved.png")

    # the live plot: one picture, replaced in place at each of the 4 epochs
    last = notebook.locator(".jp-CodeCell").last
    last.scroll_into_view_if_needed()
    assert "live plot: mode display, 4 updates" in last.locator(".jp-OutputArea").inner_text()
    curves = last.locator(".jp-OutputArea-output img")
    assert curves.count() == 1 and curves.first.evaluate("img => img.complete && img.naturalWidth > 100")
    page.screenshot(path=artifacts / f"lab-{name}-live-plot.png")
    assert outside == [], f"JupyterLab reached outside 127.0.0.1: {outside}"
    page.close()
