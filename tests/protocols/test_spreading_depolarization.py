"""spreading_depolarization: SD starts and spreads at 1 mM Mg, a small bolus recovers, the
threshold falls with [Mg]o and rises with the NMDA conductance blocked; features, report,
figure; conditions independent of each other in one process.

Targets (docs/guide.md, "Protocol notes: spreading_depolarization"): SD in cortex spreads at
2-9 mm/min with [K+]o peaking at 30-60 mM (Somjen 2001, Physiol Rev 81:1065; the issue's
band 1.5-9 mm/min, peak > 20 mM); low [Mg]o makes tissue more susceptible (Mody, Lambert &
Heinemann 1987), NMDA antagonists raise the threshold.
"""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest

from mgneuron.errors import ProtocolError
from mgneuron.results import read_features, read_traces
from mgneuron.runner import run

FEATURES = [
    "mg_mM", "ca_mM", "sd_started", "sd_speed_mm_per_min", "k_peak_mM", "depolarization_s",
    "k_threshold_mM",
]  # fmt: skip
SHORT = {"length_um": 600.0, "tstop": 20000.0, "threshold": False}


def test_features_report_and_figure(tmp_path):
    out = run("spreading_depolarization", tmp_path / "sd.h5", mg=[1.0], quiet=True, **SHORT)
    df = read_features(out)
    assert [c for c in df.columns if c in FEATURES] == FEATURES
    row = df.iloc[0]
    assert bool(row["sd_started"]) and math.isnan(row["k_threshold_mM"])
    tr = read_traces(out, 0, population="ko")
    assert "ko_mM" in tr and tr["location"].iloc[0] == "x=25um"
    with h5py.File(out) as f:
        assert f["runs/0/report/ko/data"].attrs["units"] == "mM"
    # the stored [K+]o holds the bolus at x = 25, 75 um and the rest beyond
    first = tr[tr["t_ms"] == tr["t_ms"].min()].sort_values("element_id")["ko_mM"].to_numpy()
    assert first[0] > 15.0 and first[-1] == pytest.approx(3.5, abs=0.01)
    from mgneuron.plots.spreading_depolarization import plot_spreading_depolarization

    assert plot_spreading_depolarization(out, tmp_path / "sd.png").stat().st_size > 10_000


def test_conditions_are_independent_in_one_process(tmp_path):
    """A condition run after another in one process equals the same condition alone."""
    both = read_features(run("spreading_depolarization", tmp_path / "b.h5", mg=[0.5, 1.0],
                             quiet=True, **SHORT))  # fmt: skip
    alone = read_features(run("spreading_depolarization", tmp_path / "a.h5", mg=[1.0],
                              quiet=True, **SHORT))  # fmt: skip
    for col in ("sd_speed_mm_per_min", "k_peak_mM", "depolarization_s"):
        assert both[col].iloc[1] == alone[col].iloc[0]
    assert both["sd_speed_mm_per_min"].iloc[0] != alone["sd_speed_mm_per_min"].iloc[0]


def first_bolus(ko):
    """[K+]o at x = 25 um at the first sample (mM)."""
    return float(ko[(ko["t_ms"] == ko["t_ms"].min()) & (ko["element_id"] == 0)]["ko_mM"].iloc[0])


def test_mk801_blocks_the_nmda_conductance_and_the_wave(tmp_path):
    """The package's NMDA drugs reach the tissue's NMDA conductance: with MK-801 (1 uM) the
    20 mM bolus that starts SD without it starts none (the NMDA current is needed)."""
    out = run("spreading_depolarization", tmp_path / "mk.h5", mg=[1.0], drug="mk801",
              drug_um=1.0, quiet=True, **SHORT)  # fmt: skip
    row = read_features(out).iloc[0]
    assert not bool(row["sd_started"]) and row["k_peak_mM"] < 5.0


@pytest.mark.slow
def test_sd_at_1mM_mg_and_a_small_bolus_recovers(tmp_path):
    big = read_features(run("spreading_depolarization", tmp_path / "big.h5", mg=[1.0],
                            threshold=False, quiet=True)).iloc[0]  # fmt: skip
    assert bool(big["sd_started"])
    assert 1.5 <= big["sd_speed_mm_per_min"] <= 9.0
    assert big["k_peak_mM"] > 20.0
    assert 5.0 < big["depolarization_s"] < 60.0
    small_out = run("spreading_depolarization", tmp_path / "small.h5", mg=[1.0], k_bolus_mM=5.0,
                    threshold=False, quiet=True)  # fmt: skip
    small = read_features(small_out).iloc[0]
    assert not bool(small["sd_started"]) and small["k_peak_mM"] < 5.0
    ko = read_traces(small_out, 0, population="ko")
    last = ko[ko["t_ms"] == ko["t_ms"].max()]["ko_mM"].to_numpy()
    # the bolus has spread and is mostly cleared (5 -> < 3.75 mM at x = 25 um after 40 s;
    # near rest the pump is balanced and the glia take nothing up, so the last 0.2 mM
    # goes by diffusion along the strip) and no voxel depolarized
    assert np.abs(last - 3.5).max() < 0.25 and last[0] < first_bolus(ko) - 1.0


@pytest.mark.slow
def test_threshold_falls_with_mg_and_rises_with_nmda_blocked(tmp_path):
    # a 0.9 mm strip, bisection from 30 mM to 0.75 mM: the order, not the values
    kw = {"threshold_tol_mM": 0.75, "k_bolus_max_mM": 30.0, "length_um": 900.0,
          "tstop": 30000.0, "quiet": True}  # fmt: skip
    by_mg = read_features(run("spreading_depolarization", tmp_path / "mg.h5",
                              mg=[0.2, 1.0, 2.5], **kw)).set_index("mg_mM")  # fmt: skip
    t = by_mg["k_threshold_mM"]
    assert t[0.2] < t[1.0] < t[2.5] < math.inf
    assert t[0.2] > 3.5  # the resting tissue is stable at 0.2 mM Mg
    blocked = read_features(run("spreading_depolarization", tmp_path / "nmda.h5", mg=[1.0],
                                nmda_scale=[0.5, 0.0], **kw))  # fmt: skip
    half, none = blocked["k_threshold_mM"]
    assert t[1.0] < half < none
    assert none == math.inf and not bool(blocked["sd_started"].iloc[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bolus_radius_um": 10.0}, "holds no voxel"),
        ({"length_um": 300.0}, "no measured stretch"),
        ({"length_um": 1510.0}, "whole number"),
        ({"k_bolus_max_mM": 3.0}, "not above the resting"),
        ({"record_every": 0.1}, "shorter than dt"),
    ],
)
def test_bad_conditions_are_refused(tmp_path, kwargs, match):
    with pytest.raises(ProtocolError, match=match):
        run("spreading_depolarization", tmp_path / "x.h5", mg=[1.0], **kwargs)
