"""Recording during a run: vectors owned by the run, and streaming in chunks.

:class:`Recordings` holds the vectors of one simulation (created by
:meth:`mgneuron.engine.Simulation.record`) and thins them after the run;
:class:`StreamingRecorder` moves long recordings out of memory in chunks while the run
goes on, so memory is bounded by the chunk, not the run length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mgneuron.engine.settings import RunSettings, n_samples
from mgneuron.engine.state import hoc
from mgneuron.errors import ProtocolError

__all__ = ["Recordings", "StreamingRecorder"]


class Recordings:
    """The vectors recorded for one run; a :class:`~mgneuron.engine.Simulation` owns them.

    Each reference is recorded every time step (the one recording mode both NEURON and
    CoreNEURON support, and cheaper than one event per sample), and :meth:`finish` thins
    it to ``t = 0, interval, 2 interval, ... <= tstop`` after the run (:func:`n_samples`
    values). With ``RunSettings(cvode=True)``, whose steps are no grid, :meth:`prepare`
    records the vector at its interval instead (NEURON interpolates the CVODE solution at
    those times); the sample at ``tstop`` itself may then be missing, when the last step
    ends before it.

    The object belongs to one simulation: when a condition fails before its run, its
    recordings go with it, and nothing is left for the next condition to trip over.
    """

    def __init__(self) -> None:
        self._by_interval: dict[float, list[tuple[Any, Any]]] = {}

    def record(self, ref, interval: float):
        """Record a range-variable reference (``seg._ref_v``) every ``interval`` ms.

        Parameters
        ----------
        ref : NEURON reference
            What to record.
        interval : float
            Sampling interval (ms); a whole number of time steps
            (:func:`~mgneuron.engine.sample_interval` rounds it).

        Returns
        -------
        neuron.hoc.HocObject
            The Vector, holding the samples after the run.
        """
        vec = hoc().Vector()
        vec.record(ref)
        self._by_interval.setdefault(float(interval), []).append((vec, ref))
        return vec

    def __len__(self) -> int:
        """Return the number of recorded vectors."""
        return sum(len(v) for v in self._by_interval.values())

    def prepare(self, settings: RunSettings, fixed_step: bool) -> None:
        """Before ``finitialize``: under CVODE, record every vector at its interval."""
        if fixed_step:
            return
        for interval, recs in self._by_interval.items():
            for vec, ref in recs:
                vec.record(ref, max(interval, settings.dt))

    def finish(self, settings: RunSettings, fixed_step: bool = True) -> None:
        """After the run: cut every vector to ``t = 0, interval, ... <= tstop``.

        With fixed steps a vector holds every step: it keeps every ``interval / dt``-th
        value. With CVODE it was recorded at its interval already (see :meth:`prepare`)
        and only what passes ``tstop`` is cut.
        """
        by_interval = self._by_interval
        if not by_interval:
            return
        h = hoc()
        # A vector recorded every step since finitialize holds at most this many values
        # (those kept every step need no cut when that is not more than they keep).
        most = int(round(float(h.t) / float(h.dt))) + 1 if fixed_step else None
        for interval, recs in by_interval.items():
            every = max(interval, settings.dt)
            n = n_samples(settings.tstop, every)
            stride = every / settings.dt
            if not fixed_step:
                stride = 1
            elif abs(stride - round(stride)) > 1e-6:
                raise ProtocolError(
                    f"a recording interval must be a whole number of time steps; {every} ms "
                    f"is not a multiple of dt = {settings.dt} ms (see sample_interval)"
                )
            stride = int(round(stride))
            if stride > 1:
                for vec, _ref in recs:
                    vec.from_python(np.array(np.asarray(vec)[::stride][:n]))
            elif most is None or most > n:
                for vec, _ref in recs:
                    if vec.size() > n:
                        vec.resize(n)


class StreamingRecorder:
    """Record many variables and hand them on in chunks while the run goes on.

    Each reference is recorded every time step into a NEURON Vector (the cheap,
    per-step copy that both engines support); every ``chunk_ms`` of simulated time a
    callback thins the block to ``interval``, hands it to the ``sink`` and empties the
    Vectors, so memory holds one chunk, whatever the run length. The engine writes no
    file itself: the runner's sink is a temporary HDF5 report
    (:func:`mgneuron.runner.streaming_recorder` builds both) that the results writer
    copies into the results file; this works the same in the main process, in worker
    processes and on MPI ranks.

    Parameters
    ----------
    refs : sequence
        NEURON references to record (``seg._ref_v`` ...), one report column each.
    settings : RunSettings
        The run's settings (dt, tstop).
    interval : float
        Sampling interval (ms); a whole number of time steps.
    chunk_ms : float
        Simulated time between flushes (ms). Memory per chunk is about
        ``len(refs) * chunk_ms / dt * 8`` bytes.
    sink : object
        Receives the blocks: ``sink.append(block)`` with a float32 array
        ``[n_samples, len(refs)]`` per chunk, and ``sink.close(time=(start, stop, step))``
        at the end, whose return value :meth:`finish` returns.

    Examples
    --------
    >>> rec = StreamingRecorder([seg._ref_v for seg in segs], settings, 0.1, 100.0,
    ...                         sink=my_sink)                        # doctest: +SKIP
    >>> run(settings, events=rec.events())                            # doctest: +SKIP
    >>> rec.finish()                                                  # doctest: +SKIP
    """

    def __init__(
        self,
        refs: Sequence,
        settings: RunSettings,
        interval: float,
        chunk_ms: float = 100.0,
        *,
        sink,
    ) -> None:
        h = hoc()
        stride = interval / settings.dt
        if interval < settings.dt or abs(stride - round(stride)) > 1e-6:
            raise ProtocolError(
                f"streaming interval {interval} ms must be a whole number of steps of "
                f"dt = {settings.dt} ms"
            )
        if not chunk_ms > 0:
            raise ProtocolError(f"chunk_ms must be > 0, got {chunk_ms}")
        self.settings = settings
        self.interval = float(interval)
        self.stride = int(round(stride))
        self.chunk_ms = float(chunk_ms)
        self.n_total = n_samples(settings.tstop, interval)
        self._consumed = 0  # raw (per-step) samples handed over so far
        self._written = 0
        self._vecs = []
        for ref in refs:
            vec = h.Vector()
            vec.record(ref)
            self._vecs.append(vec)
        self._file = sink
        self.peak_block_bytes = 0

    def events(self) -> list[tuple[float, Callable[[], None]]]:
        """List the flush callbacks to pass to :func:`run` (one every ``chunk_ms``)."""
        times = np.arange(self.chunk_ms, self.settings.tstop, self.chunk_ms)
        return [(float(t), self.flush) for t in times]

    def flush(self) -> None:
        """Move what the Vectors hold into the report and empty them."""
        if not self._vecs:
            return
        n_raw = len(self._vecs[0])
        if n_raw == 0:
            return
        # Rows of this block that fall on the sampling grid (k * stride overall).
        first = (-self._consumed) % self.stride
        idx = np.arange(first, n_raw, self.stride)
        idx = idx[: max(0, self.n_total - self._written)]
        block = np.empty((len(idx), len(self._vecs)), dtype=np.float32)
        for j, vec in enumerate(self._vecs):
            # np.asarray is a zero-copy view; Vector.as_numpy() leaks ~0.4 kB per call
            # in NEURON 9.0.2, which adds up over thousands of flushes.
            block[:, j] = np.asarray(vec)[idx]
            vec.resize(0)
        self.peak_block_bytes = max(self.peak_block_bytes, n_raw * len(self._vecs) * 8)
        self._consumed += n_raw
        if len(idx):
            self._file.append(block)
            self._written += len(idx)

    def finish(self):
        """Flush the rest, close the sink and return what its ``close`` returns.

        Returns
        -------
        object
            The sink's result (a :class:`mgneuron.results.StreamedReport` for the
            runner's sink).
        """
        self.flush()
        for vec in self._vecs:
            vec.play_remove()
        self._vecs = []
        return self._file.close(time=(0.0, self._written * self.interval, self.interval))
