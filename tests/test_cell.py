"""Tests of mgneuron.cell: building cells from morphology + biophysics + bath.

References: the Mainen & Sejnowski 1996 parameter values (the default set must put them
where the paper does, exactly), the spine-area correction formula (exact), and basic
electrophysiology of the resulting cell (the spike starts in the axon initial segment, as
in Mainen et al. 1995; the soma rests near E_leak).
"""

from __future__ import annotations

import gc
import math
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from mgneuron.biophysics import get_biophysics
from mgneuron.cell import Cell, CellSpec, cell_spec
from mgneuron.environment import Environment
from mgneuron.morphology import MorphologySpec, MorphologyWarning
from mgneuron.runner import Params, Protocol
from mgneuron.runner.groups import cell_params, cell_spec_from_params

ROOT = Path(__file__).resolve().parents[1]
MORPH_DIR = ROOT / "tests" / "data" / "morphologies"  # in the repository


def build(spec: CellSpec, env=None) -> Cell:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MorphologyWarning)
        return spec.build(env)


def n_sections(h) -> int:
    gc.collect()
    return sum(1 for _ in h.allsec())


@pytest.fixture(scope="module")
def default_cell(h):
    cell = build(cell_spec())
    yield cell
    cell.delete()


def test_default_cell_is_stylized_l5_with_pyramidal_set(default_cell):
    cell = default_cell
    assert cell.morphology.name == "l5_pyramid_stylized"
    assert cell.biophysics.name == "pyramidal"
    assert not cell.stub_added  # the stylized cell has its own axon
    assert {r for r, s in cell.regions.items() if s} == {"soma", "axon", "basal", "apical"}
    assert cell.discretization.n_segments == cell.morphology.n_segments()


def test_pyramidal_set_values_in_place(h, default_cell):
    """Densities where Mainen & Sejnowski 1996 put them (pS/um2 -> S/cm2: x 1e-4)."""
    cell = default_cell
    soma = cell.soma
    assert soma.NaT.gbar == pytest.approx(20e-4)
    assert soma.Kdr.gbar == pytest.approx(200e-4)
    assert soma.Km.gbar == pytest.approx(0.1e-4)
    assert soma.cm == pytest.approx(0.75)
    assert soma.pas.g == pytest.approx(1 / 30000.0)
    assert soma.pas.e == pytest.approx(-70.0)
    assert soma.ena == pytest.approx(60.0) and soma.ek == pytest.approx(-90.0)
    for sec in cell.regions["basal"] + cell.regions["apical"]:
        assert sec.Ra == pytest.approx(150.0)
        assert not h.ismembrane("Kdr", sec=sec)
        for seg in sec:
            assert seg.NaT.gbar == pytest.approx(20e-4)
            # spine correction: F = 1 + density * area * L_seg / area_seg (exact)
            f = 1 + 1.0 * 0.83 * (sec.L / sec.nseg) / seg.area()
            assert seg.cm == pytest.approx(0.75 * f, rel=1e-9)
            assert seg.pas.g == pytest.approx(f / 30000.0, rel=1e-9)
    ais = cell.segments("ais")
    assert ais and all(s.NaT.gbar == pytest.approx(3.0) for s in ais)
    assert all(s.Kdr.gbar == pytest.approx(0.2) and s.cm == pytest.approx(0.75) for s in ais)
    beyond = [s for s in cell.regions["axon"][0] if s not in ais and s.x > 0.2]
    assert beyond and all(s.cm == pytest.approx(0.04) and s.Kdr.gbar == 0.0 for s in beyond)


def test_spike_starts_in_ais(h, default_cell):
    """A suprathreshold somatic step: the spike crosses -20 mV in the AIS before the soma.

    Reference: Mainen et al. 1995 (spikes initiate in the initial segment with these
    densities). Also: rest within 1 mV of E_leak (-70 mV) before the step.
    """
    from mgneuron.engine import RunSettings, run

    cell = default_cell
    stim = h.IClamp(cell.soma)
    stim.delay, stim.dur, stim.amp = 20.0, 30.0, 1.0
    ais = cell.segment("ais")
    v_soma = h.Vector().record(cell.soma._ref_v)
    v_ais = h.Vector().record(ais._ref_v)
    t = h.Vector().record(h._ref_t)
    run(RunSettings(tstop=50.0, dt=0.025, celsius=34.0, v_init=cell.v_init))
    vs, va, tt = np.array(v_soma), np.array(v_ais), np.array(t)
    assert abs(vs[np.searchsorted(tt, 19.0)] + 70.0) < 1.0
    assert vs.max() > 0.0 and va.max() > 0.0
    t_ais = tt[np.argmax(va > -20.0)]
    t_soma = tt[np.argmax(vs > -20.0)]
    assert t_ais < t_soma
    del stim


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in MORPH_DIR.iterdir() if p.suffix in (".swc", ".asc")),
)
def test_every_shared_morphology_builds(h, name):
    """Each shared morphology becomes a cell with the default set; the bath reaches it."""
    before = n_sections(h)
    env = Environment(mg_mM=0.5)
    cell = build(cell_spec(MORPH_DIR / name), env)
    assert cell.regions["axon"], "an axon (or the stub) is there"
    assert cell.stub_added == (
        name not in ("l5pc_c060114a7.asc", "pvalb_interneuron_466245544.swc")
    )
    for sec in cell.sections:
        for seg in sec:
            assert seg.mgo == pytest.approx(0.5)
            assert math.isfinite(seg.area())
    assert cell.discretization.max_segment_lambda < 0.25
    assert cell.segments("ais")
    pickle.loads(pickle.dumps(cell.spec))
    cell.delete()
    assert n_sections(h) == before


def test_passive_set_and_json_file(h, tmp_path):
    """A JSON file selects biophysics; units are converted on the way in."""
    f = tmp_path / "mine.json"
    f.write_text(
        '{"name": "mine", "regions": [{"region": "all", "cm": [1.0, "uF/cm2"], '
        '"Ra": [1.0, "kohm*cm"], "g_pas": [0.05, "mS/cm2"], "e_pas": [-65, "mV"]}, '
        '{"region": "soma", "mechanisms": {"NaT": {"gbar": [100, "mS/cm2"]}}, '
        '"ena": [55, "mV"]}]}'
    )
    cell = build(cell_spec("ball_and_stick", str(f)))
    assert cell.biophysics.name == "mine"
    assert cell.soma.pas.g == pytest.approx(5e-5)
    assert cell.soma.NaT.gbar == pytest.approx(0.1)
    assert cell.soma.ena == pytest.approx(55.0)
    assert cell.regions["apical"][0].Ra == pytest.approx(1000.0)
    assert not cell.regions["axon"]  # no stub unless the set asks for one
    cell.delete()
    passive = build(cell_spec("ball_and_stick", "passive"))
    assert not h.ismembrane("NaT", sec=passive.sections[0])
    passive.delete()


class WithCell(Protocol):
    """A protocol that takes the shared cell parameters (runner.groups.cell_params)."""

    name = "with_cell"
    title = "test protocol: the cell parameter group"
    params = cell_params()


def _params(argv: list[str]) -> Params:
    """The Params a condition of WithCell gets for a command line."""
    from mgneuron.cli import args_to_kwargs, build_parser

    overrides, sweep = args_to_kwargs(WithCell, build_parser(WithCell).parse_args(argv))
    values, swept = WithCell.resolve(overrides, sweep)
    assert not swept
    return Params(values, WithCell.name)


def test_cell_params_and_spec_from_params():
    """``--morphology``, ``--biophysics`` and ``--d-lambda`` of the cell parameter group
    reach the CellSpec through a condition's Params (cell_spec_from_params)."""
    p = _params(["--morphology", "ball_and_stick", "--biophysics", "passive", "--d-lambda", "0.05"])
    assert p.morphology == "ball_and_stick" and p.d_lambda == 0.05
    spec = cell_spec_from_params(p)
    assert Path(spec.morphology.path).name == "ball_and_stick.swc"
    assert spec.biophysics.name == "passive"
    assert spec.d_lambda.d_lambda == 0.05
    defaults = cell_spec_from_params(_params([]))
    assert Path(defaults.morphology.path).name == "l5_pyramid_stylized.swc"
    assert defaults.biophysics.name == "pyramidal"
    assert pickle.loads(pickle.dumps(defaults)) == defaults
    d = defaults.as_dict()
    assert d["biophysics"]["name"] == "pyramidal" and "path" in d["morphology"]


def test_cell_deletes_and_context_manager(h):
    before = n_sections(h)
    with build(cell_spec("ball_and_stick")) as cell:
        assert cell.stub_added and len(cell.sections) == 5
    assert n_sections(h) == before
    cell = build(cell_spec("ball_and_stick"))
    del cell
    assert n_sections(h) == before


def test_bad_inputs_raise_package_errors(h):
    from mgneuron.biophysics import BiophysicsError
    from mgneuron.errors import MorphologyError

    with pytest.raises(BiophysicsError, match="unknown biophysics"):
        cell_spec("ball_and_stick", "no_such_set")
    with pytest.raises(MorphologyError):
        cell_spec(MorphologySpec("ball_and_stick", missing_soma="maybe"))
    bad = get_biophysics(
        {"regions": [{"region": "soma", "mechanisms": {"NoSuchChannel": {"gbar": 1}}}]}
    )
    before = n_sections(h)
    with pytest.raises(BiophysicsError, match="NoSuchChannel"):
        build(cell_spec("ball_and_stick", bad))
    assert n_sections(h) == before
    bad_param = get_biophysics(
        {"regions": [{"region": "soma", "mechanisms": {"NaT": {"gmax": 1}}}]}
    )
    with pytest.raises(BiophysicsError, match="no RANGE parameter 'gmax'"):
        build(cell_spec("ball_and_stick", bad_param))
    bad_unit = get_biophysics(
        {"regions": [{"region": "soma", "mechanisms": {"NaT": {"gbar": [1, "mV"]}}}]}
    )
    with pytest.raises(BiophysicsError, match="cannot convert"):
        build(cell_spec("ball_and_stick", bad_unit))
    assert n_sections(h) == before
