"""The examples in dlkit.data's docstrings run and print what they claim (offline)."""

from __future__ import annotations

import doctest
import importlib

import pytest

import dlkit.data

MODULES = ["splits", "embedded", "sequences", "text", "full", "formats", "download"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"dlkit.data.{name}")
    result = doctest.testmod(module, extraglobs={"data": dlkit.data}, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
