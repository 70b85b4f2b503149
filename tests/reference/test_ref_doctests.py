"""Every example in the docstrings of dlkit.reference and dlkit.gradcheck runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import dlkit.gradcheck
import dlkit.reference

MODULES = [importlib.import_module(f"dlkit.reference.{m.name}") for m in pkgutil.iter_modules(dlkit.reference.__path__)
           if not m.name.startswith("_")] + [dlkit.gradcheck]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    has_examples = any(">>>" in (obj.__doc__ or "") for obj in vars(module).values()
                       if getattr(obj, "__module__", None) == module.__name__)
    assert result.attempted > 0 or not has_examples
