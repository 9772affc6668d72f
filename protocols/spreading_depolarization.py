"""Cortical spreading depolarization (SD) vs [Mg]o: threshold K+ bolus and wave speed (rxd).

Methods
-------
1. *Tissue* (:mod:`mgneuron.tissue`, built by :mod:`mgneuron.preparations.tissue` with
   NEURON's rxd, Newton et al. 2018, Front Neuroinform 12:41): a strip of cortex
   ``length_um`` long and one voxel (``dx_um``) wide and thick, no-flux walls; its
   extracellular space has volume fraction ``volume_fraction`` (0.2) and tortuosity
   ``tortuosity`` (1.6); ``neuron_density_per_mm3`` neurons (90,000 /mm3, each 4444 um3
   and 13,333 um2 of membrane: neuronal volume fraction 0.40, 1.2 um2 of membrane per um3),
   lumped into one section per voxel. K+, Na+ and Cl- diffuse in the ECS and are
   exchanged with the neurons by every membrane current (rxd); glial K+ uptake by the
   sigmoid of Cressman et al. 2009 (net zero at rest, the K+ kept in a glial store).
2. *Neurons* (``mechanisms/sd_neuron.mod``, the Kager, Wadman & Somjen 2000 channel set
   in ohmic form): persistent Na+, delayed-rectifier K+, an NMDA-type conductance with the
   package's Mg2+ block (``block_model``) at the same ``mgo`` every mechanism reads and
   its drugs (``drug``, ``drug_um``) or ``nmda_scale``, Na+/K+/Cl- leaks balanced at rest
   and the Na+/K+ pump; divalent screening of the gating (surface_charge.inc) from [Mg]o
   and [Ca]o. Glutamate is a local pool per voxel, released as the voxel's neurons
   depolarize and cleared with 200 ms: it does not diffuse (the documented alternative
   to an extracellular glutamate species: K+ diffusion alone carries the wave in the
   models of Kager et al. 2000 and Newton et al. 2018, and a diffusing glutamate adds a
   species on every voxel for a secondary effect).
3. *Stimulus*: a KCl bolus at the end x = 0: [K+]o (and [Cl-]o by as much) set to
   ``k_bolus_mM`` where x < ``bolus_radius_um`` at t = 0; everything else at rest.
4. *Measures* (:mod:`mgneuron.measures.spreading`): a voxel is depolarized while its
   neurons are above ``v_sd_mV`` (-30 mV). The measured stretch runs from
   max(L/3, radius + 2 dx) to L - 3 dx. ``sd_started``: the far end of the stretch
   depolarized; ``sd_speed_mm_per_min``: slope of the arrival times over the stretch;
   ``k_peak_mM``: highest [K+]o in the stretch; ``depolarization_s``: time above
   ``v_sd_mV`` at the middle of the stretch (NaN if it outlasts ``tstop``);
   ``k_threshold_mM``: the smallest bolus that starts SD, by bisection on
   ``k_bolus_mM`` (:func:`mgneuron.measures.bisection.bisect_boundary`, to
   ``threshold_tol_mM``, from the resting [K+]o to ``k_bolus_max_mM``; +inf when even the
   largest bolus does not, as with the NMDA conductance blocked; the resting [K+]o itself
   when the tissue is unstable at rest; NaN with ``--threshold false``).
   Bisection runs end early once decided (the wave at the far end, or every voxel back
   below -60 mV with [K+]o within 0.5 mM of rest).

Reports: ``ko`` ([K+]o, mM, every voxel, every ``record_every`` ms; labels ``x=...um``).
The figure is a space-time plot of [K+]o (the wave is a line whose slope is the speed)
per condition with the threshold and speed against [Mg]o.

Features: ``mg_mM, ca_mM, sd_started, sd_speed_mm_per_min, k_peak_mM, depolarization_s,
k_threshold_mM``. Typical values, cost, convergence: docs/guide.md, "Protocol notes:
spreading_depolarization"; benchmarks/spreading_depolarization.py.
"""

from __future__ import annotations

import math

from mgneuron.cli import protocol_main
from mgneuron.engine import RunSettings
from mgneuron.environment import Environment
from mgneuron.errors import ProtocolError
from mgneuron.measures.bisection import bisect_boundary
from mgneuron.measures.spreading import sd_features
from mgneuron.mgblock import BLOCK_MODEL_CHOICES
from mgneuron.results import Report
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.groups import drug_group
from mgneuron.runner.params import celsius_param, record_every_param
from mgneuron.tissue import SDMembrane, TissueSpec


def tissue_spec(p) -> TissueSpec:
    """The strip a condition's parameters describe."""
    return TissueSpec(
        length_um=p.length_um, dx_um=p.dx_um, volume_fraction=p.volume_fraction,
        tortuosity=p.tortuosity, neuron_density_per_mm3=p.neuron_density_per_mm3,
        celsius=p.celsius,
    )  # fmt: skip


def stretch(p) -> tuple[float, float]:
    """(x_near, x_far) of the measured stretch (um)."""
    near = max(p.length_um / 3.0, p.bolus_radius_um + 2.0 * p.dx_um)
    return near, p.length_um - 3.0 * p.dx_um


class SpreadingDepolarization(Protocol):
    """Threshold K+ bolus, speed and [K+]o peak of spreading depolarization vs [Mg]o."""

    name = "spreading_depolarization"
    title = "Spreading depolarization (rxd tissue strip) vs [Mg]o"
    params = (
        mg_param((0.5, 1.0, 2.5), "[Mg]o"),
        ca_param(),
        Param("k_bolus_mM", 20.0, "mM", "[K+]o of the KCl bolus at x = 0", float,
              minimum=1e-3),
        Param("bolus_radius_um", 100.0, "um", "the bolus fills x < radius", float,
              minimum=0.0),
        Param("nmda_scale", (1.0,), "", "scale of the NMDA conductance (0: none)", float,
              grid=True, minimum=0.0),
        *drug_group(),
        Param("block_model", 0, "", "NMDA Mg-block model (0 JS, 1 Woodhull, 2 kinetic, 3 VCR)",
              int, choices=BLOCK_MODEL_CHOICES),
        Param("length_um", 1500.0, "um", "length of the strip", float, minimum=1e-3),
        Param("dx_um", 50.0, "um", "voxel edge (ECS grid step, strip width)", float,
              minimum=1e-3),
        Param("volume_fraction", 0.2, "", "ECS volume fraction", float, minimum=1e-3),
        Param("tortuosity", 1.6, "", "ECS tortuosity", float, minimum=1.0),
        Param("neuron_density_per_mm3", 90000.0, "/mm3", "neurons per mm3", float,
              minimum=1.0),
        Param("v_sd_mV", -30.0, "mV", "a voxel is depolarized above this potential", float),
        Param("threshold", True, "", "find k_threshold_mM by bisection", bool),
        Param("k_bolus_max_mM", 80.0, "mM", "largest bolus the bisection tries", float,
              minimum=1e-3),
        Param("threshold_tol_mM", 0.25, "mM", "bisection tolerance of the threshold", float,
              minimum=1e-4),
        celsius_param(),
        record_every_param(100.0, "sampling interval of the stored [K+]o"),
    )  # fmt: skip
    defaults = {"tstop": 40000.0, "dt": 0.5}

    @classmethod
    def check_condition(cls, p):
        """Refuse a strip too short for a bolus plus a measured stretch, a bolus with no voxel."""
        super().check_condition(p)
        spec = tissue_spec(p)  # raises on a bad geometry
        if p.bolus_radius_um < p.dx_um / 2.0:
            raise ProtocolError(
                f"spreading_depolarization: bolus_radius_um {p.bolus_radius_um} um holds no "
                f"voxel centre (dx_um {p.dx_um} um): use a radius >= dx_um / 2"
            )
        near, far = stretch(p)
        if far - near < 3 * p.dx_um:
            raise ProtocolError(
                f"spreading_depolarization: the strip ({p.length_um} um) leaves no measured "
                f"stretch beyond the bolus ({p.bolus_radius_um} um): lengthen --length-um"
            )
        if p.k_bolus_max_mM <= spec.ko_mM:
            raise ProtocolError(
                f"spreading_depolarization: k_bolus_max_mM {p.k_bolus_max_mM} mM is not above "
                f"the resting [K+]o ({spec.ko_mM} mM)"
            )
        if p.record_every < p.dt:
            raise ProtocolError(
                f"spreading_depolarization: record_every {p.record_every} ms is shorter than "
                f"dt {p.dt} ms"
            )

    def run_condition(self, p):
        from mgneuron.preparations.tissue import build_strip, run_strip

        spec = tissue_spec(p)
        membrane = SDMembrane()
        membrane = SDMembrane(
            **{**membrane.mechanism_params(), "gnmda": membrane.gnmda * p.nmda_scale}
        )
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM, na_mM=spec.nao_mM, k_mM=spec.ko_mM)
        settings = RunSettings(tstop=p.tstop, dt=p.dt, celsius=p.celsius, v_init=spec.v_rest_mV)
        near, far = stretch(p)
        i_far = int(max(i for i, x in enumerate(spec.x_um) if x <= far))

        def one_run(k_bolus, early_stop, every):
            strip = build_strip(
                spec, membrane, k_bolus, p.bolus_radius_um, block_model=p.block_model,
                drug=p.drug, drug_um=p.drug_um,
            )  # fmt: skip
            stop = None
            if early_stop:

                def stop(t, v, ko):
                    if v[i_far] >= p.v_sd_mV:
                        return True
                    return t >= 1000.0 and v.max() < -60.0 and ko.max() < spec.ko_mM + 0.5

            return run_strip(strip, settings, bath, ko_every_ms=every, stop=stop)

        def features_of(run):
            return sd_features(
                run.x_um, run.t_v_ms, run.v_mV, run.t_ko_ms, run.ko_mM, near, far, p.v_sd_mV
            )

        # 1. The run at k_bolus_mM, stored.
        run = one_run(p.k_bolus_mM, False, p.record_every)
        feats = features_of(run)

        # 2. The threshold bolus.
        threshold = math.nan
        if p.threshold:
            seen: dict[float, bool] = {}

            def starts(k_bolus: float) -> bool:
                if k_bolus not in seen:
                    r = one_run(k_bolus, True, max(p.record_every, 250.0))
                    seen[k_bolus] = bool(r.v_mV[:, i_far].max() >= p.v_sd_mV)
                return seen[k_bolus]

            threshold = math.inf  # no bolus up to k_bolus_max_mM starts SD
            if starts(p.k_bolus_max_mM):
                threshold = bisect_boundary(
                    starts, spec.ko_mM, p.k_bolus_max_mM, p.threshold_tol_mM
                )
        row = {
            "mg_mM": p.mg_mM,
            "ca_mM": p.ca_mM,
            "sd_started": feats["sd_started"],
            "sd_speed_mm_per_min": feats["sd_speed_mm_per_min"],
            "k_peak_mM": feats["k_peak_mM"],
            "depolarization_s": feats["depolarization_s"],
            "k_threshold_mM": float(threshold),
        }
        every = float(run.t_ko_ms[1] - run.t_ko_ms[0]) if len(run.t_ko_ms) > 1 else p.dt
        n = run.ko_mM.shape[1]
        report = Report(
            data=run.ko_mM,
            time=(0.0, run.ko_mM.shape[0] * every, every),
            node_ids=[0],
            element_ids=list(range(n)),
            variable="ko",
            units="mM",
            element_labels=[f"x={x:g}um" for x in run.x_um],
        )
        return ConditionResult(features=[row], reports={"ko": report})

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.spreading_depolarization import plot_spreading_depolarization

        return [plot_spreading_depolarization(path, figure_path(path, out_dir))]


def main(argv=None) -> int:
    return protocol_main(SpreadingDepolarization, argv)


if __name__ == "__main__":
    raise SystemExit(main())
