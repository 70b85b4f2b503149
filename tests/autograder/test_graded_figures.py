"""The graded notebook shows the figures each cell drew, and nothing else that claims to be one."""

from __future__ import annotations

import base64
import functools
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


class _Picture:
    """A value that is not matplotlib's but has a PNG representation (as a widget's snapshot may)."""

    def __init__(self, png: bytes):
        self.png = png

    def _repr_png_(self):
        return self.png

    def __repr__(self):
        return "<a picture>"


def _student_with_shell():
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    student = harness.Student.__new__(harness.Student)
    student.open_shell()
    return student


def test_a_value_with_a_png_representation_is_sent_and_its_text_printed():
    from IPython.core.interactiveshell import InteractiveShell

    png = base64.b64decode(_png())
    student = _student_with_shell()
    try:
        student.shell.user_ns["picture"] = _Picture(png)
        reply = student.cell("picture")
        assert reply["error"] is None and "<a picture>" in reply["text"]
        assert [base64.b64decode(p) for p in reply["figures"]] == [png]
        assert student.shell.display_formatter.active_types == ["text/plain"]  # as it was before the picture
    finally:
        InteractiveShell.clear_instance()


def test_a_returned_figure_is_drawn_once_even_with_sharp_inline_figures_asked_for(monkeypatch):
    """The lesson's setup asks IPython for 2x inline PNGs: the bare shell's display hook must not draw them."""
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    from dlkit.plot._base import new_figure

    student = _student_with_shell()
    try:
        set_matplotlib_formats("retina")
        plt.close("all")
        fig, axes = new_figure(1, 1)
        axes[0, 0].plot([0, 1], [0, 1])
        drawn = []
        real = FigureCanvasAgg.print_png

        @functools.wraps(real)  # matplotlib passes only the arguments the signature names
        def counted(self, *args, **kwargs):
            drawn.append(1)
            return real(self, *args, **kwargs)
        monkeypatch.setattr(FigureCanvasAgg, "print_png", counted)
        student.shell.user_ns["fig"] = fig
        reply = student.cell("fig")
        assert reply["error"] is None and "Figure" in reply["text"]
        assert len(reply["figures"]) == 1 and len(drawn) == 1
    finally:
        InteractiveShell.clear_instance()
