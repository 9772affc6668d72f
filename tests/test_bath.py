"""The bath in NEURON (mgneuron.bath): ion concentrations in every segment, and the NMODL
screening shift.

References and tolerances:
* A changed [Mg]o/[Ca]o reaches every segment that carries the ion (exact).
* NMODL (surface_charge.inc read through screen_probe) vs the Python reference of
  :mod:`mgneuron.screening` (tested against closed forms in tests/test_screening.py):
  0.1 mV.
"""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.bath import (
    apply_bath,
    configure_screening,
    current_screening,
    screened_mechanisms,
    set_monovalent,
    set_section_bath,
)
from mgneuron.engine import RunSettings, run
from mgneuron.environment import Environment
from mgneuron.errors import BathError
from mgneuron.screening import ScreeningParams, shift_mV

MG_GRID = np.linspace(0.0, 5.0, 11)
CA_GRID = np.array([0.0, 0.2, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0])


def test_apply_reaches_every_segment(h):
    """Sections built before and after a bath change all see the new [Mg]o and [Ca]o."""
    a = h.Section(name="a")
    a.nseg = 5
    syn_a = [h.NMDAMg(seg) for seg in a]  # point processes bring the ions to their segment
    apply_bath(Environment(mg_mM=0.3, ca_mM=1.5))
    b = h.Section(name="b")
    b.nseg = 3
    syn_b = [h.NMDAMg(seg) for seg in b]
    assert all(seg.mgo == 1.0 for seg in b)  # new ions start from NEURON's default...
    apply_bath(Environment(mg_mM=0.7, ca_mM=3.0))  # ...until the bath is applied again
    for sec in (a, b):
        for seg in sec:
            assert seg.mgo == 0.7 and seg.cao == 3.0
    # and finitialize does not reset them
    h.finitialize(-65)
    assert all(seg.mgo == 0.7 for seg in a)
    # per-section value
    set_section_bath(b, mg_mM=0.1)
    assert all(seg.mgo == 0.1 for seg in b) and all(seg.mgo == 0.7 for seg in a)
    apply_bath(Environment())
    del syn_a, syn_b


# --------------------------------------------------------------------------------------
# NMODL: surface_charge.inc through the screen_probe mechanism


@pytest.fixture
def screen(h):
    """h with screening reset to the defaults before and after the test."""
    celsius = h.celsius
    configure_screening(ScreeningParams())
    yield h
    configure_screening(ScreeningParams())
    h.celsius = celsius


def probe_grid(h, celsius):
    """One section, one segment per ([Mg]o, [Ca]o) of the grid; return NMODL shifts."""
    sec = h.Section(name="screen_grid")
    sec.nseg = MG_GRID.size * CA_GRID.size
    sec.insert("screen_probe")
    pairs = [(mg, ca) for mg in MG_GRID for ca in CA_GRID]
    for seg, (mg, ca) in zip(sec, pairs, strict=True):
        seg.mgo, seg.cao = mg, ca
    h.celsius = celsius
    h.finitialize(-70)
    got = np.array([seg.screen_probe.shift for seg in sec]).reshape(MG_GRID.size, -1)
    return got


@pytest.mark.validation
@pytest.mark.parametrize(
    "params, celsius",
    [
        (ScreeningParams(), 34.0),
        (ScreeningParams(monovalent_mM=120.0, sigma_e_per_nm2=-0.5), 22.0),
        (ScreeningParams(k_ca_per_M=12.0, k_mg_per_M=8.0), 34.0),
        (ScreeningParams(k_ca_per_M=2000.0, k_mg_per_M=1000.0), 34.0),  # charge reversal
        (ScreeningParams(monovalent_mM=5.0, sigma_e_per_nm2=-2.0), 6.3),
        (ScreeningParams(model="empirical"), 34.0),
    ],
)
def test_nmodl_matches_python_on_grid(screen, params, celsius):
    """NMODL shift (per-segment mgo/cao) vs the Python reference over [Mg]o 0-5 x [Ca]o
    0-10 mM: within 0.1 mV (bracketed Newton in NMODL vs bisection in Python)."""
    h = screen
    configure_screening(params)
    got = probe_grid(h, celsius)
    ref = shift_mV(MG_GRID[:, None], CA_GRID[None, :], params, celsius)
    np.testing.assert_allclose(got, ref, atol=0.1)
    assert np.max(np.abs(got - ref)) < 1e-6  # in practice the two agree to round-off


def test_nmodl_off_gives_zero(screen):
    configure_screening(model="off")
    assert np.all(probe_grid(screen, 34.0) == 0.0)


def test_changing_mgo_changes_shift_without_other_call(screen):
    """Set seg.mgo in the middle of a run (an event): the shift follows at the next step."""
    h = screen
    sec = h.Section(name="screen_mid")
    sec.nseg = 3
    sec.insert("screen_probe")
    for seg in sec:
        seg.mgo, seg.cao = 1.0, 2.0
    vec = h.Vector().record(sec(0.5)._ref_shift_screen_probe)
    tvec = h.Vector().record(h._ref_t)

    def drop_mg():
        sec(0.5).mgo = 0.0  # this segment only

    run(RunSettings(tstop=2.0, dt=0.025, celsius=34.0), events=[(1.0, drop_mg)])
    shift, t = np.array(vec), np.array(tvec)
    assert np.all(np.abs(shift[t < 0.99]) < 1e-9)
    assert shift[-1] == pytest.approx(shift_mV(0.0, 2.0, celsius=34.0), abs=1e-6)
    assert shift[-1] < -2.0
    assert sec(0.1).screen_probe.shift == pytest.approx(0.0, abs=1e-9)  # neighbour untouched


def test_celsius_and_configure_invalidate_the_cache(screen):
    h = screen
    sec = h.Section(name="screen_cache")
    sec.insert("screen_probe")
    sec(0.5).mgo, sec(0.5).cao = 0.2, 2.0
    h.celsius = 34.0
    h.finitialize(-70)
    assert sec(0.5).screen_probe.shift == pytest.approx(shift_mV(0.2, 2.0, celsius=34.0))
    h.celsius = 6.3
    h.fadvance()
    assert sec(0.5).screen_probe.shift == pytest.approx(shift_mV(0.2, 2.0, celsius=6.3))
    new = configure_screening(sigma_e_per_nm2=-0.6)
    assert new == ScreeningParams(sigma_e_per_nm2=-0.6)
    h.fadvance()
    assert sec(0.5).screen_probe.shift == pytest.approx(shift_mV(0.2, 2.0, new, celsius=6.3))


def test_configure_reaches_every_screened_mechanism(screen):
    h = screen
    mechs = screened_mechanisms()
    assert "screen_probe" in mechs
    configure_screening(model="empirical", slope_mV=25.0, k_ca_per_M=3.0)
    for mech in mechs:
        assert getattr(h, f"screening_model_{mech}") == 2
        assert getattr(h, f"screening_slope_{mech}") == 25.0
        assert getattr(h, f"screening_kca_{mech}") == 3.0
    assert current_screening() == ScreeningParams(model="empirical", slope_mV=25.0, k_ca_per_M=3.0)
    with pytest.raises(BathError, match="unknown screening parameter"):
        configure_screening(sigma=-1)


def test_apply_bath_sets_monovalent_salt(screen):
    """apply_bath hands [Na]o + [K]o to the screening model; the shift follows."""
    h = screen
    sec = h.Section(name="screen_env")
    sec.insert("screen_probe")
    env = Environment(mg_mM=0.3, ca_mM=1.5, na_mM=110.0, k_mM=5.0)
    apply_bath(env, [sec])
    assert current_screening().monovalent_mM == 115.0
    h.celsius = 30.0  # the temperature belongs to the run, not to the bath
    h.finitialize(-70)
    expected = shift_mV(0.3, 1.5, ScreeningParams(monovalent_mM=115.0), celsius=30.0)
    assert sec(0.5).screen_probe.shift == pytest.approx(expected, abs=1e-6)
    assert set_monovalent(115.0) is False  # unchanged: caches kept
    apply_bath(Environment(), [sec])
    assert current_screening().monovalent_mM == 148.0


def test_every_screened_channel_uses_the_shift(screen):
    """Each density mechanism that includes surface_charge.inc computes the same shift as
    the probe in the same segment (read from its cache after finitialize)."""
    h = screen
    mt = h.MechanismType(0)  # density mechanisms
    density = set()
    for i in range(int(mt.count())):
        mt.select(i)
        name = h.ref("")
        mt.selected(name)
        density.add(name[0])
    dens = [m for m in screened_mechanisms() if m in density and m != "screen_probe"]
    if not dens:
        pytest.skip("no channel includes surface_charge.inc yet")
    sec = h.Section(name="screen_channels")
    try:
        sec.insert("screen_probe")
        for m in dens:
            sec.insert(m)
            mech = getattr(sec(0.5), m)
            if hasattr(mech, "balance"):  # SDNeuron balances its leaks at its own rest
                mech.balance = 0
        sec(0.5).mgo, sec(0.5).cao = 0.1, 1.0
        h.finitialize(-70)
        expected = sec(0.5).screen_probe.shift
        assert expected < -3.0
        for m in dens:
            got = getattr(sec(0.5), m).screening_c_shift
            assert got == pytest.approx(expected, abs=1e-9), f"{m} does not call screening_shift"
    finally:
        h.delete_section(sec=sec)
