"""Building the network in NEURON: the cells' membrane, the synapse count, clean-up."""

from __future__ import annotations

import pytest

from mgneuron.network import build, default_network, draw_connections

GEOMETRY = {"soma": (20, 20, 1), "basal": (150, 2, 2), "apical": (250, 2.5, 3)}
GEOMETRY["tuft"] = (150, 1.5, 2)


def _check_membrane(net, h) -> None:
    """The values the reduced cells had before they were described with Biophysics."""
    pyr, bas = net.cells[0], net.cells[4]
    assert list(pyr.secs) == list(GEOMETRY)
    for name, sec in pyr.secs.items():
        assert (sec.L, sec.diam, sec.nseg) == pytest.approx(GEOMETRY[name])
        assert sec.Ra == 150.0
        for seg in sec:
            assert (seg.cm, seg.pas.g, seg.pas.e) == (0.75, 1.0 / 30000.0, -70.0)
            assert seg.ena == 60.0
            assert seg.NaT.gbar == (0.05 if name == "soma" else 0.002)
        assert sec.has_membrane("Kdr") == sec.has_membrane("Km") == (name == "soma")
    soma = pyr.soma(0.5)
    assert (soma.Kdr.gbar, soma.Km.gbar, soma.ek) == (0.02, 5e-4, -90.0)
    assert pyr.secs["basal"].parentseg().x == 0.0
    assert pyr.secs["tuft"].parentseg().sec == pyr.secs["apical"]
    b = bas.soma(0.5)
    assert (b.cm, b.pas.g, b.pas.e, b.ena, b.ek) == (0.75, 1e-4, -70.0, 60.0, -90.0)
    assert (b.NaT.gbar, b.Kdr.gbar) == (0.05, 0.05)
    assert not bas.soma.has_membrane("Km")
    ahp = list(h.List("ExpSyn"))  # the slow AHP of every pyramidal cell
    assert len(ahp) == 4 and all((a.e, a.tau) == (-90.0, 250.0) for a in ahp)


def test_built_cells_have_the_published_membrane(h):
    spec = default_network(4, 1)
    with build(spec) as net:
        _check_membrane(net, h)
        assert net.gids == [0, 1, 2, 3, 4]
        assert net.n_synapses == sum(len(c) for c in draw_connections(spec))
    assert sum(1 for _ in h.allsec()) == 0
