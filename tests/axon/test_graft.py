"""Tests of mgneuron.axon.graft: a myelinated axon on reconstructed cells and a bare soma.

The reconstructions in the repository (``tests/data/morphologies``) carry the
Mainen & Sejnowski 1996 biophysics; conduction along the grafted axon is compared with
the standalone axon of the same spec.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from mgneuron import axon as ax
from mgneuron.axon import MyelinatedAxonSpec
from mgneuron.axon.graft import _path_from
from mgneuron.measures import arrival_times, conduction_velocity, crossing_times
from tests.conftest import DATA

DT = ax.DEFAULT_DT_MS  # 0.001 ms
MORPHOLOGIES = DATA / "morphologies"  # in the repository: the test runs on a fresh clone
RECONSTRUCTIONS = sorted(p.name for p in MORPHOLOGIES.glob("*") if p.suffix in (".swc", ".asc"))
assert RECONSTRUCTIONS, f"no reconstructions in {MORPHOLOGIES}"
LESION_STEPS = (0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.0)  # lamellae fraction left


def _ais_end_diameter(cell, keep_um: float = 25.0) -> float:
    """Diameter of the reconstructed axon (or stub) keep_um from its root, main path."""
    secs = cell.morphology.regions["axon"]
    names = {s.hname() for s in secs}
    root = next(s for s in secs if s.parentseg() is None or s.parentseg().sec.hname() not in names)
    acc = 0.0
    for sec in _path_from(root, lambda s: [c for c in s.children() if c.hname() in names]):
        if acc + sec.L >= keep_um:
            return sec((keep_um - acc) / sec.L).diam
        acc += sec.L
    return sec(1).diam


def _soma_spike_arrivals(h, cell, axon, tstop_ms: float, dt_ms: float) -> np.ndarray:
    """Arrival times at the nodes of a spike evoked by a 0.5 ms somatic pulse. The cell
    starts at its v_init and the axon at the MRG rest (per-segment initialisation, which
    the engine's run does not do: plain NEURON calls here)."""
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
    return arrival_times(np.array(t)[:n], v, -20.0, after_ms=0.5)


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
@pytest.mark.parametrize("morphology", RECONSTRUCTIONS)
def test_myelinated_axon_on_a_reconstructed_cell(h, morphology):
    """On each reconstruction (Mainen & Sejnowski 1996 biophysics, their axon stub
    where the file has no axon), the axon beyond 25 um is replaced by a myelinated axon as
    thick as the kept initial segment. A 0.5 ms somatic pulse starts a spike that reaches
    the last node; its CV between nodes 8 and 18 (away from the soma) is within 5 % of the
    standalone axon of the same spec; a 3-internode lesion blocks at the same step of
    the lamellae sweep as on the standalone axon, +- one step (or on neither: thin fibres
    have internodes short enough to be bridged even when bare). Both at dt = 2 us."""
    from mgneuron.cell import cell_spec
    from mgneuron.environment import Environment

    path = MORPHOLOGIES / morphology
    with pytest.warns() if "purkinje" in morphology else contextlib.nullcontext():
        cell = cell_spec(str(path), d_lambda=0.3).build()  # dendrites: coarse is enough
    env = Environment()
    D = ax.fiber_diameter_for_axon(_ais_end_diameter(cell))
    spec = MyelinatedAxonSpec(D, ax.healthy(20), extrapolate=True)
    axon = ax.myelinate_cell(cell, spec)
    assert cell.morphology.regions["axon"][-1] is axon.sections[-1]
    cell.apply_environment(env)
    arrival = _soma_spike_arrivals(h, cell, axon, tstop_ms=6.0, dt_ms=2 * DT)
    assert np.isfinite(arrival[-1]), f"no spike at the last node ({morphology})"
    cv_cell = conduction_velocity(arrival, axon.node_x_um, 8, 18)
    ref = ax.build_axon(spec, name="ref")
    tr = ax.run_conduction(ref, tstop_ms=6.0, dt_ms=2 * DT, amp_nA=3.0, stop_at_node=-1)
    arr_ref = arrival_times(tr.t_ms, tr.v_mV, -20.0, after_ms=0.1)
    cv_ref = conduction_velocity(arr_ref, tr.node_x_um, 8, 18)
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
        return not np.isfinite(arrival_times(tr.t_ms, tr.v_mV[[-1]], -20.0, 0.1)[0])

    on_cell, alone = _first_blocking_step(blocked_on_cell), _first_blocking_step(blocked_alone)
    assert abs(on_cell - alone) <= 1, (morphology, on_cell, alone)
    cell.delete()


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
    assert crossing_times(np.asarray(t), np.asarray(v), -20.0).size == 1
