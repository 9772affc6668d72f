"""Tests of mgneuron.axon.myelin: myelin states, the internodes each preset affects."""

from __future__ import annotations

import pytest

from mgneuron import axon as ax
from mgneuron.axon import AxonError, MyelinatedAxonSpec, MyelinState


def test_myelin_state_validation():
    with pytest.raises(AxonError, match="lamellae_fraction"):
        MyelinState(lamellae_fraction=1.2)
    with pytest.raises(AxonError, match="paranodal_seal_fraction"):
        MyelinState(paranodal_seal_fraction=0.0)
    with pytest.raises(AxonError, match="positive factor"):
        MyelinState(node_length_factor=-1)
    assert MyelinState().is_healthy and not MyelinState(lamellae_fraction=0.5).is_healthy


def test_demyelinated_selections():
    s = ax.demyelinated(10, 0.7, lesion=3)
    assert [i for i, x in enumerate(s) if not x.is_healthy] == [3, 4, 5]
    assert s[4].lamellae_fraction == pytest.approx(0.3)
    s = ax.demyelinated(10, 0.5, lesion=2, start=0)
    assert [i for i, x in enumerate(s) if not x.is_healthy] == [0, 1]
    s = ax.demyelinated(10, 0.5, fraction=0.3)
    assert [i for i, x in enumerate(s) if not x.is_healthy] == [1, 5, 8]
    r1 = ax.demyelinated(20, 0.5, fraction=0.25, seed=3)
    assert r1 == ax.demyelinated(20, 0.5, fraction=0.25, seed=3)
    assert sum(not x.is_healthy for x in r1) == 5
    assert all(not x.is_healthy for x in ax.demyelinated(6, 0.2))
    with pytest.raises(AxonError, match="not both"):
        ax.demyelinated(10, 0.5, fraction=0.2, lesion=2)
    with pytest.raises(AxonError, match="does not fit"):
        ax.demyelinated(10, 0.5, lesion=3, start=8)


def test_remyelinated_replaces_one_internode_by_short_thin_ones():
    s = ax.remyelinated(9, n_short=3, lamellae_fraction=0.4)
    assert len(s) == 11
    short = [x for x in s if not x.is_healthy]
    assert len(short) == 3
    assert sum(x.internode_length_factor for x in s) == pytest.approx(9.0)  # length kept
    assert all(x.lamellae_fraction == pytest.approx(0.4) for x in short)


def test_paranodal_retraction_widens_both_nodes_of_an_internode():
    spec = MyelinatedAxonSpec(10.0, ax.paranodal_retraction(6, lesion=1, node_length_factor=4))
    assert list(spec.node_length_factors()) == [1, 1, 4, 4, 1, 1, 1]  # internode 2
    assert list(spec.node_seal_factors()) == [1, 1, 0.5, 0.5, 1, 1, 1]
