"""The network in space: slab, positions, distance-dependent wiring (pure, no NEURON)."""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.network import EXC, INH, NetworkError, default_network, draw_connections
from mgneuron.network.cells import pyramidal_cell
from mgneuron.network.space import Slab, place_cells, segment_geometry, weighted_choice


def test_slab_holds_the_cells_at_the_stated_density():
    spec = default_network(800, 200, seed=3)
    xyz = spec.positions()
    side = spec.slab.side_um(1000)
    # 1000 cells at 1e5 / mm3 in a 502 um thick layer: 1e-2 mm3 -> 141 um side
    assert side == pytest.approx(np.sqrt(1e-2 * 1e9 / 502.0), rel=1e-12)
    assert side == pytest.approx(141.1, abs=0.1)
    assert (xyz[:, :2] >= 0).all() and (xyz[:, :2] <= side).all()
    depth = -xyz[:, 2]
    exc, inh = depth[:800], depth[800:]
    assert exc.min() >= 415.0 and exc.max() <= 667.0  # tuft (400 um) below the pia
    assert inh.min() >= 165.0 and inh.max() <= 667.0  # all of layer 2/3
    assert inh.min() < 200.0 and exc.max() > 640.0
    # the same positions from the seed alone, others from another seed
    assert np.array_equal(xyz, default_network(800, 200, seed=3).positions())
    assert not np.array_equal(xyz, default_network(800, 200, seed=4).positions())


def test_apical_tree_must_fit_in_the_slab():
    with pytest.raises(NetworkError, match="apical tree"):
        place_cells(10, 2, pyramidal_cell(), Slab(top_um=10.0, bottom_um=300.0), 1)
    with pytest.raises(NetworkError, match="density"):
        Slab(density_per_mm3=0.0)


def test_segment_geometry_is_the_cell_drawn_vertically():
    cell = pyramidal_cell()
    a, b, d = segment_geometry(cell, np.array([10.0, 20.0, -500.0]))
    assert len(a) == cell.n_segments() == 8
    lengths = np.linalg.norm(b - a, axis=1)
    assert lengths.sum() == pytest.approx(20 + 150 + 250 + 150)
    assert a[0] == pytest.approx([10, 20, -510]) and b[0] == pytest.approx([10, 20, -490])
    assert b[2] == pytest.approx([10, 20, -510 - 150])  # basal down from the soma's 0 end
    assert b[-1] == pytest.approx([10, 20, -490 + 400])  # tuft tip 400 um above the soma top
    assert list(d) == [20, 2, 2, 2.5, 2.5, 2.5, 1.5, 1.5]


def test_weighted_choice_draws_in_proportion_to_the_weights():
    """One draw from weights 1:2:3:4 (and an excluded index) over 40,000 trials."""
    rng = np.random.default_rng(0)
    logw = np.log([1.0, 2.0, 3.0, 4.0, 1.0])
    logw[4] = -np.inf
    counts = np.bincount([weighted_choice(rng, logw, 1)[0] for _ in range(40000)], minlength=5)
    expected = 40000 * np.array([1, 2, 3, 4, 0]) / 10
    assert counts[4] == 0
    assert np.all(np.abs(counts[:4] - expected[:4]) < 4 * np.sqrt(expected[:4]))
    with pytest.raises(NetworkError, match="distinct"):
        weighted_choice(rng, logw, 5)


def test_connection_probability_falls_with_distance():
    """E->E partners follow the Gaussian profile: observed vs exact expected distances.

    With an in-degree of 1 the partner of post cell j is pre cell i with probability
    ``w_ij / sum_i w_ij``, ``w = exp(-d^2 / 2 sigma^2)``: the expected histogram of the
    partners' distances is the sum of those over j (exact, computed here from the
    positions independently of the drawing code). Observed counts must lie within 4
    Poisson standard deviations of it in every 50-um bin, and far from the histogram
    that uniform choice would give.
    """
    spec = default_network(3000, 600, seed=2, k_ee=1)
    xyz = spec.positions()
    conns = draw_connections(spec)
    ee = conns[0]
    assert ee.pathway.pre == ee.pathway.post == EXC and ee.pathway.indegree == 1
    sigma = ee.pathway.sigma_um
    assert sigma == 180.0 and conns[2].pathway.sigma_um == 100.0
    assert conns[2].pathway.pre == INH
    exc = xyz[:3000]
    edges = np.arange(0.0, 700.0, 50.0)
    expected = np.zeros(len(edges) - 1)
    uniform = np.zeros(len(edges) - 1)
    for j in range(3000):
        d = np.linalg.norm(exc - exc[j], axis=1)
        w = np.exp(-0.5 * d**2 / sigma**2)
        w[j] = 0.0
        expected += np.histogram(d, edges, weights=w / w.sum())[0]
        u = np.ones(3000)
        u[j] = 0.0
        uniform += np.histogram(d, edges, weights=u / u.sum())[0]
    d_chosen = np.linalg.norm(xyz[ee.pre_gid] - xyz[ee.post_gid], axis=1)
    observed = np.histogram(d_chosen, edges)[0]
    big = expected > 5
    assert np.all(np.abs(observed[big] - expected[big]) < 4 * np.sqrt(expected[big]) + 1)
    assert np.abs(observed - uniform).sum() > 0.2 * 3000  # the profile matters
    assert d_chosen.mean() < np.sum(uniform * 0.5 * (edges[1:] + edges[:-1])) / 3000 - 10.0
    assert not (ee.pre_gid == ee.post_gid).any()
    # the default in-degree: every post cell has its 8 partners
    full = draw_connections(default_network(400, 100, seed=2))[0]
    assert (np.bincount(full.post_gid, minlength=400) == 8).all()


def test_ten_thousand_cells_are_placed_and_wired():
    spec = default_network(8000, 2000, seed=1)
    conns = draw_connections(spec)
    assert spec.n_cells == 10000
    assert sum(len(c) for c in conns) == 8000 * (8 + 8) + 2000 * (16 + 6)
