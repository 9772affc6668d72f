"""Helpers shared by the runner tests: comparing two results files, a Python command."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from mgneuron.results import read_conditions, read_features, read_spikes, read_traces

ROOT = Path(__file__).resolve().parents[2]


def same_content(a: Path, b: Path) -> None:
    """Same conditions, features, traces and spikes (run times and write order aside)."""
    ca, cb = read_conditions(a), read_conditions(b)
    pd.testing.assert_frame_equal(ca.drop(columns="run_s"), cb.drop(columns="run_s"))
    pd.testing.assert_frame_equal(
        read_features(a).drop(columns="run_s"), read_features(b).drop(columns="run_s")
    )
    pd.testing.assert_frame_equal(read_traces(a), read_traces(b))
    pd.testing.assert_frame_equal(read_spikes(a), read_spikes(b))


def python(code: str) -> list[str]:
    """``python -c code`` with this repository importable."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"]
