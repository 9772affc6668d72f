"""CoreNEURON (``--coreneuron``) gives NEURON's traces.

Reference: the same protocol run with NEURON in this process. Tolerance: 1e-6 relative
to each trace's range (CoreNEURON reorders floating-point sums, so results agree to
round-off, ~1e-12 mV here, not bit for bit).

The CoreNEURON runs happen in subprocesses: a process holds one mechanism library, and
this one has the NEURON-only build loaded. The first run compiles the CoreNEURON build
of the mechanisms into the cache (about a minute on 2 cores; later runs reuse it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mgneuron.engine import RunSettings, Simulation
from mgneuron.results import Report, read_conditions, read_features, read_traces
from mgneuron.runner import ConditionResult, Param, Protocol, streaming_recorder

ROOT = Path(__file__).resolve().parents[2]
RTOL = 1e-6

pytestmark = pytest.mark.slow


class BallStickHH(Protocol):
    """HH soma + passive dendrite, AMPA synapses driven by a NetStim burst.

    Uses only mechanisms CoreNEURON accepts (hh, pas, IClamp, NetStim, AMPASyn): the
    check that this model matches is independent of which mgneuron .mod files are
    CoreNEURON-compatible today.
    """

    name = "ballstick_hh"
    title = "test protocol: CoreNEURON vs NEURON"
    params = (Param("gmax_uS", (0.002, 0.004), "uS", "AMPA peak conductance", float, grid=True),)
    defaults = {"tstop": 100.0}

    def run_condition(self, p):
        from neuron import h

        settings = RunSettings(tstop=p.tstop, dt=p.dt, celsius=6.3, v_init=-65)
        soma = h.Section(name="soma")
        soma.L = soma.diam = 20.0
        soma.insert("hh")
        dend = h.Section(name="dend")
        dend.L, dend.diam, dend.nseg = 200.0, 2.0, 11
        dend.insert("pas")
        dend.connect(soma(1))
        clamp = h.IClamp(soma(0.5))
        clamp.delay, clamp.dur, clamp.amp = 60.0, 20.0, 0.15
        syns = [h.AMPASyn(dend(x)) for x in (0.5, 0.7, 0.9)]
        for s in syns:
            s.gmax = p.gmax_uS
        stim = h.NetStim()
        stim.start, stim.number, stim.interval, stim.noise = 10.0, 4, 5.0, 0
        ncs = [h.NetCon(stim, s, 0, 0.5, 1.0) for s in syns]
        sim = Simulation(settings)
        v_soma = sim.record(soma(0.5)._ref_v, 0.1)
        i_syn = sim.record(syns[-1]._ref_i, settings.dt)
        rec = streaming_recorder(
            [seg._ref_v for seg in dend],
            settings,
            0.05,
            chunk_ms=15.0,
            node_ids=[0],
            element_ids=range(dend.nseg),
        )
        sim.run(events=rec.events())
        v = np.asarray(v_soma)
        features = {
            "v_max_mV": float(v.max()),
            "n_up": int(np.sum((v[1:] > 0) & (v[:-1] <= 0))),
            "q_pC": float(sum(s.q for s in syns)),
        }
        soma_rep = Report(v, (0.0, len(v) * 0.1, 0.1), [0], [0])
        syn_rep = Report(
            np.asarray(i_syn),
            (0.0, len(i_syn) * settings.dt, settings.dt),
            [0],
            [0],
            variable="i",
            units="nA",
        )
        del ncs, clamp
        return ConditionResult(
            features=[features],
            reports={"soma": soma_rep, "syn": syn_rep, "dend": rec.finish()},
        )


def _in_subprocess(code: str, cwd: Path, timeout: float = 600, ok: bool = True):
    """Run ``python -c code`` with this repository importable; assert it succeeded
    (``ok``) and return the finished process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )
    if ok:
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


def test_coreneuron_traces_equal_neuron(tmp_path, h):
    from mgneuron.runner import run

    _in_subprocess(
        "from tests.engine.test_coreneuron import BallStickHH\n"
        "from mgneuron.runner import run\n"
        "run(BallStickHH, 'cn.h5', coreneuron=True, workers=2)\n",
        tmp_path,
    )
    cn = tmp_path / "cn.h5"
    assert (read_conditions(cn)["status"] == "ok").all(), read_conditions(cn)["error"]
    nrn = run(BallStickHH, tmp_path / "nrn.h5")
    a, b = read_traces(nrn), read_traces(cn)
    assert len(a) == len(b) and len(a) > 0
    assert set(a["population"]) == {"soma", "syn", "dend"}
    for col in ("v_mV", "i_nA"):
        x, y = a[col].to_numpy(), b[col].to_numpy()
        ok = ~np.isnan(x)
        span = np.ptp(x[ok])
        np.testing.assert_allclose(y[ok], x[ok], rtol=0, atol=RTOL * span)
    fa, fb = read_features(nrn), read_features(cn)
    assert (fa["n_up"] > 0).all() and (fa["n_up"] == fb["n_up"]).all()
    np.testing.assert_allclose(fb["q_pC"], fa["q_pC"], rtol=RTOL)
    np.testing.assert_allclose(fb["v_max_mV"], fa["v_max_mV"], rtol=RTOL)


def test_epsp_mg_under_coreneuron_matches_or_is_refused_clearly(tmp_path, h):
    """epsp_mg uses NMDAMg: CoreNEURON must reproduce NEURON, or refuse up front.

    A mechanism whose NEURON translation is not thread-safe has a different data layout
    in CoreNEURON, which aborts the process when handed the model; mgneuron checks the
    layouts first and records each condition as failed, naming the .mod file.
    """
    from mgneuron.runner import run

    _in_subprocess(
        "from mgneuron.runner import run\n"
        "run('epsp_mg', 'cn.h5', coreneuron=True, mg=[0.0, 1.0], tstop=120.0)\n",
        tmp_path,
    )
    conds = read_conditions(tmp_path / "cn.h5")
    if (conds["status"] == "failed").all():
        assert conds["error"].str.contains("nmda_mg.mod").all()
        assert conds["error"].str.contains("THREADSAFE").all()
        pytest.xfail("NMDAMg is not CoreNEURON-compatible yet: " + conds["error"][0][:200])
    assert (conds["status"] == "ok").all()
    nrn = run("epsp_mg", tmp_path / "nrn.h5", mg=[0.0, 1.0], tstop=120.0)
    fa, fb = read_features(nrn), read_features(tmp_path / "cn.h5")
    for col in ("epsp_peak_mV", "epsp_area_mV_ms", "nmda_charge_pC", "ca_entry_pC"):
        np.testing.assert_allclose(fb[col], fa[col], rtol=RTOL, err_msg=col)
    a, b = read_traces(nrn), read_traces(tmp_path / "cn.h5")
    span = np.ptp(a["v_mV"])
    np.testing.assert_allclose(b["v_mV"], a["v_mV"], rtol=0, atol=RTOL * span)


_PIECES_SCRIPT = """
import json
import numpy as np
from mgneuron.engine import RunSettings, Simulation, between_pieces, run, use_coreneuron
from mgneuron.engine.coreneuron import prepare_coreneuron

use_coreneuron(True)
from neuron import coreneuron, h
from mgneuron.mechanisms import require

require()
soma = h.Section(name="soma")
soma.L = soma.diam = 20.0
soma.insert("hh")
clamp = h.IClamp(soma(0.5))
clamp.delay, clamp.dur, clamp.amp = 5.0, 1e9, 0.2
settings = RunSettings(tstop=1000.0, dt=0.025, celsius=6.3, v_init=-65.0)
out = {}
# Reference: one CoreNEURON psolve from t = 0, as a plain script makes it.
v = h.Vector().record(soma(0.5)._ref_v)
h.dt, h.celsius = settings.dt, settings.celsius
prepare_coreneuron()
pc = h.ParallelContext()
pc.set_maxstep(10)
coreneuron.enable = True
h.finitialize(settings.v_init)
pc.psolve(settings.tstop)
coreneuron.enable = False
out["one"] = (np.asarray(v).tolist(), [], h.t)
for name, wall_s in (("pieces", None), ("smallest", 1e-6)):
    sim = Simulation(settings)
    v = sim.record(soma(0.5)._ref_v, settings.dt)
    calls = []
    if wall_s is None:
        sim.run()
    else:
        with between_pieces(lambda: calls.append(h.t), wall_s=wall_s):
            sim.run()
    out[name] = (np.asarray(v).tolist(), calls, h.t)
stops = []
run(settings, events=[(47.3, lambda: setattr(h, "stoprun", 1))])
stops.append(h.t)
run(settings)
stops.append(h.t)
json.dump({"runs": out, "stops": stops}, open("pieces.json", "w"))
"""


def test_coreneuron_runs_in_pieces_give_one_calls_trace(tmp_path):
    """CoreNEURON runs go in psolve pieces (Ctrl-C is answered between them). Reference:
    one CoreNEURON psolve from t = 0 over 1000 ms (40 000 steps) of a spiking HH cell. With
    the default pieces and with pieces forced to their minimum (1024 steps, a hook after
    each), the soma trace is the same bit for bit and ends at the same time: rounding in
    the t handed over between pieces once made the last piece stop one step short. A
    callback setting ``h.stoprun`` ends the run at its event (47.3 ms), as with NEURON,
    and the next run goes to tstop."""
    import json

    _in_subprocess(_PIECES_SCRIPT, tmp_path)
    res = json.loads((tmp_path / "pieces.json").read_text())
    v1, _, t1 = res["runs"]["one"]
    assert len(v1) == 40001 and max(v1) > 0  # the whole run, and it spikes
    for name in ("pieces", "smallest"):
        v2, calls, t2 = res["runs"][name]
        assert t2 == t1, name
        assert v2 == v1, name
    assert len(res["runs"]["smallest"][1]) == 39  # 40 000 steps: 39 pieces of 1024, the rest
    assert res["stops"][0] == pytest.approx(47.3, abs=0.025)
    assert res["stops"][1] == pytest.approx(1000.0)


def test_mechanism_missing_from_coreneuron_fails_the_condition_not_the_process(tmp_path):
    """A model with a mechanism the CoreNEURON build lacks (APCount here): every condition
    is recorded as failed with the mechanism's name and what CoreNEURON has, and the
    sweep ends normally. Control: with that check switched off, CoreNEURON aborts the
    whole process ("APCount mechanism does not exist"), so the check is what saves it."""
    _in_subprocess(
        "from tests.runner._protocols import Spiky\n"
        "from mgneuron.runner import run\n"
        "run(Spiky, 'apc.h5', coreneuron=True, tstop=20.0)\n",
        tmp_path,
    )
    conds = read_conditions(tmp_path / "apc.h5")
    assert len(conds) == 4 and (conds["status"] == "failed").all()
    assert conds["error"].str.contains("has no APCount").all()
    assert conds["error"].str.contains("IClamp").all()  # what it does have
    control = _in_subprocess(
        "import mgneuron.engine.coreneuron as C\n"
        "C.check_coreneuron_model = lambda: None\n"
        "from mgneuron.runner import run\n"
        "from tests.runner._protocols import Spiky\n"
        "run(Spiky, 'ctl.h5', coreneuron=True, tstop=20.0)\n",
        tmp_path,
        ok=False,
    )
    assert control.returncode != 0
    assert "APCount mechanism does not exist" in control.stdout + control.stderr
