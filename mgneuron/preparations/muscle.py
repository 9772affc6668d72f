"""A muscle fibre with its endplate in NEURON: the builder of the neuromuscular junction.

:func:`build_fibre` turns a :class:`~mgneuron.endplate.MuscleFibreSpec` and an
:class:`~mgneuron.endplate.EndplateSpec` into one section (the fibre, Na+/K+ channels
``NaMus``/``KdrMus`` with divalent screening, the Na+ density raised around the endplate
(:meth:`~mgneuron.endplate.MuscleFibreSpec.gna_per_segment`), resting conductance ``pas``), an
``EndplateSyn`` at its middle (quantal release, :mod:`mgneuron.synapses`), and a spike
detector 1 mm away that records the times of propagated action potentials. ``na_blocked``
builds the fibre without Na+ channels, as with mu-conotoxin GIIIB, which experimenters use
to record the full endplate potential without the action potential (e.g. Wood & Slater
1997, J Physiol 500:165). Apply the bath (:func:`mgneuron.bath.apply_bath`) after
building: creating the synapse and the channels inserts the ions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mgneuron.endplate import EndplateSpec, MuscleFibreSpec
from mgneuron.engine.state import hoc
from mgneuron.mechanisms import require
from mgneuron.synapses import Synapse, SynapseSpec, instantiate

__all__ = ["MuscleFibre", "endplate_synapse", "build_fibre"]


def endplate_synapse(endplate: EndplateSpec, stochastic: bool = False) -> SynapseSpec:
    """Describe the :class:`~mgneuron.synapses.SynapseSpec` (kind ``acetylcholine``) of an endplate.

    Its ``gmax_uS`` is ``n_sites`` quanta of ``quantal_conductance_nS`` (uS): the
    conductance if every site released.
    """
    return SynapseSpec(
        "acetylcholine",
        endplate.n_sites * endplate.quantal_conductance_nS * 1e-3,
        endplate.release(stochastic),
        (("tau_rise", endplate.tau_rise_ms), ("tau_decay", endplate.tau_decay_ms),
         ("e", endplate.e_mV)),
    )  # fmt: skip


@dataclass
class MuscleFibre:
    """A built fibre: its section, endplate synapse and action-potential detector.

    Attributes
    ----------
    section : nrn.Section
    endplate : nrn.Segment
        The segment holding the synapse (the middle one).
    detect : nrn.Segment
        Where action potentials are detected.
    synapse : Synapse
    spikes : hoc Vector
        Times (ms) at which ``detect`` crossed the detection threshold upwards.
    """

    section: Any
    endplate: Any
    detect: Any
    synapse: Synapse
    spikes: Any
    _detector: Any


def build_fibre(
    fibre: MuscleFibreSpec,
    endplate: EndplateSpec,
    stochastic: bool = False,
    na_blocked: bool = False,
    seed: int = 0,
    gid: int = 0,
) -> MuscleFibre:
    """Build one muscle fibre with its endplate.

    Parameters
    ----------
    fibre, endplate : MuscleFibreSpec, EndplateSpec
    stochastic : bool
        Binomial quanta (else the deterministic mean).
    na_blocked : bool
        Leave the Na+ channels out (mu-conotoxin): the endplate potential alone.
    seed, gid : int
        Random123 ids (seed, gid, 0) of the release stream.

    Returns
    -------
    MuscleFibre
    """
    require()
    h = hoc()
    sec = h.Section(name=f"muscle_fibre_{gid}")
    sec.L, sec.diam, sec.nseg = fibre.length_um, fibre.diam_um, int(fibre.nseg)
    sec.Ra, sec.cm = fibre.ra_ohm_cm, fibre.cm_uF_cm2
    for mech in ("NaMus", "KdrMus", "pas"):
        sec.insert(mech)
    gna = fibre.gna_per_segment(sec.nseg)
    for seg, g in zip(sec, gna, strict=True):
        seg.NaMus.gbar = 0.0 if na_blocked else float(g)
        seg.KdrMus.gbar = fibre.gk_S_cm2
        seg.pas.g = fibre.g_rest_S_cm2
        seg.pas.e = fibre.e_rest_mV
    sec.ena, sec.ek = fibre.ena_mV, fibre.ek_mV
    syn = instantiate(endplate_synapse(endplate, stochastic), sec(0.5), seed=seed, gid=gid)
    detect = sec(fibre.detect_x)
    spikes = h.Vector()
    nc = h.NetCon(detect._ref_v, None, sec=sec)
    nc.threshold = fibre.detect_mV
    nc.record(spikes)
    return MuscleFibre(sec, sec(0.5), detect, syn, spikes, nc)
