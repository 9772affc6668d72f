"""The excitability_mg protocol end to end: features, tables, controls, the axon's threshold.

Budget: about 45 s, almost all of it in three protocol runs in quick mode (module fixtures).
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from mgneuron.engine import reset
from mgneuron.measures import find_rheobase
from mgneuron.preparations.current_clamp import translate_membrane
from mgneuron.results import read_features, read_table, read_traces
from mgneuron.runner import Params

MG_SWEEP = [0.0, 0.5, 1.0, 2.0, 3.0]
NAMED = (
    "cell",
    "mg_mM",
    "ca_mM",
    "shift_mV",
    "rheobase_nA",
    "threshold_mV",
    "threshold_site",
    "n_spikes",
    "spontaneous_rate_hz",
    "fi_current1_nA",
    "fi_rate1_hz",
)


def test_coupled_hypocalcaemia():
    from mgneuron.protocols.excitability_mg import coupled_ca_mM

    assert coupled_ca_mM(0.5, 2.0, 0.0) == 2.0
    assert coupled_ca_mM(0.0, 2.0, 0.5) == pytest.approx(1.5)
    assert coupled_ca_mM(2.5, 2.0, 0.5) == 2.0  # above normal Mg: no change
    assert coupled_ca_mM(0.0, 0.3, 1.0) == 0.0  # never negative


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory, h):
    """`mgneuron run excitability_mg` over 0-3 mM, both cells, quick, one F-I point."""
    from mgneuron.cli import main

    out = tmp_path_factory.mktemp("excite") / "excitability_mg.h5"
    argv = ["run", "excitability_mg", "--mg", ",".join(map(str, MG_SWEEP)), "--quick", "true"]
    argv += ["--fi-points", "1", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    return out


def test_cli_run_writes_a_complete_file(sweep_file):
    with h5py.File(sweep_file, "r") as f:
        assert f.attrs["status"] == "complete"
        assert f.attrs["protocol"] == "excitability_mg"
        assert int(f.attrs["n_failed"]) == 0
    df = read_features(sweep_file)
    for col in NAMED:
        assert col in df, col
    assert len(df) == 2 * len(MG_SWEEP)
    assert set(df["cell"]) == {"pyramidal", "axon"}
    assert np.allclose(df["ca_mM"], 2.0)
    assert df[["rheobase_nA", "threshold_mV", "shift_mV"]].notna().all().all()
    fi = read_table(sweep_file, "fi")
    assert {"cell", "mg_mM", "current_nA", "rate_hz"} <= set(fi.columns)
    assert len(fi) == 2 * len(MG_SWEEP)
    assert len(read_table(sweep_file, "threshold_shift")) == 2 * len(MG_SWEEP)
    traces = read_traces(sweep_file, condition_id=0)
    assert len(traces) > 0


def test_shift_feature_is_the_python_reference(sweep_file):
    from mgneuron import screening

    df = read_features(sweep_file)
    for _, r in df.iterrows():
        celsius = 34.0 if r["cell"] == "pyramidal" else 37.0
        assert r["shift_mV"] == pytest.approx(
            screening.shift_mV(r["mg_mM"], r["ca_mM"], celsius=celsius), abs=1e-9
        )


@pytest.mark.parametrize("cell", ["pyramidal", "axon"])
def test_rheobase_falls_monotonically_as_mg_falls(sweep_file, cell):
    """Rheobase decreases strictly at every step of [Mg]o from 3 to 0 mM."""
    df = read_features(sweep_file)
    g = df[df["cell"] == cell].sort_values("mg_mM", ascending=False)
    rheo = g["rheobase_nA"].to_numpy()
    assert (np.diff(rheo) < 0).all(), dict(zip(g["mg_mM"], rheo, strict=True))
    assert (g["spontaneous_rate_hz"] == 0).all()


@pytest.mark.validation
def test_pyramidal_threshold_moves_by_the_screening_shift(sweep_file):
    """threshold(Mg) - threshold(1 mM) vs shift(Mg) - shift(1 mM) (mgneuron.screening,
    Python reference), within 1 mV, 0-3 mM.

    The pyramidal cell's threshold is set by NaT activation in the initial segment against
    a slow leak (Rm 30 kOhm cm2, tau_m 22 ms): at the 20 mV/ms criterion the leak current
    is negligible beside the Na current, so the threshold follows the gating shift
    (measured deviation <= 0.3 mV, growing with the shift because the unscreened leak
    and reversal potentials stay put)."""
    tab = read_table(sweep_file, "threshold_shift")
    pyr = tab[tab["cell"] == "pyramidal"]
    assert (pyr["deviation_mV"].abs() < 1.0).all(), pyr.to_dict("records")


def test_axon_threshold_moves_with_the_shift_but_more(sweep_file):
    """The node's threshold rises with [Mg]o, by 1-2x the shift (measured 1.3-1.6x).

    Not within 1 mV, and it should not be: the reversal potentials that screening leaves
    in place (above all the internodal axolemma's, which holds the fibre's rest against the
    node's Na window current) move the threshold too; the exact statement holds when they move
    with the gating (test_translated_membrane_...), and the excess is predicted by them
    (test_axon_threshold_excess_is_predicted_by_the_unscreened_reversals)."""
    tab = read_table(sweep_file, "threshold_shift")
    ax = tab[(tab["cell"] == "axon") & (tab["d_shift_mV"].abs() > 1.0)]
    ratio = ax["d_threshold_mV"] / ax["d_shift_mV"]
    assert ((ratio > 1.0) & (ratio < 2.0)).all(), ax.to_dict("records")


def _axon(mg_mM, rel_tol=1e-3, parts=(), delta_mV=0.0):
    """(threshold_mV, threshold_site, rest_mV, shift_mV) of the quick axon in ``mg_mM``,
    with the reversal potentials ``parts`` moved by ``delta_mV``; as a condition of the
    protocol runs (NEURON's globals reset first)."""
    from mgneuron.protocols import excitability_mg as em

    cls = em.ExcitabilityMg
    vals, _ = cls.resolve({"mg_mM": [mg_mM], "cell": ["axon"], "quick": True})
    p = Params({k: (v[0] if isinstance(v, list) else v) for k, v in vals.items()}, cls.name)
    reset()
    with em.prepared(p) as (prep, plan):
        if parts:
            translate_membrane(prep.sections, delta_mV, parts)
        d0, dur = plan.delay_ms, plan.brief_ms

        def fires(amp):
            return np.isfinite(prep.first_spike_ms(amp, d0, dur, 2.0))

        brief = find_rheobase(fires, plan.guess_brief_nA, rel_tol)  # quick: 2 %
        amp = brief * (1.0 + plan.threshold_margin)
        thr = prep.voltage_threshold(amp, d0, dur, d0 + dur + 2.0 + 5.0, plan.dvdt)
        return thr.mV, thr.site, float(thr.trace.v_stim[0]), prep.shift_mV


def test_axon_voltage_threshold_does_not_depend_on_the_bisection_tolerance(h):
    """At 0 mM Mg, the node's threshold within 0.3 mV whether the brief threshold is
    bisected to 0.1 % or 2 % (measured 0.07 mV), at the stimulated node. Measured at the
    threshold pulse itself it would not be: -72 mV at 0.1 % and -61 mV at 2 % above
    threshold, the spike starting at a sealed end node within 0.5 % of it."""
    fine, coarse = _axon(0.0, rel_tol=1e-3), _axon(0.0, rel_tol=0.02)
    assert fine[1] == coarse[1] == "node[10]"
    assert fine[0] == pytest.approx(coarse[0], abs=0.3)


@pytest.mark.validation
def test_axon_threshold_excess_is_predicted_by_the_unscreened_reversals(h):
    """Second method for the axon's excess over the shift, with no screening involved.

    Translation identity: with every reversal potential moved along with the gating the
    threshold moves by exactly the shift (test_translated_membrane_...), so to first order
    d thr / d shift = 1 - sum_i d thr / d E_i over the reversal potentials that screening
    leaves in place. The sensitivities are measured in the normal bath (1 mM Mg, shift 0)
    by moving the internodal axolemma's (pas), the node leak's and the Na and K reversals
    by +-0.5 mV; they must predict the ratio measured between 0.75 and 1.25 mM Mg within
    0.05 (measured: 1.512 predicted, 1.514 measured), and the same for the rest (-0.52
    predicted, -0.53 measured: the rest moves against the shift). The excess is real
    (ratio > 1.3) and mostly the internodal axolemma's (-0.33 of -0.51 mV/mV): it holds
    the fibre's rest against the node's screened Na window current."""
    lo, hi = _axon(0.75), _axon(1.25)
    ds = hi[3] - lo[3]
    measured = ((hi[0] - lo[0]) / ds, (hi[2] - lo[2]) / ds)
    sens = {}
    for name, parts in {"pas": ("pas",), "leak": ("leak",), "na_k": ("na", "k")}.items():
        a, b = _axon(1.0, parts=parts, delta_mV=-0.5), _axon(1.0, parts=parts, delta_mV=0.5)
        assert a[3] == b[3] == 0.0
        sens[name] = (b[0] - a[0], b[2] - a[2])  # per mV
    predicted = tuple(1.0 - sum(v[k] for v in sens.values()) for k in (0, 1))
    assert measured[0] == pytest.approx(predicted[0], abs=0.05), (measured, predicted, sens)
    assert measured[1] == pytest.approx(predicted[1], abs=0.05), (measured, predicted, sens)
    assert measured[0] > 1.3 and measured[1] < 0.0
    total = sum(v[0] for v in sens.values())
    assert min(sens.values())[0] == sens["pas"][0] and sens["pas"][0] / total > 0.5, sens


def test_plot_writes_a_png(sweep_file, tmp_path):
    from mgneuron.runner import get_protocol

    figs = get_protocol("excitability_mg")().plot(sweep_file, tmp_path)
    assert len(figs) == 1 and figs[0].stat().st_size > 10_000


@pytest.fixture(scope="module")
def controls(tmp_path_factory, h):
    """Two controls at 0 and 3 mM: reversal potentials translated; screening off."""
    from mgneuron.runner import run

    d = tmp_path_factory.mktemp("controls")
    common = dict(mg_mM=[0.0, 3.0], quick=True, fi_points=0)
    return {
        "translated": run("excitability_mg", d / "translated.h5", shift_reversals=True, **common),
        "off": run("excitability_mg", d / "off.h5", screening="off", **common),
    }


@pytest.mark.validation
@pytest.mark.parametrize("cell", ["pyramidal", "axon"])
def test_translated_membrane_moves_threshold_exactly_by_the_shift(controls, cell):
    """With every reversal potential and v_init moved by the gating shift the membrane is
    translated along the voltage axis: threshold(3) - threshold(0) equals shift(3) -
    shift(0) within 0.01 mV and the rheobase does not change (same bisection, 1e-12).
    Checks that the screening reaches every voltage-gated gate of the cell (NaT, Kdr, Km;
    node fast Na, persistent Na, slow K) and nothing else."""
    df = read_features(controls["translated"])
    g = df[df["cell"] == cell].sort_values("mg_mM")
    d_thr = g["threshold_mV"].iloc[1] - g["threshold_mV"].iloc[0]
    d_shift = g["shift_mV"].iloc[1] - g["shift_mV"].iloc[0]
    assert d_shift > 6.0
    assert d_thr == pytest.approx(d_shift, abs=0.01)
    assert g["rheobase_nA"].iloc[1] == pytest.approx(g["rheobase_nA"].iloc[0], rel=1e-12)


@pytest.mark.parametrize("cell", ["pyramidal", "axon"])
def test_without_screening_mg_has_no_effect_on_excitability(controls, cell):
    """The only action of Mg on these cells is the surface-charge shift: switched off,
    0 and 3 mM give identical rheobase, threshold and after-discharge."""
    df = read_features(controls["off"])
    g = df[df["cell"] == cell].sort_values("mg_mM")
    assert (g["shift_mV"] == 0).all()
    for col in ("rheobase_nA", "threshold_mV", "brief_threshold_nA", "n_spikes", "rest_mV"):
        assert g[col].iloc[0] == g[col].iloc[1], col


def test_quick_replaces_only_what_it_names_and_never_adds_fi_points():
    """quick=True substitutes the QUICK values (at most 2 F-I points, none added to 0)."""
    from mgneuron.protocols import excitability_mg as em

    cls = em.ExcitabilityMg
    vals, _ = cls.resolve({"quick": True, "fi_points": 0, "rel_tol": 0.001})
    p = em._quick(Params({k: (v[0] if isinstance(v, list) else v) for k, v in vals.items()}))
    assert p.fi_points == 0 and p.rel_tol == 0.02 and p.axon_dt == 0.02
    assert p.brief_ms == 1.0 and p.dvdt_mV_ms == 20.0  # not in QUICK: kept
    assert em._quick(p.replace(quick=False, fi_points=6)).fi_points == 6
    assert em._quick(p.replace(fi_points=6)).fi_points == 2
