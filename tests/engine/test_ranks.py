"""mgneuron.engine.ranks without MPI: who owns which cell, and the MPI start-up settings.

The tests that need ``mpiexec`` are in tests/runner/test_mpi.py.
"""

from __future__ import annotations

from mgneuron.engine import RankInfo, gid_rank, local_gids, rank_info
from mgneuron.engine.ranks import _single_node_transports


def test_rank_helpers_outside_mpi():
    assert rank_info() == RankInfo(0, 1, False)
    assert local_gids(5) == [0, 1, 2, 3, 4]
    info = RankInfo(1, 3, True)
    assert local_gids(range(10), info) == [1, 4, 7]
    assert [gid_rank(g, 3) for g in range(6)] == [0, 1, 2, 0, 1, 2]


def test_single_node_runs_leave_out_the_libfabric_transport():
    """OMPI_MCA_btl=^ofi only when Open MPI says every rank is on this node and the
    user has not chosen the transports."""
    env = {"OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"}
    assert _single_node_transports(env) and env["OMPI_MCA_btl"] == "^ofi"
    mine = {"OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_MCA_btl": "tcp"}
    assert not _single_node_transports(mine) and mine["OMPI_MCA_btl"] == "tcp"
    nodes = {"OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"}
    assert not _single_node_transports(nodes) and "OMPI_MCA_btl" not in nodes
    assert not _single_node_transports({})
