"""Shared fixtures: mechanisms loaded once per test process, paths to test data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def h():
    """NEURON's h with mgneuron's mechanisms loaded (once for the whole session)."""
    from neuron import h as _h

    from mgneuron.mechanisms import load

    load()
    return _h


@pytest.fixture
def clean_neuron(h):
    """Yield h and check the test left no sections behind."""
    import gc

    yield h
    gc.collect()
