"""Run a user's function on a batch of stored models or series on a Dask worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import task

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.modelling.apply import apply_batch
from pastas_projects.tasks._common import TASK_OPTIONS, pipeline_project


@task(name="apply_batch", **TASK_OPTIONS)
def apply_batch_task(
    store: PastasStoreBlock | str,
    names: list[str],
    library: str = "models",
    func: Callable | None = None,
    kwargs: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Call ``func(item, **kwargs)`` on each model (rebuilt) or series of the batch.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store, or the name of a saved block.
    names : list of str
        The items.
    library : {"models", "oseries", "stresses"}
        What the items are.
    func : callable
        The function (pickled to the worker by Dask).
    kwargs : dict, optional
        Further keyword arguments of ``func``.

    Returns
    -------
    list of dict
        One row per item: ``name``, ``ok``, ``value``, ``error``, ``seconds``
        (:func:`pastas_projects.modelling.apply.apply_batch`); a failing item is
        recorded, the batch goes on.

    """
    if func is None:
        raise TypeError("apply_batch_task needs a function")
    _, project = pipeline_project(store)
    return apply_batch(project.db, library, names, func, kwargs)
