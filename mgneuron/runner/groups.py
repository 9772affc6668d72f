"""Parameter groups that several protocols share, declared once.

- the cell: :func:`cell_params` (morphology, biophysics, d_lambda) and
  :func:`cell_spec_from_params`;
- the axon: :func:`myelinated_axon_param` (``--myelinated-axon DIAMETER[:PRESET]``);
- the bath and the run: :func:`~mgneuron.runner.params.mg_param`,
  :func:`~mgneuron.runner.params.ca_param`, :func:`~mgneuron.runner.params.celsius_param`;
- recording: :func:`~mgneuron.runner.params.record_every_param`.
"""

from __future__ import annotations

from mgneuron.axon import AXON_OPTION_HELP
from mgneuron.cell import DEFAULT_BIOPHYSICS, CellSpec, cell_spec
from mgneuron.runner.params import Param

__all__ = ["cell_params", "cell_spec_from_params", "myelinated_axon_param"]


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
