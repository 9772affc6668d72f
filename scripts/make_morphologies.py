"""Regenerate the morphologies shipped in ``morphologies/`` (deterministic; no inputs).

    python scripts/make_morphologies.py            # writes morphologies/*.swc

* ``ball_and_stick.swc``: a spherical soma (three-point NeuroMorpho soma, diameter 20 um)
  and one unbranched dendrite, 600 um x 2 um, typed apical (4) so apical location rules
  work on it.
* ``l5_pyramid_stylized.swc``: a stylized thick-tufted layer-5 pyramidal cell of rat
  neocortex: soma, six basal trees, an apical trunk with eight obliques and a two-level
  tuft, and an axon that starts with a 10 um hillock and a 15 um initial segment. The
  dimensions are round numbers within the ranges reported for these cells (see
  morphologies/README.md); it is a test and demonstration cell, not a reconstruction.

Coordinates are in um, y points from the white matter to the pia, the soma is at the
origin.
"""

from __future__ import annotations

import math
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "morphologies"

SOMA, AXON, BASAL, APICAL = 1, 2, 3, 4


class SwcWriter:
    """Collects samples; ``cable`` adds a straight tapered cable split into pieces."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, float, float, float, float, int]] = []

    def add(self, typ: int, x: float, y: float, z: float, r: float, parent: int) -> int:
        ident = len(self.rows) + 1
        self.rows.append((ident, typ, x, y, z, r, parent))
        return ident

    def point(self, ident: int) -> tuple[float, float, float]:
        _, _, x, y, z, _, _ = self.rows[ident - 1]
        return x, y, z

    def cable(
        self,
        typ: int,
        parent: int,
        start: tuple[float, float, float],
        direction: tuple[float, float, float],
        length: float,
        d0: float,
        d1: float,
        step: float = 10.0,
        from_soma: bool = False,
    ) -> int:
        """Samples every ``step`` um from ``start`` along ``direction``; returns the last id.

        The diameter tapers linearly from d0 to d1 (um). Off a neurite, the first sample is
        one step from ``start`` (the parent's point, where the cable begins). Off the soma
        (``from_soma``), a first sample sits at ``start`` itself, on the soma surface:
        Import3d joins a neurite to the soma by a wire to its first sample, so the
        cable's membrane starts there.
        """
        norm = math.sqrt(sum(c * c for c in direction))
        ux, uy, uz = (c / norm for c in direction)
        n = max(1, int(round(length / step)))
        last = parent
        for k in range(0 if from_soma else 1, n + 1):
            s = length * k / n
            d = d0 + (d1 - d0) * k / n
            last = self.add(
                typ,
                round(start[0] + ux * s, 3),
                round(start[1] + uy * s, 3),
                round(start[2] + uz * s, 3),
                round(d / 2, 4),
                last,
            )
        return last

    def write(self, path: Path, header: str) -> None:
        lines = [f"# {line}".rstrip() for line in header.strip().splitlines()]
        lines.append("# id type x y z radius parent")
        for ident, typ, x, y, z, r, parent in self.rows:
            lines.append(f"{ident} {typ} {x:g} {y:g} {z:g} {r:g} {parent}")
        path.write_text("\n".join(lines) + "\n")


def three_point_soma(w: SwcWriter, radius: float) -> int:
    """The NeuroMorpho three-point soma: centre, and +-radius along y."""
    root = w.add(SOMA, 0.0, 0.0, 0.0, radius, -1)
    w.add(SOMA, 0.0, -radius, 0.0, radius, root)
    w.add(SOMA, 0.0, radius, 0.0, radius, root)
    return root


def ball_and_stick() -> SwcWriter:
    w = SwcWriter()
    root = three_point_soma(w, 10.0)
    # The dendrite starts on the soma surface (Import3d joins it to the soma centre).
    w.cable(APICAL, root, (0.0, 10.0, 0.0), (0, 1, 0), 600.0, 2.0, 2.0, 20.0, True)
    return w


def _dir(angle_deg: float, elevation_deg: float = 0.0) -> tuple[float, float, float]:
    """Unit vector at ``angle_deg`` from +x in the x-y plane, tilted out of it by elev."""
    a, e = math.radians(angle_deg), math.radians(elevation_deg)
    return (math.cos(a) * math.cos(e), math.sin(a) * math.cos(e), math.sin(e))


def l5_pyramid() -> SwcWriter:
    w = SwcWriter()
    r_soma = 11.0
    root = three_point_soma(w, r_soma)

    # Axon: hillock 10 um (3.0 -> 1.5 um), initial segment 15 um (1.2 um), axon 500 um.
    a = w.cable(AXON, root, (0.0, -r_soma, 0.0), (0, -1, 0), 10.0, 3.0, 1.5, 5.0, True)
    a = w.cable(AXON, a, w.point(a), (0, -1, 0), 15.0, 1.2, 1.2, step=5.0)
    w.cable(AXON, a, w.point(a), (0, -1, 0), 500.0, 1.0, 1.0, step=25.0)

    # Basal dendrites: six trees, each a 30 um stem (1.5 um) that forks twice
    # (70 um at 1.0 um, then 120 um tapering 0.7 -> 0.5 um): 650 um per tree.
    for k in range(6):
        ang = -150 + k * 24  # spread over the lower half, -150..-30 deg
        elev = (-1) ** k * 20.0
        start = (r_soma * math.cos(math.radians(ang)), r_soma * math.sin(math.radians(ang)), 0.0)
        stem = w.cable(BASAL, root, start, _dir(ang, elev), 30.0, 1.5, 1.5, from_soma=True)
        for s1 in (-25, 25):
            b1 = w.cable(BASAL, stem, w.point(stem), _dir(ang + s1, elev), 70.0, 1.0, 1.0)
            for s2 in (-20, 20):
                w.cable(BASAL, b1, w.point(b1), _dir(ang + s1 + s2, elev), 120.0, 0.7, 0.5)

    # Apical trunk: 650 um to the main bifurcation, tapering 4.0 -> 2.0 um, with eight
    # obliques leaving between 60 and 410 um.
    oblique_at = [60, 110, 160, 210, 260, 310, 360, 410]
    trunk = root
    y = r_soma
    d_top, d_bottom, trunk_len = 2.0, 4.0, 650.0
    for k, y_branch in enumerate(oblique_at + [trunk_len]):
        y_next = r_soma + y_branch
        d0 = d_bottom + (d_top - d_bottom) * (y - r_soma) / trunk_len
        d1 = d_bottom + (d_top - d_bottom) * (y_next - r_soma) / trunk_len
        trunk = w.cable(
            APICAL, trunk, (0.0, y, 0.0), (0, 1, 0), y_next - y, d0, d1, from_soma=k == 0
        )
        y = y_next
        if k < len(oblique_at):
            side = 1 if k % 2 == 0 else -1
            ang = 90 - side * 50
            elev = 15.0 * (1 if k % 4 < 2 else -1)
            ob = w.cable(APICAL, trunk, w.point(trunk), _dir(ang, elev), 100.0, 1.0, 0.8)
            for s in (-20, 20):
                w.cable(APICAL, ob, w.point(ob), _dir(ang + s, elev), 100.0, 0.7, 0.5)

    # Tuft: two branches of 150 um (1.8 -> 1.2 um), each forking into two of 250 um
    # (1.0 -> 0.5 um), reaching about 1000 um above the soma.
    for side in (-1, 1):
        t1 = w.cable(APICAL, trunk, w.point(trunk), _dir(90 - side * 30, 0), 150.0, 1.8, 1.2)
        for s in (-15, 15):
            w.cable(APICAL, t1, w.point(t1), _dir(90 - side * 30 + s, side * 10.0), 250.0, 1.0, 0.5)
    return w


def main() -> None:
    OUT.mkdir(exist_ok=True)
    ball_and_stick().write(
        OUT / "ball_and_stick.swc",
        """
ball_and_stick.swc: generated by scripts/make_morphologies.py (mgneuron).
Soma: three-point NeuroMorpho soma, diameter 20 um (area 1256.6 um2).
Dendrite: one cable 600 um x 2 um, type 4 (apical), starting on the soma surface.
""",
    )
    l5_pyramid().write(
        OUT / "l5_pyramid_stylized.swc",
        """
l5_pyramid_stylized.swc: generated by scripts/make_morphologies.py (mgneuron).
A stylized thick-tufted layer-5 pyramidal cell (not a reconstruction).
Soma: three-point soma, diameter 22 um. Axon (type 2): hillock 10 um (3.0 -> 1.5 um),
initial segment 15 um (1.2 um), axon 500 um (1.0 um). Basal (type 3): six trees of 650 um.
Apical (type 4): trunk 650 um (4.0 -> 2.0 um), eight obliques (300 um each, 60-410 um
from the soma), tuft of 2 x (150 + 2 x 250) um reaching ~1000 um.
""",
    )


if __name__ == "__main__":
    main()
