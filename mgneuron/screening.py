"""Divalent-cation screening of the membrane surface charge: the gating-voltage shift.

Fixed negative charges on the outer face of the membrane set a negative surface potential
``psi0``. Voltage-gated channels sense the field inside the membrane, so they gate as if
the membrane potential were ``V - psi0``. Divalent cations (Ca2+, Mg2+) crowd into the
diffuse double layer (and may bind) and make ``psi0`` less negative, so raising [Mg]o or
[Ca]o moves gating to more depolarised voltages and lowering them moves it to more
negative voltages: the hyperexcitability of Mg deficiency and hypocalcaemia (Hille,
Woodhull & Shapiro 1975, Phil Trans R Soc B 270:301).

Every voltage-gated channel of mgneuron includes ``mechanisms/surface_charge.inc`` and
evaluates its rates at ``v - (vshift + screening_shift(mgo, cao))``. This module holds

* the Python reference implementation of that shift (:func:`shift_mV`,
  :func:`surface_potential_mV`), which the tests compare with the NMODL one;
* :class:`ScreeningParams`, the model and its parameters (a small picklable spec).

The parameters are written into the NMODL GLOBALs of every loaded mechanism that includes
the file (``screening_sigma_<mechanism>``...) by :func:`mgneuron.bath.configure_screening`.

Models
------
``"off"`` (0)
    No shift.
``"gcg"`` (1, default): Gouy-Chapman-Grahame
    ``psi0`` from the Grahame equation for a uniform surface charge density ``sigma`` in a
    bath of monovalent 1:1 salt (``monovalent_mM``), MgCl2 and CaCl2::

        sigma_eff**2 = 2 eps_r eps0 R T * sum_i c_i (exp(-z_i F psi0 / RT) - 1)

    with ``sign(psi0) = sign(sigma_eff)``. Optional Langmuir (Stern) binding of Ca2+ and
    Mg2+ to the anionic sites at their surface concentrations ``c exp(-2 F psi0 / RT)``,
    1:1 complexes of charge +1 e (the formalism and the constants of McLaughlin et al.
    1981, J Gen Physiol 77:445)::

        sigma_eff = sigma (1 - b) / (1 + b),  b = (K_Ca [Ca] + K_Mg [Mg]) exp(-2 F psi0 / RT)

    The shift is ``psi0(bath) - psi0(reference bath)``.
``"empirical"`` (2)
    ``shift = S log10((Ca + Mg/r + floor) / (Ca_ref + Mg_ref/r + floor))``.

Defaults and their sources
--------------------------
``sigma_e_per_nm2 = -1.0``
    Hille, Woodhull & Shapiro 1975 fitted frog-node Na-channel shifts with acidic groups
    of -0.9 and -0.58 e/nm2 plus weak Ca2+ binding, and noted that a lower net density
    fits as well. With pure screening, -1 e/nm2 gives +21.2 mV per tenfold [Ca]o
    (2 -> 20 mM, 120 mM monovalent, 22 degC), inside their +20 to +25 mV per decade.
``epsilon_r = 78.4``
    Relative permittivity of water near 25 degC.
``monovalent_mM = 148``
    [Na]o + [K]o of the default :class:`~mgneuron.environment.Environment` (145 + 3);
    :func:`mgneuron.bath.apply_bath` sets it from the bath.
``k_ca_per_M = k_mg_per_M = 0``
    No binding. :data:`MCLAUGHLIN_1981_K_PER_M` holds the intrinsic 1:1 association
    constants with phosphatidylserine, Ca 12 /M and Mg 8 /M (0.1 M NaCl, 20 degC), which
    make Ca2+ 1.5 times as potent as Mg2+.
``slope_mV = 22`` (empirical)
    Middle of the +20 to +25 mV per tenfold divalent of Hille et al. 1975.
``ca_mg_potency = 1.4`` (empirical)
    Ca2+ shifts Na-channel gating 1.4 times as much as Mg2+ in CA1 pyramidal neurons
    (Isaev et al. 2012, J Neurophysiol 107:417, "Surface charge impact in low-magnesium
    model of seizure in rat hippocampus").
``floor_mM = 0.35`` (empirical)
    Added to the Ca-equivalent divalent concentration so the shift stays finite at zero
    divalents: with S = 22 mV, removing all divalents from 2 mM Ca gives -18 mV, the shift
    Hille et al. 1975 measured in solutions with no added divalent ions.

Reference bath: 1 mM Mg, 2 mM Ca (``mg_ref_mM``, ``ca_ref_mM``); the shift is zero there.
The NMODL instances cache their shift and recompute it only when [Mg]o, [Ca]o, celsius or
the parameters (through the GLOBAL ``screening_epoch``, which
:func:`~mgneuron.bath.configure_screening` increments) change, so a run pays a few
comparisons per channel and step: measured on a Hodgkin-Huxley channel reading mgo/cao,
125-127 ns per segment and step with the shift vs 124 ns without it (+1-3 %); a
recomputation (one Grahame solve, bracketed Newton, started from psi0 = 0, so the result
does not depend on history) costs 0.2-0.3 us.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from mgneuron.errors import BathError

__all__ = [
    "MODELS",
    "MCLAUGHLIN_1981_K_PER_M",
    "ScreeningParams",
    "surface_potential_mV",
    "shift_mV",
    "NMODL_GLOBALS",
    "NMODL_EPOCH",
    "check_salt",
    "SCREENING_CHOICES",
    "screening_changes",
]

#: Model names and the integer code of ``screening_model`` in surface_charge.inc.
MODELS: dict[str, int] = {"off": 0, "gcg": 1, "empirical": 2}

#: Intrinsic 1:1 association constants (/M) of divalent cations with phosphatidylserine
#: (McLaughlin, Mulrine, Gresalfi, Vaio & McLaughlin 1981, J Gen Physiol 77:445; 20 degC,
#: 0.1 M NaCl). Use as ``configure_screening(k_ca_per_M=12.0, k_mg_per_M=8.0)``.
MCLAUGHLIN_1981_K_PER_M: dict[str, float] = {"ca": 12.0, "mg": 8.0}

#: Values of the protocols' ``--screening`` parameter (see :func:`screening_changes`).
SCREENING_CHOICES: tuple[str, ...] = ("current", "gcg", "gcg_binding", "empirical", "off")

_SCREENING_CHANGES: dict[str, dict[str, float | str]] = {
    "current": {},
    "gcg": {"model": "gcg"},
    "gcg_binding": {
        "model": "gcg",
        "sigma_e_per_nm2": -0.3,
        "k_ca_per_M": MCLAUGHLIN_1981_K_PER_M["ca"],
        "k_mg_per_M": MCLAUGHLIN_1981_K_PER_M["mg"],
    },
    "empirical": {"model": "empirical"},
    "off": {"model": "off"},
}


def screening_changes(name: str) -> dict[str, float | str]:
    """Return the :class:`ScreeningParams` changes a protocol's ``--screening`` name stands for.

    ``"current"`` keeps the configured parameters; ``"gcg"``, ``"empirical"`` and
    ``"off"`` choose the model and keep its configured parameters; ``"gcg_binding"`` is the
    Gouy-Chapman-Grahame model with the divalent binding of McLaughlin et al. 1981 (Ca 12,
    Mg 8 /M) at a surface charge of -0.3 e/nm2, the density at which binding meets the
    measurements. At 120 mM monovalent salt and 22 degC it gives +19.3 mV per tenfold
    [Ca]o (Hille, Woodhull & Shapiro 1975: +20 to +25), -20.3 mV on removing 2 mM Ca
    (they measured -18) and makes Ca2+ 1.45 times as potent as Mg2+ (VALIDATION.md: about
    1.4); the default (-1 e/nm2, no binding) gives +21.2 mV, -12.8 mV and 1.00, and
    binding at -1 e/nm2 +25.6 mV, -64.9 mV and 1.48 (``tests/test_screening.py``).

    Parameters
    ----------
    name : str
        One of :data:`SCREENING_CHOICES`.

    Raises
    ------
    BathError
        For an unknown name.
    """
    try:
        return dict(_SCREENING_CHANGES[name])
    except KeyError:
        raise BathError(
            f"unknown screening choice {name!r}; choose one of {', '.join(SCREENING_CHOICES)}"
        ) from None


# Physical constants (CODATA 2018, exact where SI defines them).
_FARADAY = 96485.33212  # C/mol
_R = 8.314462618  # J/(mol K)
_EPS0 = 8.8541878128e-12  # F/m
_E_PER_NM2 = 1.602176634e-19 / 1e-18  # C/m2 of one elementary charge per nm2
_KELVIN = 273.15

# field of ScreeningParams -> NMODL GLOBAL (without the _<mechanism> suffix)
NMODL_GLOBALS: dict[str, str] = {
    "model": "screening_model",
    "sigma_e_per_nm2": "screening_sigma",
    "monovalent_mM": "screening_monovalent",
    "epsilon_r": "screening_eps",
    "k_ca_per_M": "screening_kca",
    "k_mg_per_M": "screening_kmg",
    "mg_ref_mM": "screening_mg_ref",
    "ca_ref_mM": "screening_ca_ref",
    "slope_mV": "screening_slope",
    "ca_mg_potency": "screening_potency",
    "floor_mM": "screening_floor",
}
NMODL_EPOCH = "screening_epoch"


@dataclass(frozen=True)
class ScreeningParams:
    """The surface-charge screening model and its parameters (see the module docstring).

    Parameters
    ----------
    model : str
        ``"gcg"`` (Gouy-Chapman-Grahame, default), ``"empirical"`` or ``"off"``.
    sigma_e_per_nm2 : float
        Fixed surface charge density (elementary charges per nm2, <= 0). Default -1.0.
    monovalent_mM : float
        Monovalent 1:1 salt of the bath (mM), e.g. [Na]o + [K]o. Default 148.
    epsilon_r : float
        Relative permittivity of the bath (1). Default 78.4.
    k_ca_per_M, k_mg_per_M : float
        Association constants (/M) of Ca2+ and Mg2+ with the surface sites; 0 = no binding.
    mg_ref_mM, ca_ref_mM : float
        Reference bath (mM) where the shift is zero. Default 1.0 and 2.0.
    slope_mV : float
        Empirical model: shift per tenfold Ca-equivalent divalent (mV/decade). Default 22.
    ca_mg_potency : float
        Empirical model: potency of Ca2+ relative to Mg2+ (1). Default 1.4.
    floor_mM : float
        Empirical model: Ca-equivalent concentration added inside the log (mM). Default 0.35.
    """

    model: str = "gcg"
    sigma_e_per_nm2: float = -1.0
    monovalent_mM: float = 148.0
    epsilon_r: float = 78.4
    k_ca_per_M: float = 0.0
    k_mg_per_M: float = 0.0
    mg_ref_mM: float = 1.0
    ca_ref_mM: float = 2.0
    slope_mV: float = 22.0
    ca_mg_potency: float = 1.4
    floor_mM: float = 0.35

    def __post_init__(self) -> None:
        """Accept the model by name or code; check every parameter and store it as a float."""
        model = self.model
        if not isinstance(model, str):
            by_code = {v: k for k, v in MODELS.items()}
            if model not in by_code:
                raise BathError(f"screening model code must be one of {by_code}, got {model!r}")
            object.__setattr__(self, "model", by_code[model])
        elif model not in MODELS:
            raise BathError(f"unknown screening model {model!r}; choose one of {', '.join(MODELS)}")
        for f in fields(self):
            if f.name == "model":
                continue
            value = getattr(self, f.name)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise BathError(f"screening {f.name} must be a number, got {value!r}") from None
            if not math.isfinite(value):
                raise BathError(f"screening {f.name} must be finite, got {value}")
            object.__setattr__(self, f.name, value)
        if self.sigma_e_per_nm2 > 0:
            raise BathError(
                f"sigma_e_per_nm2 = {self.sigma_e_per_nm2} e/nm2: the model describes a "
                "negative (anionic) surface charge; give a value <= 0"
            )
        for name in ("monovalent_mM", "k_ca_per_M", "k_mg_per_M", "mg_ref_mM", "ca_ref_mM"):
            if getattr(self, name) < 0:
                raise BathError(f"screening {name} must be >= 0, got {getattr(self, name)}")
        for name in ("epsilon_r", "ca_mg_potency", "floor_mM"):
            if getattr(self, name) <= 0:
                raise BathError(f"screening {name} must be > 0, got {getattr(self, name)}")

    def as_dict(self) -> dict:
        """Plain-dict view (for HDF5 parameters)."""
        return asdict(self)


def check_salt(name: str, value: float) -> float:
    """Check a salt concentration ``name`` (mM) is finite and >= 0; return it as a float.

    Raises
    ------
    BathError
        The value is not finite or is negative.
    """
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise BathError(f"{name} must be a finite concentration >= 0 mM, got {value}")
    return value


def _psi0_scalar(
    mg: float,
    ca: float,
    monovalent: float,
    sigma: float,
    celsius: float,
    epsilon_r: float,
    k_ca: float,
    k_mg: float,
) -> float:
    """Grahame surface potential (mV) by bisection on u = F psi0 / RT to machine precision."""
    temp = celsius + _KELVIN
    if temp <= 0:
        raise BathError(f"celsius must be above absolute zero, got {celsius}")
    if sigma == 0:
        return 0.0
    div = mg + ca
    if monovalent + div == 0:
        raise BathError(
            "no ions in the bath: the surface potential of a charged membrane is unbounded"
        )
    # sigma in units of sqrt(mM): sigma / sqrt(2 eps_r eps0 R T), with c in mol/m3 = mM
    s = sigma * _E_PER_NM2 / math.sqrt(2 * epsilon_r * _EPS0 * _R * temp)
    anions = monovalent + 2 * div
    bind0 = (k_ca * ca + k_mg * mg) * 1e-3

    def excess(u: float) -> float:
        # G(u) = sign(u) sqrt(sum_i c_i (exp(-z_i u) - 1)) - sigma_eff(u); rises with u
        p = monovalent * math.expm1(-u) + div * math.expm1(-2 * u) + anions * math.expm1(u)
        b = bind0 * math.exp(-2 * u)
        return math.copysign(math.sqrt(max(p, 0.0)), u) - s * (1 - b) / (1 + b)

    lo, hi = -1.0, 1.0
    while excess(lo) > 0:
        lo *= 2
        if lo < -300:
            raise BathError("surface potential beyond 7 V: check the concentrations")
    while excess(hi) < 0:
        hi *= 2
        if hi > 300:
            raise BathError("surface potential beyond 7 V: check the concentrations")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if excess(mid) > 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi) * _R * temp / _FARADAY * 1e3


def surface_potential_mV(
    mg_mM: float,
    ca_mM: float,
    monovalent_mM: float = 148.0,
    sigma_e_per_nm2: float = -1.0,
    celsius: float = 34.0,
    epsilon_r: float = 78.4,
    k_ca_per_M: float = 0.0,
    k_mg_per_M: float = 0.0,
) -> float | np.ndarray:
    """Gouy-Chapman-Grahame outer surface potential ``psi0`` (mV).

    Solves the Grahame equation (module docstring) for a bath of monovalent 1:1 salt,
    MgCl2 and CaCl2 by bisection to machine precision (an independent method from the
    bracketed Newton iteration of surface_charge.inc).

    Parameters
    ----------
    mg_mM, ca_mM : float or array_like
        [Mg]o and [Ca]o (mM); arrays broadcast.
    monovalent_mM : float
        Monovalent salt (mM).
    sigma_e_per_nm2 : float
        Surface charge density (e/nm2).
    celsius : float
        Temperature (degC).
    epsilon_r : float
        Relative permittivity (1).
    k_ca_per_M, k_mg_per_M : float
        Association constants (/M) of 1:1 binding to the surface sites; 0 = none.

    Returns
    -------
    float or numpy.ndarray
        ``psi0`` (mV), negative for a negative surface charge.
    """
    monovalent_mM = check_salt("monovalent_mM", monovalent_mM)

    def one(mg: float, ca: float) -> float:
        return _psi0_scalar(
            check_salt("mg_mM", mg),
            check_salt("ca_mM", ca),
            monovalent_mM,
            float(sigma_e_per_nm2),
            float(celsius),
            float(epsilon_r),
            float(k_ca_per_M),
            float(k_mg_per_M),
        )

    if np.ndim(mg_mM) == 0 and np.ndim(ca_mM) == 0:
        return one(mg_mM, ca_mM)
    return np.vectorize(one, otypes=[float])(mg_mM, ca_mM)


def shift_mV(
    mg_mM: float,
    ca_mM: float,
    params: ScreeningParams | None = None,
    celsius: float = 34.0,
) -> float | np.ndarray:
    """Gating-voltage shift (mV) relative to the reference bath: the reference for NMODL.

    Channels evaluate their rates at ``v - (vshift + shift)``: a positive shift (more
    divalents) moves gating to more depolarised voltages, a negative one (less Mg or Ca)
    to more negative voltages.

    Parameters
    ----------
    mg_mM, ca_mM : float or array_like
        [Mg]o and [Ca]o (mM); arrays broadcast.
    params : ScreeningParams, optional
        Model and parameters; default ``ScreeningParams()`` (GCG, sigma -1 e/nm2, 148 mM).
    celsius : float
        Temperature (degC); used by the GCG model only. Default 34.

    Returns
    -------
    float or numpy.ndarray
        The shift (mV); 0 at (``mg_ref_mM``, ``ca_ref_mM``).
    """
    p = params if params is not None else ScreeningParams()
    if p.model == "off":
        zero = np.zeros(np.broadcast(mg_mM, ca_mM).shape)
        return 0.0 if zero.ndim == 0 else zero
    if p.model == "empirical":
        mg = np.asarray(mg_mM, dtype=float)
        ca = np.asarray(ca_mM, dtype=float)
        if np.any(~np.isfinite(mg) | (mg < 0)) or np.any(~np.isfinite(ca) | (ca < 0)):
            raise BathError("mg_mM and ca_mM must be finite concentrations >= 0 mM")
        ref = p.ca_ref_mM + p.mg_ref_mM / p.ca_mg_potency + p.floor_mM
        out = p.slope_mV * np.log10((ca + mg / p.ca_mg_potency + p.floor_mM) / ref)
        return float(out) if out.ndim == 0 else out
    kwargs = dict(
        monovalent_mM=p.monovalent_mM,
        sigma_e_per_nm2=p.sigma_e_per_nm2,
        celsius=celsius,
        epsilon_r=p.epsilon_r,
        k_ca_per_M=p.k_ca_per_M,
        k_mg_per_M=p.k_mg_per_M,
    )
    ref = surface_potential_mV(p.mg_ref_mM, p.ca_ref_mM, **kwargs)
    return surface_potential_mV(mg_mM, ca_mM, **kwargs) - ref
