"""Building a network in NEURON: this rank's cells, synapses, connections and background.

Every rank draws the same connection table (:func:`~mgneuron.network.spec.draw_connections`)
and estimates the cost of every cell from it (:func:`cell_costs`: compartments plus
synapses); cells are dealt to the ranks by that cost
(:func:`mgneuron.engine.ranks.balanced_ranks`, largest first to the least-loaded rank),
not round-robin, and each rank builds the connections onto the cells it owns; spikes
cross ranks through ``pc.gid_connect`` and are recorded with ``pc.spike_record``. Each
cell's Poisson background is a ``NetStim`` with a Random123 stream keyed by (seed, gid),
so it is the same on any number of ranks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mgneuron.engine.ranks import RankInfo, balanced_ranks, rank_info
from mgneuron.mechanisms import require
from mgneuron.membrane import apply_biophysics
from mgneuron.network.cells import SECTION_REGIONS, NetworkError, ReducedCellSpec
from mgneuron.network.spec import Connections, NetworkSpec, draw_connections
from mgneuron.synapses import instantiate

__all__ = ["BACKGROUND_STREAM", "ReducedCell", "Network", "build", "cell_costs"]

#: Third Random123 id of the background streams: (seed, gid, BACKGROUND_STREAM). Synapse
#: release streams use (seed, gid, index) with index counting a cell's synapses from 0.
BACKGROUND_STREAM = 2**32 - 1


class ReducedCell:
    """One instantiated reduced cell (sections by name).

    Its membrane is set by :func:`mgneuron.membrane.apply_biophysics` from the spec's
    :class:`~mgneuron.biophysics.Biophysics`; ``regions`` and ``sections`` are what that
    function reads from a morphology.

    Attributes
    ----------
    gid : int
    secs : dict of str to nrn.Section
    soma : nrn.Section
        The root section (spikes are detected at its middle).
    """

    def __init__(self, spec: ReducedCellSpec, gid: int):
        from neuron import h

        self.gid = gid
        self.secs: dict[str, Any] = {}
        self.regions: dict[str, list] = {r: [] for r in SECTION_REGIONS}
        for s in spec.sections:
            sec = h.Section(name=f"{spec.name}[{gid}].{s.name}")
            sec.L, sec.diam, sec.nseg = s.length_um, s.diam_um, s.nseg
            self.secs[s.name] = sec
            self.regions[s.region].append(sec)
        for s in spec.sections[1:]:
            self.secs[s.name].connect(self.secs[s.parent](s.parent_x), 0.0)
        self.soma = self.secs[spec.sections[0].name]
        apply_biophysics(spec.biophysics, self)

    @property
    def sections(self) -> list:
        """Every section, the root first."""
        return list(self.secs.values())


class Network:
    """The part of a network built on this rank. Create with :func:`build`.

    Attributes
    ----------
    spec : NetworkSpec
    pc : ParallelContext
    rank, nhost : int
        This process's rank and the number of ranks the cells are spread over.
    gids : list of int
        Gids built here.
    cells : dict of int to ReducedCell
    n_local_synapses : int
        Recurrent synapses built on this rank.
    n_synapses : int
        Recurrent synapses of the whole network (all ranks; summed with
        ``pc.allreduce`` when the network is spread over several ranks).
    """

    def __init__(self, spec: NetworkSpec, pc, rank: int, nhost: int, gids: list[int]):
        self.spec = spec
        self.pc = pc
        self.rank = rank
        self.nhost = nhost
        self.gids = list(gids)
        self.cells: dict[int, ReducedCell] = {}
        self._keep: list = []
        self._tvec = None
        self._idvec = None
        self.n_local_synapses = 0
        self.n_synapses = 0
        self._cleared = False

    def sections(self) -> list:
        """Every section built on this rank."""
        return [sec for cell in self.cells.values() for sec in cell.secs.values()]

    def local_spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (ms) and gids recorded on this rank."""
        return np.asarray(self._tvec, float), np.asarray(self._idvec, np.int64)

    def clear(self) -> None:
        """Release the gids and drop every NEURON object of this network."""
        if self._cleared:
            return
        self.pc.gid_clear()
        self._keep.clear()
        self.cells.clear()
        self._tvec = self._idvec = None
        self._cleared = True

    def __enter__(self) -> Network:
        """Use the network in a ``with`` block that clears it at the end."""
        return self

    def __exit__(self, *exc) -> None:
        """Clear the network (:meth:`clear`)."""
        self.clear()


def build(spec: NetworkSpec, info: RankInfo | None = None) -> Network:
    """Instantiate the cells this rank owns, their synapses, connections and background.

    Parameters
    ----------
    spec : NetworkSpec
    info : RankInfo, optional
        This process's rank and the number of ranks the cells are dealt over; default
        :func:`mgneuron.engine.ranks.rank_info` (rank 0 of 1 outside an MPI lockstep run).

    Returns
    -------
    Network
        Call :meth:`Network.clear` (or use it as a context manager) when done.
    """
    from neuron import h

    require()
    info = rank_info() if info is None else info
    rank, nhost = int(info.rank), int(info.nhost)
    if not 0 <= rank < nhost:
        raise NetworkError(f"rank {rank} must be in [0, {nhost})")
    conns = draw_connections(spec)
    owner = balanced_ranks(cell_costs(spec, conns), nhost)
    gids = [int(g) for g in np.flatnonzero(owner == rank)]
    net = Network(spec, h.ParallelContext(), rank, nhost, gids)
    try:
        index = _cells(net, h)
        _connections(net, index, conns)
        net.n_synapses = net.n_local_synapses
        if info.mpi and nhost > 1:  # collective: every rank of the model builds at once
            net.n_synapses = int(round(net.pc.allreduce(float(net.n_local_synapses), 1)))
        _background(net, index, h)
        # Spike recording of every local gid.
        net._tvec, net._idvec = h.Vector(), h.Vector()
        net.pc.spike_record(-1, net._tvec, net._idvec)
    except BaseException:
        net.clear()
        raise
    return net


def _cells(net: Network, h) -> dict[int, int]:
    """Build each local cell, register its gid and spike detector, add its slow AHP.

    Returns the synapse counter of every local cell (0), which numbers its Random123
    release streams.
    """
    spec, pc = net.spec, net.pc
    for gid in net.gids:
        cellspec = spec.cell(spec.population_of(gid))
        cell = ReducedCell(cellspec, gid)
        net.cells[gid] = cell
        pc.set_gid2node(gid, net.rank)
        det = h.NetCon(cell.soma(0.5)._ref_v, None, sec=cell.soma)
        det.threshold = spec.threshold_mV
        pc.cell(gid, det)
        net._keep.append(det)
        if cellspec.sahp_g_uS > 0:
            # Spike-triggered slow AHP conductance (see cells.pyramidal_cell).
            ahp = h.ExpSyn(cell.soma(0.5))
            ahp.e, ahp.tau = cellspec.soma_reversal_mV("k"), cellspec.sahp_tau_ms
            nc = pc.gid_connect(gid, ahp)
            nc.weight[0], nc.delay = cellspec.sahp_g_uS, 1.0
            net._keep.extend((ahp, nc))
    return {gid: 0 for gid in net.gids}


def cell_costs(spec: NetworkSpec, conns: list[Connections]) -> np.ndarray:
    """Estimate the integration cost of every cell (gid order), in compartment units.

    A step costs about the same per compartment (the tridiagonal solve and the channel
    states) and per synapse (its state update and release), so the estimate is the
    number of compartments plus the number of synapses on the cell (recurrent ones,
    its background synapse and the slow AHP). It decides which rank builds which cell
    (:func:`~mgneuron.engine.ranks.balanced_ranks`); a pyramidal cell (8 compartments,
    ~18 synapses) costs about twice a basket cell (1 compartment, ~23 synapses) here.
    """
    cost = np.zeros(spec.n_cells)
    cost[: spec.n_exc] = spec.exc_cell.n_segments() + (spec.exc_cell.sahp_g_uS > 0)
    cost[spec.n_exc :] = spec.inh_cell.n_segments() + (spec.inh_cell.sahp_g_uS > 0)
    for c in conns:
        cost += np.bincount(c.post_gid, minlength=spec.n_cells)
    for pop, bg in spec.background:
        if bg.rate_hz > 0:
            off = spec.gid_offset(pop)
            cost[off : off + spec.size(pop)] += 1
    return cost


def _connections(net: Network, index: dict[int, int], tables: list[Connections]) -> None:
    """Build the recurrent connections onto the cells of this rank."""
    spec, pc = net.spec, net.pc
    for conns in tables:
        pw = conns.pathway
        for i in range(len(conns)):
            post = int(conns.post_gid[i])
            cell = net.cells.get(post)
            if cell is None:
                continue
            seg = cell.secs[pw.sections[conns.section[i]]](float(conns.x[i]))
            syn = instantiate(pw.synapse, seg, seed=spec.seed, gid=post, index=index[post])
            index[post] += 1
            nc = pc.gid_connect(int(conns.pre_gid[i]), syn.pp)
            nc.weight[0] = 1.0
            nc.delay = float(conns.delay_ms[i])
            net._keep.extend((syn, nc))
            net.n_local_synapses += 1


def _background(net: Network, index: dict[int, int], h) -> None:
    """Give every local cell its Poisson background: one NetStim and synapse per cell.

    The NetStim's Random123 stream (seed, gid, BACKGROUND_STREAM) never meets a
    synapse's (seed, gid, index).
    """
    spec = net.spec
    backgrounds = dict(spec.background)
    for gid, cell in net.cells.items():
        bg = backgrounds.get(spec.population_of(gid))
        if bg is None or bg.rate_hz <= 0:
            continue
        syn = instantiate(
            bg.synapse, cell.secs[bg.section](0.5), seed=spec.seed, gid=gid, index=index[gid]
        )
        index[gid] += 1
        stim = h.NetStim()
        stim.start, stim.number, stim.noise = 0.0, 1e9, 1.0
        stim.interval = 1000.0 / bg.rate_hz
        stim.ranvar.set_ids(spec.seed, gid, BACKGROUND_STREAM)
        nc = h.NetCon(stim, syn.pp)
        nc.weight[0], nc.delay = 1.0, 0.0
        net._keep.extend((syn, stim, nc))
