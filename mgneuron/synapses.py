"""Synapses: describe, place and drive the Mg-aware synapse mechanisms.

Three point processes share one presynaptic release model (``mechanisms/release.inc``):

``GluSynMg``     AMPA + NMDA (NMDA Mg2+ block from ``mgblock.inc``), E_rev 0 mV
``GabaASynMg``   GABA-A with [Mg]o-modulated conductance, E_GABA -75 mV
``EndplateSyn``  nicotinic ACh receptors of a neuromuscular endplate, released in quanta
                 (:mod:`mgneuron.endplate`), E_rev 0 mV

A :class:`SynapseSpec` describes a synapse (mechanism, peak conductance, release
parameters, further NMODL parameters) and is picklable; :func:`instantiate` creates the
NEURON point process on a segment. Presynaptic spikes come from a :class:`SpikeTrain`
(explicit times, regular, paired-pulse or Poisson drawn from a seeded
``numpy.random.Generator``), delivered by an :class:`EventDriver`: one ``NetCon`` per
synapse without a source whose events are queued at every ``finitialize``. (The NEURON
wheel has no ``VecStim``; this needs no extra mechanism. Events queued this way reach
CoreNEURON in online mode too: checked with GluSynMg in NEURON 9.0.2, identical traces.)

Randomness, and what makes a run reproducible:

* spike trains: ``numpy.random.SeedSequence(seed).spawn(n)``, one Generator per train;
* stochastic release: each synapse's Random123 stream ``release_rng`` gets the ids
  ``(seed, gid, index)`` (index counts the synapses of a cell) and is rewound to sequence 0
  at every ``finitialize``, so a run depends on these ids only, not on the process, the
  order of creation or the MPI rank. (The Random123 global index must be equal in every
  process too; mgneuron leaves it at NEURON's default, 0.)

The bath reaches a synapse through the ``cao``/``mgo`` of its segment: apply the
:class:`~mgneuron.environment.Environment` *after* creating the synapses (creating one
inserts the ions into its section).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mgneuron.errors import MgNeuronError
from mgneuron.release import ReleaseSpec

__all__ = [
    "MECHANISMS",
    "GABA_RELEASE",
    "GLU_RELEASE",
    "SynapseSpec",
    "glutamatergic",
    "gabaergic",
    "SpikeTrain",
    "regular_train",
    "paired_pulse",
    "poisson_train",
    "poisson_trains",
    "Synapse",
    "instantiate",
    "place",
    "set_release_stream",
    "EventDriver",
    "attach_plasticity",
]

#: Kind of synapse -> NMODL point process.
MECHANISMS = {"glutamate": "GluSynMg", "gaba_a": "GabaASynMg", "acetylcholine": "EndplateSyn"}
#: Kind of synapse -> its NMODL source file (for messages).
_MOD_FILES = {
    "glutamate": "glusyn_mg.mod",
    "gaba_a": "gabaa_mg.mod",
    "acetylcholine": "endplate.mod",
}

#: Default release of GluSynMg: depressing E->E ("E2"), Markram et al. 2015 (Cell 163:456).
GLU_RELEASE = ReleaseSpec(U=0.5, tau_rec_ms=671.0, tau_facil_ms=17.0)
#: Default release of GabaASynMg: depressing inhibitory ("I2"), Markram et al. 2015.
GABA_RELEASE = ReleaseSpec(U=0.25, tau_rec_ms=706.0, tau_facil_ms=21.0)

_UINT32 = 2**32
_EVENT_NETCON_DELAY_MS = 1.0


@dataclass(frozen=True)
class SynapseSpec:
    """Description of one synapse type (picklable; no NEURON objects).

    Parameters
    ----------
    kind : str
        ``"glutamate"`` (GluSynMg), ``"gaba_a"`` (GabaASynMg) or ``"acetylcholine"``
        (EndplateSyn, :func:`mgneuron.endplate.EndplateSpec.synapse`).
    gmax_uS : float
        Peak conductance of a spike that releases everything (uS); a spike activates
        ``gmax_uS * released`` (released in [0, 1] from the release model).
    release : ReleaseSpec
        Presynaptic release parameters.
    params : tuple of (str, float)
        Further NMODL RANGE parameters by name, e.g. ``("nmda_ratio", 0.5)``,
        ``("e_gaba", -75.0)``, ``("mg_mod_on", 0.0)``, ``("block_model", 1.0)``.
    """

    kind: str = "glutamate"
    gmax_uS: float = 0.001
    release: ReleaseSpec = field(default_factory=lambda: GLU_RELEASE)
    params: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        """Check the kind and gmax_uS (uS, >= 0); store params as (str, float) pairs."""
        if self.kind not in MECHANISMS:
            raise MgNeuronError(
                f"unknown synapse kind {self.kind!r}; choose one of {', '.join(MECHANISMS)}"
            )
        if not (math.isfinite(self.gmax_uS) and self.gmax_uS >= 0):
            raise MgNeuronError(f"gmax_uS must be finite and >= 0 uS, got {self.gmax_uS}")
        object.__setattr__(self, "params", tuple((str(k), float(v)) for k, v in self.params))

    @property
    def mechanism(self) -> str:
        """Name of the NMODL point process."""
        return MECHANISMS[self.kind]

    def with_(self, **changes: Any) -> SynapseSpec:
        """Return a copy with fields changed; ``params=`` entries are merged by name."""
        if "params" in changes:
            merged = dict(self.params)
            merged.update(dict(changes["params"]))
            changes["params"] = tuple(merged.items())
        return replace(self, **changes)

    def as_dict(self) -> dict:
        """Plain-dict view (for HDF5 parameters)."""
        return {
            "kind": self.kind,
            "mechanism": self.mechanism,
            "gmax_uS": self.gmax_uS,
            "release": self.release.as_dict(),
            "params": dict(self.params),
        }


def glutamatergic(
    gmax_uS: float = 0.001,
    nmda_ratio: float = 0.5,
    release: ReleaseSpec | None = None,
    drug: str = "none",
    drug_um: float = 0.0,
    **params: float,
) -> SynapseSpec:
    """Describe a glutamatergic synapse (GluSynMg: AMPA + NMDA).

    Parameters
    ----------
    gmax_uS : float
        AMPA peak conductance of a full release (uS).
    nmda_ratio : float
        NMDA/AMPA peak-conductance ratio (1); 0 models NMDA receptors blocked (D-APV).
    release : ReleaseSpec, optional
        Default :data:`GLU_RELEASE`.
    drug : str
        NMDA antagonist beside Mg2+: ``"none"``, ``"memantine"``, ``"ketamine"``,
        ``"mk801"`` or ``"apv"`` (:data:`mgneuron.nmda.DRUGS`).
    drug_um : float
        Its concentration (uM).
    **params : float
        Further GluSynMg parameters (``e``, ``tau_decay_nmda``, ``block_model``,
        ``wscale``, ``pca``...).
    """
    from mgneuron.nmda import drug_params

    drugs = drug_params(drug, drug_um)  # checks the name and the concentration
    if drug != "none":
        params = {**drugs, **params}
    params["nmda_ratio"] = nmda_ratio
    return SynapseSpec("glutamate", gmax_uS, release or GLU_RELEASE, tuple(params.items()))


def gabaergic(
    gmax_uS: float = 0.001,
    e_gaba_mV: float = -75.0,
    mg_modulation: bool = True,
    release: ReleaseSpec | None = None,
    **params: float,
) -> SynapseSpec:
    """Describe a GABA-A synapse (GabaASynMg).

    Parameters
    ----------
    gmax_uS : float
        Peak conductance of a full release at 1 mM Mg (uS).
    e_gaba_mV : float
        GABA-A reversal potential (mV).
    mg_modulation : bool
        Whether [Mg]o modulates the conductance (``mg_mod_on``).
    release : ReleaseSpec, optional
        Default :data:`GABA_RELEASE`.
    **params : float
        Further GabaASynMg parameters (``mg_mod_emax``, ``mg_mod_k``, ``tau_decay``...).
    """
    params["e_gaba"] = e_gaba_mV
    params["mg_mod_on"] = 1.0 if mg_modulation else 0.0
    return SynapseSpec("gaba_a", gmax_uS, release or GABA_RELEASE, tuple(params.items()))


# --------------------------------------------------------------------------- spike trains


@dataclass(frozen=True)
class SpikeTrain:
    """Presynaptic spike times (ms), increasing and >= 0."""

    times_ms: tuple[float, ...]

    def __post_init__(self) -> None:
        """Check the times (1-D, finite, >= 0 ms, sorted); store them as a tuple of floats."""
        t = np.asarray(self.times_ms, dtype=float)
        if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(t < 0):
            raise MgNeuronError("spike times must be a 1-D sequence of finite times >= 0 ms")
        if np.any(np.diff(t) < 0):
            raise MgNeuronError("spike times must be sorted in increasing order")
        object.__setattr__(self, "times_ms", tuple(float(x) for x in t))

    def __len__(self) -> int:
        """Return the number of spikes."""
        return len(self.times_ms)

    def as_array(self) -> np.ndarray:
        """Return the times as a float array (ms)."""
        return np.asarray(self.times_ms, dtype=float)


def regular_train(n: int, isi_ms: float, start_ms: float = 10.0) -> SpikeTrain:
    """``n`` spikes every ``isi_ms`` (ms) from ``start_ms`` (ms)."""
    if n < 0 or isi_ms <= 0:
        raise MgNeuronError(f"need n >= 0 and isi_ms > 0, got n={n}, isi_ms={isi_ms}")
    return SpikeTrain(tuple(start_ms + isi_ms * np.arange(n)))


def paired_pulse(isi_ms: float, start_ms: float = 10.0) -> SpikeTrain:
    """Two spikes ``isi_ms`` apart (ms), the first at ``start_ms`` (ms)."""
    return regular_train(2, isi_ms, start_ms)


def poisson_train(
    rate_hz: float, stop_ms: float, rng: np.random.Generator, start_ms: float = 0.0
) -> SpikeTrain:
    """Homogeneous Poisson spike train on [start_ms, stop_ms).

    Parameters
    ----------
    rate_hz : float
        Mean rate (Hz).
    stop_ms, start_ms : float
        Interval (ms).
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).
    """
    if rate_hz < 0 or stop_ms < start_ms:
        raise MgNeuronError(f"need rate_hz >= 0 and stop_ms >= start_ms, got {rate_hz}, {stop_ms}")
    n = rng.poisson(rate_hz * (stop_ms - start_ms) / 1000.0)
    return SpikeTrain(tuple(np.sort(rng.uniform(start_ms, stop_ms, n))))


def poisson_trains(
    n: int, rate_hz: float, stop_ms: float, seed: int, start_ms: float = 0.0
) -> list[SpikeTrain]:
    """``n`` independent Poisson trains, train k drawn from ``SeedSequence(seed).spawn(n)[k]``."""
    children = np.random.SeedSequence(seed).spawn(n)
    return [poisson_train(rate_hz, stop_ms, np.random.default_rng(c), start_ms) for c in children]


# --------------------------------------------------------------------------- NEURON side


def set_release_stream(pp, seed: int, gid: int = 0, index: int = 0) -> None:
    """Give a synapse's Random123 stream ``release_rng`` the ids (seed, gid, index).

    Each id is an unsigned 32-bit integer. The stream is rewound to sequence 0 by the
    mechanism's INITIAL block, so the ids alone fix the stochastic release of a run.
    """
    ids = (int(seed), int(gid), int(index))
    if any(not 0 <= i < _UINT32 for i in ids):
        raise MgNeuronError(f"Random123 ids must be unsigned 32-bit integers, got {ids}")
    pp.release_rng.set_ids(*ids)


class Synapse:
    """A synapse built in NEURON: its spec, point process and segment.

    Attributes
    ----------
    spec : SynapseSpec
    pp : hoc.HocObject
        The GluSynMg / GabaASynMg point process.
    segment : nrn.Segment
    ids : tuple of int
        Random123 ids (seed, gid, index) of its release stream.
    """

    def __init__(self, spec: SynapseSpec, pp, segment, ids: tuple[int, int, int]):
        self.spec = spec
        self.pp = pp
        self.segment = segment
        self.ids = ids

    def __repr__(self) -> str:
        """Return the mechanism, the segment and the Random123 ids."""
        return f"Synapse({self.spec.mechanism} at {self.segment}, ids={self.ids})"


def instantiate(spec: SynapseSpec, segment, seed: int = 0, gid: int = 0, index: int = 0) -> Synapse:
    """Create the point process of ``spec`` on ``segment`` and set every parameter.

    Parameters
    ----------
    spec : SynapseSpec
    segment : nrn.Segment
        Where the synapse sits, e.g. ``sec(0.5)``.
    seed, gid, index : int
        Random123 ids of its release stream (see :func:`set_release_stream`).

    Returns
    -------
    Synapse
    """
    from neuron import h

    from mgneuron.mechanisms import require

    require()
    pp = getattr(h, spec.mechanism)(segment)
    pp.gmax = spec.gmax_uS
    for name, value in spec.release.nmodl_values().items():
        setattr(pp, name, value)
    for name, value in spec.params:
        if not hasattr(pp, name):
            raise MgNeuronError(
                f"{spec.mechanism} has no parameter {name!r}; see mechanisms/"
                f"{_MOD_FILES[spec.kind]}"
            )
        setattr(pp, name, value)
    ids = (int(seed), int(gid), int(index))
    set_release_stream(pp, *ids)
    return Synapse(spec, pp, segment, ids)


def place(
    spec: SynapseSpec,
    where: Iterable | str | Any,
    seed: int = 0,
    gid: int = 0,
    first_index: int = 0,
    cell: Any = None,
) -> list[Synapse]:
    """Create one synapse of ``spec`` per site; stream index counts from ``first_index``.

    Parameters
    ----------
    spec : SynapseSpec
    where : iterable of nrn.Segment, or a location rule
        Segments, or a rule of :mod:`mgneuron.locations` (``"apical:200-300um:n=10:seed=1"``,
        ``"soma"``, a ``Location`` object) resolved on ``cell``.
    seed, gid, first_index : int
        Random123 ids of the release streams: (seed, gid, first_index + k).
    cell : mgneuron.cell.Cell or Morphology, optional
        Required when ``where`` is a rule.

    Raises
    ------
    LocationError
        When the rule matches nothing on the cell (the message says what the cell offers).
    """
    from mgneuron.errors import LocationError

    if isinstance(where, str) or hasattr(where, "segments"):
        if cell is None:
            raise LocationError(f"placing synapses by the rule {where!r} needs cell=")
        from mgneuron.locations import parse_location

        where = parse_location(where).segments(cell)
    return [
        instantiate(spec, seg, seed=seed, gid=gid, index=first_index + k)
        for k, seg in enumerate(where)
    ]


class EventDriver:
    """Delivers spike trains to synapses: one NetCon per (synapse, train), no source.

    The events are queued by an ``FInitializeHandler`` at every ``finitialize``, so the
    same model can be run again (another condition, another trial) without rebuilding.
    Set ``enabled = False`` to queue nothing at the next initialisations (e.g. to run the
    same model without this input). Keep the driver alive as long as the model runs.
    """

    def __init__(self) -> None:
        from neuron import h

        self.enabled = True
        self._netcons: list = []
        self._times: list[np.ndarray] = []
        # The handler must not hold the driver strongly: a Python -> hoc -> Python cycle
        # is invisible to the garbage collector and would keep the whole model alive.
        ref = weakref.ref(self)

        def queue() -> None:
            driver = ref()
            if driver is not None:
                driver._queue()

        self._handler = h.FInitializeHandler(queue)

    def add(
        self,
        synapse: Synapse | Any,
        train: SpikeTrain | Sequence[float],
        weight: float = 1.0,
        delay_ms: float = 0.0,
    ):
        """Drive ``synapse`` (a :class:`Synapse` or a point process) with ``train``.

        Parameters
        ----------
        weight : float
            NetCon weight (1): scales the synapse's peak conductance.
        delay_ms : float
            Added to every spike time (ms).

        Returns
        -------
        hoc.HocObject
            The NetCon.
        """
        from neuron import h

        pp = synapse.pp if isinstance(synapse, Synapse) else synapse
        times = train.as_array() if isinstance(train, SpikeTrain) else SpikeTrain(train).as_array()
        nc = h.NetCon(None, pp)
        nc.weight[0] = weight
        # NetCon.event(t) delivers at t whatever the delay; a positive delay keeps the
        # minimum delay usable for ParallelContext and CoreNEURON.
        nc.delay = _EVENT_NETCON_DELAY_MS
        self._netcons.append(nc)
        self._times.append(times + delay_ms)
        return nc

    def __len__(self) -> int:
        """Return the number of driven NetCons (one per :meth:`add`)."""
        return len(self._netcons)

    @property
    def n_events(self) -> int:
        """Number of spikes queued at each initialisation."""
        return int(sum(len(t) for t in self._times))

    def _queue(self) -> None:
        if not self.enabled:
            return
        for nc, times in zip(self._netcons, self._times, strict=True):
            for t in times:
                nc.event(t)


def attach_plasticity(
    synapse: Synapse | Any,
    ca_scale_uM: float | None = None,
    pbar_vgcc_um3_ms: float | None = None,
    rule=None,
    spine=None,
    rho0: float = 0.5,
):
    """Give a GluSynMg synapse spine Ca2+ and the Graupner & Brunel (2012) rule.

    Creates a ``CaPlasticity`` point process on the synapse's segment, points its
    ``ica_syn`` at the synapse's NMDA Ca2+ current and its ``wsyn`` at the synapse's
    ``wscale`` (the AMPA weight scale), and sets the rule and the spine compartment at
    full precision (:mod:`mgneuron.measures.plasticity`).

    Parameters
    ----------
    synapse : Synapse or GluSynMg point process
    ca_scale_uM : float, optional
        uM of spine Ca2+ above rest per unit of the rule's c (default
        :data:`~mgneuron.measures.plasticity.CA_SCALE_UM`).
    pbar_vgcc_um3_ms : float, optional
        Permeability of the spine's HVA Ca2+ channels (um3/ms; default
        :data:`~mgneuron.measures.plasticity.PBAR_VGCC_UM3_MS`).
    rule : GBParams, optional
        Default :data:`~mgneuron.measures.plasticity.GB2012_CORTICAL`.
    spine : SpineCa, optional
        Default :data:`~mgneuron.measures.plasticity.SPINE_CA`.
    rho0 : float
        Efficacy state at t = 0 (default 0.5, the rule's unstable fixed point: w = 1).

    Returns
    -------
    hoc.HocObject
        The ``CaPlasticity`` point process (record ``_ref_casp``, ``_ref_rho``, ``_ref_w``).
    """
    from neuron import h

    from mgneuron.measures import plasticity as gb

    pp = synapse.pp if isinstance(synapse, Synapse) else synapse
    if pp.hname().split("[")[0] != "GluSynMg" or not hasattr(pp, "wscale"):
        raise MgNeuronError(
            f"attach_plasticity: {pp.hname()} is not a GluSynMg synapse with a wscale"
        )
    rule = gb.GB2012_CORTICAL if rule is None else rule
    spine = gb.SPINE_CA if spine is None else spine
    seg = pp.get_segment()
    rule_pp = h.CaPlasticity(seg)
    values = {
        "ca_scale": gb.CA_SCALE_UM if ca_scale_uM is None else ca_scale_uM,
        "pbar_vgcc": gb.PBAR_VGCC_UM3_MS if pbar_vgcc_um3_ms is None else pbar_vgcc_um3_ms,
        "theta_d": rule.theta_d, "theta_p": rule.theta_p,
        "gamma_d": rule.gamma_d, "gamma_p": rule.gamma_p,
        "tau_rho": rule.tau_rho_ms, "rho_star": rule.rho_star, "b": rule.b, "rho0": rho0,
        "vol": spine.vol_um3, "kappa_b": spine.kappa_b,
        "ca_rest": spine.ca_rest_uM, "tau_ca": spine.tau_ca_ms,
    }  # fmt: skip
    for name, value in values.items():
        setattr(rule_pp, name, float(value))
    h.setpointer(pp._ref_ica, "ica_syn", rule_pp)
    h.setpointer(pp._ref_wscale, "wsyn", rule_pp)
    return rule_pp
