"""Discretisation: the d_lambda rule (nseg per section) and a report of the result.

lambda_f = 1e5 * sqrt(d / (4 pi f Ra cm)) um, with d in um, f in Hz, Ra in Ohm cm and cm in
uF/cm2 (Hines & Carnevale, The NEURON Book, ch. 5). Ra and cm must be set on the sections
before the rule is applied (they enter lambda_f).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mgneuron.errors import MorphologyError

__all__ = ["DLambda", "DiscretizationReport", "lambda_f", "discretize", "discretization_report"]


@dataclass(frozen=True)
class DLambda:
    """The d_lambda rule: every segment at most ``d_lambda`` of the AC length constant.

    Parameters
    ----------
    d_lambda : float
        Largest segment length as a fraction of lambda_f. Default 0.1.
    freq_hz : float
        Frequency (Hz) at which lambda_f is evaluated. Default 100 Hz.
    max_nseg : int
        Upper bound on nseg per section (odd). Default 32767 (NEURON's limit).

    Notes
    -----
    lambda_f = 1e5 * sqrt(d / (4 pi f Ra cm)) um, with d in um, f in Hz, Ra in Ohm cm and
    cm in uF/cm2 (Hines & Carnevale, The NEURON Book, ch. 5). For a section with 3-D points
    its electrotonic length is the sum over the pieces between points of
    Delta_x / lambda_f(mean diameter), and

        nseg = 2 * int((L / lambda_eff / d_lambda + 0.9) / 2) + 1

    which is odd, so a node sits at the section's middle.
    """

    d_lambda: float = 0.1
    freq_hz: float = 100.0
    max_nseg: int = 32767

    def __post_init__(self) -> None:
        """Check d_lambda > 0, freq_hz > 0 (Hz) and max_nseg >= 1; make the first two floats."""
        for name in ("d_lambda", "freq_hz"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v > 0):
                raise MorphologyError(f"{name} must be a positive number, got {v!r}")
            object.__setattr__(self, name, v)
        if int(self.max_nseg) < 1:
            raise MorphologyError(f"max_nseg must be >= 1, got {self.max_nseg}")

    def nseg(self, sec) -> int:
        """Compute the nseg this rule gives one section (reads Ra, cm and the geometry)."""
        electrotonic = _electrotonic_length(sec, self.freq_hz)
        n = 2 * int((electrotonic / self.d_lambda + 0.9) / 2) + 1
        m = int(self.max_nseg)
        if n > m:
            n = m if m % 2 else m - 1
        return max(n, 1)

    def apply(self, sections: Iterable) -> int:
        """Set nseg of every section; return the total number of segments."""
        total = 0
        for sec in sections:
            sec.nseg = self.nseg(sec)
            total += sec.nseg
        return total


def lambda_f(sec, freq_hz: float = 100.0, diam_um: float | None = None) -> float:
    """AC length constant (um) of a section at ``freq_hz`` (its middle diameter by default).

    lambda_f = 1e5 * sqrt(d / (4 pi f Ra cm)), d in um, f in Hz, Ra in Ohm cm, cm in uF/cm2.
    """
    d = sec.diam if diam_um is None else diam_um
    return 1e5 * math.sqrt(d / (4 * math.pi * freq_hz * sec.Ra * _section_cm(sec)))


def _section_cm(sec) -> float:
    # cm is a range variable; use its mean over the segments (uniform in practice).
    vals = [seg.cm for seg in sec]
    return float(sum(vals) / len(vals))


def _pt3d_arrays(sec) -> tuple[np.ndarray, np.ndarray]:
    n = int(sec.n3d())
    arc = np.fromiter((sec.arc3d(i) for i in range(n)), float, n)
    diam = np.fromiter((sec.diam3d(i) for i in range(n)), float, n)
    return arc, diam


def _electrotonic_profile(sec, freq_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative electrotonic distance (in lambda_f) at the section's 3-D points.

    Returns (normalised arc position 0..1, cumulative electrotonic length).
    """
    k = 1e-5 * math.sqrt(4 * math.pi * freq_hz * sec.Ra * _section_cm(sec))  # 1/(um^0.5 um)
    if sec.n3d() < 2:
        return np.array([0.0, 1.0]), np.array([0.0, sec.L * k / math.sqrt(sec.diam)])
    arc, diam = _pt3d_arrays(sec)
    dx = np.diff(arc)
    dmean = 0.5 * (diam[1:] + diam[:-1])
    with np.errstate(divide="ignore"):
        pieces = np.where(dx > 0, dx * k / np.sqrt(np.maximum(dmean, 1e-12)), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(pieces)])
    total_arc = arc[-1] if arc[-1] > 0 else 1.0
    return arc / total_arc, cum


def _electrotonic_length(sec, freq_hz: float) -> float:
    return float(_electrotonic_profile(sec, freq_hz)[1][-1])


@dataclass(frozen=True)
class DiscretizationReport:
    """How finely a set of sections is discretised.

    Attributes
    ----------
    n_sections, n_segments : int
    freq_hz : float
        Frequency (Hz) at which electrotonic lengths were computed.
    max_segment_lambda : float
        Largest segment length in units of lambda_f (the d_lambda rule keeps it <= the
        chosen d_lambda, up to the rounding to odd nseg).
    max_segment_section : str
        Name of the section holding that segment.
    total_electrotonic_length : float
        Sum over sections of their length in lambda_f.
    """

    n_sections: int
    n_segments: int
    freq_hz: float
    max_segment_lambda: float
    max_segment_section: str
    total_electrotonic_length: float

    def __str__(self) -> str:
        """Return a one-line summary: sections, segments, largest segment in lambda_f."""
        return (
            f"{self.n_sections} sections, {self.n_segments} segments; largest segment "
            f"{self.max_segment_lambda:.4f} lambda_{self.freq_hz:g}Hz "
            f"(in {self.max_segment_section})"
        )


def discretization_report(sections: Iterable, freq_hz: float = 100.0) -> DiscretizationReport:
    """Count segments and find the electrotonically longest one (at ``freq_hz``)."""
    n_sec = n_seg = 0
    worst, worst_name, total = 0.0, "", 0.0
    for sec in sections:
        n_sec += 1
        nseg = sec.nseg
        n_seg += nseg
        pos, cum = _electrotonic_profile(sec, freq_hz)
        bounds = np.interp(np.linspace(0.0, 1.0, nseg + 1), pos, cum)
        longest = float(np.max(np.diff(bounds)))
        total += float(cum[-1])
        if longest > worst:
            worst, worst_name = longest, sec.name()
    return DiscretizationReport(n_sec, n_seg, float(freq_hz), worst, worst_name, total)


def discretize(
    sections: Iterable, d_lambda: float = 0.1, freq_hz: float = 100.0, max_nseg: int = 32767
) -> DiscretizationReport:
    """Apply the d_lambda rule to sections and report the result.

    Parameters
    ----------
    sections : iterable of nrn.Section
        Ra and cm must already be set (they enter lambda_f).
    d_lambda : float
        Fraction of lambda_f per segment. Default 0.1.
    freq_hz : float
        Frequency (Hz) of lambda_f. Default 100.
    max_nseg : int
        Upper bound of nseg.
    """
    sections = list(sections)
    DLambda(d_lambda, freq_hz, max_nseg).apply(sections)
    return discretization_report(sections, freq_hz)
