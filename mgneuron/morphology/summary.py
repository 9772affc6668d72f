"""The summary of a loaded morphology: sections, segments, length and area per region.

What ``mgneuron morph`` prints (the picture is drawn by :mod:`mgneuron.plots.morphology`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mgneuron.morphology.loader import REGIONS, Morphology

__all__ = ["MorphologySummary", "summarize"]


@dataclass
class MorphologySummary:
    """Numbers describing a loaded morphology.

    Attributes
    ----------
    name, path, format, soma : str
        ``soma`` is the kind of soma the file gives (see
        :class:`~mgneuron.morphology.report.ValidationReport`).
    per_region : dict of str -> dict
        For each present region: ``sections``, ``segments``, ``length_um``, ``area_um2``.
    total_length_um, total_area_um2 : float
    max_path_distance_um : float
        Largest path distance from the soma centre (or root) to a section end.
    warnings : list of str
    """

    name: str
    path: str
    format: str
    soma: str
    per_region: dict
    total_length_um: float
    total_area_um2: float
    max_path_distance_um: float
    n_sections: int
    n_segments: int
    warnings: list

    def to_text(self) -> str:
        """Format the table printed by ``mgneuron morph``."""
        rows = [
            f"morphology   {self.name}  ({self.path})",
            f"format       {self.format}; soma given as: {self.soma}",
            f"{'region':<10}{'sections':>9}{'segments':>10}{'length (um)':>14}{'area (um2)':>14}",
        ]
        for region, d in self.per_region.items():
            rows.append(
                f"{region:<10}{d['sections']:>9}{d['segments']:>10}{d['length_um']:>14.1f}"
                f"{d['area_um2']:>14.1f}"
            )
        rows.append(
            f"{'total':<10}{self.n_sections:>9}{self.n_segments:>10}"
            f"{self.total_length_um:>14.1f}{self.total_area_um2:>14.1f}"
        )
        rows.append(f"max path distance from the soma: {self.max_path_distance_um:.1f} um")
        for w in self.warnings:
            rows.append(f"warning: {w}")
        return "\n".join(rows)


def _section_area(sec) -> float:
    return float(sum(seg.area() for seg in sec))


def summarize(morph: Morphology) -> MorphologySummary:
    """Regions, sections, segments, length and area per region, max path distance."""
    from neuron import h

    per_region = {}
    for region in REGIONS:
        secs = morph.regions[region]
        if not secs:
            continue
        per_region[region] = {
            "sections": len(secs),
            "segments": sum(s.nseg for s in secs),
            "length_um": float(sum(s.L for s in secs)),
            "area_um2": float(sum(_section_area(s) for s in secs)),
        }
    origin = morph.origin
    max_dist = max((h.distance(origin, s(1.0)) for s in morph.sections), default=0.0)
    return MorphologySummary(
        name=morph.name,
        path=morph.spec.path,
        format=morph.validation.format,
        soma=morph.validation.soma,
        per_region=per_region,
        total_length_um=float(sum(d["length_um"] for d in per_region.values())),
        total_area_um2=float(sum(d["area_um2"] for d in per_region.values())),
        max_path_distance_um=float(max_dist),
        n_sections=len(morph.sections),
        n_segments=morph.n_segments(),
        warnings=list(morph.warnings),
    )
