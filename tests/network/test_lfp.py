"""The extracellular potential: forward model and the network's LFP recorder.

References: the line-source potential against a numerical integral of point sources
along the segment (a second method); the recorder's LFP of one cell against a point-
source sum over its segments computed here from currents recorded here, at electrodes
at known distances (within 1 %).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from mgneuron.engine import RunSettings
from mgneuron.engine import run as engine_run
from mgneuron.measures.lfp import (
    band_powers,
    field_events,
    laminar_probe,
    transfer_matrix,
)
from mgneuron.network import build, default_network
from mgneuron.network.lfp import Electrodes, LfpRecorder, default_electrodes, round_channels


def test_line_source_equals_integrated_point_sources():
    rng = np.random.default_rng(0)
    a = rng.uniform(-100, 100, (5, 3))
    b = a + rng.uniform(-80, 80, (5, 3))
    el = rng.uniform(-300, 300, (7, 3))
    m = transfer_matrix(a, b, np.full(5, 0.1), el, 0.3, "line")
    n = 20000
    f = (np.arange(n) + 0.5) / n
    pts = a[:, None, :] + f[None, :, None] * (b - a)[:, None, :]  # (seg, n, 3)
    r = np.linalg.norm(el[:, None, None, :] - pts[None], axis=3)
    ref = (1e3 / (4 * math.pi * 0.3) / r).mean(axis=2)
    np.testing.assert_allclose(m, ref, rtol=1e-5)
    # point source: 1 nA at 100 um in 0.3 S/m is 1e3 / (4 pi 0.3 100) = 2.6526 uV
    p = transfer_matrix(np.zeros((1, 3)), np.array([[0, 0, 1e-3]]), [1.0], [[100, 0, 5e-4]])
    assert p[0, 0] == pytest.approx(2.6526, rel=1e-4)
    with pytest.raises(ValueError, match="method"):
        transfer_matrix(a, b, np.ones(5), el, method="dipole")


def test_probe_and_electrodes():
    probe = laminar_probe(10, 20, 50, 50, 16)
    assert probe[0].tolist() == [10, 20, -50] and probe[-1, 2] == -800
    el = default_electrodes(100.0)
    assert el.n == 17 and el.names[10] == "probe_550um" and el.names[-1] == "eeg"
    assert el.positions_um[-1].tolist() == [50, 50, 10000]


def test_field_events_and_band_power():
    dt = 1.0
    t = np.arange(3000) * dt
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1.0, len(t))
    assert field_events(x, dt) == []  # noise: no event
    bump = -40 * np.exp(-0.5 * ((t[:, None] - np.array([700, 1500, 2300])) / 20) ** 2).sum(1)
    ev = field_events(x + bump, dt)
    assert [round(p) for _, _, p in ev] == pytest.approx([700, 1500, 2300], abs=3)
    # a 6 uV-amplitude 10 Hz sine has variance 18 uV^2, all in the alpha band
    p = band_powers(6 * np.sin(2 * np.pi * 10 * t / 1000), dt)
    assert p["alpha"] == pytest.approx(18.0, rel=0.02)
    assert p["delta"] + p["theta"] + p["beta"] + p["gamma"] < 0.02 * 18.0


def test_welch_psd_matches_scipy():
    """Second method: scipy.signal.welch with the same settings (skipped without scipy)."""
    signal = pytest.importorskip("scipy.signal")
    from mgneuron.measures.lfp import welch_psd

    x = np.random.default_rng(3).normal(0, 2.0, 2750)
    f, p = welch_psd(x, 1000.0, 1000)
    f2, p2 = signal.welch(x, fs=1000.0, nperseg=1000, detrend="constant")
    np.testing.assert_allclose(f, f2)
    np.testing.assert_allclose(p, p2, rtol=1e-10, atol=1e-14)
    assert np.sum(p) * (f[1] - f[0]) == pytest.approx(4.0, rel=0.1)  # variance


def test_rounding_makes_the_sum_order_independent():
    rng = np.random.default_rng(2)
    parts = rng.normal(0, 100, (8, 500, 3))
    a = parts.sum(axis=0)
    b = parts[::-1].sum(axis=0)
    np.testing.assert_array_equal(round_channels(a), round_channels(b))


def test_single_cell_lfp_equals_a_point_source_sum(h):
    """One pyramidal cell firing (soma step) and a tuft input: the recorder's LFP equals
    the point-source sum over its segments (centres computed here, currents recorded
    here) within 1 % of the largest potential at electrodes 300-600 um away; with point
    sources it is the same sum (1e-6)."""
    spec = default_network(2, 1, seed=5).with_(pathways=(), background=())
    soma = spec.positions()[0]
    el_pos = soma + np.array([[300.0, 0, 0], [0, 400.0, 200.0], [450.0, 0, -300.0], [0, 600, 0]])
    electrodes = Electrodes(el_pos, ("a", "b", "c", "d"))
    settings = RunSettings(tstop=60.0, dt=0.025, celsius=34.0, v_init=-70.0)
    with build(spec) as net:
        cell = net.cells[0]
        stim = h.IClamp(cell.soma(0.5))
        stim.delay, stim.dur, stim.amp = 5.0, 40.0, 0.3
        tuft = h.IClamp(cell.secs["tuft"](0.5))
        tuft.delay, tuft.dur, tuft.amp = 20.0, 10.0, 0.2
        one = SimpleNamespace(spec=spec, cells={0: cell})
        line = LfpRecorder(one, electrodes, settings, 1.0, method="line")
        point = LfpRecorder(one, electrodes, settings, 1.0, method="point")
        segs = [seg for sec in cell.sections for seg in sec]
        vecs = [h.Vector().record(seg._ref_i_membrane_) for seg in segs]
        ivec = h.Vector().record(stim._ref_i)
        jvec = h.Vector().record(tuft._ref_i)
        engine_run(settings, events=sorted(line.events() + point.events()))
        lfp_line, lfp_point = line.finish(), point.finish()
        cur = np.array([np.asarray(v) for v in vecs])  # (n_seg, n_steps + 1), nA
        inj = np.asarray(ivec) + np.asarray(jvec)
    # Kirchhoff: the membrane currents add up to the injected current
    np.testing.assert_allclose(cur.sum(axis=0), inj, atol=1e-6)
    assert cur.max() > 1.0  # the cell fired
    # segment centres by hand: soma 20 um centred on the position, basal 2 x 75 um down
    # from the soma's bottom, apical 3 x 83.3 um up from its top, tuft 2 x 75 um above
    z0 = soma[2]
    zc = [z0]
    zc += [z0 - 10 - 75 * (k + 0.5) for k in range(2)]
    zc += [z0 + 10 + 250 / 3 * (k + 0.5) for k in range(3)]
    zc += [z0 + 260 + 75 * (k + 0.5) for k in range(2)]
    centres = np.array([[soma[0], soma[1], z] for z in zc])
    r = np.linalg.norm(el_pos[:, None, :] - centres[None], axis=2)  # (el, seg)
    n_out = lfp_line.shape[0]
    boxed = cur[:, : n_out * 40].reshape(len(segs), n_out, 40).mean(axis=2)  # 1 ms boxes
    ref = (1e3 / (4 * math.pi * 0.3) * boxed.T[:, None, :] / r[None]).sum(axis=2)
    scale = np.abs(ref).max(axis=0)
    assert (scale > 0.01).all()  # uV: a measurable potential at every electrode
    np.testing.assert_allclose(lfp_point, ref, rtol=1e-6, atol=1e-9 * scale.max())
    err = np.abs(lfp_line - ref).max(axis=0) / scale
    assert (err < 0.01).all(), err
    print("line vs point-source relative error per electrode", err)
