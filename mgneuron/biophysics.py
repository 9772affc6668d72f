"""Biophysics by region: a declarative spec, JSON files and named sets (applied by membrane).

A :class:`Biophysics` is a small picklable description: an ordered list of
:class:`RegionBiophysics` rules, each naming a region and the passive properties,
mechanisms (with parameter values and units) and reversal potentials it sets. Later rules
override earlier ones where they overlap, so a set reads "everything, then the soma, then
the axon initial segment".

Regions: ``all``, ``soma``, ``axon``, ``ais`` (the first ``ais_length_um`` of each axon,
measured along the axon from where it leaves its parent), ``basal``, ``apical``, ``custom``
and ``dendrite`` (basal + apical + custom). A rule for a region the morphology lacks does
nothing.

Units: the Python fields carry their unit in the name (``cm_uF_cm2``, ``Ra_ohm_cm``,
``g_pas_S_cm2``, ``e_pas_mV``); mechanism parameters carry a unit string that is checked
against, and converted to, the unit the NMODL file declares (``pS/um2`` to ``S/cm2`` for
instance) when the spec is applied. In JSON every value may be written ``[value, "unit"]``.

Spines: ``spine_factor`` F multiplies cm and g_pas (the membrane of the spines folded into
the dendrite, Holmes 1989); ``spine_density_per_um`` with ``spine_area_um2`` gives the
factor per segment, F = 1 + density * spine_area * L_seg / area_seg, as in Mainen &
Sejnowski 1996. Channels are not scaled (spines are taken to be passive).

Named sets: ``pyramidal`` (alias ``default``, ``mainen_sejnowski_1996``) and ``passive``.
``get_biophysics(NAME_OR_FILE)`` accepts either a name or a JSON file.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mgneuron.errors import BiophysicsError, MgNeuronError  # noqa: F401 (re-export)

__all__ = [
    "BiophysicsError",
    "MechanismSpec",
    "RegionBiophysics",
    "Biophysics",
    "BIOPHYSICS",
    "BIOPHYSICS_REGIONS",
    "get_biophysics",
    "list_biophysics",
    "convert_unit",
]


BIOPHYSICS_REGIONS = ("all", "soma", "axon", "ais", "basal", "apical", "custom", "dendrite")

# unit -> (dimension, factor to the canonical unit of that dimension)
_UNITS: dict[str, tuple[str, float]] = {
    # conductance density, canonical S/cm2
    "S/cm2": ("conductance", 1.0),
    "mho/cm2": ("conductance", 1.0),
    "mS/cm2": ("conductance", 1e-3),
    "uS/cm2": ("conductance", 1e-6),
    "pS/um2": ("conductance", 1e-4),
    "nS/um2": ("conductance", 1e-1),
    "S/m2": ("conductance", 1e-4),
    # specific capacitance, canonical uF/cm2
    "uF/cm2": ("capacitance", 1.0),
    "F/m2": ("capacitance", 100.0),
    "pF/um2": ("capacitance", 100.0),
    "fF/um2": ("capacitance", 0.1),
    # axial resistivity, canonical ohm*cm
    "ohm*cm": ("resistivity", 1.0),
    "ohm cm": ("resistivity", 1.0),
    "ohm-cm": ("resistivity", 1.0),
    "kohm*cm": ("resistivity", 1e3),
    "ohm*m": ("resistivity", 100.0),
    # specific membrane resistance, canonical ohm*cm2
    "ohm*cm2": ("membrane_resistance", 1.0),
    "kohm*cm2": ("membrane_resistance", 1e3),
    "ohm*m2": ("membrane_resistance", 1e4),
    # potential, canonical mV
    "mV": ("potential", 1.0),
    "V": ("potential", 1e3),
    # time, canonical ms
    "ms": ("time", 1.0),
    "s": ("time", 1e3),
    "us": ("time", 1e-3),
    # length, canonical um
    "um": ("length", 1.0),
    "mm": ("length", 1e3),
    # area, canonical um2
    "um2": ("area", 1.0),
    # concentration, canonical mM
    "mM": ("concentration", 1.0),
    "uM": ("concentration", 1e-3),
    "M": ("concentration", 1e3),
    # temperature
    "degC": ("temperature", 1.0),
    # rates
    "/ms": ("rate", 1.0),
    "1/ms": ("rate", 1.0),
    "/s": ("rate", 1e-3),
    # densities per length
    "/um": ("per_length", 1.0),
    "1/um": ("per_length", 1.0),
    # dimensionless
    "1": ("dimensionless", 1.0),
    "": ("dimensionless", 1.0),
}


def _norm_unit(unit: str) -> str:
    u = unit.strip().replace("µ", "u").replace("Ω", "ohm").replace("Ohm", "ohm")
    u = u.replace("^2", "2").replace("·", "*").replace(" ", "*") if u not in _UNITS else u
    return u


def convert_unit(value: float, unit: str, to: str) -> float:
    """Convert ``value`` from ``unit`` to ``to`` (both from the table of known units).

    Raises
    ------
    BiophysicsError
        For an unknown unit or units of different dimensions.
    """
    fu, tu = _norm_unit(unit), _norm_unit(to)
    if fu not in _UNITS:
        raise BiophysicsError(f"unknown unit {unit!r}; known units: {', '.join(_UNITS)}")
    if tu not in _UNITS:
        raise BiophysicsError(f"unknown unit {to!r}; known units: {', '.join(_UNITS)}")
    (fd, ff), (td, tf) = _UNITS[fu], _UNITS[tu]
    if fd != td:
        raise BiophysicsError(f"cannot convert {unit!r} ({fd}) to {to!r} ({td})")
    return float(value) * ff / tf


def _number(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise BiophysicsError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise BiophysicsError(f"{what} must be finite, got {value!r}")
    return v


@dataclass(frozen=True)
class MechanismSpec:
    """A density mechanism and its parameter values.

    Parameters
    ----------
    name : str
        NMODL SUFFIX, e.g. ``"NaT"``.
    params : tuple of (name, value, unit)
        RANGE parameter (without the suffix), value, and the unit of the value (``None``
        means "the unit declared in the .mod file"). Converted to the declared unit when
        applied.
    """

    name: str
    params: tuple[tuple[str, float, str | None], ...] = ()

    def __post_init__(self) -> None:
        """Check the name; store every parameter as (name, float value, unit or None)."""
        if not isinstance(self.name, str) or not self.name:
            raise BiophysicsError(f"a mechanism needs a name (NMODL SUFFIX), got {self.name!r}")
        params = []
        for item in self.params:
            if len(item) == 2:
                item = (item[0], item[1], None)
            pname, value, unit = item
            params.append(
                (
                    str(pname),
                    _number(value, f"{self.name}.{pname}"),
                    None if unit is None else str(unit),
                )
            )
        object.__setattr__(self, "params", tuple(params))

    def value(self, param: str) -> float:
        """Value of one parameter (as written in the spec, in its own unit)."""
        for pname, v, _ in self.params:
            if pname == param:
                return v
        raise KeyError(param)


@dataclass(frozen=True)
class RegionBiophysics:
    """What one rule sets in one region. ``None`` leaves a property as it is.

    Parameters
    ----------
    region : str
        One of :data:`BIOPHYSICS_REGIONS`.
    cm_uF_cm2 : float, optional
        Specific membrane capacitance (uF/cm2).
    Ra_ohm_cm : float, optional
        Axial resistivity (Ohm cm).
    g_pas_S_cm2 : float, optional
        Leak conductance (S/cm2); inserts ``pas``.
    e_pas_mV : float, optional
        Leak reversal potential (mV); inserts ``pas``.
    spine_factor : float, optional
        Constant factor F >= 1 multiplying cm and g_pas.
    spine_density_per_um : float, optional
        Spines per um of dendrite; with ``spine_area_um2`` gives F per segment.
    spine_area_um2 : float
        Membrane area of one spine (um2). Default 0.83 (Harris & Stevens 1989, as used by
        Mainen & Sejnowski 1996).
    mechanisms : tuple of MechanismSpec
    reversal_mV : tuple of (ion, value)
        Reversal potentials, e.g. ``(("na", 60.0), ("k", -90.0))`` (sets ``ena``, ``ek``).
    """

    region: str
    cm_uF_cm2: float | None = None
    Ra_ohm_cm: float | None = None
    g_pas_S_cm2: float | None = None
    e_pas_mV: float | None = None
    spine_factor: float | None = None
    spine_density_per_um: float | None = None
    spine_area_um2: float = 0.83
    mechanisms: tuple[MechanismSpec, ...] = ()
    reversal_mV: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        """Check the region and the values; convert mechanisms and reversals to specs."""
        if self.region not in BIOPHYSICS_REGIONS:
            raise BiophysicsError(
                f"unknown region {self.region!r}; use one of {', '.join(BIOPHYSICS_REGIONS)}"
            )
        for name in (
            "cm_uF_cm2",
            "Ra_ohm_cm",
            "g_pas_S_cm2",
            "e_pas_mV",
            "spine_factor",
            "spine_density_per_um",
        ):
            v = getattr(self, name)
            if v is not None:
                v = _number(v, f"{self.region}.{name}")
                if name != "e_pas_mV" and v < 0:
                    raise BiophysicsError(f"{self.region}.{name} must be >= 0, got {v}")
                object.__setattr__(self, name, v)
        if self.cm_uF_cm2 is not None and self.cm_uF_cm2 <= 0:
            raise BiophysicsError(f"{self.region}.cm_uF_cm2 must be > 0")
        if self.Ra_ohm_cm is not None and self.Ra_ohm_cm <= 0:
            raise BiophysicsError(f"{self.region}.Ra_ohm_cm must be > 0")
        if self.spine_factor is not None and self.spine_factor < 1:
            raise BiophysicsError(f"{self.region}.spine_factor must be >= 1 (area added)")
        object.__setattr__(self, "spine_area_um2", _number(self.spine_area_um2, "spine_area"))
        mechs = tuple(
            m if isinstance(m, MechanismSpec) else MechanismSpec(*m) for m in self.mechanisms
        )
        object.__setattr__(self, "mechanisms", mechs)
        rev = tuple((str(ion), _number(v, f"e{ion}")) for ion, v in self.reversal_mV)
        object.__setattr__(self, "reversal_mV", rev)


@dataclass(frozen=True)
class Biophysics:
    """A named set of region rules, applied in order.

    Parameters
    ----------
    name : str
    regions : tuple of RegionBiophysics
    description : str
    references : tuple of str
    v_init_mV : float
        Resting potential to initialise at (mV).
    ais_length_um : float
        Length (um) of the axon initial segment along each axon (region ``ais``).
    axon_stub : bool
        When the morphology has no axon, attach a hillock + initial segment + short axon
        (Mainen & Sejnowski 1996 did so for their reconstructions without axon), so that
        ``ais`` rules have somewhere to act.
    """

    name: str
    regions: tuple[RegionBiophysics, ...]
    description: str = ""
    references: tuple[str, ...] = ()
    v_init_mV: float = -70.0
    ais_length_um: float = 25.0
    axon_stub: bool = False
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        """Convert the regions to RegionBiophysics; check v_init_mV and ais_length_um."""
        regs = tuple(
            r if isinstance(r, RegionBiophysics) else RegionBiophysics(**r) for r in self.regions
        )
        object.__setattr__(self, "regions", regs)
        object.__setattr__(self, "references", tuple(self.references))
        object.__setattr__(self, "v_init_mV", _number(self.v_init_mV, "v_init_mV"))
        ais = _number(self.ais_length_um, "ais_length_um")
        if ais < 0:
            raise BiophysicsError("ais_length_um must be >= 0")
        object.__setattr__(self, "ais_length_um", ais)

    @property
    def mechanism_names(self) -> list[str]:
        """Every mechanism the set inserts."""
        names: list[str] = []
        for r in self.regions:
            for m in r.mechanisms:
                if m.name not in names:
                    names.append(m.name)
        return names

    def with_(self, **changes) -> Biophysics:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)

    # ---- JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-able dict in the file format read by :meth:`from_dict`."""
        regions = []
        for r in self.regions:
            d: dict[str, Any] = {"region": r.region}
            if r.cm_uF_cm2 is not None:
                d["cm"] = [r.cm_uF_cm2, "uF/cm2"]
            if r.Ra_ohm_cm is not None:
                d["Ra"] = [r.Ra_ohm_cm, "ohm*cm"]
            if r.g_pas_S_cm2 is not None:
                d["g_pas"] = [r.g_pas_S_cm2, "S/cm2"]
            if r.e_pas_mV is not None:
                d["e_pas"] = [r.e_pas_mV, "mV"]
            if r.spine_factor is not None:
                d["spine_factor"] = r.spine_factor
            if r.spine_density_per_um is not None:
                d["spine_density"] = [r.spine_density_per_um, "/um"]
                d["spine_area"] = [r.spine_area_um2, "um2"]
            if r.mechanisms:
                d["mechanisms"] = {
                    m.name: {p: (v if u is None else [v, u]) for p, v, u in m.params}
                    for m in r.mechanisms
                }
            for ion, v in r.reversal_mV:
                d[f"e{ion}"] = [v, "mV"]
            regions.append(d)
        return {
            "name": self.name,
            "description": self.description,
            "references": list(self.references),
            "v_init": [self.v_init_mV, "mV"],
            "ais_length": [self.ais_length_um, "um"],
            "axon_stub": self.axon_stub,
            "regions": regions,
        }

    @classmethod
    def from_dict(cls, data: Mapping, source: str = "") -> Biophysics:
        """Build a set from the JSON structure (see the module docstring)."""
        where = f" in {source}" if source else ""
        if not isinstance(data, Mapping):
            raise BiophysicsError(f"a biophysics set must be a JSON object{where}")
        known = {
            "name",
            "description",
            "references",
            "v_init",
            "ais_length",
            "axon_stub",
            "regions",
        }
        extra = set(data) - known
        if extra:
            raise BiophysicsError(
                f"unknown key(s) {sorted(extra)}{where}; allowed: {sorted(known)}"
            )
        if "regions" not in data or not isinstance(data["regions"], list):
            raise BiophysicsError(f"'regions' must be a list of region rules{where}")
        regions = [_region_from_dict(r, k, where) for k, r in enumerate(data["regions"])]
        return cls(
            name=str(data.get("name", Path(source).stem if source else "custom")),
            regions=tuple(regions),
            description=str(data.get("description", "")),
            references=tuple(data.get("references", ())),
            v_init_mV=_quantity(data.get("v_init", -70.0), "mV", f"v_init{where}"),
            ais_length_um=_quantity(data.get("ais_length", 25.0), "um", f"ais_length{where}"),
            axon_stub=bool(data.get("axon_stub", False)),
            source=source,
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> Biophysics:
        """Read a set from a JSON file."""
        p = Path(path)
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise BiophysicsError(f"biophysics file {p} not found") from None
        except json.JSONDecodeError as exc:
            raise BiophysicsError(f"{p}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        return cls.from_dict(data, source=str(p))

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write the set as JSON."""
        p = Path(path)
        p.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return p


def _quantity(value: Any, canonical: str, what: str) -> float:
    """Read a number, or [number, unit] / {"value", "unit"} converted to ``canonical``."""
    if isinstance(value, list | tuple):
        if len(value) != 2 or not isinstance(value[1], str):
            raise BiophysicsError(f'{what}: write a value as a number or [number, "unit"]')
        return convert_unit(_number(value[0], what), value[1], canonical)
    if isinstance(value, Mapping):
        if set(value) != {"value", "unit"}:
            raise BiophysicsError(f'{what}: write {{"value": x, "unit": "..."}}')
        return convert_unit(_number(value["value"], what), value["unit"], canonical)
    return _number(value, what)


_REGION_KEYS = {
    "region",
    "cm",
    "Ra",
    "g_pas",
    "Rm",
    "e_pas",
    "spine_factor",
    "spine_density",
    "spine_area",
    "mechanisms",
}


def _region_from_dict(d: Any, k: int, where: str) -> RegionBiophysics:
    if not isinstance(d, Mapping):
        raise BiophysicsError(f"regions[{k}]{where} must be an object")
    what = f"regions[{k}] ({d.get('region', '?')}){where}"
    extra = {
        key
        for key in d
        if key not in _REGION_KEYS
        and not (key.startswith("e") and key[1:].isalpha() and key != "e_pas")
    }
    if extra:
        raise BiophysicsError(
            f"unknown key(s) {sorted(extra)} in {what}; allowed: {sorted(_REGION_KEYS)} and "
            "reversal potentials e<ion> (ena, ek, eca, ...)"
        )
    if "region" not in d:
        raise BiophysicsError(f"{what}: every rule needs a 'region'")
    g_pas = None
    if "g_pas" in d and "Rm" in d:
        raise BiophysicsError(f"{what}: give g_pas or Rm, not both")
    if "g_pas" in d:
        g_pas = _quantity(d["g_pas"], "S/cm2", f"{what}.g_pas")
    if "Rm" in d:
        rm = _quantity(d["Rm"], "ohm*cm2", f"{what}.Rm")
        if rm <= 0:
            raise BiophysicsError(f"{what}.Rm must be > 0")
        g_pas = 1.0 / rm
    mechanisms = []
    mech_data = d.get("mechanisms", {})
    if not isinstance(mech_data, Mapping):
        raise BiophysicsError(f"{what}.mechanisms must be an object {{name: {{param: value}}}}")
    for mname, params in mech_data.items():
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise BiophysicsError(f"{what}.mechanisms.{mname} must be an object")
        plist = []
        for pname, value in params.items():
            if isinstance(value, list | tuple):
                if len(value) != 2 or not isinstance(value[1], str):
                    raise BiophysicsError(
                        f'{what}.{mname}.{pname}: write a number or [number, "unit"]'
                    )
                _norm = _norm_unit(value[1])
                if _norm not in _UNITS:
                    raise BiophysicsError(f"{what}.{mname}.{pname}: unknown unit {value[1]!r}")
                plist.append((pname, _number(value[0], f"{mname}.{pname}"), value[1]))
            else:
                plist.append((pname, _number(value, f"{mname}.{pname}"), None))
        mechanisms.append(MechanismSpec(str(mname), tuple(plist)))
    reversal = tuple(
        (key[1:], _quantity(v, "mV", f"{what}.{key}"))
        for key, v in d.items()
        if key.startswith("e") and key != "e_pas" and key[1:].isalpha()
    )
    spine_area = _quantity(d.get("spine_area", 0.83), "um2", f"{what}.spine_area")
    return RegionBiophysics(
        region=str(d["region"]),
        cm_uF_cm2=_quantity(d["cm"], "uF/cm2", f"{what}.cm") if "cm" in d else None,
        Ra_ohm_cm=_quantity(d["Ra"], "ohm*cm", f"{what}.Ra") if "Ra" in d else None,
        g_pas_S_cm2=g_pas,
        e_pas_mV=_quantity(d["e_pas"], "mV", f"{what}.e_pas") if "e_pas" in d else None,
        spine_factor=_number(d["spine_factor"], f"{what}.spine_factor")
        if "spine_factor" in d
        else None,
        spine_density_per_um=_quantity(d["spine_density"], "/um", f"{what}.spine_density")
        if "spine_density" in d
        else None,
        spine_area_um2=spine_area,
        mechanisms=tuple(mechanisms),
        reversal_mV=reversal,
    )


# --------------------------------------------------------------------------------------
# Named sets
# --------------------------------------------------------------------------------------

_MS96_REFS = (
    "Mainen ZF, Sejnowski TJ (1996) Influence of dendritic structure on firing pattern in "
    "model neocortical neurons. Nature 382:363-366.",
    "Mainen ZF, Joerges J, Huguenard JR, Sejnowski TJ (1995) A model of spike initiation in "
    "neocortical pyramidal neurons. Neuron 15:1427-1439.",
)

# Mainen & Sejnowski 1996, as data (the JSON format of a user file). Densities are given in
# the paper's pS/um2; passive: Rm 30 kOhm cm2, Cm 0.75 uF/cm2, Ra 150 Ohm cm, E_leak -70 mV,
# E_Na 60 mV, E_K -90 mV. Spines: 0.83 um2 each, 1 per um of dendrite. Axon beyond the
# initial segment: myelinated in the paper (Cm 0.04 uF/cm2, Na 20 pS/um2); nodes are not
# modelled here, so a reconstructed axon is a low-capacitance passive load and the spike is
# generated in the initial segment. Ca2+ and Ca2+-activated K+ currents of the paper are not
# included (adaptation then comes from Km alone).
PYRAMIDAL_MS96: dict = {
    "name": "pyramidal",
    "description": (
        "Active layer-5 pyramidal cell after Mainen & Sejnowski 1996: transient Na (NaT), "
        "fast delayed-rectifier K (Kdr) and M-type K (Km) with the published densities; "
        "axon initial segment 30,000 pS/um2 Na and 2,000 pS/um2 K; Ca and K(Ca) omitted."
    ),
    "references": list(_MS96_REFS),
    "v_init": [-70.0, "mV"],
    "ais_length": [25.0, "um"],
    "axon_stub": True,
    "regions": [
        {
            "region": "all",
            "cm": [0.75, "uF/cm2"],
            "Ra": [150.0, "ohm*cm"],
            "Rm": [30000.0, "ohm*cm2"],
            "e_pas": [-70.0, "mV"],
            "ena": [60.0, "mV"],
            "ek": [-90.0, "mV"],
            "mechanisms": {
                "NaT": {"gbar": [20.0, "pS/um2"]},
                "Km": {"gbar": [0.1, "pS/um2"]},
            },
        },
        {
            "region": "soma",
            "mechanisms": {"Kdr": {"gbar": [200.0, "pS/um2"]}},
        },
        {
            "region": "dendrite",
            "spine_density": [1.0, "/um"],
            "spine_area": [0.83, "um2"],
        },
        {
            "region": "axon",
            "cm": [0.04, "uF/cm2"],
            "mechanisms": {"Km": {"gbar": [0.0, "pS/um2"]}},
        },
        {
            "region": "ais",
            "cm": [0.75, "uF/cm2"],
            "mechanisms": {
                "NaT": {"gbar": [30000.0, "pS/um2"]},
                "Kdr": {"gbar": [2000.0, "pS/um2"]},
            },
        },
    ],
}

PASSIVE_MS96: dict = {
    "name": "passive",
    "description": "Passive membrane of Mainen & Sejnowski 1996 (no channels, no spines).",
    "references": [_MS96_REFS[0]],
    "v_init": [-70.0, "mV"],
    "axon_stub": False,
    "regions": [
        {
            "region": "all",
            "cm": [0.75, "uF/cm2"],
            "Ra": [150.0, "ohm*cm"],
            "Rm": [30000.0, "ohm*cm2"],
            "e_pas": [-70.0, "mV"],
        }
    ],
}

_NAMED = {"pyramidal": PYRAMIDAL_MS96, "passive": PASSIVE_MS96}
_ALIASES = {"default": "pyramidal", "mainen_sejnowski_1996": "pyramidal", "ms96": "pyramidal"}


class _Registry(Mapping):
    """Named sets, built on first access (immutable: every later access returns it)."""

    def __init__(self) -> None:
        self._built: dict[str, Biophysics] = {}

    def __getitem__(self, name: str) -> Biophysics:
        key = _ALIASES.get(name, name)
        bio = self._built.get(key)
        if bio is None:
            bio = self._built[key] = Biophysics.from_dict(_NAMED[key], source=f"mgneuron:{key}")
        return bio

    def __iter__(self):
        return iter(_NAMED)

    def __len__(self) -> int:
        return len(_NAMED)


BIOPHYSICS: Mapping[str, Biophysics] = _Registry()


def list_biophysics() -> list[str]:
    """Names of the built-in sets (aliases: default, mainen_sejnowski_1996)."""
    return list(_NAMED)


def get_biophysics(name_or_file: str | os.PathLike | Biophysics | Mapping) -> Biophysics:
    """Get a built-in set by name, a JSON file, a dict in the JSON format, or a Biophysics.

    Raises
    ------
    BiophysicsError
        Unknown name, unreadable file or malformed content.
    """
    if isinstance(name_or_file, Biophysics):
        return name_or_file
    if isinstance(name_or_file, Mapping):
        return Biophysics.from_dict(name_or_file)
    text = str(name_or_file)
    key = _ALIASES.get(text, text)
    if key in _NAMED:
        return BIOPHYSICS[key]
    p = Path(text).expanduser()
    if p.suffix.lower() == ".json" or p.exists():
        return Biophysics.from_json(p)
    raise BiophysicsError(
        f"unknown biophysics {text!r}: not a built-in set ({', '.join(_NAMED)}; aliases "
        f"{', '.join(_ALIASES)}) and not a JSON file"
    )
