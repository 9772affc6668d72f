"""What every figure shares: an Agg figure, the [Mg]o colours, saving as PNG."""

from __future__ import annotations

from pathlib import Path

__all__ = ["figure", "mg_colors", "save"]


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
