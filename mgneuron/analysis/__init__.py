"""Analysis of many runs: pure functions of sampled parameters and measured features.

- :mod:`~mgneuron.analysis.sensitivity`: global sensitivity (Sobol and Morris, on SALib)

Like :mod:`mgneuron.measures`, nothing here imports NEURON or builds a model; the runner
(:mod:`mgneuron.runner.sensitivity`) draws the sample, runs it and calls these.
"""

from mgneuron.analysis.sensitivity import (
    METHODS,
    Factor,
    analyze,
    complete_blocks,
    parse_factor,
    sample,
)

__all__ = ["METHODS", "Factor", "analyze", "complete_blocks", "parse_factor", "sample"]
