"""The tissue description: lumped geometry, resting ions, glial uptake, pump, bad input."""

from __future__ import annotations

import math

import pytest

from mgneuron.errors import ProtocolError
from mgneuron.tissue import (
    FARADAY,
    TissueSpec,
    glial_uptake_mM_per_ms,
    nernst_mV,
    pump_current,
)


def test_lumped_section_keeps_the_neurons_volume_and_membrane():
    spec = TissueSpec()
    length, diam, scale = spec.lumped_section()
    vox = spec.dx_um**3
    # 90,000 /mm3 x 4444 um3 = 0.40 of the tissue; x 13,333 um2 = 1.2 um2/um3
    assert spec.neuron_volume_fraction == pytest.approx(0.39996, rel=1e-4)
    assert spec.membrane_per_volume_per_um == pytest.approx(1.19997, rel=1e-4)
    assert math.pi * diam**2 / 4 * length == pytest.approx(spec.neuron_volume_fraction * vox)
    assert scale * math.pi * diam * length == pytest.approx(spec.membrane_per_volume_per_um * vox)
    assert spec.neurons_per_voxel == pytest.approx(11.25)
    assert spec.n_voxels == 30 and spec.x_um[0] == 25.0 and spec.x_um[-1] == 1475.0


def test_resting_chloride_and_ecs_rate():
    spec = TissueSpec()
    assert nernst_mV(spec.clo_mM, spec.cli_mM, z=-1) == pytest.approx(spec.v_rest_mV)
    # 1 uA/cm2 of membrane over 1.2 um2/um3, into 0.2 of the volume:
    # 1e-6 A/cm2 x 1.2e4 /cm / (F x 0.2) mol/cm3/s = 0.622 mol/L/s = 0.622 mM/ms
    expect = 1e-6 * 1.19997e4 / (FARADAY * 0.2) * 1e3
    assert spec.ecs_rate_mM_per_ms(1e-3) == pytest.approx(expect, rel=1e-6)


def test_glial_uptake_is_zero_at_rest_and_saturates():
    assert glial_uptake_mM_per_ms(3.5) == pytest.approx(0.0, abs=1e-15)
    # G (s(k) - s(rest)): at 18 mM half of G, minus the tiny resting uptake
    s_rest = 1 / (1 + math.exp((18 - 3.5) / 2.5))
    assert glial_uptake_mM_per_ms(18.0) == pytest.approx(5e-3 * (0.5 - s_rest))
    assert glial_uptake_mM_per_ms(200.0) == pytest.approx(5e-3 * (1 - s_rest))


def test_pump_saturates_in_both_ions():
    imax = 0.005
    assert pump_current(1e9, 1e9, imax) == pytest.approx(imax, rel=1e-6)
    # Km values: half-saturation per site
    assert pump_current(2.0, 1e9, imax) == pytest.approx(imax / 4)
    assert pump_current(1e9, 7.7, imax) == pytest.approx(imax / 8)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"length_um": 1525.0}, "whole number"),
        ({"length_um": 100.0}, "whole number"),
        ({"dx_um": -5.0}, "dx_um must be a positive"),
        ({"tortuosity": 0.5}, "tortuosity"),
        ({"neuron_density_per_mm3": 3e5}, "fill more than the tissue"),
        ({"glia_mM_per_s": -1.0}, "glia_mM_per_s"),
        ({"ko_mM": float("nan")}, "ko_mM"),
    ],
)
def test_bad_tissue_is_refused(kwargs, match):
    with pytest.raises(ProtocolError, match=match):
        TissueSpec(**kwargs)
