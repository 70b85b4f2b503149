"""In a real Jupyter kernel: fit's live plot is one figure updated in place; an explorer executed by nbclient
(no widget frontend) is a picture that nbconvert's HTML shows."""

from __future__ import annotations

import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CELLS = [
    "import os; os.environ.pop('CI', None); os.environ.pop('DLKIT_LIVE_PLOT', None)\n"
    "import torch, dlkit.train, dlkit.widgets\n"
    "x = torch.linspace(-1, 1, 16).unsqueeze(1)\n"
    "loader = [(x, 2 * x)]\n"
    "model = torch.nn.Linear(1, 1)",
    "h = dlkit.train.fit(model, loader, loader, loss_fn=torch.nn.MSELoss(), metrics=(), epochs=3, device='cpu',\n"
    "                    optimizer=torch.optim.SGD(model.parameters(), lr=0.1), progress=False, live_plot=True)",
    "dlkit.widgets.activation_explorer()",
]


@pytest.mark.slow
def test_live_plot_and_explorer_in_a_kernel(repo_root):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    env_backup = {k: os.environ.pop(k) for k in ("CI", "DLKIT_LIVE_PLOT") if k in os.environ}
    try:
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(repo_root)}}).execute()
    finally:
        os.environ.update(env_backup)
    live_outputs = nb.cells[1].outputs
    # one output, replaced in place by each epoch's update (nbclient applies update_display_data to it)
    assert [o.output_type for o in live_outputs] == ["display_data"]
    assert "image/png" in live_outputs[0].data
    explorer = nb.cells[2].outputs[0].data
    assert "application/vnd.jupyter.widget-view+json" not in explorer and "image/png" in explorer
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter().from_notebook_node(nb)
    assert explorer["image/png"][:200] in page   # the picture, not an empty widget area
