"""mgneuron.engine.stepping: the integration loop itself (Simulation and run).

Fixed-step runs go through ``ParallelContext.psolve`` in pieces (see
``mgneuron.engine.stepping._psolve_in_pieces``) instead of stdrun's ``continuerun``;
these tests hold it to continuerun bit for bit, and check that Ctrl-C and ``stoprun``
end a run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mgneuron.engine import RunSettings, Simulation, between_pieces, run

ROOT = Path(__file__).resolve().parents[2]


def _model(h):
    """HH compartment driven by a step and by synaptic events (NetStim -> ExpSyn)."""
    sec = h.Section(name="simcell")
    sec.L, sec.diam, sec.nseg = 200.0, 2.0, 11
    sec.insert("hh")
    clamp = h.IClamp(sec(0.1))
    clamp.delay, clamp.dur, clamp.amp = 3.0, 20.0, 0.05
    syn = h.ExpSyn(sec(0.9))
    stim = h.NetStim()
    stim.start, stim.interval, stim.number, stim.noise = 5.0, 7.0, 6, 0
    nc = h.NetCon(stim, syn, 0, 0.0, 0.004)  # zero delay, as protocols use
    return sec, clamp, syn, stim, nc


def _reference(h, settings: RunSettings, refs, event_t: float | None = None):
    """The same run with stdrun's continuerun, the way a plain NEURON script does it."""
    h.load_file("stdrun.hoc")
    h.dt, h.steps_per_ms, h.celsius, h.tstop = (
        settings.dt,
        1 / settings.dt,
        settings.celsius,
        settings.tstop,
    )
    h.CVode().active(1 if settings.cvode else 0)  # as RunSettings does (not cvode_active)
    vecs = [h.Vector().record(r) for r in refs]
    seen = []
    h.finitialize(settings.v_init)
    if event_t is not None:
        h.CVode().event(event_t, lambda: seen.append(h.t))
    h.continuerun(settings.tstop)
    return [np.asarray(v).copy() for v in vecs], seen, h.t


@pytest.mark.parametrize("tstop", [60.0, 60.0037, 60.0137])
def test_fixed_step_run_equals_continuerun_bit_for_bit(h, tstop):
    """Every sample of v, m and the synaptic current equals continuerun's, and a callback
    at 17.3 ms runs at the same step (reference: stdrun's continuerun, same model); also
    when tstop is off the time grid (continuerun ends at the nearest grid point, psolve
    alone would stop at the one before: 60.0137 ms ends at 60.025)."""
    settings = RunSettings(tstop=tstop, dt=0.025, celsius=6.3, v_init=-65.0)
    model = _model(h)
    sec, syn = model[0], model[2]
    refs = [sec(0.5)._ref_v, sec(0.9)._ref_v, sec(0.5).hh._ref_m, syn._ref_i]
    expected, seen_ref, t_ref = _reference(h, settings, refs, event_t=17.3)
    sim = Simulation(settings)
    vecs = [sim.record(r, settings.dt) for r in refs]
    seen = []
    sim.run(events=[(17.3, lambda: seen.append(h.t))])
    got = [np.asarray(v) for v in vecs]
    # record() keeps the samples at t <= tstop (2401); continuerun's step past an
    # off-grid tstop is taken all the same (h.t below) but not kept.
    assert len(got[0]) == 2401
    assert len(expected[0]) == (2402 if tstop > 60.0125 else 2401)
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b[: len(a)])
    assert seen == seen_ref and len(seen) == 1
    assert h.t == t_ref
    assert got[0].max() > 0  # it spiked: the comparison covers a spike, not a flat line


def test_variable_step_run_equals_continuerun_step_for_step(h):
    """CVODE runs: the same steps (times and values at every step), the same callback
    time and the same end as stdrun's continuerun with CVode.active(1)."""
    settings = RunSettings(tstop=60.0, dt=0.025, celsius=6.3, v_init=-65.0, cvode=True)
    model = _model(h)
    sec, syn = model[0], model[2]
    refs = [h._ref_t, sec(0.5)._ref_v, sec(0.5).hh._ref_m, syn._ref_i]
    expected, seen_ref, t_ref = _reference(h, settings, refs, event_t=17.3)
    vecs = [h.Vector().record(r) for r in refs]
    seen = []
    run(settings, events=[(17.3, lambda: seen.append(h.t))])
    got = [np.asarray(v).copy() for v in vecs]
    h.CVode().active(0)
    assert 100 < len(got[0]) < 0.5 * 60.0 / 0.025  # variable steps, far fewer than fixed
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)
    assert seen == seen_ref and len(seen) == 1
    assert h.t == t_ref


def test_record_with_cvode_samples_at_its_interval(h):
    """Simulation.record under CVODE gives the values at t = 0, 0.1, 0.2 ... ms: those of
    NEURON's own ``Vector.record(ref, 0.1)`` in the same continuerun (bit for bit). Second
    method: fixed-step runs sampled at the same times converge to them at first order in
    dt (the largest difference, on a spike's upstroke, falls ~4x from dt = 0.1/16 to
    0.1/64 ms, to under 0.25 mV; CVODE at atol 1e-6). Before, the vector held the
    variable steps and was thinned as if they were a grid (errors of tens of mV)."""
    refs_of = lambda m: [m[0](0.5)._ref_v, m[2]._ref_i]  # noqa: E731
    settings = RunSettings(tstop=60.0, dt=0.025, celsius=6.3, v_init=-65.0, cvode=True)
    model = _model(h)
    h.load_file("stdrun.hoc")
    h.dt, h.tstop = settings.dt, settings.tstop
    atol = h.CVode().atol()
    h.CVode().atol(1e-6)
    h.CVode().active(1)
    expected = [h.Vector().record(r, 0.1) for r in refs_of(model)]
    h.finitialize(settings.v_init)
    h.continuerun(settings.tstop)
    expected = [np.asarray(v).copy() for v in expected]
    sim = Simulation(settings)
    got = [sim.record(r, 0.1) for r in refs_of(model)]
    try:
        sim.run()
    finally:
        h.CVode().active(0)
        h.CVode().atol(atol)
    got = [np.asarray(v).copy() for v in got]
    for a, b in zip(got, expected, strict=True):
        n = len(b)
        assert n >= 600 and len(a) == min(n, 601)  # t = 0 .. 60 ms; 60 itself if reached
        assert np.array_equal(a, b[: len(a)])
    assert got[0].max() > 0  # spikes are in the comparison
    errors = []
    for steps in (16, 64):
        fixed = Simulation(RunSettings(tstop=60.0, dt=0.1 / steps, celsius=6.3, v_init=-65.0))
        v_fixed = fixed.record(refs_of(model)[0], 0.1)
        fixed.run()
        errors.append(np.max(np.abs(got[0] - np.asarray(v_fixed)[: len(got[0])])))
    assert errors[1] < 0.25 and errors[1] < errors[0] / 3, errors


def test_hook_between_pieces_runs_often_and_changes_nothing(h):
    """between_pieces: the hook runs between short psolve pieces (what the MPI master
    uses to serve the other ranks), the values stay those of continuerun bit for bit,
    and outside the block the hook is not called."""
    settings = RunSettings(tstop=200.0, dt=0.025, celsius=6.3, v_init=-65.0)
    model = _model(h)
    refs = [model[0](0.5)._ref_v, model[2]._ref_i]
    expected, _, _ = _reference(h, settings, refs)
    sim = Simulation(settings)
    vecs = [sim.record(r, settings.dt) for r in refs]
    calls = []
    with between_pieces(lambda: calls.append(h.t), wall_s=1e-6):
        sim.run()
    got = [np.asarray(v).copy() for v in vecs]
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)
    # 1e-6 s pieces never double: 64 steps (1.6 ms) each, hook after every one.
    assert len(calls) == int(np.ceil(8000 / 64))
    assert calls == sorted(calls) and calls[-1] == pytest.approx(200.0)
    run(settings)
    assert len(calls) == int(np.ceil(8000 / 64))


def test_stoprun_from_a_callback_ends_the_run_where_continuerun_does(h):
    """``h.stoprun = 1`` in a callback (early stop, as axon.py uses) ends the run at the
    same step as continuerun, and the next run starts afresh."""
    settings = RunSettings(tstop=60.0, dt=0.025, celsius=6.3, v_init=-65.0)
    model = _model(h)  # noqa: F841 - kept alive for the runs
    h.load_file("stdrun.hoc")
    stops = []
    for runner in ("continuerun", "mgneuron"):
        h.dt, h.steps_per_ms, h.tstop = settings.dt, 40.0, settings.tstop
        if runner == "continuerun":
            h.finitialize(settings.v_init)
            h.CVode().event(21.0, lambda: setattr(h, "stoprun", 1))
            h.continuerun(settings.tstop)
        else:
            run(settings, events=[(21.0, lambda: setattr(h, "stoprun", 1))])
        stops.append(h.t)
    assert stops[0] == stops[1] == pytest.approx(21.0, abs=settings.dt)
    run(settings)  # stoprun from the last run must not stop this one
    assert h.t == pytest.approx(60.0, abs=1e-9)


@pytest.mark.parametrize("engine", ["fixed step", "cvode", "coreneuron"])
def test_ctrl_c_during_a_long_run_stops_the_sweep_and_keeps_finished_conditions(tmp_path, engine):
    """SIGINT while condition 2 integrates 10^7 ms: KeyboardInterrupt within seconds, the
    partial file keeps conditions 0 and 1 only (no truncated condition 2); with fixed
    steps, with CVODE and with CoreNEURON (whose psolve pieces last about a second)."""
    from mgneuron.results import partial_path, read_attrs, read_conditions

    out = tmp_path / "long.h5"
    marker = tmp_path / "marker"
    options = {
        "fixed step": "",
        "cvode": ", cvode=True",
        "coreneuron": ", coreneuron=True, apcount=False",  # CoreNEURON has no APCount
    }[engine]
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.runner._protocols import Spiky\n"
        "from mgneuron.runner import run\n"
        f"run(Spiky, {str(out)!r}, long_on=2, tstop=40.0{options})\n"
    )
    env = dict(os.environ, MGNEURON_TEST_MARKER=str(marker))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.time() + 600  # CoreNEURON: may compile its mechanisms first (cached)
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.time() < deadline, "the sweep never reached condition 2"
            time.sleep(0.05)
        time.sleep(1.0)  # well inside the 10^7 ms run (hours of wall time)
        t0 = time.time()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        stopped_s = time.time() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err, err[-2000:]
    assert stopped_s < 10.0
    assert not out.exists()
    part = partial_path(out)
    assert list(read_conditions(part, allow_partial=True)["condition_id"]) == [0, 1]
    assert read_attrs(part, allow_partial=True)["status"] == "partial"
