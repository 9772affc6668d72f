"""Compile and load the NMODL mechanisms of mgneuron.

The .mod sources (``mechanisms/`` in the repository, ``mgneuron._nmodl`` once installed)
are compiled by ``nrnivmodl`` into a cache directory keyed by a hash of the sources, the
NEURON version and the build flavour (with or without CoreNEURON). The build never happens
in the working directory: NEURON auto-loads ``./x86_64/libnrnmech.so`` at start-up, and a
mechanism loaded twice ends the process.

Builds happen in a temporary directory inside the cache and are renamed into place under a
file lock, so two processes that start at once both succeed and only one compiles. The
library is loaded once per process; later calls are no-ops. Nothing here runs at import.

The cache root is ``$MGNEURON_CACHE`` when set, else the user cache directory
(``~/.cache/mgneuron`` on Linux).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mgneuron.errors import MechanismBuildError, MechanismError

__all__ = [
    "MechanismLibrary",
    "cache_root",
    "source_dir",
    "source_files",
    "build",
    "load",
    "loaded",
    "mechanisms_hash",
]

BUILD_MARKER = "mgneuron-build.json"
_ARCH_DIRS = ("x86_64", "aarch64", "arm64", "powerpc64le")

# The one piece of process state this module owns: the library loaded into this process.
_LOADED: MechanismLibrary | None = None


@dataclass(frozen=True)
class MechanismLibrary:
    """A compiled mechanism library in the cache.

    Attributes
    ----------
    key : str
        Hash of the sources, NEURON version and flavour (hex, 16 characters).
    directory : pathlib.Path
        Cache directory of this build (holds the sources, the arch folder and the marker).
    library : pathlib.Path
        The ``libnrnmech.so`` to load.
    coreneuron : bool
        Whether the build also holds the CoreNEURON library.
    compiled : bool
        True if this call compiled it, False if it came from the cache.
    """

    key: str
    directory: Path
    library: Path
    coreneuron: bool
    compiled: bool

    @property
    def marker(self) -> dict:
        """The build marker written when the build finished (sources, versions, time)."""
        return json.loads((self.directory / BUILD_MARKER).read_text())


def cache_root() -> Path:
    """Return the cache root directory (``$MGNEURON_CACHE`` or the user cache dir)."""
    env = os.environ.get("MGNEURON_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_cache_dir("mgneuron")).resolve()


def source_dir() -> Path:
    """Return the directory holding the package's .mod and .inc files."""
    return Path(str(resources.files("mgneuron._nmodl")))


def source_files(
    extra_dirs: list[str | os.PathLike] | None = None, base_dir: str | os.PathLike | None = None
) -> list[Path]:
    """List the NMODL sources (.mod and .inc) of the package plus any extra directories.

    Parameters
    ----------
    extra_dirs : list of path, optional
        Directories of the user's own .mod files to compile into the same library.
    base_dir : path, optional
        Use this directory instead of the package's sources (tests, experiments).

    Returns
    -------
    list of pathlib.Path
        Sorted by file name. Two files with one name are an error.
    """
    base = Path(base_dir) if base_dir is not None else source_dir()
    dirs = [base] + [Path(d) for d in (extra_dirs or [])]
    files: dict[str, Path] = {}
    for d in dirs:
        if not d.is_dir():
            raise MechanismError(f"mechanism directory {d} does not exist")
        for f in sorted(d.iterdir()):
            if f.suffix in (".mod", ".inc"):
                if f.name in files:
                    raise MechanismError(
                        f"two NMODL files are named {f.name}: {files[f.name]} and {f}; "
                        "rename one (NEURON mechanism and include names are global)"
                    )
                files[f.name] = f
    if not any(f.suffix == ".mod" for f in files.values()):
        raise MechanismError(f"no .mod files found in {', '.join(map(str, dirs))}")
    return [files[name] for name in sorted(files)]


def _neuron_version() -> str:
    from importlib.metadata import version

    return version("neuron")


def mechanisms_hash(files: list[Path], coreneuron: bool = False) -> str:
    """Hash the sources, the NEURON version and the build flavour into a cache key."""
    digest = hashlib.sha256()
    digest.update(f"neuron={_neuron_version()};coreneuron={coreneuron}".encode())
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _nrnivmodl() -> str:
    """Find ``nrnivmodl`` beside the running interpreter first, then on PATH."""
    candidate = Path(sys.executable).parent / "nrnivmodl"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nrnivmodl")
    if found is None:
        raise MechanismError(
            "nrnivmodl was not found next to the Python interpreter or on PATH; "
            "install NEURON from PyPI (pip install neuron) in this environment"
        )
    return found


def _find_library(directory: Path) -> Path | None:
    for arch in _ARCH_DIRS:
        for rel in ("libnrnmech.so", ".libs/libnrnmech.so", "libnrnmech.dylib"):
            lib = directory / arch / rel
            if lib.exists():
                return lib
    return None


def _explain_failure(output: str, files: list[Path]) -> tuple[str | None, list[str]]:
    """Pick the .mod file at fault and the error lines out of nrnivmodl's output."""
    lines = output.splitlines()
    error_re = re.compile(r"error|Error|ERROR|Illegal|not declared|undefined")
    bad = [ln for ln in lines if error_re.search(ln)]
    mod_names = [f.name for f in files if f.suffix == ".mod"]
    culprit = None
    # nocmodl names the file on its error lines; the C compiler names the generated .cpp.
    for ln in bad:
        for name in mod_names:
            stem = name[:-4]
            if name in ln or re.search(rf"\b{re.escape(stem)}\.(c|cpp)\b", ln):
                culprit = name
                break
        if culprit:
            break
    if culprit is None:
        # Fall back on the last file nocmodl started translating before failing.
        translating = [m.group(1) for m in re.finditer(r"Translating (\S+?\.mod)", output)]
        if translating:
            culprit = Path(translating[-1]).name
    if not bad:
        bad = lines[-15:]
    return culprit, bad[:25]


def _status(message: str) -> None:
    """Write a status line of the build on stderr (never on stdout, which may be data)."""
    try:
        print(message, file=sys.stderr, flush=True)
    except (ValueError, OSError):  # a closed stderr
        pass


def build(
    extra_dirs: list[str | os.PathLike] | None = None,
    coreneuron: bool = False,
    quiet: bool = True,
    base_dir: str | os.PathLike | None = None,
) -> MechanismLibrary:
    """Compile the mechanisms into the cache, or find the cached build.

    Parameters
    ----------
    extra_dirs : list of path, optional
        Directories with the user's own .mod files, compiled into the same library.
    coreneuron : bool
        Also build the CoreNEURON library (``nrnivmodl -coreneuron``).
    quiet : bool
        If False, echo nrnivmodl's output. Either way, a build that compiles says so on
        stderr when it starts and when it is done (it takes ~40 s).
    base_dir : path, optional
        Build these sources instead of the package's (see :func:`source_files`).

    Returns
    -------
    MechanismLibrary

    Raises
    ------
    MechanismBuildError
        When nrnivmodl fails; the message names the .mod file and quotes the error lines.
    """
    from filelock import FileLock

    files = source_files(extra_dirs, base_dir)
    key = mechanisms_hash(files, coreneuron)
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    with FileLock(str(root / f"{key}.lock")):
        if (final / BUILD_MARKER).exists():
            lib = _find_library(final)
            if lib is not None:
                return MechanismLibrary(key, final, lib, coreneuron, compiled=False)
            shutil.rmtree(final)  # marker without a library: a broken cache entry
        tmp = Path(tempfile.mkdtemp(prefix=f".build-{key}-", dir=root))
        try:
            for f in files:
                shutil.copy2(f, tmp / f.name)
            cmd = [_nrnivmodl()] + (["-coreneuron"] if coreneuron else [])
            env = dict(os.environ)
            env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
            # nrnivmodl runs make: compile the generated files in parallel
            env.setdefault("MAKEFLAGS", f"-j{os.cpu_count() or 1}")
            start = time.time()
            # Say so: the first run of a fresh install waits here, silent otherwise.
            _status(
                f"compiling NMODL mechanisms with nrnivmodl into {final} "
                "(first run with these sources, ~40 s) ..."
            )
            proc = subprocess.run(
                cmd, cwd=tmp, env=env, capture_output=True, text=True, check=False
            )
            output = proc.stdout + proc.stderr
            if not quiet:
                print(output)
            lib = _find_library(tmp)
            if proc.returncode != 0 or lib is None:
                culprit, lines = _explain_failure(output, files)
                (root / f"{key}.failed.log").write_text(output)
                where = f" in {culprit}" if culprit else ""
                quoted = "\n    ".join(lines)
                raise MechanismBuildError(
                    f"nrnivmodl failed{where} (exit {proc.returncode}); full log: "
                    f"{root / f'{key}.failed.log'}\n    {quoted}",
                    mod_file=culprit,
                    output=output,
                )
            marker = {
                "key": key,
                "neuron_version": _neuron_version(),
                "coreneuron": coreneuron,
                "sources": {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files},
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "build_seconds": round(time.time() - start, 2),
                "pid": os.getpid(),
            }
            (tmp / BUILD_MARKER).write_text(json.dumps(marker, indent=1))
            os.replace(tmp, final)
            _status(f"compiled NMODL mechanisms in {time.time() - start:.1f} s")
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    lib = _find_library(final)
    assert lib is not None
    return MechanismLibrary(key, final, lib, coreneuron, compiled=True)


def loaded() -> MechanismLibrary | None:
    """Return the library loaded into this process by :func:`load`, or None."""
    return _LOADED


def load(
    extra_dirs: list[str | os.PathLike] | None = None,
    coreneuron: bool | None = None,
) -> MechanismLibrary:
    """Build (if needed) and load the mechanism library into this process, once.

    A second call is a no-op and returns the library already loaded. Asking for a
    different set of sources once a library is loaded raises :class:`MechanismError`,
    because NEURON cannot unload mechanisms (run such work in another process).

    Parameters
    ----------
    extra_dirs : list of path, optional
        Directories with the user's own .mod files compiled into the same library.
    coreneuron : bool, optional
        Build for CoreNEURON too. Default: ``$MGNEURON_CORENEURON`` == "1".

    Returns
    -------
    MechanismLibrary
    """
    global _LOADED
    if coreneuron is None:
        coreneuron = os.environ.get("MGNEURON_CORENEURON", "0") == "1"
    if _LOADED is not None:
        files = source_files(extra_dirs)
        wanted = mechanisms_hash(files, _LOADED.coreneuron)
        if wanted != _LOADED.key or (coreneuron and not _LOADED.coreneuron):
            raise MechanismError(
                "a different mechanism library is already loaded in this process "
                f"({_LOADED.directory}); NEURON cannot unload mechanisms, so run the new "
                "set in a fresh process"
            )
        return _LOADED
    lib = build(extra_dirs, coreneuron=coreneuron)
    from neuron import h

    if hasattr(h, "NMDAMg"):
        # Already present: NEURON auto-loaded a ./x86_64 built from these sources, or the
        # caller loaded a library by hand. Loading again would end the process.
        raise MechanismError(
            "mgneuron's mechanisms are already loaded in this process (probably from an "
            f"x86_64/ folder in the working directory {os.getcwd()}); remove that folder "
            "or run from another directory, and let mgneuron.mechanisms.load() load them"
        )
    ok = h.nrn_load_dll(str(lib.library))
    if not ok:
        raise MechanismError(f"NEURON could not load {lib.library}")
    h.load_file("stdrun.hoc")
    _LOADED = lib
    _GLOBAL_DEFAULTS.clear()
    _GLOBAL_DEFAULTS.update(mechanism_globals())
    return lib


def require() -> MechanismLibrary:
    """Load the mechanisms if needed; the one call model builders make before using them."""
    return _LOADED if _LOADED is not None else load()


# The scalar GLOBALs of every mechanism right after the library was loaded (see load).
_GLOBAL_DEFAULTS: dict[str, float] = {}


def mechanism_globals() -> dict[str, float]:
    """Every scalar GLOBAL variable of every mechanism in this process, by its hoc name.

    Ion defaults (``mgo0_mg_ion`` ...), the screening parameters of the Na/K channels
    (``screening_sigma_NaT`` ...) and any other NMODL GLOBAL: what a condition could
    change and the next one would inherit. The screening models' ``screening_epoch_*``
    counters are left out: they only ever grow.
    """
    from neuron import h

    density, point = mechanism_names()
    name = h.ref("")
    out: dict[str, float] = {}
    for mech in density + point:
        ms = h.MechanismStandard(mech, -1)
        for i in range(int(ms.count())):
            if int(ms.name(name, i)) == 1 and "_epoch_" not in name[0]:
                out[name[0]] = float(getattr(h, name[0]))
    return out


def global_defaults() -> dict[str, float]:
    """Return the mechanism GLOBALs as they were when :func:`load` loaded the library.

    :func:`mgneuron.engine.reset` puts them back before every condition. Empty before
    the library is loaded.
    """
    return dict(_GLOBAL_DEFAULTS)


# mechanism_names() memo: (n density, n point mechanisms) -> their names
_NAMES: dict[tuple[int, int], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def mechanism_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names of NEURON's density and point (with artificial-cell) mechanisms in this process.

    Mechanisms are only ever added to a process (``nrn_load_dll``), never removed, so the
    numbers of density and point mechanisms identify the set, and the names are listed
    again only when a number changed (listing them costs ~0.6 ms; the bath and the
    CoreNEURON check ask before every condition). A ``MechanismType`` keeps the count it
    was made with, so two are made per call (~8 us).
    """
    from neuron import h

    types = [h.MechanismType(kind) for kind in (0, 1)]
    key = (int(types[0].count()), int(types[1].count()))
    names = _NAMES.get(key)
    if names is None:
        lists = []
        for mt in types:
            kind = []
            for i in range(int(mt.count())):
                mt.select(i)
                ref = h.ref("")
                mt.selected(ref)
                kind.append(ref[0])
            lists.append(tuple(kind))
        names = _NAMES[key] = (lists[0], lists[1])
    return names
