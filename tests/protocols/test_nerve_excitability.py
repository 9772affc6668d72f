"""nerve_excitability: TROND indices of the human axon against normative human values,
the [Mg]o dependence through screening, and the refusals.

Normative ranges (docs/guide.md, "Protocol notes: nerve_excitability"): healthy median
motor axons, Kiernan, Burke, Andersen & Bostock 2000 (Muscle Nerve 23:399), taken as
mean +/- about 2 SD and rounded outward. Sensory axons: the directions of Mogyoros,
Kiernan & Burke 1996 (Brain 119:439; longer SDTC) and Howells et al. 2012 (J Physiol
590:1625; smaller threshold increase to hyperpolarisation). The reduced point sets below
still sample every index window; 0.2 % bisections resolve the ~5 % [Mg]o steps.
"""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.errors import ProtocolError
from mgneuron.results import read_features, read_table
from mgneuron.runner import run

SMALL = {
    "sd_durations_ms": "0.2,1", "te_delays_ms": "10,15,20,90,95,99",
    "iv_levels_pct": "10,0,-10", "rc_intervals_ms": "2.5,4,5,6.3,7.9,10,25,32,40,50",
    "rel_tol": 0.002,
}  # fmt: skip
#: index: (low, high) of the published normal motor range (see the module docstring)
MOTOR_NORMAL = {
    "sdtc_ms": (0.30, 0.60),
    "ted40_pct": (60.0, 78.0),
    "ted40_late_pct": (38.0, 55.0),
    "teh40_pct": (-150.0, -100.0),
    "iv_slope": (0.40, 0.80),
    "superexcitability_pct": (-35.0, -14.0),
    "subexcitability_pct": (7.0, 22.0),
}
FEATURES = ["fibre", "mg_mM", "ca_mM", "rheobase_nA", "sdtc_ms", "ted40_pct", "teh40_pct",
            "superexcitability_pct", "refractoriness_pct", "subexcitability_pct",
            "iv_slope"]  # fmt: skip


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("ne") / "ne.h5"
    run("nerve_excitability", out, mg=[0.5, 1.0, 2.0], quiet=True, **SMALL)
    return out


def test_features_and_curves(sweep):
    df = read_features(sweep)
    assert set(FEATURES) <= set(df.columns)
    assert sorted(df["fibre"]) == ["motor"] * 3 + ["sensory"] * 3
    assert (df["settle_spikes"] == 0).all()  # a true rest in every bath
    curves = read_table(sweep, "curves")
    assert set(curves["test"]) == {"sd", "te_depolarising", "te_hyperpolarising", "iv", "rc"}


def test_motor_indices_within_normal_ranges(sweep):
    """At 1 mM Mg, 2 mM Ca the motor axon's SDTC, TE, I/V slope, superexcitability and
    late subexcitability lie in the normal ranges; the sensory SDTC is longer and its
    TEh(90-100 ms) smaller than the motor axon's."""
    df = read_features(sweep)
    normal = df[df["mg_mM"] == 1.0].set_index("fibre")
    for key, (lo, hi) in MOTOR_NORMAL.items():
        assert lo <= normal.loc["motor", key] <= hi, (key, normal.loc["motor", key])
    assert normal.loc["sensory", "sdtc_ms"] > normal.loc["motor", "sdtc_ms"]
    assert normal.loc["sensory", "teh40_pct"] > normal.loc["motor", "teh40_pct"]


@pytest.mark.xfail(strict=True, reason="known disagreement: with the published Na+ kinetics "
                   "the afterpotential of the package's own circuit constants outweighs the "
                   "unrecovered inactivation at 2.5 ms (docs/guide.md, nerve_excitability)",
                   )  # fmt: skip
def test_refractoriness_within_normal_range(sweep):
    """Normal refractoriness at 2.5 ms is positive (about +10 to +50 %)."""
    df = read_features(sweep)
    motor = df[(df["mg_mM"] == 1.0) & (df["fibre"] == "motor")].iloc[0]
    assert 10.0 <= motor["refractoriness_pct"] <= 50.0


def test_rheobase_rises_with_mg_through_screening(sweep):
    """Rheobase 0.5 < 1 < 2 mM [Mg]o in both fibres, and the gating shift rises with it."""
    df = read_features(sweep)
    for fibre, g in df.groupby("fibre"):
        g = g.sort_values("mg_mM")
        assert (np.diff(g["rheobase_nA"]) > 0).all(), (fibre, g["rheobase_nA"].tolist())
        assert (np.diff(g["shift_mV"]) > 0).all()


def test_without_screening_mg_changes_nothing(h):
    """Screening off: the 1-ms threshold is the same at 0.5 and 2 mM [Mg]o (Mg2+ acts only
    through screening here), and it differs with screening on."""
    from mgneuron.axon.human import human_axon_spec
    from mgneuron.bath import configure_screening, current_screening
    from mgneuron.environment import Environment
    from mgneuron.preparations.threshold_tracking import threshold_tracking

    def thr(mg):
        with threshold_tracking(human_axon_spec("motor"), Environment(mg_mM=mg)) as tr:
            return tr.threshold(1.0, 1.0, 0.6, 0.001)

    before = current_screening()
    try:
        configure_screening(model="off")
        assert thr(0.5) == thr(2.0)
    finally:
        configure_screening(before)
    assert thr(2.0) > thr(0.5) * 1.02


def test_bad_parameters_are_refused(tmp_path):
    with pytest.raises(ProtocolError, match="two different durations"):
        run("nerve_excitability", tmp_path / "a.h5", mg=[1.0], sd_durations_ms="1,1")
    with pytest.raises(ProtocolError, match="comma-separated numbers"):
        run("nerve_excitability", tmp_path / "b.h5", mg=[1.0], te_delays_ms="10,x")
    with pytest.raises(ProtocolError, match="shorter than the conditioning pulse"):
        run("nerve_excitability", tmp_path / "c.h5", mg=[1.0], rc_intervals_ms="0.5,2")
    with pytest.raises(ProtocolError, match="must fit inside"):
        run("nerve_excitability", tmp_path / "d.h5", mg=[1.0], test_ms=5.0, iv_ms=2.0)
    with pytest.raises(ProtocolError, match="fibre"):
        run("nerve_excitability", tmp_path / "e.h5", mg=[1.0], fibre=["autonomic"])
    assert not any(tmp_path.iterdir())


def test_weiss_law_two_points_agree_with_the_regression(tmp_path):
    """Second method for SDTC and rheobase: the least-squares line of threshold charge on
    duration over the five TROND durations (0.2-1 ms) gives the two-point (0.2, 1 ms)
    values within 5 %, and the charge is linear in the duration (R^2 > 0.995; 0.9990 here)."""
    out = run("nerve_excitability", tmp_path / "sd.h5", mg=[1.0], fibre=["motor"], quiet=True,
              **{**SMALL, "sd_durations_ms": "0.2,0.4,0.6,0.8,1"})  # fmt: skip
    r = read_features(out).iloc[0]
    t = np.array([r[f"sd{k}_ms"] for k in range(5)])
    q = t * np.array([r[f"sd{k}_nA"] for k in range(5)])
    slope, icpt = np.polyfit(t, q, 1)
    assert np.corrcoef(t, q)[0, 1] ** 2 > 0.995
    assert slope == pytest.approx(r["rheobase_nA"], rel=0.05)
    assert icpt / slope == pytest.approx(r["sdtc_ms"], rel=0.05)


def test_binding_makes_calcium_the_more_potent_divalent(tmp_path):
    """``--screening gcg_binding`` (McLaughlin et al. 1981 binding, sigma -0.3 e/nm2):
    adding 1 mM Ca2+ shifts gating more than adding 1 mM Mg2+ (ratio 1.3-1.5 over these
    steps; 1.45 locally: tests/test_screening.py; measured about 1.4, Isaev et al. 2012)
    and raises the rheobase more. With the default screening (no binding) the two baths
    are the same bath for the axon: equal shifts and thresholds."""

    def rows(screening):
        out = run("nerve_excitability", tmp_path / f"{screening}.h5", fibre=["motor"],
                  mg=[1.0, 2.0], ca=[2.0, 3.0], quick=True, screening=screening,
                  quiet=True)  # fmt: skip
        df = read_features(out).set_index(["mg_mM", "ca_mM"])
        return df.loc[(1.0, 2.0)], df.loc[(2.0, 2.0)], df.loc[(1.0, 3.0)]

    ref, mg, ca = rows("gcg_binding")
    assert ref["shift_mV"] == 0.0 and 0 < mg["shift_mV"] < ca["shift_mV"]
    assert 1.3 <= ca["shift_mV"] / mg["shift_mV"] <= 1.5
    assert ref["rheobase_nA"] < mg["rheobase_nA"] < ca["rheobase_nA"]
    ref, mg, ca = rows("current")
    assert mg["shift_mV"] == pytest.approx(ca["shift_mV"], abs=1e-9) and mg["shift_mV"] > 0
    assert mg["rheobase_nA"] == ca["rheobase_nA"] > ref["rheobase_nA"]
