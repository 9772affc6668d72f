"""Cells dealt to ranks by estimated cost (longest processing time first)."""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.engine.ranks import balanced_ranks
from mgneuron.errors import MgNeuronError
from mgneuron.network import default_network, draw_connections
from mgneuron.network.builder import cell_costs


def _loads(costs, owner, nhost):
    return np.bincount(owner, weights=costs, minlength=nhost)


def test_longest_first_to_the_least_loaded_rank():
    costs = np.array([5.0, 4.0, 3.0, 3.0, 3.0])
    owner = balanced_ranks(costs, 2)
    # 5 -> r0, 4 -> r1, 3 -> r1 (4), 3 -> r0 (5), 3 -> r1 (7): loads 8 and 10
    assert owner.tolist() == [0, 1, 1, 0, 1]
    assert _loads(costs, owner, 2).max() <= 4 / 3 * 9  # Graham's bound (optimum 9)
    assert balanced_ranks(costs, 1).tolist() == [0] * 5
    with pytest.raises(MgNeuronError):
        balanced_ranks([-1.0], 2)


@pytest.mark.parametrize("nhost", [2, 3, 7, 16])
def test_network_costs_are_balanced_better_than_round_robin(nhost):
    spec = default_network(80, 20, seed=1)
    costs = cell_costs(spec, draw_connections(spec))
    # pyramidal: 8 compartments + slow AHP + 13 recurrent + 1 background synapses
    assert costs[0] == 8 + 1 + 8 + 8 + 1
    assert costs[80] == 1 + 16 + 6 + 1  # basket: soma + E->I + I->I + background
    owner = balanced_ranks(costs, nhost)
    assert set(owner) == set(range(nhost))
    lpt = _loads(costs, owner, nhost)
    rr = _loads(costs, np.arange(100) % nhost, nhost)
    assert lpt.max() <= rr.max()
    assert lpt.max() <= costs.sum() / nhost + costs.max()
    # deterministic: every rank computes the same table
    assert np.array_equal(owner, balanced_ranks(costs, nhost))
