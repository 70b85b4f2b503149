"""Why cells of a graded notebook did not run, in words a student can act on.

A check that fails because its function was never defined ("`tanh` is not
a function (got NoneType)") hides the real cause. :func:`cell_notes` names
it: a cell that does not parse (with the line and Python's message, found
here by compiling the cell the way IPython would, without running it), a
cell that raised, ran out of memory, or was cut by the time limit. The
grader stores the notes in the record (``cell_notes``) and the feedback page
shows them above the checks.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def tanh(x):\\n    return (x")])
>>> cell_notes(nb, None, "", 1024)[0][:55]
'cell 1 does not run: SyntaxError on line 2 of the cell:'

"""

from __future__ import annotations

import warnings

import nbformat

from autograder import notebooks as nbs
from dlkit.checks.core import known_error_name

#: At most this many notes per record.
MAX_NOTES = 10


def _cell_name(cell, index: int) -> str:
    gid = nbs.grade_id(cell)
    return f"cell `{gid}`" if gid else f"cell {index}"


def syntax_problem(source: str) -> str:
    """``""`` when the cell compiles as IPython would run it, else "SyntaxError on line N of the cell: msg (`line`)"."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        code = TransformerManager().transform_cell(source)
    except (SyntaxError, ValueError) as exc:  # a magic or a line IPython itself cannot read
        return f"IPython cannot read it ({type(exc).__name__}: {str(exc)[:120]})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like: not our business
            compile(code, "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
        if not isinstance(exc, SyntaxError):
            return f"Python cannot compile it ({type(exc).__name__})"
        where = f" on line {exc.lineno} of the cell" if exc.lineno else ""
        text = (exc.text or "").strip()[:80]
        return f"{type(exc).__name__}{where}: {exc.msg}" + (f" (`{text}`)" if text else "")
    return ""


def cell_notes(nb: nbformat.NotebookNode, done: dict | None, stop: str, memory_mb: int) -> list[str]:
    """Notes on the cells that did not run (or stopped the notebook), in notebook order, then how it stopped."""
    notes: list[str] = []
    named: set[str] = set()
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for k, cell in enumerate(code_cells, 1):
        problem = syntax_problem(cell.source) if isinstance(cell.source, str) else ""
        if problem:
            notes.append(f"{_cell_name(cell, k)} does not run: {problem}. Nothing it defines exists for the "
                         f"cells after it; fix it and run it in JupyterLab or Colab before submitting.")
            named.add(str(nbs.grade_id(cell)))
    for err in (done or {}).get("errors", [])[:MAX_NOTES]:
        if not isinstance(err, dict):
            continue
        gid, name = str(err.get("grade_id") or ""), str(err.get("error") or "")
        name = known_error_name(name) if name else ""  # a class of the notebook's own could be named after data
        where = f"cell `{gid}`" if gid else "a cell"
        if gid in named or name in ("SyntaxError", "IndentationError", "TabError"):
            continue
        if name == "MemoryError":
            notes.append(f"{where} ran out of memory (the limit is {memory_mb} MiB); look for very large arrays.")
        elif name in ("SystemExit", "KeyboardInterrupt"):
            notes.append(f"{where} raised {name}; a notebook must not stop itself.")
        elif name:
            notes.append(f"{where} raised {name} when it ran; what it should define may be missing later on.")
    if stop:
        notes.append(f"The notebook stopped: {stop}. The cells after that did not run.")
    return notes[:MAX_NOTES]
