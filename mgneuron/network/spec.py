"""The network as a description: populations, pathways, background, and the drawn wiring.

Everything here is plain Python and picklable (no NEURON objects): a :class:`NetworkSpec`
travels to worker processes and MPI ranks, and :func:`draw_connections` gives every rank
the same connection table from the seed alone. :func:`default_network` is the network of
the ``low_mg_network`` protocol.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from mgneuron.measures.network import EXC, INH
from mgneuron.network.cells import NetworkError, ReducedCellSpec, basket_cell, pyramidal_cell
from mgneuron.network.space import Slab, place_cells, weighted_choice
from mgneuron.release import ReleaseSpec
from mgneuron.synapses import SynapseSpec, gabaergic, glutamatergic

__all__ = [
    "EXC",
    "INH",
    "Pathway",
    "Background",
    "NetworkSpec",
    "DEFAULT_PARAMETERS",
    "default_network",
    "Connections",
    "draw_connections",
]


@dataclass(frozen=True)
class Pathway:
    """Connections from one population onto another.

    Parameters
    ----------
    pre, post : str
        ``"excitatory"`` or ``"inhibitory"``.
    indegree : int
        Presynaptic partners of every postsynaptic cell, drawn without replacement (no
        autapses).
    synapse : SynapseSpec
        The synapse of each connection (one point process per connection, so each has
        its own short-term depression).
    sections : tuple of str
        Postsynaptic sections a connection may land on (uniform in membrane area).
    delay_ms : (float, float)
        Conduction delays are uniform in this range (ms); the minimum must be > 0.
    sigma_um : float or None
        Connection probability falls with the distance d between the somata as
        ``exp(-d**2 / (2 sigma**2))`` (um); None: every presynaptic cell is as likely
        (no space). The in-degree stays fixed: the profile sets which cells are chosen.
    """

    pre: str
    post: str
    indegree: int
    synapse: SynapseSpec
    sections: tuple[str, ...] = ("soma",)
    delay_ms: tuple[float, float] = (1.0, 3.0)
    sigma_um: float | None = None

    @property
    def name(self) -> str:
        """Short name: ``EE``, ``EI``, ``IE`` or ``II``."""
        return f"{self.pre[0].upper()}{self.post[0].upper()}"


@dataclass(frozen=True)
class Background:
    """Poisson background drive of one population: one synapse per cell.

    The sum of many independent Poisson inputs on one site is one Poisson input at the
    summed rate, and the synapse is linear in its events, so one ``NetStim`` per cell
    stands for the whole external input.

    Parameters
    ----------
    rate_hz : float
        Summed rate of the external input of one cell (Hz).
    synapse : SynapseSpec
        The synapse it drives.
    section : str
        Section carrying the synapse (at its middle).
    """

    rate_hz: float
    synapse: SynapseSpec
    section: str = "soma"


#: Background synapses: AMPA only, no short-term dynamics, release independent of the
#: bath, so the external drive is the same in every condition.
_STATIC = ReleaseSpec(U=1.0, tau_rec_ms=0.0, tau_facil_ms=0.0, model="none")


@dataclass(frozen=True)
class NetworkSpec:
    """Description of the network (picklable; no NEURON objects).

    Parameters
    ----------
    n_exc, n_inh : int
        Numbers of pyramidal and basket cells.
    exc_cell, inh_cell : ReducedCellSpec
        Cell types.
    pathways : tuple of Pathway
        Recurrent connections.
    background : tuple of (str, Background)
        External drive per population.
    seed : int
        Seed of the connectivity, delays, synapse locations and background streams.
    threshold_mV : float
        Somatic voltage crossing that counts as a spike (mV).
    slab : Slab
        Where the cells are placed (:mod:`mgneuron.network.space`).
    """

    n_exc: int = 80
    n_inh: int = 20
    exc_cell: ReducedCellSpec = field(default_factory=pyramidal_cell)
    inh_cell: ReducedCellSpec = field(default_factory=basket_cell)
    pathways: tuple[Pathway, ...] = ()
    background: tuple[tuple[str, Background], ...] = ()
    seed: int = 1
    threshold_mV: float = -10.0
    slab: Slab = field(default_factory=Slab)

    def __post_init__(self) -> None:
        """Check sizes, seed, pathways and background against each other."""
        if self.n_exc < 2 or self.n_inh < 1:
            raise NetworkError(f"need n_exc >= 2 and n_inh >= 1, got {self.n_exc}, {self.n_inh}")
        if not 0 <= self.seed < 2**32:
            raise NetworkError(f"seed must be an unsigned 32-bit integer, got {self.seed}")
        for pw in self.pathways:
            self._check_pathway(pw)
        for pop, bg in self.background:
            if pop not in (EXC, INH):
                raise NetworkError(f"background population must be {EXC!r} or {INH!r}")
            if bg.section not in self.cell(pop).section_names:
                raise NetworkError(f"background section {bg.section!r} not in {pop} cells")
            if bg.rate_hz < 0:
                raise NetworkError(f"background rate must be >= 0 Hz, got {bg.rate_hz}")

    def _check_pathway(self, pw: Pathway) -> None:
        for pop in (pw.pre, pw.post):
            if pop not in (EXC, INH):
                raise NetworkError(f"pathway population must be {EXC!r} or {INH!r}, got {pop!r}")
        n_pre = self.size(pw.pre) - (1 if pw.pre == pw.post else 0)
        if not 0 <= pw.indegree <= n_pre:
            raise NetworkError(
                f"pathway {pw.name}: indegree {pw.indegree} must be in [0, {n_pre}] "
                f"for {self.size(pw.pre)} presynaptic cells"
            )
        if pw.sigma_um is not None and not pw.sigma_um > 0:
            raise NetworkError(f"pathway {pw.name}: sigma_um must be > 0 um, got {pw.sigma_um}")
        if not 0 < pw.delay_ms[0] <= pw.delay_ms[1]:
            raise NetworkError(
                f"pathway {pw.name}: delays must satisfy 0 < min <= max ms, got {pw.delay_ms}"
            )
        cell = self.cell(pw.post)
        bad = [s for s in pw.sections if s not in cell.section_names]
        if bad:
            raise NetworkError(
                f"pathway {pw.name}: sections {bad} do not exist in cell {cell.name!r} "
                f"(sections: {', '.join(cell.section_names)})"
            )

    # -- sizes and gids ---------------------------------------------------------------
    @property
    def n_cells(self) -> int:
        """Number of cells of both populations."""
        return self.n_exc + self.n_inh

    def size(self, population: str) -> int:
        """Return the number of cells of one population."""
        return self.n_exc if population == EXC else self.n_inh

    def cell(self, population: str) -> ReducedCellSpec:
        """Return the cell type of one population."""
        return self.exc_cell if population == EXC else self.inh_cell

    def gid_offset(self, population: str) -> int:
        """Return the gid of the first cell of one population."""
        return 0 if population == EXC else self.n_exc

    def population_of(self, gid: int) -> str:
        """Return the population of the cell with this gid."""
        return EXC if gid < self.n_exc else INH

    def positions(self) -> np.ndarray:
        """Soma positions of every cell in gid order, shape (n_cells, 3) (um).

        :func:`mgneuron.network.space.place_cells` from ``seed``: the same on every rank.
        """
        return place_cells(self.n_exc, self.n_inh, self.exc_cell, self.slab, self.seed)

    # -- variants ---------------------------------------------------------------------
    def with_(self, **changes: Any) -> NetworkSpec:
        """Return a copy with fields changed."""
        return replace(self, **changes)

    def scaled(self, nmda: float = 1.0, gaba: float = 1.0) -> NetworkSpec:
        """Return a copy with the NMDA and GABA-A conductances of every synapse scaled.

        ``nmda=0`` is a saturating NMDA antagonist (D-APV), ``gaba=0`` a GABA-A
        antagonist (bicuculline). AMPA is left unchanged.
        """
        if nmda < 0 or gaba < 0:
            raise NetworkError(f"scale factors must be >= 0, got nmda={nmda}, gaba={gaba}")
        pathways = tuple(
            replace(pw, synapse=_scale(pw.synapse, nmda, gaba)) for pw in self.pathways
        )
        background = tuple(
            (pop, replace(bg, synapse=_scale(bg.synapse, nmda, gaba)))
            for pop, bg in self.background
        )
        return replace(self, pathways=pathways, background=background)

    def with_drug(self, drug: str = "none", drug_um: float = 0.0) -> NetworkSpec:
        """Return a copy with an NMDA channel drug at every glutamatergic synapse.

        Parameters
        ----------
        drug : str
            ``"none"``, ``"memantine"``, ``"ketamine"``, ``"mk801"`` or ``"apv"``
            (rates and sources in :mod:`mgneuron.nmda`).
        drug_um : float
            Concentration (uM) in the bath of every cell.
        """
        from mgneuron.nmda import drug_params

        values = drug_params(drug, drug_um)  # checks the name and the concentration
        if drug == "none":
            return self

        def dosed(spec: SynapseSpec) -> SynapseSpec:
            return spec.with_(params=values) if spec.kind == "glutamate" else spec

        pathways = tuple(replace(pw, synapse=dosed(pw.synapse)) for pw in self.pathways)
        background = tuple(
            (pop, replace(bg, synapse=dosed(bg.synapse))) for pop, bg in self.background
        )
        return replace(self, pathways=pathways, background=background)

    def as_dict(self) -> dict:
        """Plain-dict view (for the HDF5 parameters)."""
        return asdict(self)


def _scale(spec: SynapseSpec, nmda: float, gaba: float) -> SynapseSpec:
    if spec.kind == "gaba_a":
        return spec.with_(gmax_uS=spec.gmax_uS * gaba)
    # GluSynMg: g_nmda = gmax * nmda_ratio, so scaling the ratio scales NMDA alone.
    ratio = dict(spec.params).get("nmda_ratio", 0.5)
    return spec.with_(params={"nmda_ratio": ratio * nmda})


#: Parameters of :func:`default_network` (units in the names; k_* are in-degrees).
#: Tuned so that 1 mM Mg2+ / 2 mM Ca2+ gives asynchronous firing at 1-2 Hz (E) and
#: removing Mg2+ gives recurrent population bursts (see :mod:`mgneuron.network`):
#:
#: * ``g_ee_uS`` 1.5 nS AMPA peak per full release, ``nmda_ratio`` 1.0: the NMDA peak
#:   conductance equals the AMPA one (GluSynMg's own default is 0.5); with the 65 ms NMDA
#:   decay the unblocked NMDA charge is 32 times the AMPA charge (1.9 times at -65 mV in
#:   1 mM Mg2+), the recurrent gain that makes the network burst once Mg2+ is gone. A
#:   unitary E->E EPSP is 2.6-2.8 mV at the soma in 1 mM Mg2+ (cell at -72.6 mV, input
#:   resistance 450 MOhm): large, because each of the 8 recurrent inputs of this small
#:   network stands for several connections of a real one. Without Mg2+ the NMDA part of
#:   a single connection fires a resting cell;
#: * ``nmda_ratio_ei`` 0.2: fast-spiking interneurons carry few NMDA receptors;
#: * ``g_ie_uS`` 6 nS: strong perisomatic (basket) inhibition, as in inhibition-
#:   stabilised cortical networks;
#: * in-degrees 8 (E->E, p = 0.1), 16 (E->I, p = 0.2), 8 (I->E, p = 0.4), 6 (I->I):
#:   sparse E->E and dense local inhibition, the usual cortical proportions;
#: * background: 200 Hz x 0.8 nS onto each pyramidal cell, 100 Hz x 0.4 nS onto each
#:   basket cell (AMPA, static): alone it drives pyramidal cells at ~2 Hz;
#: * ``gkm_exc_S_cm2`` somatic M current; ``sahp_g_uS`` / ``sahp_tau_ms`` the slow AHP of
#:   :func:`~mgneuron.network.cells.pyramidal_cell` (1.5 nS per spike, 250 ms);
#: * space (:mod:`mgneuron.network.space`): ``density_per_mm3`` cells per mm3 of layer 2/3
#:   (Markram et al. 2015, Cell 163:456: 1e5); connection probability falls with the
#:   distance between the somata as a Gaussian of width ``sigma_exc_um`` 180 um for
#:   connections from pyramidal cells (pairs of pyramidal cells: about 0.2 below 50 um,
#:   0.05 at 300 um, Perin, Berger & Markram 2011, PNAS 108:5419, Fig. 1; a Gaussian
#:   through those two points has sigma = 300 / sqrt(2 ln 4) = 180 um; Hellwig 2000,
#:   Biol Cybern 82:111, fitted a Gaussian of similar width to layer 2/3 pairs) and
#:   ``sigma_inh_um`` 100 um from basket cells (dense connections to nearly every
#:   pyramidal cell within ~100 um that fall off beyond 200 um: Packer & Yuste 2011,
#:   J Neurosci 31:13260).
DEFAULT_PARAMETERS: dict[str, float] = {
    "g_ee_uS": 0.0015,
    "g_ei_uS": 0.002,
    "g_ie_uS": 0.006,
    "g_ii_uS": 0.002,
    "nmda_ratio": 1.0,
    "nmda_ratio_ei": 0.2,
    "k_ee": 8,
    "k_ei": 16,
    "k_ie": 8,
    "k_ii": 6,
    "bg_rate_exc_hz": 200.0,
    "bg_rate_inh_hz": 100.0,
    "g_bg_exc_uS": 0.0008,
    "g_bg_inh_uS": 0.0004,
    "gkm_exc_S_cm2": 5e-4,
    "sahp_g_uS": 0.0015,
    "sahp_tau_ms": 250.0,
    "sigma_exc_um": 180.0,
    "sigma_inh_um": 100.0,
    "density_per_mm3": 1.0e5,
}


def default_network(
    n_exc: int = 80,
    n_inh: int = 20,
    seed: int = 1,
    **overrides: float,
) -> NetworkSpec:
    """Describe the network of the low-Mg protocol.

    Parameters
    ----------
    n_exc, n_inh : int
        Population sizes (defaults 80 and 20, the 4:1 cortical ratio). In-degrees are
        capped at the population sizes, so smaller networks keep their wiring density
        only while the populations are larger than the in-degrees.
    seed : int
        Connectivity, synapse placement, delays and background seed.
    **overrides : float
        Any key of :data:`DEFAULT_PARAMETERS`.

    Returns
    -------
    NetworkSpec
    """
    p = dict(DEFAULT_PARAMETERS)
    unknown = set(overrides) - set(p)
    if unknown:
        raise NetworkError(f"unknown network parameters {sorted(unknown)}; known: {sorted(p)}")
    p.update(overrides)
    if not (p["sigma_exc_um"] > 0 and p["sigma_inh_um"] > 0):
        raise NetworkError("sigma_exc_um and sigma_inh_um must be > 0 um")
    s_e, s_i = float(p["sigma_exc_um"]), float(p["sigma_inh_um"])
    k_ie = min(int(p["k_ie"]), n_inh)
    k_ii = min(int(p["k_ii"]), n_inh - 1)
    pathways = (
        Pathway(
            EXC,
            EXC,
            min(int(p["k_ee"]), n_exc - 1),
            glutamatergic(p["g_ee_uS"], p["nmda_ratio"]),
            ("basal", "apical", "tuft"),
            sigma_um=s_e,
        ),
        Pathway(
            EXC,
            INH,
            min(int(p["k_ei"]), n_exc),
            glutamatergic(p["g_ei_uS"], p["nmda_ratio_ei"]),
            ("soma",),
            sigma_um=s_e,
        ),
        Pathway(INH, EXC, k_ie, gabaergic(p["g_ie_uS"]), ("soma",), (0.8, 1.5), s_i),
        Pathway(INH, INH, k_ii, gabaergic(p["g_ii_uS"]), ("soma",), (0.8, 1.5), s_i),
    )
    background = tuple(
        (
            pop,
            Background(
                p[f"bg_rate_{label}_hz"], glutamatergic(p[f"g_bg_{label}_uS"], 0.0, _STATIC)
            ),
        )
        for pop, label in ((EXC, "exc"), (INH, "inh"))
    )
    return NetworkSpec(
        n_exc=n_exc,
        n_inh=n_inh,
        exc_cell=pyramidal_cell(
            gkm_soma_S_cm2=p["gkm_exc_S_cm2"],
            sahp_g_uS=p["sahp_g_uS"],
            sahp_tau_ms=p["sahp_tau_ms"],
        ),
        pathways=pathways,
        background=background,
        seed=seed,
        slab=Slab(density_per_mm3=float(p["density_per_mm3"])),
    )


@dataclass(frozen=True)
class Connections:
    """The drawn connection table of one pathway (the same on every rank).

    Attributes
    ----------
    pathway : Pathway
    pre_gid, post_gid : ndarray of int
        Presynaptic and postsynaptic gids of each connection.
    delay_ms : ndarray of float
    section : ndarray of int
        Index into ``pathway.sections``.
    x : ndarray of float
        Position along that section (0-1).
    """

    pathway: Pathway
    pre_gid: np.ndarray
    post_gid: np.ndarray
    delay_ms: np.ndarray
    section: np.ndarray
    x: np.ndarray

    def __len__(self) -> int:
        """Count the connections."""
        return len(self.pre_gid)


def draw_connections(spec: NetworkSpec) -> list[Connections]:
    """Draw every pathway's connections from ``spec.seed`` (pure; identical on all ranks).

    Each postsynaptic cell gets exactly ``indegree`` distinct presynaptic partners (no
    autapses), chosen with probabilities proportional to ``exp(-d**2 / (2 sigma**2))``
    of the distance d between the somata (:meth:`NetworkSpec.positions`) when the pathway
    has a ``sigma_um``, uniformly otherwise; synapses land on the pathway's sections
    with probability proportional to their membrane area, uniformly along the section;
    delays are uniform in ``delay_ms``. Pathway ``k`` uses the stream
    ``SeedSequence([seed, 1000 + k])``.
    """
    out = []
    xyz = spec.positions() if any(pw.sigma_um is not None for pw in spec.pathways) else None
    for k, pw in enumerate(spec.pathways):
        rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 1000 + k]))
        n_pre, n_post = spec.size(pw.pre), spec.size(pw.post)
        pre_off, post_off = spec.gid_offset(pw.pre), spec.gid_offset(pw.post)
        same = pw.pre == pw.post
        pre, post = [], []
        if pw.sigma_um is not None:
            pre_xyz = xyz[pre_off : pre_off + n_pre]
        for j in range(n_post):
            if pw.sigma_um is not None:
                d2 = ((pre_xyz - xyz[post_off + j]) ** 2).sum(axis=1)
                log_w = -0.5 * d2 / pw.sigma_um**2
                if same:
                    log_w[j] = -np.inf
                chosen = weighted_choice(rng, log_w, pw.indegree)
                pre.append(chosen + pre_off)
                post.append(np.full(pw.indegree, j + post_off))
                continue
            candidates = np.arange(n_pre)
            if same:
                candidates = candidates[candidates != j]
            chosen = np.sort(rng.choice(candidates, size=pw.indegree, replace=False))
            pre.append(chosen + pre_off)
            post.append(np.full(pw.indegree, j + post_off))
        pre_a = np.concatenate(pre).astype(np.int64) if pre else np.zeros(0, np.int64)
        post_a = np.concatenate(post).astype(np.int64) if post else np.zeros(0, np.int64)
        n = len(pre_a)
        cell = spec.cell(pw.post)
        geo = {s.name: s for s in cell.sections}
        area = np.array([geo[s].length_um * geo[s].diam_um for s in pw.sections], float)
        section = rng.choice(len(pw.sections), size=n, p=area / area.sum())
        x = rng.uniform(0.0, 1.0, size=n)
        delay = rng.uniform(pw.delay_ms[0], pw.delay_ms[1], size=n)
        out.append(Connections(pw, pre_a, post_a, delay, section.astype(np.int64), x))
    return out
