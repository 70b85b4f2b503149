"""An nbconvert preprocessor for nbgrader's feedback: tracebacks that quote hidden checks lose those lines.

nbgrader's ``ClearHiddenTests`` removes the hidden-test lines from a check
cell's source, but not from the error output the cell left in the
autograded notebook: IPython's traceback quotes the lines around the one
that raised, ``checks.run(..., hidden=True)`` included. nbgrader's
``generate_feedback`` would show them. :class:`ClearHiddenTracebacks` (named
in ``autograder/nbgrader_config.py`` after ``ClearHiddenTests``) drops every
line of an error output that quotes a hidden check, and replaces an error
message that does.

>>> import nbformat
>>> cell = nbformat.v4.new_code_cell("checks.run('01.relu', relu)")
>>> cell.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="relu: check 1 failed",
...     traceback=["Cell In[3], line 1\\n----> 1 checks.run('01.relu', relu)\\n      2 checks.run('01.relu', relu, hidden=True)"])]
>>> nb = nbformat.v4.new_notebook(cells=[cell])
>>> nb, _ = ClearHiddenTracebacks()(nb, {})  # as nbconvert calls it (only when enabled)
>>> nb.cells[0].outputs[0].traceback
["Cell In[3], line 1\\n----> 1 checks.run('01.relu', relu)"]
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

#: What marks a hidden check in a check cell's source.
HIDDEN = re.compile(r"hidden\s*=\s*True|BEGIN HIDDEN TESTS|END HIDDEN TESTS")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _quotes_hidden(line: str) -> bool:
    return bool(HIDDEN.search(_ANSI.sub("", line)))


class ClearHiddenTracebacks(Preprocessor):
    """Remove the lines of error outputs that quote a hidden check (see the module docstring)."""

    enabled = Bool(True, help="on by default: nbgrader registers it by name, without enabling it").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            kept = []
            for entry in output.get("traceback", []):
                lines = [ln for ln in str(entry).split("\n") if not _quotes_hidden(ln)]
                if any(ln.strip() for ln in lines):
                    kept.append("\n".join(lines))
            output["traceback"] = kept
            if _quotes_hidden(str(output.get("evalue", ""))):
                output["evalue"] = "a hidden check failed"
        return cell, resources
