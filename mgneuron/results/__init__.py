"""HDF5 results files: the writer and the pandas readers.

Layout (SONATA-compatible where SONATA has a convention)::

    /                 attrs: mgneuron_version, neuron_version, protocol, created, command,
                             seed, mechanisms_hash, mpi_ranks,
                             object_type="mgneuron.results",
                             status ("running", "partial", "complete", "failed"),
                             n_conditions, n_failed (once finished)
    /parameters       JSON text of every parameter of the run
    /conditions/<col> 1-D columns: condition_id, the swept values, status, error, run_s
    /features/<col>   1-D columns: condition_id + one column per measure (may hold several
                      rows per condition)
    /tables/<name>/<col>   further tables a protocol derives from the features
    /runs/<cid>/report/<population>/data        float32 [n_times, n_elements], attr units
    /runs/<cid>/report/<population>/mapping/{node_ids, index_pointers, index_pointer,
                                             element_ids, time}
    /runs/<cid>/spikes/<population>/{timestamps, node_ids}, attr sorting (enum)

A run writes to ``<name>.partial`` beside the target and renames it to the target only
when every condition is done; the status attribute says "complete" then, or "failed"
when every condition failed (``n_failed`` counts the failed ones either way). Readers
refuse a file that is not complete unless ``allow_partial=True``; of a failed file,
:func:`read_attrs`, :func:`read_parameters` and :func:`read_conditions` (with every
condition's error) read without it.

Column names carry their units (``mg_mM``, ``v_mV``, ``t_ms``).

Modules: :mod:`~mgneuron.results.reports` (held and streamed reports, spikes),
:mod:`~mgneuron.results.writer` (:class:`ResultsWriter`), :mod:`~mgneuron.results.readers`
(the ``read_*`` functions). This layer imports no part of mgneuron but
:mod:`mgneuron.errors`; the runner passes what the writer records about it
(``provenance``).
"""

from mgneuron.results.readers import (
    read_attrs,
    read_conditions,
    read_features,
    read_parameters,
    read_spikes,
    read_table,
    read_traces,
    sonata_view,
)
from mgneuron.results.reports import Report, ReportFile, ReportStream, Spikes, StreamedReport
from mgneuron.results.writer import ResultsWriter, partial_path

__all__ = [
    "Report",
    "Spikes",
    "ResultsWriter",
    "ReportStream",
    "ReportFile",
    "StreamedReport",
    "read_conditions",
    "read_features",
    "read_table",
    "read_traces",
    "read_spikes",
    "read_parameters",
    "read_attrs",
    "sonata_view",
    "partial_path",
]
