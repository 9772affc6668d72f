"""mgneuron.synapses and the synapse mechanisms GluSynMg / GabaASynMg.

References: Jahr & Stevens 1990 closed form and NMDAMg (the same mgblock.inc) for the
NMDA part of GluSynMg; the GABA-A [Mg]o modulation formula of gabaa_mg.mod (normalised to
1 at 1 mM); Poisson statistics (mean count rate*T, exponential ISIs with CV 1).
"""

from __future__ import annotations

import gc
import pickle

import numpy as np
import pytest

from mgneuron.bath import apply_bath
from mgneuron.engine import RunSettings, Simulation, run
from mgneuron.environment import Environment
from mgneuron.errors import MgNeuronError
from mgneuron.nmda import PCA_DEFAULT, ghk_ca
from mgneuron.preparations.clamp import clamped_compartments
from mgneuron.release import ReleaseSpec
from mgneuron.synapses import (
    GABA_RELEASE,
    EventDriver,
    SpikeTrain,
    SynapseSpec,
    gabaergic,
    glutamatergic,
    instantiate,
    paired_pulse,
    place,
    poisson_train,
    poisson_trains,
    regular_train,
    set_release_stream,
)

# ----------------------------------------------------------------- specs and trains


def test_specs_are_picklable_and_merge_params():
    spec = glutamatergic(0.002, nmda_ratio=0.3, e=5.0)
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec
    assert dict(spec.params) == {"e": 5.0, "nmda_ratio": 0.3}
    assert dict(spec.with_(params={"e": 0.0}).params) == {"e": 0.0, "nmda_ratio": 0.3}
    g = gabaergic(mg_modulation=False)
    assert g.mechanism == "GabaASynMg" and dict(g.params)["mg_mod_on"] == 0.0
    assert g.release == GABA_RELEASE
    assert spec.as_dict()["release"]["U"] == 0.5


def test_spec_errors():
    with pytest.raises(MgNeuronError, match="unknown synapse kind"):
        SynapseSpec(kind="nmda")
    with pytest.raises(MgNeuronError, match="gmax_uS"):
        SynapseSpec(gmax_uS=-1.0)
    with pytest.raises(MgNeuronError, match="sorted"):
        SpikeTrain((10.0, 5.0))
    with pytest.raises(MgNeuronError):
        SpikeTrain((-1.0,))


def test_regular_and_paired_trains():
    assert regular_train(3, 50.0, 10.0).times_ms == (10.0, 60.0, 110.0)
    assert paired_pulse(20.0, 5.0).times_ms == (5.0, 25.0)


def test_poisson_trains_seeded_and_poisson():
    """Same seed -> same trains; trains differ from each other; 400 trains at 10 Hz over
    1 s: mean count within 3 SE of 10, ISI CV within 5 % of 1 (exponential ISIs)."""
    a = poisson_trains(400, 10.0, 1000.0, seed=3)
    b = poisson_trains(400, 10.0, 1000.0, seed=3)
    c = poisson_trains(400, 10.0, 1000.0, seed=4)
    assert a == b and a != c and a[0] != a[1]
    counts = np.array([len(t) for t in a])
    assert abs(counts.mean() - 10.0) < 3 * np.sqrt(10.0 / 400)
    isis = np.concatenate([np.diff(t.as_array()) for t in a])
    assert isis.std() / isis.mean() == pytest.approx(1.0, rel=0.05)
    one = poisson_train(5.0, 200.0, np.random.default_rng(1), start_ms=100.0).as_array()
    assert ((one >= 100.0) & (one < 200.0)).all()


# ----------------------------------------------------------------- NEURON side


def test_instantiate_sets_every_parameter(h):
    sec = h.Section(name="inst")
    rel = ReleaseSpec(
        U=0.2,
        tau_rec_ms=100,
        tau_facil_ms=0,
        stochastic=True,
        n_sites=7,
        model="markram_hill",
        hill_khalf_mM=1.09,
    )
    syn = instantiate(
        glutamatergic(0.003, nmda_ratio=0.7, release=rel, block_model=1),
        sec(0.5),
        seed=9,
        gid=2,
        index=4,
    )
    pp = syn.pp
    assert (pp.gmax, pp.nmda_ratio, pp.block_model) == (0.003, 0.7, 1.0)
    assert (pp.U, pp.tau_rec, pp.tau_facil, pp.stochastic, pp.n_sites) == (0.2, 100, 0, 1, 7)
    assert (pp.release_model, pp.hill_khalf) == (1.0, 1.09)
    assert list(pp.release_rng.get_ids()) == [9, 2, 4]
    with pytest.raises(MgNeuronError, match="no parameter"):
        instantiate(glutamatergic(bogus=1.0), sec(0.5))
    with pytest.raises(MgNeuronError, match="32-bit"):
        set_release_stream(pp, -1)
    syns = place(gabaergic(), [sec(0.25), sec(0.75)], seed=1, gid=5, first_index=10)
    assert [list(s.pp.release_rng.get_ids()) for s in syns] == [[1, 5, 10], [1, 5, 11]]


def test_place_by_location_rule(h):
    """Rules resolve on a cell (ball-and-stick): sites, stream ids, and a clear error."""
    from mgneuron.cell import cell_spec
    from mgneuron.errors import LocationError

    cell = cell_spec("ball_and_stick", "passive").build()
    syns = place(glutamatergic(), "apical:100-200um:n=5:seed=3", seed=4, cell=cell)
    assert len(syns) == 5
    assert [list(s.pp.release_rng.get_ids()) for s in syns] == [[4, 0, k] for k in range(5)]
    for s in syns:
        d = h.distance(cell.morphology.origin, s.segment)
        assert 100 - 25 <= d <= 200 + 25  # within the band, up to half a segment
    assert place(gabaergic(), "soma", cell=cell)[0].segment.sec in cell.regions["soma"]
    with pytest.raises(LocationError):
        place(gabaergic(), "basal:n=2", cell=cell)
    with pytest.raises(LocationError, match="cell="):
        place(gabaergic(), "soma")
    del syns
    cell.delete()


def test_event_driver_times_rerun_and_cleanup(h):
    """Events arrive at the train's times (conductance rises in the next step); a second
    run gives the same trace; a disabled driver delivers nothing; dropping the model leaves
    no section behind."""
    cells = clamped_compartments([-70.0], name="drv")
    syn = instantiate(glutamatergic(nmda_ratio=0.0), cells.segments[0])
    driver = EventDriver()
    driver.add(syn, SpikeTrain((5.0, 12.5)), weight=2.0, delay_ms=1.0)
    assert len(driver) == 1 and driver.n_events == 2
    g = h.Vector().record(syn.pp._ref_g_ampa)  # kept over three runs
    t = h.Vector().record(h._ref_t)
    settings = RunSettings(tstop=20.0, dt=0.025, v_init=-70.0)
    run(settings)
    g1, tt = np.array(g), np.array(t)
    rising = tt[1:][np.diff(g1) > 0]  # sample times at which g grew
    first = rising[rising < 13.0]
    # an ASSIGNED conductance shows an event at most two fixed steps later
    assert 6.0 <= first.min() <= 6.0 + 2 * 0.025 + 1e-9
    assert first.max() < 7.0  # one rise (0.2 ms rise time) per event
    assert 13.5 <= rising[rising >= 13.0].min() <= 13.5 + 2 * 0.025 + 1e-9
    assert g1.max() == pytest.approx(2.0 * 0.001 * 0.5, rel=2e-3)  # weight * gmax * U
    run(settings)
    assert np.array_equal(np.array(g), g1)
    driver.enabled = False
    run(settings)
    assert not np.array(g).any()
    del syn, driver, cells, g, t
    gc.collect()
    assert not list(h.allsec())


def test_environment_reaches_synapse(h):
    """apply_bath after creating the synapse sets the bath its release sees."""
    sec = h.Section(name="bath")
    syn = instantiate(glutamatergic(), sec(0.5))
    env = Environment(mg_mM=2.0, ca_mM=1.0)
    run(RunSettings(tstop=0.1), before_init=lambda: apply_bath(env, [sec]))
    assert syn.pp.release_prob == pytest.approx(0.5 * ReleaseSpec().bath_factor(1.0, 2.0))


@pytest.mark.validation
@pytest.mark.parametrize("mg", [0.5, 1.0, 2.0])
def test_glusyn_nmda_block_is_mgblock(h, mg):
    """GluSynMg's B follows Jahr-Stevens at the clamped voltage (1e-9), its block function
    equals NMDAMg's exactly, and the NMDA peak conductance is
    nmda_ratio * gmax * release_prob (0.5 %)."""
    # NEURON's default section (100 x 500 um), clamped at -40 mV
    cells = clamped_compartments([-40.0, -40.0], L_um=100.0, diam_um=500.0, name="nm")
    secs = cells.sections
    glu = instantiate(glutamatergic(0.001, nmda_ratio=0.6), secs[0](0.5))
    nmda = h.NMDAMg(secs[1](0.5))
    driver = EventDriver()
    driver.add(glu, SpikeTrain((2.0,)))
    driver.add(nmda, SpikeTrain((2.0,)))
    sim = Simulation(RunSettings(tstop=30.0, v_init=-40.0))
    gn = sim.record(glu.pp._ref_g_nmda)

    def bath():
        for s in secs:
            s(0.5).mgo = mg

    sim.run(before_init=bath)

    def js(v):
        return 1.0 / (1.0 + np.exp(-0.062 * v) * mg / 3.57)

    assert glu.pp.B == pytest.approx(js(secs[0](0.5).v), abs=1e-9)
    assert nmda.B == pytest.approx(js(secs[1](0.5).v), abs=1e-9)
    for v in (-100.0, -60.0, -20.0, 0.0, 40.0):
        assert glu.pp.mgblock_unblocked(v, mg) == nmda.mgblock_unblocked(v, mg)
    assert max(gn) == pytest.approx(0.6 * 0.001 * glu.pp.release_prob, rel=5e-3)
    pp = glu.pp
    assert pp.g == pytest.approx(pp.g_ampa + pp.B * pp.g_nmda, rel=1e-12)
    # i = g (v - e) + ica, the Ca2+ part from the GHK closed form (mgneuron.nmda)
    v = secs[0](0.5).v
    assert pp.i == pytest.approx(pp.g * (v - pp.e) + pp.ica, rel=1e-9)
    ica_ref = PCA_DEFAULT * pp.B * pp.g_nmda * float(ghk_ca(v, 5e-5, 2.0, 34.0))
    assert pp.ica == pytest.approx(ica_ref, rel=1e-6)
    del cells, driver


def _gaba_run(h, mg, on, v_hold=-40.0, stochastic=False):
    cells = clamped_compartments([v_hold], name="gaba")
    seg = cells.segments[0]
    rel = GABA_RELEASE.with_(stochastic=stochastic, n_sites=4)
    syn = instantiate(gabaergic(0.002, mg_modulation=on, release=rel), seg, seed=2)
    driver = EventDriver()
    driver.add(syn, regular_train(5, 20.0, 5.0))
    sim = Simulation(RunSettings(tstop=110.0, v_init=v_hold))
    i = sim.record(cells.clamps[0]._ref_i)
    g = sim.record(syn.pp._ref_g)

    def bath():
        seg.mgo = mg

    sim.run(before_init=bath)
    return np.array(i), syn.pp.release_prob, syn.pp.mg_mod, np.array(g)


def mg_mod_formula(mg, emax=0.5, k=0.5, ref=1.0):
    return (1 + emax * mg / (mg + k)) / (1 + emax * ref / (ref + k))


@pytest.mark.parametrize("stochastic", [False, True])
def test_gaba_modulation_neutral_at_1mM(h, stochastic):
    """At 1 mM Mg the modulation is exactly 1: on and off give bit-identical traces."""
    on, p_on, m_on, _ = _gaba_run(h, 1.0, True, stochastic=stochastic)
    off, p_off, m_off, _ = _gaba_run(h, 1.0, False, stochastic=stochastic)
    assert m_on == 1.0 and m_off == 1.0
    assert np.array_equal(on, off) and p_on == p_off
    assert np.abs(on).max() > 0


@pytest.mark.parametrize("mg", [0.0, 0.5, 2.5])
def test_gaba_off_switch_changes_only_the_conductance_scale(h, mg):
    """Away from 1 mM, g_on = g_off * mg_mod (1e-12) and release is untouched; mg_mod
    follows the documented saturating formula (0.75, 0.9375, 1.0625 at 0, 0.5, 2.5 mM)."""
    _, p_on, m_on, g_on = _gaba_run(h, mg, True)
    _, p_off, m_off, g_off = _gaba_run(h, mg, False)
    assert m_off == 1.0
    assert m_on == pytest.approx(mg_mod_formula(mg), rel=1e-12)
    assert m_on == pytest.approx({0.0: 0.75, 0.5: 0.9375, 2.5: 1.0625}[mg], rel=1e-12)
    assert p_on == p_off
    assert g_off.max() > 0
    np.testing.assert_allclose(g_on, g_off * m_on, rtol=1e-12, atol=1e-18)


def test_gaba_reverses_at_e_gaba(h):
    """Clamped at E_GABA (-75 mV) the IPSC is zero; at -40 mV it is outward."""
    at_rev = _gaba_run(h, 1.0, True, v_hold=-75.0)[0]
    at_m40 = _gaba_run(h, 1.0, True, v_hold=-40.0)[0]
    assert np.abs(at_rev).max() < 1e-9
    assert at_m40.max() > 1e-3  # clamp supplies positive current against an outward IPSC


# ----------------------------------------------------------------- the inhibition_mg protocol

INH_ARGS = ["--morphology", "ball_and_stick", "--n-exc", "40", "--n-inh", "16",
            "--tstop", "300", "--t-transient", "50"]  # fmt: skip


@pytest.fixture(scope="module")
def inhibition_file(tmp_path_factory):
    """`mgneuron run inhibition_mg` on the shipped ball-and-stick (fast), Mg 1 and 2.5 mM."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("inh") / "inhibition_mg.h5"
    res = subprocess.run(
        [sys.executable, "-m", "mgneuron.cli", "run", "inhibition_mg", "--mg", "1,2.5",
         *INH_ARGS, "--out", str(out), "--quiet"],
        capture_output=True, text=True, cwd=out.parent, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return out


def test_inhibition_protocol_writes_complete_file(inhibition_file):
    from mgneuron.results import read_attrs, read_features, read_spikes, read_traces

    assert read_attrs(inhibition_file)["status"] == "complete"
    df = read_features(inhibition_file)
    assert list(df["mg_mM"]) == [1.0, 2.5]
    for col in ("mg_mM", "rate_hz", "ei_ratio", "ipsp_mV", "v_rest_mV", "g_exc_nS", "g_inh_nS"):
        assert df[col].notna().all(), col
    assert (df["ipsp_mV"] > 0).all() and (df["rate_hz"] >= 0).all()
    assert len(read_traces(inhibition_file, condition_id=1)) > 0
    spikes = read_spikes(inhibition_file)
    assert len(spikes) >= df["n_spikes"].sum()  # the file also holds transient spikes


def test_inhibition_protocol_bath_dependence(inhibition_file):
    """The file's synapse values follow the formulas: GABA-A modulation 1 / 1.0625,
    release probabilities U f_DR (U = 0.5 and 0.25); E/I ratio = g_exc / g_inh; more Mg
    gives less excitation relative to inhibition (NMDA block and release both fall)."""
    from mgneuron.release import dodge_rahamimoff_factor
    from mgneuron.results import read_features

    df = read_features(inhibition_file).sort_values("mg_mM")
    np.testing.assert_allclose(df["gaba_mg_mod"], [1.0, 1.0625], rtol=1e-12)
    f = dodge_rahamimoff_factor(2.0, df["mg_mM"].to_numpy())
    np.testing.assert_allclose(df["glu_release_prob"], 0.5 * f, rtol=1e-12)
    np.testing.assert_allclose(df["gaba_release_prob"], 0.25 * f, rtol=1e-12)
    np.testing.assert_allclose(df["ei_ratio"], df["g_exc_nS"] / df["g_inh_nS"], rtol=1e-9)
    assert (np.diff(df["ei_ratio"]) < 0).all()
    assert (np.diff(df["rate_hz"]) <= 0).all()


def test_inhibition_modulation_off_is_neutral_at_1mM(inhibition_file, tmp_path):
    """With --mg-modulation 0 the 1 mM condition reproduces the file's features exactly."""
    from mgneuron.results import read_features
    from mgneuron.runner import run

    out = run(
        "inhibition_mg", tmp_path / "off.h5", quiet=True, mg=1.0, mg_modulation=False,
        morphology="ball_and_stick", n_exc=40, n_inh=16, tstop=300.0, t_transient=50.0,
    )  # fmt: skip
    off = read_features(out).iloc[0]
    on = read_features(inhibition_file).set_index("mg_mM").loc[1.0]
    # Same simulation; the means are numpy reductions whose last bits can depend on array
    # alignment in memory (SIMD pairwise sums), which differs between processes.
    for col in ("rate_hz", "ei_ratio", "ipsp_mV", "g_exc_nS", "g_inh_nS", "v_rest_mV"):
        assert off[col] == pytest.approx(on[col], rel=1e-12, abs=0), col


def test_glutamatergic_with_a_drug():
    """A named drug becomes GluSynMg parameters; a bad name is a clear error."""
    spec = glutamatergic(0.001, drug="memantine", drug_um=5.0)
    p = dict(spec.params)
    assert p["drug_um"] == 5.0 and p["drug_trap"] == pytest.approx(5 / 6)
    assert "drug_um" not in dict(glutamatergic(0.001).params)
    with pytest.raises(MgNeuronError, match="unknown NMDA drug"):
        glutamatergic(0.001, drug="caffeine")
