"""Progress bars: over the conditions of a sweep and over simulated time of a long run.

Both are tqdm bars on stderr, shown only when stderr is a terminal and the run is not
``--quiet``; in a pipe, a log file or a batch job nothing is printed. The simulated-time
bar advances through callbacks at fixed simulated times (``CVode.event`` with NEURON,
``psolve`` segments with CoreNEURON, see :func:`mgneuron.engine.run`); it is only
drawn once a run has lasted ``delay_s`` of wall time, so short conditions do not flicker.
It is enabled by the runner for conditions run in its own process (worker processes and
MPI ranks have no terminal).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["interactive", "condition_bar", "simulated_time", "time_events"]

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


def condition_bar(total: int, initial: int = 0, desc: str = "", quiet: bool = False):
    """Make a bar over conditions, or return None when bars are off.

    Parameters
    ----------
    total : int
        Number of conditions of the sweep.
    initial : int
        Conditions already done (a resumed sweep).
    desc : str
        Label (the protocol name).
    quiet : bool
        No bar.
    """
    if not interactive(quiet):
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="cond", position=0, **_size())


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
