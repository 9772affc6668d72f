"""Measures: pure functions of recorded arrays (and of predicates, for bisections).

Nothing here touches NEURON: the functions take numpy arrays (times in ms, potentials in
mV, currents in nA, positions in um) and return numbers, so they are tested against
closed forms and reused on stored traces.

- :mod:`~mgneuron.measures.baseline`: resting potential, drift and spikes before a stimulus
- :mod:`~mgneuron.measures.spikes`: crossings, spike times, counts, rates, dV/dt threshold
- :mod:`~mgneuron.measures.bisection`: one bisection loop for thresholds and boundaries
- :mod:`~mgneuron.measures.conduction`: arrival times, velocity, block, safety factor
- :mod:`~mgneuron.measures.excitability`: rheobase, f-I gain
- :mod:`~mgneuron.measures.threshold`: Weiss's strength-duration law, site of spike initiation
- :mod:`~mgneuron.measures.network`: population rate, bursts, synchrony of a network
- :mod:`~mgneuron.measures.nerve_excitability`: the TROND indices of threshold tracking
"""

from mgneuron.measures.baseline import Baseline, BaselineWarning, baseline
from mgneuron.measures.bisection import bisect_boundary, bisect_threshold
from mgneuron.measures.conduction import (
    arrival_times,
    conduction_velocity,
    cv_nodes,
    is_blocked,
    latency_ms,
    safety_factor,
)
from mgneuron.measures.excitability import fi_gain, find_rheobase
from mgneuron.measures.network import (
    Burst,
    detect_bursts,
    network_features,
    population_rate,
    synchrony_index,
)
from mgneuron.measures.spikes import (
    count_spikes,
    crossing_times,
    firing_rate_hz,
    spike_times,
    threshold_dvdt,
)
from mgneuron.measures.threshold import (
    initiation_site,
    threshold_at_initiation,
    threshold_shift_table,
    weiss_fit,
    weiss_threshold_nA,
)

__all__ = [
    "Baseline",
    "BaselineWarning",
    "baseline",
    "crossing_times",
    "spike_times",
    "count_spikes",
    "firing_rate_hz",
    "threshold_dvdt",
    "bisect_threshold",
    "bisect_boundary",
    "arrival_times",
    "cv_nodes",
    "conduction_velocity",
    "is_blocked",
    "latency_ms",
    "safety_factor",
    "find_rheobase",
    "fi_gain",
    "Burst",
    "population_rate",
    "detect_bursts",
    "synchrony_index",
    "network_features",
    "weiss_threshold_nA",
    "weiss_fit",
    "initiation_site",
    "threshold_at_initiation",
    "threshold_shift_table",
]
