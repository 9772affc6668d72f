"""A cell: a morphology, biophysics by region, a discretisation rule, and the bath.

:class:`CellSpec` describes a cell (picklable, JSON-able for a results file);
:meth:`CellSpec.build` makes a :class:`Cell` in NEURON. A built cell owns its sections:
:meth:`Cell.delete` (or dropping it) removes them, so each condition starts clean.

Protocols take ``--morphology PATH`` and ``--biophysics NAME_OR_FILE`` through the
parameter group :func:`mgneuron.runner.groups.cell_params`::

    spec = cell_spec(morphology="l5_pyramid_stylized")   # describe
    cell = spec.build(environment)                         # build (per condition)
    syn_sites = cell.segments("apical:200-300um:n=10:seed=1")

The default morphology is the stylized layer-5 pyramidal cell shipped with mgneuron and the
default biophysics the ``pyramidal`` set (Mainen & Sejnowski 1996).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from mgneuron.bath import apply_bath
from mgneuron.biophysics import Biophysics, get_biophysics
from mgneuron.errors import MorphologyError
from mgneuron.locations import Location, parse_location
from mgneuron.membrane import apply_biophysics
from mgneuron.morphology import (
    DiscretizationReport,
    DLambda,
    Morphology,
    MorphologySpec,
    MorphologyWarning,
    default_morphology_path,
    discretization_report,
)

__all__ = [
    "CellSpec",
    "Cell",
    "cell_spec",
    "build_cell",
    "add_axon_stub",
    "DEFAULT_BIOPHYSICS",
]

DEFAULT_BIOPHYSICS = "pyramidal"


@dataclass(frozen=True)
class CellSpec:
    """Everything needed to build a cell (no NEURON objects; picklable).

    Parameters
    ----------
    morphology : MorphologySpec
    biophysics : Biophysics
    d_lambda : DLambda
        Discretisation rule, applied after Ra and cm are set.
    """

    morphology: MorphologySpec
    biophysics: Biophysics
    d_lambda: DLambda = field(default_factory=DLambda)

    def build(self, environment=None) -> Cell:
        """Instantiate in NEURON; apply the bath if one is given.

        Parameters
        ----------
        environment : mgneuron.environment.Environment, optional
            Sets [Mg]o/[Ca]o in every segment of the cell (and the temperature global).
        """
        return build_cell(self, environment)

    def as_dict(self) -> dict:
        """Plain-dict description (for the parameters of a results file)."""
        return {
            "morphology": self.morphology.as_dict(),
            "biophysics": self.biophysics.to_dict(),
            "d_lambda": {
                "d_lambda": self.d_lambda.d_lambda,
                "freq_hz": self.d_lambda.freq_hz,
                "max_nseg": self.d_lambda.max_nseg,
            },
        }


def cell_spec(
    morphology: str | Path | MorphologySpec | None = None,
    biophysics: str | Path | Biophysics | dict | None = None,
    d_lambda: float = 0.1,
    d_lambda_freq_hz: float = 100.0,
    **morphology_policies,
) -> CellSpec:
    """Build a CellSpec from plain values (paths and names as strings work).

    Parameters
    ----------
    morphology : path, name or MorphologySpec, optional
        Default: the stylized layer-5 pyramidal cell.
    biophysics : name, JSON file, dict or Biophysics, optional
        Default: ``"pyramidal"``.
    d_lambda : float
        Fraction of lambda_f per segment. Default 0.1.
    d_lambda_freq_hz : float
        Frequency (Hz) for lambda_f. Default 100.
    **morphology_policies
        ``zero_soma``, ``missing_soma``, ``soma_diameter_um`` (see MorphologySpec).
    """
    if morphology is None or morphology == "":
        morphology = default_morphology_path()
    if not isinstance(morphology, MorphologySpec):
        morphology = MorphologySpec(str(morphology), **morphology_policies)
    bio = get_biophysics(DEFAULT_BIOPHYSICS if biophysics in (None, "") else biophysics)
    return CellSpec(morphology, bio, DLambda(d_lambda, d_lambda_freq_hz))


class Cell:
    """A built cell. Owns its morphology's sections.

    Attributes
    ----------
    spec : CellSpec
    morphology : Morphology
    biophysics : Biophysics
    discretization : DiscretizationReport
        Segment count and electrotonically longest segment, computed when first read
        (it costs a pass over every section's 3-D points, which a sweep that never
        reads it should not pay for every condition).
    stub_added : bool
        :func:`build_cell` attached an axon stub (:func:`add_axon_stub`): the morphology
        has no axon and the biophysics set asks for one (``axon_stub``). Protocols write
        it to their features (``axon_stub_added``).
    """

    def __init__(self, spec: CellSpec, morphology: Morphology):
        self.spec = spec
        self.morphology = morphology
        self.biophysics = spec.biophysics
        self._discretization: DiscretizationReport | None = None
        self.stub_added = False

    @property
    def discretization(self) -> DiscretizationReport:
        """See the class docstring."""
        if self._discretization is None:
            self._discretization = discretization_report(
                self.morphology.sections, self.spec.d_lambda.freq_hz
            )
        return self._discretization

    @property
    def sections(self) -> list:
        """All sections, soma first."""
        return self.morphology.sections

    @property
    def regions(self) -> dict:
        """Region name -> sections."""
        return self.morphology.regions

    @property
    def soma(self):
        """The soma centre segment."""
        return self.segment("soma")

    @property
    def v_init(self) -> float:
        """Initial membrane potential (mV) of the biophysics set."""
        return self.biophysics.v_init_mV

    def segments(self, rule: str | Location) -> list:
        """Segments matched by a location rule (see :mod:`mgneuron.locations`)."""
        return parse_location(rule).segments(self)

    def segment(self, rule: str | Location):
        """One segment for a rule (the middle one if it matches several)."""
        return parse_location(rule).segment(self)

    def label(self, where) -> str:
        """Name of a section or segment within the cell, e.g. ``apic[0](0.397)``."""
        return self.morphology.label(where)

    def apply_environment(self, environment) -> int:
        """Set the bath in every segment of this cell; returns segments with an mg ion."""
        return apply_bath(environment, self.sections)

    def delete(self) -> None:
        """Remove the cell's sections from NEURON."""
        self.morphology.delete()

    def __enter__(self) -> Cell:
        """Return the cell itself."""
        return self

    def __exit__(self, *exc) -> None:
        """Remove the cell's sections from NEURON (:meth:`delete`)."""
        self.delete()

    def __repr__(self) -> str:
        """Return the morphology and biophysics names and the section and segment counts."""
        return (
            f"<Cell {self.morphology.name} + {self.biophysics.name}: "
            f"{len(self.sections)} sections, {self.morphology.n_segments()} segments>"
        )


def add_axon_stub(morph: Morphology) -> list:
    """Attach a hillock, an initial segment and a short axon to a cell without axon.

    Geometry after Mainen & Sejnowski 1996, who gave every reconstruction the same axon:
    the initial segment diameter is r_eq/10 with r_eq = sqrt(soma area / 4 pi) the radius
    (um) of a sphere of the soma's area (at least 0.5 um); the hillock is 10 um long and
    tapers from 4x that diameter to it; the initial segment is 15 um long; a further 200 um
    of axon of the same diameter follows (myelinated in the paper; here a plain cable whose
    membrane the biophysics set defines). The sections join the ``axon`` region and are
    deleted with the morphology.

    Returns
    -------
    list of nrn.Section
        Hillock, initial segment, axon.
    """
    from neuron import h

    if not morph.soma:
        raise MorphologyError("an axon stub needs a soma to attach to", morph.spec.path)
    soma = morph.soma[0]
    area = sum(seg.area() for sec in morph.soma for seg in sec)
    r_eq = math.sqrt(area / (4 * math.pi)) if area > 0 else 5.0
    d_is = max(r_eq / 10.0, 0.5)
    # Put the stub below the soma centre in the drawing (pt3d), 3-D points along -y.
    x0, y0, z0 = (
        (soma.x3d(0) + soma.x3d(soma.n3d() - 1)) / 2,
        min(soma.y3d(i) for i in range(soma.n3d())),
        (soma.z3d(0) + soma.z3d(soma.n3d() - 1)) / 2,
    )
    owner = morph._owner
    names = ("axon_stub[0]", "axon_stub[1]", "axon_stub[2]")
    pieces = ((10.0, 4 * d_is, d_is), (15.0, d_is, d_is), (200.0, d_is, d_is))
    secs = []
    y = y0
    parent = soma(0.5)
    for name, (length, d0, d1) in zip(names, pieces, strict=True):
        sec = h.Section(name=name, cell=owner)
        h.pt3dadd(x0, y, z0, d0, sec=sec)
        h.pt3dadd(x0, y - length, z0, d1, sec=sec)
        y -= length
        if parent.sec == soma:
            h.pt3dstyle(1, x0, y0, z0, sec=sec)
        sec.connect(parent, 0)
        parent = sec(1.0)
        morph.add_section(sec, "axon")
        secs.append(sec)
    morph.warnings.append(
        f"{morph.spec.path}: no axon; attached a Mainen & Sejnowski (1996) axon stub "
        f"(hillock 10 um, initial segment 15 um x {d_is:.2f} um, axon 200 um)"
    )
    # The morphology's own warnings were issued when it was loaded; this one comes later.
    warnings.warn(morph.warnings[-1], MorphologyWarning, stacklevel=3)
    return secs


def build_cell(spec: CellSpec, environment=None) -> Cell:
    """Load the morphology, add an axon stub if asked, set biophysics, discretise, bath.

    A morphology without axon gets a stub (:func:`add_axon_stub`) when the biophysics set
    asks for one (``axon_stub``); the cell's ``stub_added`` says so and a
    :class:`~mgneuron.morphology.MorphologyWarning` states it in the log.
    """
    from mgneuron.mechanisms import require

    require()
    morph = spec.morphology.instantiate()
    try:
        cell = Cell(spec, morph)
        if spec.biophysics.axon_stub and not morph.regions["axon"]:
            add_axon_stub(morph)
            cell.stub_added = True
        apply_biophysics(spec.biophysics, morph, d_lambda=spec.d_lambda)
        if environment is not None:
            cell.apply_environment(environment)
    except BaseException:
        morph.delete()
        raise
    return cell
