"""Drawing a morphology: a 2-D projection coloured by region, and ``mgneuron morph``."""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np

from mgneuron.errors import MorphologyError
from mgneuron.morphology import (
    REGIONS,
    DLambda,
    Morphology,
    MorphologyWarning,
    load_morphology,
    summarize,
)
from mgneuron.morphology.summary import _section_area

__all__ = ["REGION_COLORS", "plot_morphology", "morph_command"]

REGION_COLORS = {
    "soma": "#000000",
    "axon": "#1f77b4",
    "basal": "#d62728",
    "apical": "#2ca02c",
    "custom": "#9467bd",
}


def plot_morphology(
    morph: Morphology,
    out_png: str | os.PathLike,
    plane: str = "xy",
    title: str | None = None,
) -> Path:
    """Write a 2-D projection of the morphology, coloured by region, to a PNG.

    Parameters
    ----------
    morph : Morphology
    out_png : path-like
    plane : {"xy", "xz", "yz"}
        Projection plane. Default "xy" (the usual reconstruction plane).
    title : str, optional

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    axes = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}
    if plane not in axes:
        raise MorphologyError(f"plane must be one of {', '.join(axes)}, got {plane!r}")
    a, b = axes[plane]
    from matplotlib.patches import Circle

    fig, ax = plt.subplots(figsize=(6, 7), dpi=120)
    for sec in morph.regions["soma"]:
        # A soma as the disc of a sphere of the same area, at its centre.
        n = int(sec.n3d())
        if n == 0:
            continue
        pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(n)])
        centre = pts.mean(axis=0)
        r = math.sqrt(max(_section_area(sec), 1e-9) / (4 * math.pi))
        ax.add_patch(Circle((centre[a], centre[b]), r, color=REGION_COLORS["soma"], zorder=3))
    for region in REGIONS[1:]:
        segs, widths = [], []
        for sec in morph.regions[region]:
            n = int(sec.n3d())
            if n < 2:
                continue
            pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(n)])
            d = np.array([sec.diam3d(i) for i in range(n)])
            p2 = pts[:, [a, b]]
            segs.extend(np.stack([p2[:-1], p2[1:]], axis=1))
            widths.extend(np.clip(0.5 * (d[:-1] + d[1:]) * 0.25, 0.3, 6.0))
        if segs:
            lc = LineCollection(
                segs,
                linewidths=widths,
                colors=REGION_COLORS[region],
                label=region,
                capstyle="round",
            )
            ax.add_collection(lc)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel(f"{plane[0]} (um)")
    ax.set_ylabel(f"{plane[1]} (um)")
    ax.set_title(title or morph.name)
    handles = [
        plt.Line2D([], [], color=REGION_COLORS[r], lw=3, label=r)
        for r in REGIONS
        if morph.regions[r]
    ]
    ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def morph_command(path: str, out_png: str | None = None, biophysics: str = "pyramidal") -> str:
    """Do what ``mgneuron morph FILE`` does: load, summarise, draw; return the printed text.

    Segments are counted as a cell would have them: d_lambda 0.1 at 100 Hz with the Ra and
    cm of the ``biophysics`` set's "all" rule (Ra 150 Ohm cm, cm 0.75 uF/cm2 for the
    default), before spine factors.

    Parameters
    ----------
    path : str
        SWC/ASC file or shipped morphology name.
    out_png : str, optional
        Where to write the picture; default ``<file stem>.png`` in the working directory.
    biophysics : str
        Set whose passive Ra and cm enter the d_lambda rule.
    """
    from mgneuron.biophysics import get_biophysics

    bio = get_biophysics(biophysics)
    ra = next((r.Ra_ohm_cm for r in bio.regions if r.region == "all" and r.Ra_ohm_cm), 35.4)
    cm = next((r.cm_uF_cm2 for r in bio.regions if r.region == "all" and r.cm_uF_cm2), 1.0)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", MorphologyWarning)
        morph = load_morphology(path)
    try:
        for sec in morph.sections:
            sec.Ra, sec.cm = ra, cm
        DLambda().apply(morph.sections)
        text = summarize(morph).to_text()
        text += (
            f"\nsegments: d_lambda 0.1 at 100 Hz with Ra {ra:g} Ohm cm, cm {cm:g} uF/cm2 "
            f"(biophysics {bio.name!r})"
        )
        png = Path(out_png) if out_png else Path(f"{morph.name}.png")
        plot_morphology(morph, png)
        text += f"\npicture: {png}"
    finally:
        morph.delete()
    return text
