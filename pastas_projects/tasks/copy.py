"""Copy a batch of items from one store to another on a Dask worker."""

from __future__ import annotations

from typing import Any

from prefect import task

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.store.bookkeeping import series_key, split_series_key
from pastas_projects.tasks._common import TASK_OPTIONS, pipeline_project
from pastas_projects.transfer.copy import copy_items


@task(name="copy_batch", **TASK_OPTIONS)
def copy_batch_task(
    store: PastasStoreBlock | str,
    names: list[str],
    source: PastasStoreBlock | str,
    overwrite: bool = False,
) -> list[dict[str, Any]]:
    """Copy a batch of items, each with its record; failures are recorded per item.

    Running a batch again (a retry, a worker that died) writes nothing twice: items
    already the same in the target are ``unchanged``.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The target store, or the name of a saved block.
    names : list of str
        Items as ``"library/name"`` (e.g. ``"oseries/B58C0698"``); write series
        batches before the models that use them.
    source : PastasStoreBlock or str
        The source store.
    overwrite : bool, optional
        Replace items that differ in the target.

    Returns
    -------
    list of dict
        One :meth:`Outcome.to_dict` per item, named ``"library/name"``, in the order
        of ``names``, with ``reused`` (always False) added.

    """
    _, target = pipeline_project(store)
    _, origin = pipeline_project(source)
    by_library: dict[str, list[str]] = {}
    for key in names:
        library, name = split_series_key(key)
        by_library.setdefault(library, []).append(name)
    rows = {}
    for library, items in by_library.items():
        for outcome in copy_items(origin.db, target.db, library, items, overwrite):
            outcome.name = series_key(library, outcome.name)
            rows[outcome.name] = outcome.to_dict() | {"reused": False}
    return [rows[key] for key in names]
