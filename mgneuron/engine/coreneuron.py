"""CoreNEURON: choosing it, checking a model can go to it, and running it in pieces.

``--coreneuron`` (or :func:`use_coreneuron`, or ``MGNEURON_CORENEURON=1``): the
mechanisms are built with ``nrnivmodl -coreneuron`` (cached like the NEURON-only build)
and every run goes through ``pc.psolve`` with ``coreneuron.enable``. CoreNEURON requires
every mechanism of the model to have the same data layout in NEURON and CoreNEURON; a
.mod that NEURON translates as not thread-safe (VERBATIM without ``THREADSAFE``) does
not, and CoreNEURON would abort the process, so such a model is refused beforehand with
the name of the .mod file (:func:`coreneuron_compatibility`); so is a model with a
mechanism the CoreNEURON build does not have at all (NEURON's APCount and extracellular,
which CoreNEURON would also abort on; :func:`coreneuron_mechanisms`). CoreNEURON also
aborts in an MPI subworld of one rank when the world has more (NEURON 9.0), which is how
bulletin-board sweeps simulate: the runner refuses ``--mpi --coreneuron`` there.
"""

from __future__ import annotations

import os
import re

from mgneuron.engine.pieces import PIECES
from mgneuron.engine.ranks import distributed
from mgneuron.engine.settings import RunSettings
from mgneuron.engine.state import cvode, hoc
from mgneuron.errors import MechanismError

__all__ = [
    "use_coreneuron",
    "coreneuron_active",
    "run_coreneuron",
    "prepare_coreneuron",
    "coreneuron_compatibility",
    "check_coreneuron_model",
    "coreneuron_mechanisms",
]

# Process-level engine choice (None: read $MGNEURON_CORENEURON). Python state, not h state.
_ENGINE: dict[str, bool | None] = {"coreneuron": None}
_CORENEURON_BAD: dict[str, dict[str, str]] = {}


def use_coreneuron(enable: bool = True) -> None:
    """Run every later :func:`run` of this process with CoreNEURON (or with NEURON).

    Also exported as ``MGNEURON_CORENEURON`` so worker processes started afterwards (and
    :func:`mgneuron.mechanisms.load`) follow. The mechanisms must be built for CoreNEURON:
    call this before the first model is built, or the NEURON-only library is loaded.
    """
    _ENGINE["coreneuron"] = bool(enable)
    os.environ["MGNEURON_CORENEURON"] = "1" if enable else "0"


def coreneuron_active() -> bool:
    """Whether :func:`run` uses CoreNEURON in this process."""
    flag = _ENGINE["coreneuron"]
    if flag is None:
        return os.environ.get("MGNEURON_CORENEURON", "0") == "1"
    return flag


def run_coreneuron(settings: RunSettings, todo) -> None:
    """Initialise and integrate to ``settings.tstop`` with CoreNEURON (``pc.psolve``).

    Called by :func:`run` once it has set the globals; the run goes in ``psolve`` pieces
    (see :func:`between_pieces`), and every event callback runs at the end of the piece
    that reaches its time.

    Parameters
    ----------
    settings : RunSettings
        The run's settings (``v_init`` in mV, ``tstop`` in ms); fixed step only.
    todo : list of (t_ms, callable)
        Callbacks at simulated times (ms), sorted by time; those at or after ``tstop``
        are skipped.
    """
    from neuron import coreneuron, h

    prepare_coreneuron()
    pc = h.ParallelContext()
    cvode().cache_efficient(1)
    coreneuron.enable = True
    coreneuron.verbose = 0
    lockstep = distributed()
    try:
        # CoreNEURON needs a positive minimum NetCon delay between ranks; with no
        # inter-rank connections this only caps the integration interval.
        pc.set_maxstep(10)
        h.stoprun = 0
        h.finitialize(settings.v_init)
        for t, fn in todo:
            if t >= settings.tstop:
                continue
            if t > h.t:
                _coreneuron_to(pc, t, lockstep)
            fn()
        _coreneuron_to(pc, settings.tstop, lockstep)
    finally:
        coreneuron.enable = False


def _coreneuron_to(pc, t_end: float, lockstep: bool) -> None:
    """``pc.psolve(t_end)`` with CoreNEURON, in pieces of about a second of wall time.

    A CoreNEURON ``psolve`` never returns to Python before its end, so one call for a
    whole run left Ctrl-C unanswered until the run was over. Each call hands the model
    to CoreNEURON and back (~3 ms for the 400-synapse L5PC, measured; 1, 4 or 16 pieces
    gave the same trace bit for bit), so pieces grow (doubling from 1024 steps, or from
    the size the last run's speed gives) while one takes under 1 s, or under the
    ``wall_s`` of :func:`between_pieces` whose hook runs after each. The run ends at the
    grid point nearest ``t_end``, as one call from t = 0 ends it for a ``t_end`` on the
    grid (tested bit for bit) and as the NEURON engine ends it otherwise. A callback that
    sets ``h.stoprun`` ends the run at its event, as with NEURON. Models spread over MPI
    ranks (``lockstep``) make one call: every rank must make the same calls.
    """
    import time

    if lockstep:
        pc.psolve(t_end)
        return
    h = hoc()
    hook = PIECES["hook"]
    wall_s = float(PIECES["wall_s"]) if hook is not None else 1.0
    dt = float(h.dt)
    per_step = PIECES.get("cn_s_per_step")
    steps = int(min(1 << 30, max(1024, 0.5 * wall_s / per_step))) if per_step else 1024
    while not h.stoprun:
        t_before = float(h.t)
        target = min(t_before + steps * dt, t_end)
        start = time.perf_counter()
        pc.psolve(target)
        elapsed = time.perf_counter() - start
        if target >= t_end or h.t <= t_before:
            break
        PIECES["cn_s_per_step"] = elapsed * dt / (float(h.t) - t_before)
        if elapsed < wall_s and steps < 1 << 30:
            steps *= 2
        if hook is not None:
            hook()
    if h.t < t_end - 0.5 * dt and not h.stoprun:
        # CoreNEURON stops a step short of t_end when the t it is handed carries rounding
        # from earlier pieces (1000 ms ended at 999.975), or when t_end is off the grid by
        # over half a step. One more step ends at the grid point nearest t_end, where one
        # call from t = 0 ends on the grid, and where the NEURON engine ends off it.
        pc.psolve(t_end + 0.5 * dt)


def prepare_coreneuron() -> None:
    """Point CoreNEURON at the loaded library and refuse mechanisms it would abort on."""
    from mgneuron.mechanisms import loaded

    lib = loaded()
    corelib = None
    if lib is not None:
        corelib = lib.library.parent / "libcorenrnmech.so"
    if lib is None or not lib.coreneuron or not corelib.exists():
        raise MechanismError(
            "CoreNEURON needs the mechanisms built for it, but this process loaded the "
            "NEURON-only build; use --coreneuron (or mgneuron.engine.use_coreneuron() / "
            "MGNEURON_CORENEURON=1) before the first model is built"
        )
    os.environ["CORENEURONLIB"] = str(corelib)
    check_coreneuron_model()


_SIZE_NRN = re.compile(r"hoc_register_prop_size\(_mechtype,\s*(\d+),\s*(\d+)\)")
_SIZE_FLOAT = re.compile(r"float_variables_size\(\)\s*\{\s*return\s+(\d+);")
_SIZE_INT = re.compile(r"int_variables_size\(\)\s*\{\s*return\s+(\d+);")
_MECH_NAME = re.compile(r"\b(POINT_PROCESS|SUFFIX|ARTIFICIAL_CELL)\s+(\w+)")


def coreneuron_compatibility(lib=None) -> dict[str, str]:
    """Mechanisms of a CoreNEURON build whose NEURON and CoreNEURON layouts differ.

    CoreNEURON checks, when a model is handed over, that every mechanism has the same
    number of variables in both translations, and aborts the whole process otherwise.
    The usual cause is a .mod with VERBATIM blocks and no ``THREADSAFE``: nocmodl then
    makes it not thread-safe, which drops per-instance slots that CoreNEURON's (always
    thread-safe) translation keeps.

    Parameters
    ----------
    lib : MechanismLibrary, optional
        Default: the library loaded in this process.

    Returns
    -------
    dict
        Mechanism name -> why it is incompatible (names the .mod file and the fix).
        Empty when every mechanism is compatible.
    """
    from mgneuron.mechanisms import loaded

    lib = lib or loaded()
    if lib is None or not lib.coreneuron:
        raise MechanismError("no CoreNEURON build of the mechanisms is loaded")
    if lib.key in _CORENEURON_BAD:
        return _CORENEURON_BAD[lib.key]
    arch = lib.library.parent
    bad: dict[str, str] = {}
    for mod in sorted(lib.directory.glob("*.mod")):
        m = _MECH_NAME.search(mod.read_text(errors="replace"))
        nrn_cpp, core_cpp = arch / f"{mod.stem}.cpp", arch / "corenrn" / "mod2c" / f"{mod.stem}.cpp"
        if m is None or not nrn_cpp.exists() or not core_cpp.exists():
            continue
        nrn, core = nrn_cpp.read_text(errors="replace"), core_cpp.read_text(errors="replace")
        s_nrn = _SIZE_NRN.search(nrn)
        s_float, s_int = _SIZE_FLOAT.search(core), _SIZE_INT.search(core)
        if not (s_nrn and s_float and s_int):
            continue
        n_float, n_int = int(s_nrn.group(1)), int(s_nrn.group(2))
        n_int -= len(re.findall(r'dparam_semantics\(_mechtype,\s*\d+,\s*"cvodeieq"\)', nrn))
        if (n_float, n_int) == (int(s_float.group(1)), int(s_int.group(1))):
            continue
        why = (
            f"{mod.name}: {m.group(2)} has {n_float} doubles/{n_int} ints per instance in "
            f"NEURON but {s_float.group(1)}/{s_int.group(1)} in CoreNEURON"
        )
        if "Thread safe." not in nrn:
            why += (
                " because nocmodl translated it as not thread-safe (VERBATIM blocks); "
                "adding THREADSAFE to its NEURON block makes the layouts agree"
            )
        bad[m.group(2)] = why
    _CORENEURON_BAD[lib.key] = bad
    return bad


def check_coreneuron_model() -> None:
    """Refuse the current model if CoreNEURON would abort the process on one of its mechanisms.

    Such a mechanism is one whose layouts differ (:func:`coreneuron_compatibility`) or one
    the CoreNEURON build does not have (APCount, extracellular, a .mod compiled for NEURON
    only; :func:`coreneuron_mechanisms`).

    Raises
    ------
    MechanismError
        Names each such mechanism in use and the reason.
    """
    from mgneuron.mechanisms import mechanism_names

    bad = coreneuron_compatibility()
    in_use = [name for name in bad if _in_use(name, point=_is_point(name))]
    known = coreneuron_mechanisms()
    missing = []
    if known:  # mechanisms NEURON has and this CoreNEURON build lacks (APCount, ...)
        density, point = mechanism_names()
        for name in density:
            if name in known or name.endswith("_ion") or name in _CORE_BUILTIN:
                continue
            if _in_use(name, point=False):
                missing.append(name)
        missing += [name for name in point if name not in known and _in_use(name, point=True)]
    if not in_use and not missing:
        return
    reasons = [bad[n] for n in in_use]
    if missing:
        reasons.append(
            f"this CoreNEURON build has no {', '.join(missing)} (it has "
            f"{', '.join(sorted(known))}); run without --coreneuron, or, for a mechanism "
            "from a .mod file, add that file to your mechanisms so that it is compiled "
            "for CoreNEURON too (NEURON's extracellular has no CoreNEURON version)"
        )
    raise MechanismError(
        "CoreNEURON cannot run this model (it would abort the process): " + "; ".join(reasons)
    )


def _is_point(name: str) -> bool:
    from mgneuron.mechanisms import mechanism_names

    return name in mechanism_names()[1]


def _in_use(name: str, point: bool) -> bool:
    """Tell whether the model uses mechanism ``name``.

    True when the model has an instance of the point process (``point``) or a section
    with the density mechanism of that name.
    """
    from neuron import h

    if point:
        return int(h.List(name).count()) > 0
    return any(h.ismembrane(name, sec=sec) for sec in h.allsec())


# Mechanisms CoreNEURON always has besides its .mod files.
_CORE_BUILTIN = frozenset({"capacitance", "morphology"})
_CORE_MECHS: dict[str, frozenset[str]] = {}


def coreneuron_mechanisms(lib=None) -> frozenset[str]:
    """Names of the mechanisms the loaded CoreNEURON build holds.

    Those are its translated .mod files: CoreNEURON's own hh, pas, IClamp, SEClamp,
    ExpSyn, Exp2Syn, NetStim, PatternStim and mgneuron's. Empty when the build folder
    does not list them.
    """
    from mgneuron.mechanisms import loaded

    lib = lib or loaded()
    if lib is None or not lib.coreneuron:
        raise MechanismError("no CoreNEURON build of the mechanisms is loaded")
    names = _CORE_MECHS.get(lib.key)
    if names is None:
        found = set()
        for mod in (lib.library.parent / "corenrn" / "mod2c").glob("*.mod"):
            found.update(m.group(2) for m in _MECH_NAME.finditer(mod.read_text(errors="replace")))
        names = _CORE_MECHS[lib.key] = frozenset(found)
    return names
