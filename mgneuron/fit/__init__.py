"""From runs and recordings to answers: block-model fits and dose-response curves.

Pure numpy/pandas (never imports NEURON): :func:`fit_block` fits the NMDA Mg2+ block
models to a user's block data (a CSV of ``v_mV, mg_mM`` and ``B`` or ``i_nA``) with
bootstrap confidence intervals and AIC/BIC; :func:`block_mechanism_params` turns the fit
into the mechanism parameters a simulation uses (``--block-params``);
:func:`dose_response` fits a Hill function of any feature against [Mg]o.
"""

from mgneuron.fit.block import (
    BlockFit,
    ModelFit,
    block_mechanism_params,
    fit_block,
    parse_models,
    read_block_params,
)
from mgneuron.fit.data import BlockData, example_block_csv, read_block_data
from mgneuron.fit.hill import HillFit, dose_response, fit_hill, hill
from mgneuron.fit.models import FIT_MODELS, BlockModel

__all__ = [
    "BlockData",
    "BlockFit",
    "BlockModel",
    "FIT_MODELS",
    "HillFit",
    "ModelFit",
    "block_mechanism_params",
    "dose_response",
    "example_block_csv",
    "fit_block",
    "fit_hill",
    "hill",
    "parse_models",
    "read_block_data",
    "read_block_params",
]
