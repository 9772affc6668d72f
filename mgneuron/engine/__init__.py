"""The engine: NEURON's globals, time stepping, recording, CoreNEURON and MPI ranks.

The only place that sets dt, tstop, celsius, v_init, ``secondorder`` and the integrator
(from :class:`RunSettings`), resets NEURON between conditions (:func:`reset`) and
integrates (:class:`Simulation`, :func:`run`).

- :mod:`~mgneuron.engine.settings`: RunSettings, sample counts and intervals
- :mod:`~mgneuron.engine.state`: NEURON's process-wide globals, set and reset
- :mod:`~mgneuron.engine.recording`: the recordings a run owns; streaming in chunks
- :mod:`~mgneuron.engine.stepping`: Simulation and run (fixed step, CVODE, Ctrl-C)
- :mod:`~mgneuron.engine.steady_state`: the steady-state start before t = 0
- :mod:`~mgneuron.engine.pieces`: the psolve pieces and the hook between them
- :mod:`~mgneuron.engine.coreneuron`: CoreNEURON choice, checks and runs
- :mod:`~mgneuron.engine.ranks`: MPI start-up, rank helpers, gathering on rank 0
"""

from mgneuron.engine.coreneuron import coreneuron_active, use_coreneuron
from mgneuron.engine.pieces import between_pieces, short_pieces
from mgneuron.engine.ranks import RankInfo, gather_spikes, gid_rank, local_gids, rank_info
from mgneuron.engine.recording import Recordings, StreamingRecorder
from mgneuron.engine.settings import RunSettings, n_samples, sample_interval
from mgneuron.engine.state import get_global, reset, set_globals
from mgneuron.engine.steady_state import SteadyState
from mgneuron.engine.stepping import Simulation, run

__all__ = [
    "RunSettings",
    "Simulation",
    "run",
    "SteadyState",
    "Recordings",
    "StreamingRecorder",
    "sample_interval",
    "n_samples",
    "reset",
    "set_globals",
    "get_global",
    "use_coreneuron",
    "coreneuron_active",
    "between_pieces",
    "short_pieces",
    "RankInfo",
    "rank_info",
    "gid_rank",
    "local_gids",
    "gather_spikes",
]
