"""Running a built network: seeded spike trains, fixed steps only."""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.engine import RunSettings
from mgneuron.environment import Environment
from mgneuron.errors import MgNeuronError
from mgneuron.network import EXC, INH, build, default_network, population_spikes, simulate


def _spikes(seed, h, mg=0.0):
    spec = default_network(20, 5, seed=seed)
    with build(spec) as net:
        simulate(net, RunSettings(tstop=400.0), Environment(mg_mM=mg))
        return population_spikes(net)


def test_same_seed_gives_identical_spike_trains(h):
    a, b, c = _spikes(3, h), _spikes(3, h), _spikes(4, h)
    for pop in (EXC, INH):
        np.testing.assert_array_equal(a[pop][0], b[pop][0])
        np.testing.assert_array_equal(a[pop][1], b[pop][1])
    assert len(a[EXC][0]) > 20
    assert not (len(a[EXC][0]) == len(c[EXC][0]) and np.array_equal(a[EXC][0], c[EXC][0]))
    assert sum(1 for _ in h.allsec()) == 0  # the network left nothing behind


def test_variable_steps_are_refused(h):
    with build(default_network(4, 1)) as net:
        with pytest.raises(MgNeuronError, match="fixed time steps"):
            simulate(net, RunSettings(tstop=10.0, cvode=True))
