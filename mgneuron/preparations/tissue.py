"""A strip of tissue with extracellular ion dynamics in NEURON rxd, built and torn down per run.

Builds what :class:`mgneuron.tissue.TissueSpec` describes: one lumped ``SDNeuron`` section
per voxel, an ``rxd.Extracellular`` region (volume fraction, tortuosity), an intracellular
``rxd.Region``, K+, Na+ and Cl- species on both (rxd turns every membrane current of
those ions into concentration changes on both sides), the glial K+ uptake as a pair of
``rxd.Rate`` (out of the ECS, into a glial store) and a KCl bolus at x = 0.

rxd keeps its species, regions and reactions in module-global registries of NEURON, so a
strip must not outlive its run: :meth:`TissueStrip.delete` removes every rxd object and
section it made (``run_strip`` always does), so two conditions in one process run alike
(tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mgneuron.bath import apply_bath
from mgneuron.engine import RunSettings, Simulation
from mgneuron.engine.state import hoc
from mgneuron.environment import Environment
from mgneuron.errors import ProtocolError
from mgneuron.mechanisms import load
from mgneuron.nmda import drug_params
from mgneuron.tissue import DIFFUSION_UM2_PER_MS, SDMembrane, TissueSpec

__all__ = ["TissueStrip", "StripRun", "build_strip", "run_strip"]


@dataclass
class TissueStrip:
    """A built strip: its sections and rxd objects (see :func:`build_strip`)."""

    spec: TissueSpec
    sections: list
    rxd_objects: dict = field(default_factory=dict)

    def ecs_nodes(self, name: str) -> list:
        """Return the ECS nodes of species ``name`` ("k", "na", "cl", "kglia"), ordered along x."""
        sp = self.rxd_objects[name]
        nodes = list(sp[self.rxd_objects["ecs"]].nodes)
        return sorted(nodes, key=lambda n: n.x3d)

    def cyt_nodes(self, name: str) -> list:
        """Return the intracellular nodes of species ``name``, ordered along x."""
        sp = self.rxd_objects[name]
        nodes = list(sp[self.rxd_objects["cyt"]].nodes)
        return sorted(nodes, key=lambda n: n.x3d)

    def amounts_amol(self, name: str) -> dict[str, float]:
        """Amounts of an ion (amol = 1e-18 mol) in the ECS, the neurons (and glia for k).

        Concentration (mM) x volume (um3) x 1e-15 L/um3 x 1e-3 mol/mmol x 1e18 amol/mol.
        """
        out = {
            "extra": sum(n.concentration * n.volume for n in self.ecs_nodes(name)),
            "intra": sum(n.concentration * n.volume for n in self.cyt_nodes(name)),
        }
        if name == "k":
            out["glia"] = sum(n.concentration * n.volume for n in self.ecs_nodes("kglia"))
        return out

    def delete(self) -> None:
        """Remove the rxd objects and the sections (NEURON forgets this strip)."""
        for key in ("glia_out", "glia_in", "k", "na", "cl", "kglia", "cyt", "ecs"):
            self.rxd_objects.pop(key, None)
        self.rxd_objects.clear()
        h = hoc()
        for sec in self.sections:
            h.delete_section(sec=sec)
        self.sections = []
        import gc

        gc.collect()
        # NEURON 9.0's rxd keeps its pointers to the 1-D concentrations (ki, nai, ...) of
        # the deleted sections once the last species is gone (rxd._init returns early
        # without species), and the next run of any model in this process dereferences
        # them ("k_ion ki died"). Drop them here.
        from neuron.rxd import rxd as rxd_module
        from neuron.rxd import section1d

        section1d._purge_cptrs()
        rxd_module._update_node_data(True, True)


def build_strip(
    spec: TissueSpec,
    membrane: SDMembrane,
    k_bolus_mM: float,
    bolus_radius_um: float,
    block_model: int = 0,
    drug: str = "none",
    drug_um: float = 0.0,
    pump: bool = True,
    glia: bool = True,
) -> TissueStrip:
    """Build the strip with a KCl bolus: [K+]o = ``k_bolus_mM`` where x < ``bolus_radius_um``.

    The bolus is KCl: [Cl-]o rises with [K+]o. ``pump=False`` switches the Na+/K+ pump off
    after the leaks are balanced with it (the conservation test), ``glia=False`` the glial
    uptake. The bath ([Mg]o, [Ca]o) is applied by :func:`run_strip`.
    """
    if not (math.isfinite(k_bolus_mM) and k_bolus_mM > 0):
        raise ProtocolError(f"k_bolus_mM must be a positive concentration, got {k_bolus_mM}")
    if not (math.isfinite(bolus_radius_um) and bolus_radius_um >= 0):
        raise ProtocolError(f"bolus_radius_um must be >= 0 um, got {bolus_radius_um}")
    from mgneuron.engine import coreneuron_active

    if coreneuron_active():
        raise ProtocolError(
            "a tissue strip with rxd does not run on CoreNEURON (NEURON's rxd is not "
            "supported there): run without --coreneuron"
        )
    load()
    h = hoc()
    from neuron import rxd
    from neuron.rxd.rxdmath import exp as rxd_exp

    length, diam, scale = spec.lumped_section()
    params = membrane.mechanism_params()
    params.update(drug_params(drug, drug_um))
    params.update(
        scale=scale, block_model=float(block_model), pump=1.0 if pump else 0.0,
        rest_v=spec.v_rest_mV, rest_ko=spec.ko_mM, rest_ki=spec.ki_mM,
        rest_nao=spec.nao_mM, rest_nai=spec.nai_mM,
    )  # fmt: skip
    sections = []
    for i, x in enumerate(spec.x_um):
        sec = h.Section(name=f"sd_voxel_{i}")
        sec.pt3dadd(float(x - length / 2), 0.0, 0.0, diam)
        sec.pt3dadd(float(x + length / 2), 0.0, 0.0, diam)
        sec.nseg = 1
        sec.cm = scale
        sec.insert("SDNeuron")
        mech = sec(0.5).SDNeuron
        for name, value in params.items():
            setattr(mech, name, value)
        sections.append(sec)

    half = spec.dx_um / 2.0
    ecs = rxd.Extracellular(
        0.0, -half, -half, spec.length_um, half, half, dx=spec.dx_um,
        volume_fraction=spec.volume_fraction, tortuosity=spec.tortuosity,
    )  # fmt: skip
    cyt = rxd.Region(sections, nrn_region="i")
    in_bolus = float(bolus_radius_um)
    extra_k = k_bolus_mM - spec.ko_mM

    def outside(node) -> bool:
        return isinstance(node, rxd.node.NodeExtracellular)

    def k_init(node):
        if outside(node):
            return k_bolus_mM if node.x3d < in_bolus else spec.ko_mM
        return spec.ki_mM

    def cl_init(node):
        if outside(node):
            return spec.clo_mM + (extra_k if node.x3d < in_bolus else 0.0)
        return spec.cli_mM

    def na_init(node):
        return spec.nao_mM if outside(node) else spec.nai_mM

    d = DIFFUSION_UM2_PER_MS
    k = rxd.Species([cyt, ecs], name="k", d=d["k"], charge=1, initial=k_init)
    na = rxd.Species([cyt, ecs], name="na", d=d["na"], charge=1, initial=na_init)
    cl = rxd.Species([cyt, ecs], name="cl", d=d["cl"], charge=-1, initial=cl_init)
    kglia = rxd.Species(ecs, name="kglia", d=0.0, initial=0.0)
    objs = {"ecs": ecs, "cyt": cyt, "k": k, "na": na, "cl": cl, "kglia": kglia}
    if glia and spec.glia_mM_per_s > 0:
        ko = k[ecs]

        def s(x):
            return 1.0 / (1.0 + rxd_exp((spec.glia_half_mM - x) / spec.glia_slope_mM))

        s_rest = 1.0 / (1.0 + math.exp((spec.glia_half_mM - spec.ko_mM) / spec.glia_slope_mM))
        uptake = 1e-3 * spec.glia_mM_per_s * (s(ko) - s_rest)
        objs["glia_out"] = rxd.Rate(ko, -uptake)
        objs["glia_in"] = rxd.Rate(kglia, uptake)
    return TissueStrip(spec=spec, sections=sections, rxd_objects=objs)


@dataclass
class StripRun:
    """What one run of a strip recorded.

    Attributes
    ----------
    x_um : ndarray
        Voxel centres (um).
    t_ko_ms, ko_mM : ndarray
        Sample times (ms) and [K+]o (mM), shape (n_times, n_voxels).
    t_v_ms, v_mV : ndarray
        Sample times (ms) and membrane potentials (mV), shape (n_times, n_voxels).
    stopped_ms : float
        The time the run ended (ms): ``tstop`` or earlier when ``stop`` said so.
    amounts : list of dict
        With ``track_amounts``: at every ``ko`` sample, per ion ("k", "na", "cl") its
        amounts (amol) from :meth:`TissueStrip.amounts_amol`.
    """

    x_um: np.ndarray
    t_ko_ms: np.ndarray
    ko_mM: np.ndarray
    t_v_ms: np.ndarray
    v_mV: np.ndarray
    stopped_ms: float
    amounts: list = field(default_factory=list)


def run_strip(
    strip: TissueStrip,
    settings: RunSettings,
    environment: Environment,
    ko_every_ms: float = 100.0,
    v_every_ms: float = 10.0,
    stop=None,
    check_every_ms: float = 250.0,
    track_amounts: bool = False,
) -> StripRun:
    """Run a built strip (then delete it) and return its [K+]o and potentials along x.

    Parameters
    ----------
    strip : TissueStrip
        From :func:`build_strip`; deleted when this returns (or raises).
    settings : RunSettings
        Time step, tstop, temperature (the strip starts at its resting potential).
    environment : Environment
        The bath: [Mg]o and [Ca]o every mechanism reads (the strip's own ions are rxd's).
    ko_every_ms, v_every_ms : float
        Sampling intervals (ms), whole numbers of steps.
    stop : callable(t_ms, v_mV row, ko_mM row) -> bool, optional
        Checked every ``check_every_ms``; True ends the run early.
    track_amounts : bool
        Keep the amounts of K+ (intra, extra, glia), Na+ and Cl- at every ``ko`` sample.
    """
    h = hoc()
    try:
        sim = Simulation(settings)
        ko_nodes = strip.ecs_nodes("k")
        ko_vecs = [sim.record(n._ref_value, ko_every_ms) for n in ko_nodes]
        v_vecs = [sim.record(sec(0.5)._ref_v, v_every_ms) for sec in strip.sections]
        amounts: list = []
        events = []
        stopped = {"t": settings.tstop}

        if stop is not None:

            def check():
                row_v = np.array([sec(0.5).v for sec in strip.sections])
                row_k = np.array([n.concentration for n in ko_nodes])
                if stop(h.t, row_v, row_k):
                    stopped["t"] = float(h.t)
                    h.stoprun = 1

            n_checks = int(settings.tstop // check_every_ms)
            events += [(check_every_ms * (i + 1), check) for i in range(n_checks)]
        if track_amounts:

            def keep():
                amounts.append({ion: strip.amounts_amol(ion) for ion in ("k", "na", "cl")})

            n_keep = int(settings.tstop // ko_every_ms)
            events += [(ko_every_ms * i, keep) for i in range(n_keep + 1)]

        def bath():
            apply_bath(environment, strip.sections)

        sim.run(before_init=bath, events=events)
        ko = np.column_stack([np.asarray(v) for v in ko_vecs])
        vm = np.column_stack([np.asarray(v) for v in v_vecs])
        result = StripRun(
            x_um=np.array([n.x3d for n in ko_nodes]),
            t_ko_ms=_sample_times(ko.shape[0], sim, ko_every_ms),
            ko_mM=ko,
            t_v_ms=_sample_times(vm.shape[0], sim, v_every_ms),
            v_mV=vm,
            stopped_ms=stopped["t"],
            amounts=amounts,
        )
        return result
    finally:
        strip.delete()


def _sample_times(n: int, sim: Simulation, every_ms: float) -> np.ndarray:
    """Return the times (ms) of ``n`` samples taken every ``every_ms`` (rounded to whole steps)."""
    from mgneuron.engine.settings import sample_interval

    return np.arange(n) * sample_interval(sim.settings, every_ms)
