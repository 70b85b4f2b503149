"""The graded notebook shows the figures each cell drew, and nothing else that claims to be one."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from autograder import harness  # noqa: E402
from autograder.grade import _pngs  # noqa: E402


def _png() -> str:
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def test_only_base64_pngs_within_the_limits_reach_the_notebook():
    good = _png()
    html = base64.b64encode(b'<img src=x onerror="alert(1)">').decode()
    too_big = base64.b64encode(harness.PNG_SIGNATURE + b"\0" * harness.FIGURE_BYTES).decode()
    assert _pngs([good]) == [good]
    assert _pngs([html, good + "<script>", "not base64!", 42, None, too_big]) == []
    assert _pngs("not a list") == [] and _pngs(None) == []
    assert _pngs([good] * 10) == [good] * harness.CELL_FIGURES


def test_the_student_process_sends_the_figures_a_cell_left_open_and_closes_them():
    student = harness.Student.__new__(harness.Student)   # only its figures() is used here
    plt.close("all")
    for _ in range(harness.CELL_FIGURES + 2):
        plt.subplots(figsize=(2, 2))
    sent = student.figures()
    assert len(sent) == harness.CELL_FIGURES and plt.get_fignums() == []
    assert all(base64.b64decode(p).startswith(harness.PNG_SIGNATURE) for p in sent)


def test_the_warden_keeps_a_total_budget_of_figure_bytes():
    warden = harness.Warden.__new__(harness.Warden)
    warden.figure_bytes = harness.TOTAL_FIGURE_BYTES - 10
    assert warden.kept_figures([_png()]) == []
    warden.figure_bytes = 0
    assert len(warden.kept_figures([_png(), "x" * 10, _png()])) == 2


def test_a_cells_value_that_is_a_closed_figure_is_sent_as_the_inline_backend_shows_it():
    from dlkit.plot._base import new_figure

    student = harness.Student.__new__(harness.Student)
    plt.close("all")
    fig, axes = new_figure(1, 1)       # what dlkit.plot returns: drawn, closed, shown as the cell's value
    axes[0, 0].plot([0, 1], [0, 1])
    sent = student.figures(fig)
    assert len(sent) == 1 and base64.b64decode(sent[0]).startswith(harness.PNG_SIGNATURE)
    assert student.figures(None) == []
