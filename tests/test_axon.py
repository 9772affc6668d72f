"""Tests of mgneuron.axon: MRG geometry, myelin states, the node mechanism, conduction.

References (each test names its own and its tolerance):
* MRG 2002 (McIntyre, Richardson & Grill, J Neurophysiol 87:995), Table 1 and Appendix:
  geometry, rate equations (re-evaluated here in numpy, an independent transcription);
* Hursh 1939: CV ~ 6 m/s per um of fibre diameter; the issue asks 4-7 at 10 um;
* numerical convergence: CV changes <= 2 % when dt or every segment length is halved;
* demyelination: conduction survives thinning to a few % of normal myelin, then fails
  (Reutskiy, Rossoni & Tirozzi 2003); remyelinated axons conduct slower than healthy ones.

Axons here are short (10-14 internodes) to keep the suite fast; the full sweeps are in
protocols/conduction.py.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from mgneuron import analysis as an
from mgneuron import axon as ax
from mgneuron.axon import AxonError, MyelinatedAxonSpec, MyelinState

DT = 0.001  # ms, the conduction default


def cv_of(spec: MyelinatedAxonSpec, dt: float = DT, amp: float = 3.0) -> tuple[float, bool]:
    """CV (m/s) between the default measurement nodes, and whether conduction failed."""
    a = ax.build_axon(spec)
    tr = ax.run_conduction(
        a, tstop_ms=0.1 + ax._travel_time_ms(a, 0, -1) + 1.0, dt_ms=dt, amp_nA=amp,
        stop_at_node=-1, watchdog_ms=2.0,
    )  # fmt: skip
    arr = an.arrival_times(tr.t_ms, tr.v_mV, -20.0, after_ms=0.1)
    i0, i1 = an.cv_nodes(a.n_nodes)
    return an.conduction_velocity(arr, tr.node_x_um, i0, i1), an.is_blocked(arr)


# -- geometry and specs (no NEURON) -----------------------------------------------------


def test_table_rows_are_returned_exactly():
    for row in ax.MRG_TABLE:
        g = ax.mrg_geometry(row[0])
        assert (g.node_to_node_um, g.lamellae, g.axon_diameter_um) == row[1:4]
        assert (g.node_diameter_um, g.flut_length_um) == row[4:6]
        assert not g.interpolated


def test_interpolation_is_piecewise_linear_between_rows():
    g = ax.mrg_geometry(10.75)  # halfway between 10 and 11.5
    assert g.interpolated
    assert g.node_to_node_um == pytest.approx(1200.0)
    assert g.lamellae == pytest.approx(125.0)
    assert g.axon_diameter_um == pytest.approx(7.5)
    assert g.node_diameter_um == pytest.approx(3.5)
    assert g.flut_length_um == pytest.approx(48.0)


def test_out_of_table_diameters_are_refused_unless_asked():
    with pytest.raises(AxonError, match="outside the MRG 2002 table"):
        ax.mrg_geometry(2.0)
    with pytest.raises(AxonError, match="outside"):
        MyelinatedAxonSpec(17.0)
    g = ax.mrg_geometry(17.0, extrapolate=True)  # similarity to the 16 um row
    assert g.node_to_node_um == pytest.approx(1500.0 * 17 / 16)
    assert g.axon_diameter_um == pytest.approx(12.7 * 17 / 16)
    g = ax.mrg_geometry(2.0, extrapolate=True)  # similarity to the 5.7 um row
    assert g.node_to_node_um == pytest.approx(500.0 * 2 / 5.7)
    assert g.lamellae == pytest.approx(80.0 * 2 / 5.7)
    assert g.node_diameter_um == pytest.approx(1.9 * 2 / 5.7)


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


def test_spec_is_picklable_and_validates():
    spec = MyelinatedAxonSpec.from_preset(8.7, 12, "demyelinated", severity=0.9, lesion=3)
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert spec.n_nodes == 13 and spec.lesioned == (4, 5, 6)
    with pytest.raises(AxonError, match="too short"):
        MyelinatedAxonSpec(10.0, (MyelinState(internode_length_factor=0.05),))
    with pytest.raises(AxonError, match="discretization"):
        MyelinatedAxonSpec(10.0, discretization="fine")


def test_segment_rule_is_odd_and_scales():
    spec = MyelinatedAxonSpec(10.0)
    assert spec.nseg("mysa", 3.0) == 3 and spec.nseg("flut", 46.0) == 11
    assert spec.nseg("stin", 170.0) == 1 and spec.nseg("node", 1.0) == 1
    fine = spec.with_(segment_scale=2)
    assert fine.nseg("mysa", 3.0) == 7 and fine.nseg("flut", 46.0) == 19
    assert fine.nseg("node", 1.0) == 3
    assert spec.with_(discretization="mrg2002").nseg("flut", 46.0) == 1


def test_parse_myelinated_axon_option():
    spec, opts = ax.parse_myelinated_axon("10:demyelinated,severity=0.9,lesion=3,nodes=15")
    assert spec.fiber_diameter_um == 10.0 and spec.n_nodes == 15
    assert spec.lesioned == (5, 6, 7) and opts == {"keep_um": 25.0}
    spec, _ = ax.parse_myelinated_axon("2.5:healthy,extrapolate=true")
    assert spec.geometry.interpolated
    assert ax.parse_myelinated_axon("") is None
    with pytest.raises(AxonError, match="DIAMETER"):
        ax.parse_myelinated_axon("thick")
    with pytest.raises(AxonError, match="unknown myelin preset"):
        ax.parse_myelinated_axon("10:scarred")


# -- the NEURON model -------------------------------------------------------------------


def test_built_geometry_and_double_cable_parameters(h):
    spec = MyelinatedAxonSpec(10.0, (MyelinState(), MyelinState(lamellae_fraction=0.5)))
    a = ax.build_axon(spec)
    g = spec.geometry
    assert len(a.nodes) == 3 and len(a.sections) == 3 + 2 * 10
    assert np.diff(a.node_x_um) == pytest.approx([1150.0, 1150.0])
    stin = a.internode_sections[0][4]
    assert stin.L == pytest.approx((1150 - 1 - 2 * 3 - 2 * 46) / 6)
    assert stin.diam == pytest.approx(6.9)
    # Myelin: 2 nl membranes of 0.001 S/cm2 in series on the 10 um outer surface,
    # referred to the 6.9 um axolemma (hand computation).
    assert stin(0.5).xg[0] == pytest.approx(0.001 / 240 * 10 / 6.9)
    assert stin(0.5).xc[0] == pytest.approx(0.1 / 240 * 10 / 6.9)
    thin = a.internode_sections[1][4]
    d_out = 6.9 + 0.5 * (10 - 6.9)
    assert thin(0.5).xg[0] == pytest.approx(0.001 / 120 * d_out / 6.9)
    # Periaxonal resistance of the 4 nm STIN gap: 70 Ohm cm over the annulus, MOhm/cm.
    area_cm2 = math.pi * ((3.45 + 0.004) ** 2 - 3.45**2) * 1e-8
    assert stin(0.5).xraxial[0] == pytest.approx(70 / area_cm2 * 1e-6)
    assert a.nodes[0](0.5).mrg_node.gnafbar == 3.0 and g.lamellae == 120


def test_lumped_node_seal_does_not_depend_on_node_segments(h):
    def half_node_resistance(spec):
        a = ax.build_axon(spec)
        node = a.nodes[0]
        return node(0.5).xraxial[0] * node.L / node.nseg / 2

    base = MyelinatedAxonSpec(10.0, ax.healthy(1))
    r1 = half_node_resistance(base)
    assert half_node_resistance(base.with_(segment_scale=3)) == pytest.approx(r1)
    wide = MyelinatedAxonSpec(10.0, ax.paranodal_retraction(1, 3.0, 1.0))
    assert half_node_resistance(wide) == pytest.approx(r1)


def _rates_36(v):
    """MRG 2002 Appendix rate constants (/ms) at 36 degC, numpy (independent copy)."""

    def lt(x, k):
        return x / (1 - np.exp(-x / k))

    am, bm = 6.57 * lt(v + 21.4, 10.3), 0.304 * lt(-(v + 25.7), 9.16)
    ah, bh = 0.34 * lt(-(v + 114.0), 11.0), 12.6 / (1 + np.exp(-(v + 31.8) / 13.4))
    ap, bp = 0.0353 * lt(v + 27.0, 10.2), 0.000883 * lt(-(v + 34.0), 10.0)
    as_, bs = 0.3 / (1 + np.exp((v + 53.0) / -5.0)), 0.03 / (1 + np.exp((v + 90.0) / -1.0))
    return (am, bm), (ah, bh), (ap, bp), (as_, bs)


@pytest.mark.parametrize("v", [-100.0, -80.0, -60.0, -40.0, -20.0, 10.0])
def test_node_gating_steady_state_matches_the_paper(h, v):
    """Steady-state gates after finitialize(v) vs the Appendix equations (rel 1e-9);
    time constants need Q10 scaling and are checked in the next test."""
    sec = h.Section(name="probe")
    sec.insert("mrg_node")
    h.celsius = 36.0
    h.finitialize(v)
    m = sec(0.5).mrg_node
    for (a, b), gate in zip(_rates_36(v), (m.m, m.h, m.p, m.s), strict=True):
        assert gate == pytest.approx(a / (a + b), rel=1e-9, abs=1e-12)


def test_node_rates_scale_with_q10_and_shift_with_vshift(h):
    """A 1 ms voltage step from v0 relaxes m with tau = 1/(Q10 (a+b)); checked against
    the closed-form exponential at 37 degC (Q10 2.2, tref 36). vshift = 10 mV gives the
    steady state of v - 10 mV."""
    sec = h.Section(name="probe")
    sec.insert("mrg_node")
    m = sec(0.5).mrg_node
    m.vshift = 10.0
    h.celsius = 36.0
    h.finitialize(-50.0)
    (a, b), *_ = _rates_36(-60.0)
    assert m.m == pytest.approx(a / (a + b), rel=1e-9)
    m.vshift = 0.0
    # Relaxation of s (slow, single exponential) under voltage clamp at -40 from -80 mV.
    clamp = h.SEClamp(sec(0.5))
    clamp.rs, clamp.dur1, clamp.amp1 = 1e-6, 100.0, -40.0
    h.celsius = 37.0
    h.dt = 0.001
    h.finitialize(-80.0)
    s0 = m.s
    h.continuerun(1.0)
    (_, _, _, (a40, b40)) = _rates_36(-40.0)
    q = 3.0 ** ((37 - 36) / 10)
    s_inf, tau = a40 / (a40 + b40), 1 / (q * (a40 + b40))
    expected = s_inf + (s0 - s_inf) * math.exp(-1.0 / tau)
    assert m.s == pytest.approx(expected, rel=2e-3)


def test_axon_rests_at_v_init(h):
    a = ax.build_axon(MyelinatedAxonSpec(10.0, ax.healthy(4)))
    tr = ax.run_conduction(a, tstop_ms=3.0, dt_ms=0.005, amp_nA=0.0)
    assert np.all(np.abs(tr.v_mV - (-80.0)) < 0.1)


def test_bath_reaches_the_nodes(h):
    from mgneuron.environment import Environment

    a = ax.build_axon(MyelinatedAxonSpec(10.0, ax.healthy(2)))
    ax.run_conduction(a, tstop_ms=0.05, amp_nA=0.0, bath=Environment(mg_mM=0.3, celsius=37))
    assert all(n(0.5).mgo == pytest.approx(0.3) for n in a.nodes)
    assert h.celsius == 37.0


# -- validation -------------------------------------------------------------------------


@pytest.mark.validation
def test_cv_grows_with_diameter_and_cv_per_um_at_10um(h):
    """CV increases monotonically over the MRG table (11-node axons), and CV/D at 10 um
    lies in 4-7 m/s/um (Hursh 1939: ~6)."""
    cvs = [cv_of(MyelinatedAxonSpec(row[0], ax.healthy(10)))[0] for row in ax.MRG_TABLE]
    assert all(np.isfinite(cvs))
    assert np.all(np.diff(cvs) > 0), cvs
    cv10 = cvs[3]
    assert 4.0 <= cv10 / 10.0 <= 7.0, cv10


@pytest.mark.validation
def test_cv_converges_with_dt_and_segments(h):
    """<= 2 % change of CV when dt is halved (0.001 -> 0.0005 ms) and when every segment
    length is halved (segment_scale 1 -> 2)."""
    spec = MyelinatedAxonSpec(10.0, ax.healthy(10))
    base = cv_of(spec)[0]
    assert abs(cv_of(spec, dt=DT / 2)[0] / base - 1) <= 0.02
    assert abs(cv_of(spec.with_(segment_scale=2))[0] / base - 1) <= 0.02


@pytest.mark.validation
def test_demyelination_of_all_internodes(h):
    """Thinning every internode's myelin lowers CV monotonically; 50 % loss still
    conducts; conduction fails below a few % of normal myelin (2 %), not at 5 %
    (Reutskiy et al. 2003: survives thinning to a few %, then fails abruptly)."""
    n = 12
    results = {f: cv_of(MyelinatedAxonSpec(10.0, ax.demyelinated(n, 1 - f))) for f in
               (1.0, 0.5, 0.2, 0.1, 0.05, 0.02)}  # fmt: skip
    conducting = [results[f][0] for f in (1.0, 0.5, 0.2, 0.1, 0.05)]
    assert all(np.isfinite(conducting)) and np.all(np.diff(conducting) < 0), results
    assert not results[0.5][1] and not results[0.05][1]
    assert results[0.02][1], results  # initiated at node 0 but blocked


@pytest.mark.validation
def test_remyelinated_axon_conducts_slower_than_healthy(h):
    """Three internodes replaced by 3 x 3 short internodes with half the lamellae: the
    spike crosses, and CV between the same two healthy nodes is lower."""
    n = 12
    healthy = ax.build_axon(MyelinatedAxonSpec(10.0, ax.healthy(n)))
    remy = ax.build_axon(MyelinatedAxonSpec(10.0, ax.remyelinated(n, lesion=3)))

    def cv_between_first_and_last_third(a, i0, i1):
        tr = ax.run_conduction(a, tstop_ms=3.0, dt_ms=DT, amp_nA=3.0, stop_at_node=-1)
        arr = an.arrival_times(tr.t_ms, tr.v_mV, -20.0, after_ms=0.1)
        return an.conduction_velocity(arr, tr.node_x_um, i0, i1), an.is_blocked(arr)

    cv_h, _ = cv_between_first_and_last_third(healthy, 2, n - 2)
    cv_r, blocked = cv_between_first_and_last_third(remy, 2, remy.n_nodes - 3)
    assert not blocked and cv_r < cv_h * 0.97, (cv_r, cv_h)
    assert remy.node_x_um[-3] == pytest.approx(healthy.node_x_um[-3])  # same two nodes


@pytest.mark.validation
def test_threshold_bisection_agrees_with_direct_runs(h):
    """Threshold of a 0.1 ms pulse at the middle node (bisection to 1 %): a direct run at
    the threshold propagates, one 1.5 % below does not."""
    a = ax.build_axon(MyelinatedAxonSpec(10.0, ax.healthy(8)))
    thr = ax.threshold_nA(a, rel_tol=0.01)
    assert 0.1 < thr < 20.0
    assert ax.propagates(a, thr, stim_node=4)
    assert not ax.propagates(a, thr * 0.985, stim_node=4)


@pytest.mark.validation
@pytest.mark.slow
def test_safety_factor_crosses_one_where_the_lesion_blocks(h):
    """A one-internode lesion: SF > 1 while the spike crosses (2 % myelin left), SF < 1
    when it is blocked (1 %), inf with no lesion (nodes can be skipped)."""
    n = 8

    def sf_and_block(f):
        spec = MyelinatedAxonSpec(10.0, ax.demyelinated(n, 1 - f, lesion=1))
        a = ax.build_axon(spec)
        return ax.lesion_safety_factor(a, rel_tol=0.05), cv_of(spec)[1]

    sf_ok, blocked_ok = sf_and_block(0.02)
    sf_bad, blocked_bad = sf_and_block(0.01)
    assert not blocked_ok and sf_ok > 1.0
    assert blocked_bad and sf_bad < 1.0
    a = ax.build_axon(MyelinatedAxonSpec(10.0, ax.healthy(n)))
    assert ax.lesion_safety_factor(a) == math.inf


@pytest.mark.validation
@pytest.mark.slow
def test_refractory_period_is_bracketed(h):
    """The shortest interval at which a second pulse (2 x threshold) propagates: a pair at
    that interval gives two spikes at the far node, a pair 0.05 ms shorter one."""
    a = ax.build_axon(MyelinatedAxonSpec(10.0, ax.healthy(6)))
    thr = ax.threshold_nA(a, stim_node=0)
    rp = ax.refractory_period_ms(a, 2 * thr, abs_tol_ms=0.01)
    assert 0.3 < rp < 3.0

    def spikes(interval):
        tr = ax.run_conduction(
            a, tstop_ms=interval + 3.0, dt_ms=DT, amp_nA=2 * thr,
            stim_times_ms=(0.1, 0.1 + interval),
        )  # fmt: skip
        return an.crossing_times(tr.t_ms, tr.v_mV[-1], -20.0).size

    assert spikes(rp) == 2 and spikes(rp - 0.05) == 1


# -- a myelinated axon on reconstructed cells --------------------------------------------

SHARED_MORPHOLOGIES = sorted(
    p.name
    for p in (__import__("pathlib").Path(__file__).resolve().parents[2] / "shared" /
              "morphologies").glob("*")
    if p.suffix in (".swc", ".asc")
)  # fmt: skip
LESION_STEPS = (0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.0)  # lamellae fraction left


def _ais_end_diameter(cell, keep_um: float = 25.0) -> float:
    """Diameter of the reconstructed axon (or stub) keep_um from its root, main path."""
    secs = cell.morphology.regions["axon"]
    names = {s.hname() for s in secs}
    root = next(s for s in secs if s.parentseg() is None or s.parentseg().sec.hname() not in names)
    acc = 0.0
    for sec in ax._path_from(root, lambda s: [c for c in s.children() if c.hname() in names]):
        if acc + sec.L >= keep_um:
            return sec((keep_um - acc) / sec.L).diam
        acc += sec.L
    return sec(1).diam


def _soma_spike_arrivals(h, cell, axon, tstop_ms: float, dt_ms: float) -> np.ndarray:
    """Arrival times at the nodes of a spike evoked by a 0.5 ms somatic pulse. The cell
    starts at its v_init and the axon at the MRG rest (per-segment initialisation)."""
    area = sum(seg.area() for sec in cell.morphology.soma for seg in sec)
    stim = h.IClamp(cell.soma)
    stim.delay, stim.dur, stim.amp = 0.5, 0.5, 2e-3 * area  # nA; ~20 uA/cm2
    t = h.Vector().record(h._ref_t, dt_ms)
    vs = [h.Vector().record(n(0.5)._ref_v, dt_ms) for n in axon.nodes]
    stop = h.NetCon(axon.nodes[-1](0.5)._ref_v, None, sec=axon.nodes[-1])
    stop.threshold = -20.0
    stop.record(lambda: setattr(h, "stoprun", 1))
    mine = {s.hname() for s in axon.sections}
    for sec in cell.sections:
        for seg in sec:
            seg.v = axon.spec.biophysics.v_init if sec.hname() in mine else cell.v_init
    h.dt, h.steps_per_ms, h.celsius, h.secondorder = dt_ms, 1 / dt_ms, 37.0, 0
    h.finitialize()
    h.continuerun(tstop_ms)
    n = min(len(t), *(len(v) for v in vs))
    v = np.array([np.asarray(x)[:n] for x in vs])
    return an.arrival_times(np.asarray(t)[:n], v, -20.0, after_ms=0.5)


def _first_blocking_step(blocked) -> int:
    """Index of the first blocking step of LESION_STEPS (len if none), by bisection."""
    lo, hi = -1, len(LESION_STEPS)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if blocked(LESION_STEPS[mid]):
            hi = mid
        else:
            lo = mid
    return hi


@pytest.mark.validation
@pytest.mark.slow
@pytest.mark.parametrize("morphology", SHARED_MORPHOLOGIES)
def test_myelinated_axon_on_a_reconstructed_cell(h, morphology):
    """On each shared reconstruction (Mainen & Sejnowski 1996 biophysics, their axon stub
    where the file has no axon), the axon beyond 25 um is replaced by a myelinated axon as
    thick as the kept initial segment. A 0.5 ms somatic pulse starts a spike that reaches
    the last node; its CV between nodes 8 and 18 (away from the soma) is within 5 % of the
    standalone axon of the same spec; a 3-internode lesion blocks at the same step of
    the lamellae sweep as on the standalone axon, +- one step (or on neither: thin fibres
    have internodes short enough to be bridged even when bare). Both at dt = 2 us."""
    from mgneuron.cell import cell_spec
    from mgneuron.environment import Environment

    path = SHARED / morphology
    with pytest.warns() if "purkinje" in morphology else _nullcontext():
        cell = cell_spec(str(path), d_lambda=0.3).build()  # dendrites: coarse is enough
    env = Environment(celsius=37.0)
    D = ax.fiber_diameter_for_axon(_ais_end_diameter(cell))
    spec = MyelinatedAxonSpec(D, ax.healthy(20), extrapolate=True)
    axon = ax.myelinate_cell(cell, spec)
    assert cell.morphology.regions["axon"][-1] is axon.sections[-1]
    cell.apply_environment(env)
    arrival = _soma_spike_arrivals(h, cell, axon, tstop_ms=6.0, dt_ms=2 * DT)
    assert np.isfinite(arrival[-1]), f"no spike at the last node ({morphology})"
    cv_cell = an.conduction_velocity(arrival, axon.node_x_um, 8, 18)
    ref = ax.build_axon(spec, name="ref")
    tr = ax.run_conduction(ref, tstop_ms=6.0, dt_ms=2 * DT, amp_nA=3.0, stop_at_node=-1)
    arr_ref = an.arrival_times(tr.t_ms, tr.v_mV, -20.0, after_ms=0.1)
    cv_ref = an.conduction_velocity(arr_ref, tr.node_x_um, 8, 18)
    assert cv_cell == pytest.approx(cv_ref, rel=0.05), (morphology, D, cv_cell, cv_ref)
    ref.release()

    # Lesion: 3 internodes (5-7) of a 12-internode axon; coarser step for speed, same in both.
    def lesioned(f):
        return MyelinatedAxonSpec(
            D, ax.demyelinated(12, 1 - f, lesion=3, start=5), extrapolate=True
        )

    def blocked_on_cell(f):
        a = ax.myelinate_cell(cell, lesioned(f))  # replaces the previous myelinated axon
        cell.apply_environment(env)
        return not np.isfinite(_soma_spike_arrivals(h, cell, a, 4.0, 0.002)[-1])

    def blocked_alone(f):
        a = ax.build_axon(lesioned(f), name="ref")
        tr = ax.run_conduction(a, tstop_ms=4.0, dt_ms=0.002, amp_nA=3.0, stop_at_node=-1)
        return not np.isfinite(an.arrival_times(tr.t_ms, tr.v_mV[[-1]], -20.0, 0.1)[0])

    on_cell, alone = _first_blocking_step(blocked_on_cell), _first_blocking_step(blocked_alone)
    assert abs(on_cell - alone) <= 1, (morphology, on_cell, alone)
    cell.delete()


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "morphologies"


def test_option_on_a_bare_soma_builds_the_standard_ais(h):
    """``--myelinated-axon`` on a soma without axon: hillock + AIS (AISSpec) + myelinated
    axon; a pulse into the AIS reaches the last node."""
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20.0
    soma.insert("pas")
    axon = ax.apply_myelinated_axon(soma, "10:healthy,nodes=7")
    hill, ais = axon.extra_sections
    assert hill.parentseg().sec == soma and axon.nodes[0].parentseg().sec == ais
    assert ais.diam == pytest.approx(axon.geometry.node_diameter_um)
    stim = h.IClamp(ais(0.5))
    stim.delay, stim.dur, stim.amp = 0.2, 0.2, 5.0
    t = h.Vector().record(h._ref_t)
    v = h.Vector().record(axon.nodes[-1](0.5)._ref_v)
    h.dt, h.celsius, h.secondorder = 0.002, 37.0, 0
    h.finitialize(-80.0)
    h.continuerun(2.0)
    assert an.crossing_times(np.asarray(t), np.asarray(v), -20.0).size == 1


def test_runs_use_backward_euler_and_restore_the_setting(h):
    """NEURON 9.0.2's Crank-Nicolson (secondorder 2) is wrong with extracellular layers;
    run_conduction runs backward Euler and puts the global back."""
    a = ax.build_axon(MyelinatedAxonSpec(10.0, ax.healthy(6)))
    base = ax.run_conduction(a, tstop_ms=1.0, amp_nA=3.0)
    h.secondorder = 2
    try:
        again = ax.run_conduction(a, tstop_ms=1.0, amp_nA=3.0)
        assert h.secondorder == 2
    finally:
        h.secondorder = 0
    assert np.array_equal(base.v_mV, again.v_mV)
