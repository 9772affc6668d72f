"""The sensitivity figure: one panel per feature, drawn from the results file."""

from __future__ import annotations

import math

from mgneuron.plots.sensitivity import plot_sensitivity
from mgneuron.runner.sensitivity import run_sensitivity
from tests.analysis._protocols import Ishigami

PI = math.pi


def test_plot_sobol_and_morris(tmp_path):
    vary = [f"x{i}={-PI}:{PI}" for i in (1, 2, 3)]
    for method in ("sobol", "morris"):
        out = run_sensitivity(
            Ishigami, tmp_path / f"{method}.h5", vary=vary, samples=8, method=method
        )
        png = plot_sensitivity(out)
        assert png == tmp_path / f"{method}_sensitivity.png" and png.stat().st_size > 5000
    # a feature that does not vary has no indices: a figure that says so
    flat = run_sensitivity(Ishigami, tmp_path / "f.h5", vary=["fail_above=100:200"], samples=4)
    assert plot_sensitivity(flat, tmp_path / "flat.png").stat().st_size > 0
