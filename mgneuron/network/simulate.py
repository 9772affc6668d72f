"""Running a built network with the engine and gathering its spikes per population."""

from __future__ import annotations

import time

import numpy as np

from mgneuron.bath import apply_bath
from mgneuron.engine import RunSettings, gather_spikes, run
from mgneuron.environment import Environment
from mgneuron.measures.network import EXC, INH
from mgneuron.network.builder import Network
from mgneuron.network.cells import NetworkError

__all__ = ["simulate", "population_spikes"]


def simulate(
    net: Network,
    settings: RunSettings,
    bath: Environment | None = None,
    events=None,
) -> float:
    """Initialise and integrate to ``settings.tstop`` (on every rank at once).

    Parameters
    ----------
    net : Network
        This rank's part of the network (:func:`~mgneuron.network.builder.build`).
    settings : RunSettings
        dt, tstop, celsius, v_init; fixed steps (the network refuses CVODE).
    bath : Environment, optional
        Applied to every section of this network before initialisation
        (:func:`mgneuron.bath.apply_bath`).
    events : list of (t_ms, callable), optional
        Callbacks at simulated times (e.g. :meth:`mgneuron.network.lfp.LfpRecorder.events`).

    Returns
    -------
    float
        Wall time of initialisation and integration (s).
    """
    if settings.cvode:
        raise NetworkError("the network runs with fixed time steps (cvode=False)")
    sections = net.sections()
    before_init = None if bath is None else (lambda: apply_bath(bath, sections))
    start = time.perf_counter()
    run(settings, before_init=before_init, events=events)
    return time.perf_counter() - start


def population_spikes(net: Network) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """Spikes of all ranks per population, ``{name: (times_ms, node_ids)}``, on rank 0.

    Node ids count from 0 within each population (SONATA), sorted by time then id.
    Collective: every rank must call it; ranks other than 0 get None.
    """
    if net.nhost > 1:
        gathered = gather_spikes(*net.local_spikes())
        if gathered is None:
            return None
        t, g = gathered
    else:
        t, g = net.local_spikes()
        order = np.lexsort((g, t))
        t, g = t[order], g[order]
    n_exc = net.spec.n_exc
    exc = g < n_exc
    return {EXC: (t[exc], g[exc]), INH: (t[~exc], g[~exc] - n_exc)}
