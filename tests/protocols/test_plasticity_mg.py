"""plasticity_mg: the calcium mapping, STDP and frequency signs, and the [Mg]o dependence.

Targets (docs/guide.md, "Protocol notes: plasticity_mg"): at 1 mM Mg, 2 mM Ca, pairing
pre before post (+10 ms) potentiates and post before pre (-10 ms) depresses (Bi & Poo
1998; Sjostrom et al. 2001); 1 Hz trains depress and 100 Hz trains potentiate (Dudek &
Bear 1992); LTP at +10 ms falls as [Mg]o rises; at low [Mg]o trains potentiate at a
frequency where 1 mM does not. Fewer pairings / pulses than the defaults keep the tests
short: the signs, not the sizes, are tested.
"""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.errors import ProtocolError
from mgneuron.measures.plasticity import GB2012_CORTICAL
from mgneuron.results import read_features
from mgneuron.runner import run

C_POST = 1.23964  # GB2012 cortical fit: peak of the bAP-evoked calcium (units of c)
FEATURES = [
    "mg_mM", "ca_mM", "induction", "delta_t_ms", "freq_hz", "dw_pct", "ca_peak_uM",
    "time_above_theta_p_ms", "time_above_theta_d_ms",
]  # fmt: skip


def _c_peak(ca_peak_uM: float) -> float:
    from mgneuron.measures.plasticity import CA_SCALE_UM, SPINE_CA

    return (ca_peak_uM - SPINE_CA.ca_rest_uM) / CA_SCALE_UM


def test_calcium_mapping_calibration(tmp_path, h):
    """The stated calibration holds on the default cell: a bAP alone and a single first
    EPSP at 1 mM Mg each give a peak c within 10 % of GB2012's C_post, above theta_d and
    below theta_p; the EPSP alone, without Mg2+ block relief, stays under theta_p, the
    bAP-alone control (no synaptic conductance) leaves w at 1 within the lost time above
    theta_d."""
    epsp = run("plasticity_mg", tmp_path / "e.h5", mg=[1.0], induction="frequency",
               n_pulses=1, quiet=True)  # fmt: skip
    bap = run("plasticity_mg", tmp_path / "b.h5", mg=[1.0], induction="stdp", n_pairings=1,
              gmax_uS=0.0, quiet=True)  # fmt: skip
    e, b = read_features(epsp).iloc[0], read_features(bap).iloc[0]
    assert b["post_spikes"] == 1
    for r in (e, b):
        assert _c_peak(r["ca_peak_uM"]) == pytest.approx(C_POST, rel=0.10)
        assert GB2012_CORTICAL.theta_d < _c_peak(r["ca_peak_uM"]) < GB2012_CORTICAL.theta_p
        assert r["time_above_theta_p_ms"] == 0.0 and r["time_above_theta_d_ms"] > 0.0
        assert r["dw_pct"] < 0.0
    assert set(FEATURES) <= set(read_features(epsp).columns)


def test_bad_conditions_are_refused(tmp_path):
    with pytest.raises(ProtocolError, match="pairing period"):
        run("plasticity_mg", tmp_path / "x.h5", mg=[1.0], delta_t_ms=[150.0], pair_hz=10.0)
    with pytest.raises(ProtocolError, match="before t = 0"):
        run("plasticity_mg", tmp_path / "y.h5", mg=[1.0], delta_t_ms=[-20.0], t_start=5.0)
    with pytest.raises(ProtocolError, match="synapse"):
        run(
            "plasticity_mg", tmp_path / "z.h5", mg=[1.0], synapse="apical:5000-6000um", n_pairings=1
        )
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_stdp_signs_and_mg_dependence(tmp_path, h):
    """10 pairings at 5 Hz: +10 ms potentiates and -10 ms depresses at 1 mM Mg; LTP at
    +10 ms falls monotonically from 0.1 to 2.5 mM [Mg]o; every pairing fires one spike."""
    out = run("plasticity_mg", tmp_path / "s.h5", mg=[0.1, 0.5, 1.0, 2.5],
              delta_t_ms=[-10.0, 10.0], n_pairings=10, workers=2, quiet=True)  # fmt: skip
    df = read_features(out)
    assert (df["post_spikes"] == 10).all()
    at1 = df[df["mg_mM"] == 1.0].set_index("delta_t_ms")["dw_pct"]
    assert at1[10.0] > 0.0 > at1[-10.0]
    ltp = df[df["delta_t_ms"] == 10.0].sort_values("mg_mM")["dw_pct"].to_numpy()
    assert (np.diff(ltp) < 0).all(), ltp


@pytest.mark.slow
def test_frequency_response_and_low_mg_threshold(tmp_path, h):
    """5 pulses at 1 Hz depress and at 100 Hz potentiate at 1 mM Mg; at 10 Hz, 1 mM gives
    no potentiation while 0.1 mM potentiates (the LTP threshold frequency moves down)."""
    out = run("plasticity_mg", tmp_path / "f.h5", mg=[0.1, 1.0], induction="frequency",
              freq_hz=[1.0, 10.0, 100.0], n_pulses=5, workers=2, quiet=True)  # fmt: skip
    df = read_features(out).set_index(["mg_mM", "freq_hz"])["dw_pct"]
    assert df[(1.0, 1.0)] < 0.0 < df[(1.0, 100.0)]
    assert df[(1.0, 10.0)] <= 0.0 < df[(0.1, 10.0)]
    assert np.isnan(read_features(out)["delta_t_ms"]).all()


def test_memantine_lowers_the_synaptic_calcium_more_without_mg(tmp_path, h):
    """One EPSP (no postsynaptic spike): 10 uM memantine lowers the spine's Ca2+ peak,
    and lowers it more at 0.1 mM than at 1 mM Mg (Mg2+ and memantine compete for the
    open channel; Kotermanski & Johnson 2009). D-APV, a competitive antagonist, is the
    control: it also lowers the peak, whatever the block. The drug is stored per row."""
    from mgneuron.measures.plasticity import SPINE_CA

    peaks = {}
    for drug in ("none", "memantine", "apv"):
        out = run("plasticity_mg", tmp_path / f"{drug}.h5", mg=[0.1, 1.0],
                  induction="frequency", n_pulses=1, drug=drug, drug_um=10.0,
                  quiet=True)  # fmt: skip
        df = read_features(out).set_index("mg_mM")
        assert (df["drug"] == drug).all()
        peaks[drug] = df["ca_peak_uM"] - SPINE_CA.ca_rest_uM  # above the resting Ca2+
    drop = {d: 1.0 - peaks[d] / peaks["none"] for d in ("memantine", "apv")}
    assert (drop["memantine"] > 0.02).all() and (drop["apv"] > 0.02).all()
    assert drop["memantine"][0.1] > drop["memantine"][1.0]
