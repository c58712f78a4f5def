"""Prefect flows that ingest series and build and solve Pastas models in bulk on Dask.

>>> from pastas_projects.flows import calibrate_flow  # doctest: +SKIP
>>> summary = calibrate_flow(store="pastas-store", dataset="synthetic:200")  # doctest: +SKIP

Every flow takes the store (a saved Pastas Store block name or a block), runs its
work in batches (:mod:`~pastas_projects.flows.batching`) on a Dask cluster it
starts for the run (or an existing one, ``cluster_address``), shows progress,
fit-statistics, failures and a summary as artifacts in the Prefect UI, and returns
a plain summary dict. Start a Prefect server (``PREFECT_API_URL``) before running
them, e.g. with :func:`pastas_projects.prefect_server.ensure_server`. The
deployments that serve them are defined once, in :mod:`~pastas_projects.flows.deployments`.

Notes
-----
* A script that runs a flow on a local cluster needs ``if __name__ == "__main__":``:
  Dask starts its workers with ``spawn``, which imports the main module again.
* Prefect sends flow parameters to its API as JSON of at most 512 KB: pass series as
  a :class:`~pastas_projects.datasets.SeriesCollection` (recorded as counts only) and
  select many models with ``pattern`` rather than a list of tens of thousands of
  ``names``.

"""

from pastas_projects.datasets import SeriesCollection
from pastas_projects.flows._common import AllFailedError
from pastas_projects.flows.apply import apply_flow
from pastas_projects.flows.batching import make_batches, plan_batches, target_batch_size
from pastas_projects.flows.build import build_models_flow
from pastas_projects.flows.calibrate import calibrate_flow
from pastas_projects.flows.cluster import PastasDaskTaskRunner, local_cluster_kwargs
from pastas_projects.flows.copy import copy_flow
from pastas_projects.flows.ingest import ingest_flow
from pastas_projects.flows.solve import solve_models_flow

__all__ = [
    "AllFailedError",
    "PastasDaskTaskRunner",
    "apply_flow",
    "SeriesCollection",
    "build_models_flow",
    "calibrate_flow",
    "copy_flow",
    "ingest_flow",
    "local_cluster_kwargs",
    "make_batches",
    "plan_batches",
    "solve_models_flow",
    "target_batch_size",
]
