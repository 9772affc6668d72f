"""The morphologies shipped with mgneuron (``mgneuron._morphologies``) and the default one."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from mgneuron.errors import MorphologyError

__all__ = ["list_shipped_morphologies", "shipped_morphology", "default_morphology_path"]

_DEFAULT_MORPHOLOGY = "l5_pyramid_stylized.swc"


@functools.cache
def _shipped_dir() -> Path:
    """Locate the installed package folder of the shipped morphologies (it does not move)."""
    return Path(str(resources.files("mgneuron._morphologies")))


def list_shipped_morphologies() -> list[str]:
    """File names of the morphologies shipped with mgneuron."""
    d = _shipped_dir()
    return sorted(p.name for p in d.iterdir() if p.suffix.lower() in (".swc", ".asc"))


def shipped_morphology(name: str) -> Path:
    """Path of a shipped morphology by file name, with or without its extension."""
    d = _shipped_dir()
    for candidate in (name, f"{name}.swc", f"{name}.asc"):
        p = d / candidate
        if p.is_file():
            return p
    raise MorphologyError(
        f"no shipped morphology named {name!r}; shipped: "
        f"{', '.join(list_shipped_morphologies()) or 'none'}"
    )


def default_morphology_path() -> Path:
    """Return the morphology protocols use by default: the stylized layer-5 pyramidal cell."""
    return shipped_morphology(_DEFAULT_MORPHOLOGY)
