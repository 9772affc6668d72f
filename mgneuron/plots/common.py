"""What every figure shares: an Agg figure, the [Mg]o colours, its file name, saving as PNG."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["figure", "figure_path", "mg_colors", "save"]


def figure_path(
    results: str | Path, out_dir: str | Path | None = None, name: str | None = None
) -> Path:
    """Name the PNG of a figure after the results file it shows.

    Figures of runs that share a folder never overwrite each other:
    ``results/epsp.h5`` -> ``results/epsp.png``; a protocol drawing several figures names
    each one, ``results/epsp.h5`` -> ``results/epsp_<name>.png``.

    Parameters
    ----------
    results : path
        The HDF5 results file the figure is drawn from.
    out_dir : path, optional
        Folder of the figure (default: the results file's folder).
    name : str, optional
        Which figure, for a protocol that draws several (letters, digits, ``-``, ``_``).

    Returns
    -------
    pathlib.Path
        ``<out_dir>/<stem>.png`` or ``<out_dir>/<stem>_<name>.png``.
    """
    results = Path(results)
    folder = Path(out_dir) if out_dir is not None else results.parent
    stem = results.name[: -len(".h5")] if results.name.endswith(".h5") else results.stem
    if name:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            raise ValueError(f"figure name {name!r}: use letters, digits, '-' and '_' only")
        stem = f"{stem}_{name}"
    return folder / f"{stem}.png"


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.4):
    """Make a new figure with the Agg backend (never opens a window); return (fig, axes)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    return fig, axes


def mg_colors(values) -> dict[float, tuple]:
    """Pick a colour per [Mg]o value, dark = high Mg, light = low Mg."""
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    vals = sorted(set(float(v) for v in values))
    n = max(len(vals) - 1, 1)
    return {v: cmap(0.9 - 0.8 * k / n) for k, v in enumerate(vals)}


def save(fig, out: str | Path) -> Path:
    """Write the figure as PNG (120 dpi) and close it."""
    import matplotlib.pyplot as plt

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
