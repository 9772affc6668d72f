"""Voltage-clamped compartments: one isopotential section per holding potential.

:func:`clamped_compartments` builds the preparation of every voltage-clamp measurement
of a synapse (``nmda_iv``, ``release_mg``, the NMDA and release tests): one cylindrical
section (one segment, ``L_um`` x ``diam_um``, no membrane mechanism) per holding
potential, each held by an ``SEClamp`` in its middle with a series resistance of
``rs_MOhm`` (default 1e-3 MOhm = 1 kOhm: an almost ideal clamp) from ``t = 0`` for the
whole run (``dur1`` = 1e9 ms). :meth:`ClampedCompartments.place` puts one point process
in the middle of every compartment; the clamp currents are ``clamp._ref_i`` (nA,
NEURON's electrode convention: negative for an inward synaptic current).

The compartments are not connected: each is its own model, so many holding potentials
(or trials) run in one simulation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mgneuron.engine.state import hoc

__all__ = ["ClampedCompartments", "clamped_compartments"]

HOLD_MS = 1e9  # clamp duration (ms): longer than any run


@dataclass
class ClampedCompartments:
    """Compartments built by :func:`clamped_compartments`, in the order of the voltages.

    Attributes
    ----------
    sections : list of nrn.Section
        One isopotential section per holding potential.
    clamps : list of SEClamp
        The clamp of each section, in its middle.
    voltages_mV : tuple of float
        The holding potential of each compartment (mV).
    """

    sections: list
    clamps: list
    voltages_mV: tuple[float, ...]

    def __len__(self) -> int:
        """Count the compartments."""
        return len(self.sections)

    @property
    def segments(self) -> list:
        """The middle segment of every compartment (where clamp and synapse sit)."""
        return [sec(0.5) for sec in self.sections]

    def place(self, mechanism: str | Callable[[Any], Any], **values: Any) -> list:
        """Put one point process in the middle of every compartment.

        Parameters
        ----------
        mechanism : str or callable
            A point-process name (``"NMDAMg"``) or a function of the segment that
            creates one.
        **values
            Parameters to set on every point process (``gmax=0.001``).

        Returns
        -------
        list
            The point processes, one per compartment, in order.
        """
        make = getattr(hoc(), mechanism) if isinstance(mechanism, str) else mechanism
        out = []
        for seg in self.segments:
            pp = make(seg)
            for name, value in values.items():
                setattr(pp, name, value)
            out.append(pp)
        return out


def clamped_compartments(
    voltages_mV: Sequence[float],
    L_um: float = 10.0,
    diam_um: float = 10.0,
    rs_MOhm: float = 1e-3,
    name: str = "cell",
) -> ClampedCompartments:
    """One isopotential section per holding potential, each held by an SEClamp.

    Parameters
    ----------
    voltages_mV : sequence of float
        Holding potential of each compartment (mV).
    L_um, diam_um : float
        Length and diameter of every section (um). Default 10 x 10.
    rs_MOhm : float
        Series resistance of the clamps (MOhm). Default 1e-3 (1 kOhm).
    name : str
        Section names are ``{name}_{k}``.

    Returns
    -------
    ClampedCompartments
    """
    h = hoc()
    sections, clamps = [], []
    for k, v_hold in enumerate(voltages_mV):
        sec = h.Section(name=f"{name}_{k}")
        sec.L, sec.diam = L_um, diam_um
        clamp = h.SEClamp(sec(0.5))
        clamp.rs, clamp.dur1, clamp.amp1 = rs_MOhm, HOLD_MS, float(v_hold)
        sections.append(sec)
        clamps.append(clamp)
    return ClampedCompartments(sections, clamps, tuple(float(v) for v in voltages_mV))
