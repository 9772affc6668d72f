"""Recording the network's extracellular potential: a laminar probe and an "EEG" point.

Every segment's membrane current (``i_membrane_``, nA, with ``cvode.use_fast_imem``) is
recorded every time step through the engine's chunked recorder; each chunk is mapped at
once to the electrodes by the transfer matrix of this rank's segments
(:func:`mgneuron.measures.lfp.transfer_matrix`, line sources, sigma 0.3 S/m) and
averaged over each output interval (a box filter: no aliasing of the fast spike
currents into the slow field), so memory holds one chunk and a few channels, however
many cells. The potential is linear in the currents: each rank's part is summed on rank
0 (:func:`gather_lfp`), and the sum is rounded to a grid 1e-7 of each channel's range
so that it does not depend on the order of the additions (hence not on the number of
ranks).

Electrodes (:func:`default_electrodes`): a vertical laminar probe through the centre of
the slab, 16 contacts every 50 um from 50 to 800 um below the pia (layer 1 to layer 4),
and an "EEG" point 10 mm above the centre of the pia. The medium is infinite and
homogeneous (no skull, scalp or boundary): the EEG channel is a proxy that follows the
slab's current dipole, not a head model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mgneuron.engine import RunSettings, StreamingRecorder, coreneuron_active
from mgneuron.engine.ranks import gather_to_root
from mgneuron.engine.state import cvode
from mgneuron.measures.lfp import SIGMA_S_M, laminar_probe, transfer_matrix
from mgneuron.network.builder import Network
from mgneuron.network.space import segment_geometry

__all__ = ["Electrodes", "default_electrodes", "LfpRecorder", "gather_lfp", "round_channels"]


@dataclass(frozen=True)
class Electrodes:
    """Electrode positions (um) and names, the probe contacts first."""

    positions_um: np.ndarray
    names: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of electrodes."""
        return len(self.names)


def default_electrodes(side_um: float, n_contacts: int = 16, spacing_um: float = 50.0):
    """Place the laminar probe through the slab's centre and the EEG point above it.

    Parameters
    ----------
    side_um : float
        Side of the slab (um); the probe and the EEG point are above its centre.
    n_contacts, spacing_um
        Probe contacts, from 50 um below the pia every ``spacing_um`` (um).
    """
    c = 0.5 * side_um
    probe = laminar_probe(c, c, 50.0, spacing_um, n_contacts)
    eeg = np.array([[c, c, 10_000.0]])
    names = tuple(f"probe_{int(round(-z))}um" for z in probe[:, 2]) + ("eeg",)
    return Electrodes(np.vstack((probe, eeg)), names)


class _Sink:
    """Receives blocks of membrane currents and keeps their box-averaged potentials."""

    def __init__(self, matrix: np.ndarray, stride: int):
        self.matrix = matrix
        self.stride = stride
        self.rest = np.zeros((0, matrix.shape[0]))
        self.out: list[np.ndarray] = []

    def append(self, block: np.ndarray) -> None:
        phi = np.asarray(block, float) @ self.matrix.T  # (rows, n_el)
        phi = np.vstack((self.rest, phi))
        n = (len(phi) // self.stride) * self.stride
        if n:
            self.out.append(phi[:n].reshape(-1, self.stride, phi.shape[1]).mean(axis=1))
        self.rest = phi[n:]

    def close(self, time=None) -> np.ndarray:
        n_el = self.matrix.shape[0]
        return np.vstack(self.out) if self.out else np.zeros((0, n_el))


class LfpRecorder:
    """Record this rank's contribution to the potential at the electrodes.

    Create it after :func:`~mgneuron.network.builder.build` and before the run; pass
    :meth:`events` to the run; :meth:`finish` returns this rank's part, shape
    ``(n_samples, n_electrodes)`` (uV), sample k the mean over ``[k, k + 1) *
    interval_ms``.

    Parameters
    ----------
    net : Network
    electrodes : Electrodes
    settings : RunSettings
    interval_ms : float
        Output sampling interval (ms); a whole number of steps.
    sigma_S_m : float
        Extracellular conductivity (S/m).
    method : str
        ``"line"`` or ``"point"`` sources (:func:`~mgneuron.measures.lfp.transfer_matrix`).
    """

    def __init__(
        self,
        net: Network,
        electrodes: Electrodes,
        settings: RunSettings,
        interval_ms: float = 1.0,
        sigma_S_m: float = SIGMA_S_M,
        method: str = "line",
    ):
        stride = interval_ms / settings.dt
        if abs(stride - round(stride)) > 1e-6 or stride < 1:
            raise ValueError(
                f"LFP interval {interval_ms} ms must be a whole number of steps of {settings.dt}"
            )
        self.interval_ms = float(interval_ms)
        self.electrodes = electrodes
        spec = net.spec
        xyz = spec.positions()
        self._cv = cvode()
        self._fast_imem = int(self._cv.use_fast_imem())
        self._cv.use_fast_imem(1)  # i_membrane_ exists only from here
        starts, ends, diams, refs = [], [], [], []
        for gid, cell in net.cells.items():
            a, b, d = segment_geometry(spec.cell(spec.population_of(gid)), xyz[gid])
            starts.append(a)
            ends.append(b)
            diams.append(d)
            refs.extend(seg._ref_i_membrane_ for sec in cell.sections for seg in sec)
        if refs:
            matrix = transfer_matrix(
                np.concatenate(starts),
                np.concatenate(ends),
                np.concatenate(diams),
                electrodes.positions_um,
                sigma_S_m,
                method,
            )
        else:
            matrix = np.zeros((electrodes.n, 0))
        self.matrix = matrix
        self.n_samples = int(math.floor(settings.tstop / interval_ms + 1e-6))
        # at most 2e7 numbers (160 MB) per chunk and 100 ms, a whole number of intervals:
        # each flush costs ~8 us per recorded segment in Python, so chunks are kept long
        # (10,000 cells on one rank: 65,000 segments, 7.5 ms chunks, ~4 % of the run)
        # With CoreNEURON every flush hands the model back to NEURON and over again
        # (one psolve per chunk): 160 + 40 cells on 2 ranks, 500 ms, took 10.2 s with
        # 100-ms chunks against 5.8 s without the LFP, so chunks may last up to 1 s.
        rows = max(1, int(2e7 // max(1, len(refs))))
        chunk = min(1000.0 if coreneuron_active() else 100.0, rows * settings.dt)
        chunk = max(interval_ms, math.floor(chunk / interval_ms) * interval_ms)
        self._sink = _Sink(matrix, int(round(stride)))
        self._rec = StreamingRecorder(refs, settings, settings.dt, chunk, sink=self._sink)
        self._n_refs = len(refs)

    def events(self):
        """List the flush callbacks to pass to the run."""
        return self._rec.events() if self._n_refs else []

    def finish(self) -> np.ndarray:
        """Return this rank's potentials, (n_samples, n_electrodes) (uV); restore fast_imem."""
        try:
            out = self._rec.finish() if self._n_refs else None
        finally:
            self._cv.use_fast_imem(self._fast_imem)
        if out is None:
            return np.zeros((self.n_samples, self.electrodes.n))
        return out[: self.n_samples]


def round_channels(lfp: np.ndarray, digits: int = 7) -> np.ndarray:
    """Round each channel to a power-of-ten grid ``digits`` decades below its largest value.

    Sums of the same terms in another order differ by ~1e-16 of the terms; on this grid
    they round alike except with a probability of ~1e-9 per sample, so the potentials
    (and every feature of them) are the same on any number of ranks.
    """
    lfp = np.asarray(lfp, float)
    out = np.empty_like(lfp)
    for j in range(lfp.shape[1]):
        top = float(np.max(np.abs(lfp[:, j]))) if len(lfp) else 0.0
        if top == 0.0 or not math.isfinite(top):
            out[:, j] = lfp[:, j]
            continue
        grid = 10.0 ** (math.floor(math.log10(top)) - digits)
        out[:, j] = np.round(lfp[:, j] / grid) * grid
    return out


def gather_lfp(part: np.ndarray) -> np.ndarray | None:
    """Sum every rank's part on rank 0 (in rank order) and round it (:func:`round_channels`).

    Collective. Returns the potentials (n_samples, n_electrodes) (uV) on rank 0, None on
    the other ranks.
    """
    parts = gather_to_root(np.asarray(part, float))
    if parts is None:
        return None
    total = np.zeros_like(parts[0])
    for p in parts:
        total = total + p
    return round_channels(total)
