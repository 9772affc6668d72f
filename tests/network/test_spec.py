"""The network description and its wiring: picklable, checked, drawn from the seed alone."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pytest

from mgneuron.errors import MgNeuronError
from mgneuron.network import default_network, draw_connections


def test_spec_is_picklable_and_scaling_reaches_every_synapse():
    spec = default_network()
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert spec.n_exc >= 80 and spec.n_inh >= 20
    assert spec.exc_cell.n_segments() > 1  # multicompartment pyramidal cells
    apv = spec.scaled(nmda=0.0)
    for pw in apv.pathways:
        if pw.synapse.kind == "glutamate":
            assert dict(pw.synapse.params)["nmda_ratio"] == 0.0
    for _, bg in apv.background:
        assert dict(bg.synapse.params)["nmda_ratio"] == 0.0
    bic = spec.scaled(gaba=0.0)
    assert all(pw.synapse.gmax_uS == 0 for pw in bic.pathways if pw.synapse.kind == "gaba_a")
    assert spec.as_dict()["exc_cell"]["biophysics"]["name"] == "network_pyramidal"


@pytest.mark.parametrize(
    "change, match",
    [
        ({"n_inh": 0}, "n_inh"),
        ({"seed": -1}, "seed"),
    ],
)
def test_spec_rejects_bad_values(change, match):
    with pytest.raises(MgNeuronError, match=match):
        default_network().with_(**change)


def test_spec_rejects_unknown_section_and_parameter():
    spec = default_network()
    pw = spec.pathways[0]
    bad = replace(pw, sections=("axon",))
    with pytest.raises(MgNeuronError, match="axon"):
        spec.with_(pathways=(bad,))
    with pytest.raises(MgNeuronError, match="unknown network parameters"):
        default_network(g_xx_uS=1.0)


def test_connections_fixed_indegree_no_autapses_and_seeded():
    spec = default_network(seed=7)
    tables = draw_connections(spec)
    assert [t.pathway.name for t in tables] == ["EE", "EI", "IE", "II"]
    for t in tables:
        pw = t.pathway
        off_pre, off_post = spec.gid_offset(pw.pre), spec.gid_offset(pw.post)
        for post in range(off_post, off_post + spec.size(pw.post)):
            pre = t.pre_gid[t.post_gid == post]
            assert len(pre) == pw.indegree == len(np.unique(pre))
            assert post not in pre
            assert np.all((pre >= off_pre) & (pre < off_pre + spec.size(pw.pre)))
        assert np.all(t.delay_ms >= pw.delay_ms[0]) and np.all(t.delay_ms <= pw.delay_ms[1])
    again = draw_connections(default_network(seed=7))
    other = draw_connections(default_network(seed=8))
    for a, b, c in zip(tables, again, other, strict=True):
        np.testing.assert_array_equal(a.pre_gid, b.pre_gid)
        np.testing.assert_array_equal(a.x, b.x)
        assert not np.array_equal(a.pre_gid, c.pre_gid)


def test_a_drug_reaches_every_glutamatergic_synapse_and_no_other():
    """with_drug adds the drug's mechanism parameters (mgneuron.nmda.drug_params) to every
    glutamatergic pathway and background synapse and changes nothing else (the NMDA
    scaling stays); GABA-A synapses are untouched; "none" is the identity; bad input
    raises."""
    from mgneuron.nmda import drug_params

    spec = default_network().scaled(nmda=0.5)
    assert spec.with_drug("none", 10.0) == spec
    dosed = spec.with_drug("memantine", 5.0)
    want = drug_params("memantine", 5.0)
    assert want  # control: the drug has parameters to check

    def synapses(net):
        return [pw.synapse for pw in net.pathways] + [bg.synapse for _, bg in net.background]

    kinds = [s.kind for s in synapses(spec)]
    assert "glutamate" in kinds and "gaba_a" in kinds
    for before, after in zip(synapses(spec), synapses(dosed), strict=True):
        if before.kind == "glutamate":
            assert dict(after.params) == {**dict(before.params), **want}
            assert after.gmax_uS == before.gmax_uS
        else:
            assert after == before
    with pytest.raises(MgNeuronError):
        spec.with_drug("caffeine", 1.0)
    with pytest.raises(MgNeuronError):
        spec.with_drug("memantine", -1.0)
