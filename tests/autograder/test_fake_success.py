"""Printed text that imitates a passing check is flagged, in every wording a check cell uses."""

from __future__ import annotations

import pytest

from autograder.grade import _fake_success


@pytest.mark.parametrize("text, fake", [
    ("✔ sigmoid: all 4 checks passed.", True),
    ("✔ neuron: the check passed.", True),
    ("✔ sigmoid: all 7 hidden checks passed.", True),
    ("loss after 10 epochs: 0.12", False),
    ("3 checks failed", False),
])
def test_imitated_pass_lines_are_recognised(text, fake):
    assert _fake_success({"cells": [{"text": text}]}) is fake
    assert _fake_success(None) is False
