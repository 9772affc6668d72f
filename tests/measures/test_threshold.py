"""Tests of mgneuron.measures.threshold: Weiss's law and the site of spike initiation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.measures import (
    initiation_site,
    threshold_at_initiation,
    weiss_fit,
    weiss_threshold_nA,
)
from tests.measures.test_spikes import exp_runaway


def test_weiss_law_two_point_fit():
    """Thresholds I(t) = I_rh (1 + tau/t) give back I_rh and tau (Weiss 1901)."""
    irh, tau = 0.3, 0.4
    i1, i2 = irh * (1 + tau / 0.1), irh * (1 + tau / 1.0)
    assert weiss_fit(0.1, i1, 1.0, i2) == pytest.approx((irh, tau))


@pytest.mark.parametrize("t1, t2", [(0.1, 1.0), (0.02, 0.5), (1.0, 0.1)])
def test_weiss_fit_inverts_the_law_and_chronaxie_doubles_the_rheobase(t1, t2):
    """Any two durations (either order) recover the law's constants; at t = tau_SD (the
    chronaxie) the threshold is twice the rheobase, and charge is linear in duration."""
    irh, tau = 0.25, 0.37
    i1, i2 = weiss_threshold_nA([t1, t2], irh, tau)
    assert weiss_fit(t1, i1, t2, i2) == pytest.approx((irh, tau), rel=1e-12)
    assert weiss_threshold_nA(tau, irh, tau) == pytest.approx(2 * irh)
    t = np.array([0.05, 0.1, 0.5, 2.0])
    charge = weiss_threshold_nA(t, irh, tau) * t
    assert np.allclose(np.diff(charge) / np.diff(t), irh)


def test_weiss_fit_nan_without_thresholds_or_positive_rheobase():
    assert all(math.isnan(x) for x in weiss_fit(0.1, math.nan, 1.0, 0.4))
    assert all(math.isnan(x) for x in weiss_fit(0.1, 1.0, 1.0, math.inf))
    # the long pulse needs less charge than the brief one: no positive rheobase
    assert all(math.isnan(x) for x in weiss_fit(0.1, 5.0, 1.0, 0.4))


def test_initiation_site_is_the_first_to_cross():
    """Three sites, the same runaway delayed by 0.5, 0 and 0.2 ms: the second starts."""
    t, v = exp_runaway(t0=1.0)
    sites = [np.interp(t - d, t, v, left=v[0]) for d in (0.5, 0.0, 0.2)]
    assert initiation_site(t, sites) == 1
    assert initiation_site(t, [sites[2], sites[0], sites[1]]) == 2
    assert initiation_site(t, [sites[0], sites[0]]) == 0  # a tie: the first listed
    flat = np.full_like(t, -70.0)
    assert initiation_site(t, [flat, flat]) is None
    assert initiation_site(t, []) is None
    # crossings before start_ms do not count
    late = np.interp(t - 3.0, t, v, left=v[0])
    assert initiation_site(t, [sites[1], late], start_ms=float(t[np.argmax(v > -20)]) + 0.5) == 1


def test_threshold_at_initiation_closed_form():
    """At the starting site the dV/dt threshold is v0 + c tau (-40 mV at 20 mV/ms)."""
    t, v = exp_runaway(t0=1.0)
    other = np.interp(t - 0.5, t, v, left=v[0]) + 5.0  # starts later, 5 mV higher
    thr, k = threshold_at_initiation(t, [other, v], 20.0)
    assert k == 1 and thr == pytest.approx(-40.0, abs=1e-3)
    thr, k = threshold_at_initiation(t, [np.full_like(t, -70.0)], 20.0)
    assert k is None and math.isnan(thr)


def test_threshold_shift_table_is_zero_when_threshold_follows_the_shift():
    """Threshold = shift + constant per cell -> deviation 0, reference row nearest 1 mM;
    a rheobase of 0 at the reference gives NaN ratios, not a division error."""
    import pandas as pd

    from mgneuron.measures import threshold_shift_table

    mg = [0.0, 0.5, 0.9, 2.0]
    shift = [-3.0, -1.5, -0.2, 2.5]
    rows = [
        {"cell": c, "mg_mM": m, "ca_mM": 2.0, "shift_mV": s, "threshold_mV": base + s,
         "rheobase_nA": rh * (1 + m)}
        for c, base, rh in (("a", -50.0, 0.1), ("b", -60.0, 0.0))
        for m, s in zip(mg, shift, strict=True)
    ]  # fmt: skip
    tab = threshold_shift_table(pd.DataFrame(rows[::-1]), 1.0)
    assert list(tab.cell) == ["a"] * 4 + ["b"] * 4
    assert list(tab.mg_mM[:4]) == mg  # sorted
    assert (tab.ref_mg_mM == 0.9).all()
    assert abs(tab.deviation_mV).max() < 1e-12
    a = tab[tab.cell == "a"]
    assert abs(a.d_shift_mV.to_numpy() - (np.array(shift) + 0.2)).max() < 1e-12
    assert abs(a.rheobase_ratio.to_numpy() - (1 + np.array(mg)) / 1.9).max() < 1e-12
    assert tab[tab.cell == "b"].rheobase_ratio.isna().all()
    # control: a threshold that does not follow the shift shows up as deviation
    rows[0]["threshold_mV"] += 1.0
    worst = threshold_shift_table(pd.DataFrame(rows), 1.0).deviation_mV.abs().max()
    assert worst == pytest.approx(1.0)
