"""``from dlkit import data`` stays cheap: scikit-learn (about a second, with scipy) loads only when a loader needs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy")


def heavy_modules_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; return which of :data:`HEAVY` it has imported by the end."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the probe failed:\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_dlkit_data_does_not_import_sklearn():
    loaded = heavy_modules_after("import dlkit.data")
    assert loaded == [], (f"`import dlkit.data` imported {loaded}; import scikit-learn inside the functions "
                          f"that need it (see dlkit.data.embedded._sklearn_datasets)")


def test_a_loader_still_imports_sklearn_when_it_needs_it():
    # the probe above can fail: a loader that uses scikit-learn shows up in it
    loaded = heavy_modules_after("from dlkit import data\nds = data.load_iris(seed=0)\n"
                                 "assert ds.X_train.shape[1] == 4, ds")
    assert "sklearn" in loaded, f"load_iris ran but the probe saw only {loaded}"
