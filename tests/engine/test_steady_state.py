"""mgneuron.engine.steady_state: the steady-state start before t = 0.

Reference (validation): a passive two-compartment cell whose compartments have different
leak reversals (-60 and -90 mV) rests where the two leaks and the axial conductance
between them balance, a closed form of the resistor network (Kirchhoff's current law at
both nodes). Tolerance: 1e-6 mV (the settling stops when no segment moves by 1e-9 mV
per step; the closed form is exact). Also checked: the run starts there with fixed steps
and with CVODE and stays there; events and recordings start at t = 0; the globals the
settling borrows come back; CoreNEURON starts from the same state (subprocess).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mgneuron.engine import RunSettings, Simulation, reset
from mgneuron.engine.state import cvode
from mgneuron.errors import ProtocolError

ROOT = Path(__file__).resolve().parents[2]
E1, E2 = -60.0, -90.0  # leak reversals of the two compartments (mV)
G1, G2 = 1e-4, 3e-4  # leak conductances (S/cm2)
RA = 150.0  # axial resistivity (ohm cm)


@pytest.fixture
def two_compartments(h):
    """Soma (20 x 20 um) and a cable (200 x 1 um), one segment each, two leaks."""
    reset()
    soma, dend = h.Section(name="ss_soma"), h.Section(name="ss_dend")
    soma.L = soma.diam = 20.0
    dend.L, dend.diam = 200.0, 1.0
    dend.connect(soma(1))
    for sec, g, e in ((soma, G1, E1), (dend, G2, E2)):
        sec.nseg, sec.Ra = 1, RA
        sec.insert("pas")
        sec.g_pas, sec.e_pas = g, e
    yield h, soma, dend
    reset()


def closed_form(soma, dend) -> tuple[float, float]:
    """Resting potentials (mV) of the two nodes: KCL with two leaks and one axial path.

    Leak conductance G = g_pas * area (S); axial conductance between the two segment
    centres, 1 / (half of each section's axial resistance Ra L / (pi r^2)), in S.
    """
    area = [math.pi * s.diam * s.L * 1e-8 for s in (soma, dend)]  # cm2
    ga = [G1 * area[0], G2 * area[1]]
    half = [RA * (s.L * 1e-4 / 2) / (math.pi * (s.diam * 1e-4 / 2) ** 2) for s in (soma, dend)]
    gc = 1.0 / sum(half)
    # [ga0 + gc, -gc; -gc, ga1 + gc] v = [ga0 E1, ga1 E2]
    a = np.array([[ga[0] + gc, -gc], [-gc, ga[1] + gc]])
    return tuple(np.linalg.solve(a, [ga[0] * E1, ga[1] * E2]))


@pytest.mark.validation
@pytest.mark.parametrize("use_cvode", [False, True], ids=["fixed", "cvode"])
def test_settled_rest_equals_the_closed_form_of_the_resistor_network(two_compartments, use_cvode):
    h, soma, dend = two_compartments
    v1, v2 = closed_form(soma, dend)
    assert v1 - v2 > 3.0  # the two parts really rest apart (-75.7 and -79.5 mV)
    settings = RunSettings(tstop=50.0, v_init=-70.0, cvode=use_cvode, steady_state=True)
    sim = Simulation(settings)
    rec = [sim.record(soma(0.5)._ref_v, 0.5), sim.record(dend(0.5)._ref_v, 0.5)]
    steady = sim.run()
    assert steady is sim.steady and steady.converged and steady.change_mV < 1e-9
    assert 1 <= steady.steps < 50
    soma_v, dend_v = (np.asarray(r) for r in rec)
    # recorded from t = 0, not during the settling (CVODE may miss the sample at tstop)
    assert soma_v.size == 101 or (use_cvode and soma_v.size == 100)
    np.testing.assert_allclose([soma_v[0], dend_v[0]], [v1, v2], rtol=0, atol=1e-6)
    # ... and stays there for 50 ms (without settling it moves by mV: see below)
    assert np.ptp(soma_v) < 1e-6 and np.ptp(dend_v) < 1e-6
    assert float(h.t) == pytest.approx(50.0, abs=settings.dt)
    assert bool(cvode().active()) == use_cvode


def test_without_steady_state_the_same_cell_drifts(two_compartments):
    """The control: from v_init the soma moves by millivolts over the first 50 ms."""
    h, soma, _ = two_compartments
    sim = Simulation(RunSettings(tstop=50.0, v_init=-70.0))
    v = sim.record(soma(0.5)._ref_v)
    assert sim.run() is None and sim.steady is None
    assert np.ptp(np.asarray(v)) > 1.0


@pytest.mark.validation
def test_settled_rest_equals_a_long_plain_neuron_run(two_compartments):
    """Second reference: plain NEURON (finitialize, fadvance) for 5 s from v_init."""
    h, soma, dend = two_compartments
    Simulation(RunSettings(tstop=0.1, steady_state=True)).run()
    settled = (soma(0.5).v, dend(0.5).v)
    h.dt = 0.1
    h.finitialize(-70.0)
    while h.t < 5000.0:
        h.fadvance()
    np.testing.assert_allclose(settled, (soma(0.5).v, dend(0.5).v), rtol=0, atol=1e-6)


def test_events_keep_their_times_and_borrowed_globals_come_back(two_compartments):
    """A synaptic event at 5 ms and a callback at 2 ms happen at their times after the
    settling (none during it); dt, secondorder and t are the run's own."""
    h, soma, _ = two_compartments
    syn = h.ExpSyn(soma(0.5))
    stim = h.NetStim()
    stim.start, stim.number, stim.noise = 5.0, 1, 0
    nc = h.NetCon(stim, syn, 0, 0.0, 0.01)
    settings = RunSettings(tstop=10.0, dt=0.025, secondorder=2, steady_state=True)
    sim = Simulation(settings)
    v = sim.record(soma(0.5)._ref_v)
    seen = []
    sim.run(events=[(2.0, lambda: seen.append((h.t, h.dt, int(h.secondorder))))])
    assert seen == [(pytest.approx(2.0), 0.025, 2)]
    v = np.asarray(v)
    k = int(round(5.0 / settings.dt))
    assert np.ptp(v[: k + 1]) < 1e-9  # flat until the event ...
    assert v[k + 4] - v[k] > 0.1  # ... which then depolarises
    del nc


def test_ranks_refused(two_compartments, monkeypatch):
    """A model spread over MPI ranks cannot settle rank by rank: refused, with the way out."""
    import mgneuron.engine.stepping as stepping

    monkeypatch.setattr(stepping, "distributed", lambda: True)
    with pytest.raises(ProtocolError, match="MPI ranks"):
        Simulation(RunSettings(tstop=1.0, steady_state=True)).run()


def test_unconverged_settling_is_reported(two_compartments):
    """Too few steps for the tolerance: the run goes on, and says it is off rest."""
    from mgneuron.engine.steady_state import SteadyStateWarning

    settings = RunSettings(tstop=1.0, steady_state=True, steady_tol_mV=1e-15, steady_max_steps=1)
    with pytest.warns(SteadyStateWarning, match="not reached in 1 "):
        steady = Simulation(settings).run()
    assert not steady.converged and steady.steps == 1 and steady.change_mV > 1e-15


def test_bad_settling_settings_refused():
    with pytest.raises(ProtocolError, match="steady_tol_mV"):
        RunSettings(tstop=1.0, steady_state=True, steady_tol_mV=0.0)


_CORENEURON = """
import json
import numpy as np
from mgneuron.engine import RunSettings, Simulation, use_coreneuron
use_coreneuron({cn})
from neuron import h
from mgneuron.mechanisms import require
require()
soma, dend = h.Section(name="soma"), h.Section(name="dend")
soma.L = soma.diam = 20.0
soma.insert("hh")
dend.L, dend.diam, dend.nseg = 300.0, 1.0, 5
dend.insert("pas")
dend.e_pas = -85.0
dend.connect(soma(1))
settings = RunSettings(tstop=20.0, dt=0.025, celsius=6.3, v_init=-50.0, steady_state=True)
sim = Simulation(settings)
v = sim.record(soma(0.5)._ref_v)
steady = sim.run()
json.dump({{"v": np.asarray(v).tolist(), "steps": steady.steps}}, open("{name}.json", "w"))
"""


@pytest.mark.slow
def test_coreneuron_starts_from_the_same_steady_state(tmp_path):
    """An HH soma on a leaky cable (e_pas -85 mV), v_init -50 mV: settled, CoreNEURON's
    trace is NEURON's (to 1e-6 mV) and flat, from the settled rest."""
    import json

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for cn, name in ((False, "nrn"), (True, "cn")):
        res = subprocess.run(
            [sys.executable, "-c", _CORENEURON.format(cn=cn, name=name)],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600, check=False,
        )  # fmt: skip
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    nrn, cn = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("nrn", "cn"))
    a, b = np.asarray(nrn["v"]), np.asarray(cn["v"])
    assert a.size == b.size == 801
    assert a[0] < -66.0 and np.ptp(a) < 1e-6  # settled well below v_init, and flat
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)
