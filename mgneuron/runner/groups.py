"""Parameter groups that several protocols share, declared once.

- the cell: :func:`cell_params` (morphology, biophysics, d_lambda) and
  :func:`cell_spec_from_params`;
- the axon: :func:`myelinated_axon_param` (``--myelinated-axon DIAMETER[:PRESET]``);
- the bath and the run: :func:`~mgneuron.runner.params.mg_param`,
  :func:`~mgneuron.runner.params.ca_param`, :func:`~mgneuron.runner.params.celsius_param`;
- recording: :func:`~mgneuron.runner.params.record_every_param`;
- the start: :func:`rest_params` (``--steady-state``, ``--baseline-tol``).

Each group that names something outside the parameters (a file, a preset) has a check,
run by :meth:`mgneuron.runner.Protocol.check_condition` on every condition before the
first is simulated: :func:`check_cell_params`, :func:`check_myelinated_axon`. They need
no NEURON and remember what they checked, so a sweep of many conditions pays once per file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mgneuron.axon import AXON_OPTION_HELP, parse_myelinated_axon
from mgneuron.biophysics import get_biophysics
from mgneuron.cell import DEFAULT_BIOPHYSICS, CellSpec, cell_spec
from mgneuron.errors import MgNeuronError, ProtocolError
from mgneuron.morphology import MorphologySpec, default_morphology_path, validate_morphology
from mgneuron.nmda import DRUG_NAMES
from mgneuron.runner.params import Param

__all__ = [
    "drug_group",
    "cell_params",
    "cell_spec_from_params",
    "myelinated_axon_param",
    "rest_params",
    "check_cell_params",
    "check_myelinated_axon",
]


def cell_params(
    default_morphology: str = "l5_pyramid_stylized",
    default_biophysics: str = DEFAULT_BIOPHYSICS,
) -> tuple:
    """Protocol parameters that choose the cell (a shared group).

    ``--morphology PATH``, ``--biophysics NAME_OR_FILE``, ``--d-lambda FRACTION`` and
    ``--d-lambda-freq HZ``; add them to a protocol's ``params`` and build the cell with
    :func:`cell_spec_from_params`.
    """
    return (
        Param(
            "morphology",
            default_morphology,
            "",
            "SWC or Neurolucida .asc file, or a shipped morphology name"
            + ("" if default_morphology else " (empty: the shipped default, l5_pyramid_stylized)"),
            str,
        ),
        Param(
            "biophysics",
            default_biophysics,
            "",
            "biophysics set (pyramidal, passive) or a JSON file",
            str,
        ),
        Param(
            "d_lambda", 0.1, "", "largest segment as a fraction of lambda_f", float, minimum=1e-6
        ),
        Param(
            "d_lambda_freq_hz",
            100.0,
            "Hz",
            "frequency of lambda_f",
            float,
            flag="--d-lambda-freq",
            minimum=1e-6,
        ),
    )


def cell_spec_from_params(p) -> CellSpec:
    """Build the CellSpec named by a protocol's parameters (see :func:`cell_params`)."""
    return cell_spec(
        morphology=p.get("morphology"),
        biophysics=p.get("biophysics"),
        d_lambda=p.get("d_lambda", 0.1),
        d_lambda_freq_hz=p.get("d_lambda_freq_hz", 100.0),
    )


def myelinated_axon_param() -> Param:
    """Declare ``--myelinated-axon DIAMETER[:PRESET[,key=value...]]`` (default none).

    Apply its value to a built cell with :func:`mgneuron.axon.apply_myelinated_axon`.
    """
    return Param(
        "myelinated_axon", "", "", AXON_OPTION_HELP, str, flag="--myelinated-axon",
        aliases=("axon",),
    )  # fmt: skip


def rest_params(baseline: bool = True) -> tuple:
    """Declare how a run starts: at steady state, and how flat its baseline must be.

    ``--steady-state`` (default true: the model is brought to the steady state of its
    bath before ``t = 0``, :mod:`mgneuron.engine.steady_state`; false starts at
    ``v_init``, a control) and, with ``baseline``, ``--baseline-tol`` (mV, default 0.1:
    the most the soma may move over the 10 ms before the first stimulus for the
    condition's ``baseline_ok``; :mod:`mgneuron.measures.baseline`).
    """
    steady = Param(
        "steady_state", True, "",
        "start from the steady state in the bath (false: at v_init, a control)", bool,
        flag="--steady-state",
    )  # fmt: skip
    if not baseline:
        return (steady,)
    tol = Param(
        "baseline_tol_mV", 0.1, "mV",
        "largest move of the soma over the 10 ms before the first stimulus (baseline_ok)",
        float, flag="--baseline-tol", minimum=0.0,
    )  # fmt: skip
    return (steady, tol)


def drug_group(default_um: float = 10.0) -> tuple[Param, Param]:
    """Declare an NMDA channel drug beside Mg2+ (a shared group).

    ``--drug`` (none, memantine, ketamine, mk801: open-channel blockers; apv: the
    competitive antagonist D-APV; rates and sources in :mod:`mgneuron.nmda`) and
    ``--drug-um`` (uM, unused with none). The synapses take them as
    ``glutamatergic(..., drug=p.drug, drug_um=p.drug_um)``.
    """
    return (
        Param("drug", "none", "", "NMDA antagonist beside Mg2+ (" + ", ".join(DRUG_NAMES) + ")",
              str, choices=DRUG_NAMES),
        Param("drug_um", float(default_um), "uM", "concentration of the drug (unused with none)",
              float, minimum=0.0),
    )  # fmt: skip


# -- checks before the first condition ----------------------------------------------------


def _file_key(path: str | os.PathLike) -> tuple[int, int] | None:
    """(mtime in ns, size in bytes) of a file, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=256)
def _morphology_path(value: str, cwd: str) -> str:
    """Find the file a ``morphology`` value names (a path, a shipped name, "": the default)."""
    if not value:
        return str(default_morphology_path())
    return MorphologySpec(value).path


@functools.lru_cache(maxsize=256)
def _morphology_problem(path: str, key: tuple[int, int] | None) -> str | None:
    """Say what is wrong with a morphology file (None: nothing), once per file version."""
    try:
        validate_morphology(path)
    except MgNeuronError as exc:
        return str(exc)
    return None


@functools.lru_cache(maxsize=256)
def _biophysics_problem(value: str, cwd: str, key: tuple[int, int] | None) -> str | None:
    """Say what is wrong with a ``biophysics`` value (None: nothing), once per file version."""
    try:
        get_biophysics(value or DEFAULT_BIOPHYSICS)
    except (MgNeuronError, OSError, ValueError) as exc:
        return str(exc)
    return None


def check_cell_params(p: Mapping[str, Any]) -> None:
    """Check the cell a condition names (see :func:`cell_params`) without building it.

    The morphology file must exist and pass :func:`mgneuron.morphology.validate_morphology`
    (read once per file version); the biophysics must be a built-in set or a JSON file
    that loads. Parameters the group does not hold are not checked.

    Parameters
    ----------
    p : mapping
        A condition's parameters (:class:`~mgneuron.runner.Params`).

    Raises
    ------
    ProtocolError
        Naming the parameter, its value and what is wrong with it.
    """
    cwd = os.getcwd()  # relative paths are read from here, as the conditions will
    if "morphology" in p:
        value = str(p["morphology"] or "")
        try:
            path = _morphology_path(value, cwd)
        except MgNeuronError as exc:
            problem: str | None = str(exc)
        else:
            key = _file_key(path)
            if key is None:
                problem = f"no such file {path} (nor a shipped morphology of that name)"
            else:
                problem = _morphology_problem(path, key)
        if problem:
            raise ProtocolError(f"parameter morphology={value!r}: {problem}")
    if "biophysics" in p:
        value = str(p["biophysics"] or "")
        problem = _biophysics_problem(value, cwd, _file_key(Path(value).expanduser()))
        if problem:
            raise ProtocolError(f"parameter biophysics={value!r}: {problem}")


@functools.lru_cache(maxsize=256)
def _axon_problem(value: str) -> str | None:
    try:
        parse_myelinated_axon(value)
    except (MgNeuronError, TypeError, ValueError) as exc:
        return str(exc)
    return None


def check_myelinated_axon(p: Mapping[str, Any]) -> None:
    """Check the ``myelinated_axon`` option of a condition (see :func:`myelinated_axon_param`).

    The value must parse (:func:`mgneuron.axon.parse_myelinated_axon`): a positive fibre
    diameter (um) inside the MRG table, a known myelin preset and options it takes. An
    empty value (no myelinated axon) and a protocol without the parameter pass.

    Raises
    ------
    ProtocolError
        Naming the value and what is wrong with it.
    """
    if "myelinated_axon" not in p:
        return
    value = str(p["myelinated_axon"] or "")
    problem = _axon_problem(value)
    if problem:
        raise ProtocolError(f"parameter myelinated_axon={value!r}: {problem}")
