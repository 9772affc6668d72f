"""Progress: over the conditions of a sweep and over simulated time of a long run.

Over conditions (:func:`condition_bar`): a tqdm bar on stderr when stderr is a terminal;
otherwise (a pipe, a log file, a batch job) a plain line on stderr every ``every``
conditions or every ``interval_s`` seconds, whichever comes first, with done/total,
failed, elapsed time and ETA. ``--quiet`` silences both. The simulated-time bar advances
through callbacks at fixed simulated times (``CVode.event`` with NEURON, ``psolve``
segments with CoreNEURON, see :func:`mgneuron.engine.run`); it is drawn only on a
terminal and only once a run has lasted ``delay_s`` of wall time, so short conditions do
not flicker. It is enabled by the runner for conditions run in its own process (worker
processes and MPI ranks have no terminal).
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = [
    "interactive",
    "ConditionProgress",
    "condition_bar",
    "simulated_time",
    "time_events",
]

# Plain progress lines when stderr is not a terminal: at least one every this many seconds.
PLAIN_INTERVAL_S = 60.0

# Process-level switch of the simulated-time bar (Python state; off unless the runner
# turns it on around an interactive, in-process sweep).
_TIME_BAR = {"enabled": False, "ticks": 100, "delay_s": 1.0}


def interactive(quiet: bool = False) -> bool:
    """Whether progress bars should be drawn: not quiet and stderr is a terminal."""
    if quiet:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced stderr
        return False


def _size() -> dict[str, int]:
    """Give the terminal columns and rows for the bars.

    80 x 24 when the terminal reports 0 x 0, as a bare pseudo-terminal does (tqdm would
    then draw nothing).
    """
    import os

    try:
        cols, rows = os.get_terminal_size(sys.stderr.fileno())
    except (AttributeError, ValueError, OSError):
        cols, rows = 0, 0
    return {"ncols": cols if cols > 0 else 80, "nrows": rows if rows > 0 else 24}


def _hms(seconds: float) -> str:
    """Format a duration (s) as ``H:MM:SS``; ``?`` when it is not known."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


class ConditionProgress:
    """Progress over the conditions of a sweep: a tqdm bar or plain lines.

    Made by :func:`condition_bar`. On a terminal it draws a tqdm bar (with the number of
    failed conditions beside it); elsewhere it writes a plain line to ``stream`` every
    ``every`` conditions and, from a background thread, whenever ``interval_s`` seconds
    passed without one (a condition can last longer than a log reader waits), plus one
    at the end.

    Parameters
    ----------
    total : int
        Number of conditions of the sweep.
    initial : int
        Conditions already done (a resumed sweep); the ETA counts only this run's.
    desc : str
        Label (the protocol name).
    bar : bool
        Draw a tqdm bar (a terminal) instead of plain lines.
    every : int, optional
        Conditions between plain lines (default: a tenth of the sweep, at least 1).
    interval_s : float
        Longest time (s) between plain lines.
    stream : text stream, optional
        Where plain lines go (default ``sys.stderr`` when written).
    """

    def __init__(
        self,
        total: int,
        initial: int = 0,
        desc: str = "",
        *,
        bar: bool = False,
        every: int | None = None,
        interval_s: float = PLAIN_INTERVAL_S,
        stream: TextIO | None = None,
    ) -> None:
        self.total = int(total)
        self.initial = int(initial)
        self.done = int(initial)
        self.failed = 0
        self.desc = desc
        self.every = max(1, int(every) if every else math.ceil(max(total - initial, 1) / 10))
        self.interval_s = float(interval_s)
        self._stream = stream
        self._start = time.monotonic()
        self._last_line = self._start
        self._lock = threading.Lock()
        self._closed = False
        self._tqdm = None
        self._stop = threading.Event()
        if bar:
            from tqdm import tqdm

            self._tqdm = tqdm(
                total=total, initial=initial, desc=desc, unit="cond", position=0, **_size()
            )
        elif self.interval_s > 0:
            # The thread holds only a weak reference: a sweep that dies without closing
            # its progress does not leave it printing.
            thread = threading.Thread(
                target=_heartbeat,
                args=(weakref.ref(self), self._stop, self.interval_s),
                name="mgneuron-progress",
                daemon=True,
            )
            thread.start()

    def line(self) -> str:
        """Return the plain progress line: done/total, failed, elapsed time and ETA."""
        elapsed = time.monotonic() - self._start
        here = self.done - self.initial
        left = self.total - self.done
        eta = elapsed / here * left if here > 0 else float("nan")
        if left == 0:
            eta = 0.0
        label = f"{self.desc}: " if self.desc else ""
        return (
            f"{label}{self.done}/{self.total} conditions done, {self.failed} failed, "
            f"elapsed {_hms(elapsed)}, ETA {_hms(eta)}"
        )

    def _write(self) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        try:
            print(self.line(), file=stream, flush=True)
        except (ValueError, OSError):  # a closed stream: progress is not worth an error
            pass
        self._last_line = time.monotonic()

    def update(self, n: int = 1, failed: int | bool = 0) -> None:
        """Count ``n`` more finished conditions, ``failed`` of them failed."""
        with self._lock:
            self.done += int(n)
            self.failed += int(failed)
            if self._tqdm is not None:
                if failed:
                    self._tqdm.set_postfix(failed=self.failed, refresh=False)
                self._tqdm.update(n)
            elif (self.done - self.initial) % self.every == 0 or self.done >= self.total:
                self._write()

    def _beat(self) -> None:
        """Write a line if none was written for ``interval_s`` (the heartbeat thread)."""
        with self._lock:
            if not self._closed and time.monotonic() - self._last_line >= self.interval_s:
                self._write()

    def close(self) -> None:
        """Stop: close the bar, or stop the plain lines (the last came with the last condition)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            if self._tqdm is not None:
                self._tqdm.close()

    def __enter__(self) -> ConditionProgress:
        """Return the progress itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close it (see :meth:`close`)."""
        self.close()

    def __del__(self) -> None:
        """Stop the heartbeat thread of a progress nobody closed."""
        self._stop.set()


def _heartbeat(ref: weakref.ref, stop: threading.Event, interval_s: float) -> None:
    """Body of the heartbeat thread: wake up and let the progress write a line if due."""
    if hasattr(signal, "pthread_sigmask"):  # Ctrl-C is for the main thread
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    period = max(0.05, min(interval_s / 4, 5.0))
    while not stop.wait(period):
        progress = ref()
        if progress is None:
            return
        progress._beat()
        del progress


def condition_bar(
    total: int,
    initial: int = 0,
    desc: str = "",
    quiet: bool = False,
    every: int | None = None,
    interval_s: float = PLAIN_INTERVAL_S,
) -> ConditionProgress | None:
    """Make the progress over conditions, or return None when ``quiet``.

    A tqdm bar when stderr is a terminal, plain lines otherwise (see
    :class:`ConditionProgress`).

    Parameters
    ----------
    total : int
        Number of conditions of the sweep.
    initial : int
        Conditions already done (a resumed sweep).
    desc : str
        Label (the protocol name).
    quiet : bool
        No progress at all.
    every : int, optional
        Conditions between plain lines (default a tenth of the sweep).
    interval_s : float
        Longest time (s) between plain lines (default 60 s).
    """
    if quiet:
        return None
    return ConditionProgress(
        total, initial, desc, bar=interactive(), every=every, interval_s=interval_s
    )


@contextmanager
def simulated_time(
    enabled: bool, ticks: int | None = None, delay_s: float | None = None
) -> Iterator[None]:
    """Turn the simulated-time bar on (or off) for the runs inside the block.

    Parameters
    ----------
    enabled : bool
        Draw a bar over simulated time for every :func:`mgneuron.engine.run`.
    ticks : int, optional
        Updates per run (callbacks at ``tstop / ticks`` intervals); default 100 or the
        value of an enclosing block.
    delay_s : float, optional
        Wall time (s) a run must last before its bar appears; default 1 s or the value
        of an enclosing block.
    """
    old = dict(_TIME_BAR)
    _TIME_BAR["enabled"] = bool(enabled)
    if ticks is not None:
        _TIME_BAR["ticks"] = int(ticks)
    if delay_s is not None:
        _TIME_BAR["delay_s"] = float(delay_s)
    try:
        yield
    finally:
        _TIME_BAR.clear()
        _TIME_BAR.update(old)


def time_events(tstop: float) -> tuple[list[tuple[float, Callable[[], None]]], Callable[[], None]]:
    """Callbacks that advance a simulated-time bar, and the function that closes it.

    Returns ``([], no-op)`` when the bar is off.
    """
    if not _TIME_BAR["enabled"] or not interactive():
        return [], lambda: None
    from tqdm import tqdm

    n = max(1, _TIME_BAR["ticks"])
    step = tstop / n
    bar = tqdm(
        total=round(tstop, 6),
        desc="simulated",
        unit="ms",
        position=1,
        leave=False,
        delay=_TIME_BAR["delay_s"],
        **_size(),
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} ms [{elapsed}<{remaining}]",
    )
    state = {"t": 0.0}

    def tick(t: float) -> Callable[[], None]:
        def advance() -> None:
            bar.update(t - state["t"])
            state["t"] = t

        return advance

    events = [(k * step, tick(k * step)) for k in range(1, n)]

    def close() -> None:
        bar.update(max(0.0, tstop - state["t"]))
        bar.close()

    return events, close
