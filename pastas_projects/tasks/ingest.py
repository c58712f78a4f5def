"""Write a batch of series (CSV files or series in memory) into the store."""

from __future__ import annotations

from typing import Any

from prefect import task

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.store.ingest import IngestItem, ingest
from pastas_projects.tasks._common import TASK_OPTIONS, BatchClock, pipeline_project


@task(name="ingest_batch", **TASK_OPTIONS)
def ingest_batch(
    store: PastasStoreBlock | str,
    items: list[IngestItem],
    csv_options: dict[str, Any] | None = None,
    update: bool = False,
) -> list[dict[str, Any]]:
    """Write series into the store; unchanged series are left as they are.

    The same code as ``pastas-projects ingest`` (:func:`pastas_projects.store.ingest.ingest`):
    a changed series replaces the stored one and makes the models that use it stale,
    re-solved by ``solve_models_flow(only_changed=True)``. A series that cannot be
    read or stored is recorded as failed and the batch goes on; a lost store
    connection fails the batch, which is then retried.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store, or the name of a saved block.
    items : list of IngestItem
        The series to write.
    csv_options : dict, optional
        Passed to :func:`pastas_projects.io.read_csv` (``unit``, ``dayfirst``, ...).
    update : bool
        Append the values to stored series (``Database.upsert_oseries``): files that
        hold only the newest rows; a value that differs under a stored timestamp
        fails that series.

    Returns
    -------
    list of dict
        One :meth:`Outcome.to_dict` (step ``ingest``) per item, in order, with
        ``library`` and ``result`` (``added``, ``updated`` or ``unchanged``).

    """
    clock = BatchClock()
    _, project = pipeline_project(store)
    outcomes = ingest(project.db, items, csv_options, overwrite=not update, update=update)
    return clock.stamp([o.to_dict() for o in outcomes])
