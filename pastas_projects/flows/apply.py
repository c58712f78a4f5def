"""The ``apply`` flow: run your own function on every stored model or series, on Dask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from prefect import flow

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.flows._common import DEFAULT_BLOCK, AllFailedError, start_run
from pastas_projects.flows._steps import run_step
from pastas_projects.flows.cluster import PastasDaskTaskRunner
from pastas_projects.modelling.apply import check_picklable, collect, label_of
from pastas_projects.store.base import check_library


@flow(
    name="apply",
    task_runner=PastasDaskTaskRunner(follow_parameters=True),
    persist_result=False,
    log_prints=False,
)
def apply_flow(
    func: Callable[..., Any],
    store: PastasStoreBlock | str = DEFAULT_BLOCK,
    library: str = "models",
    names: list[str] | None = None,
    pattern: str | None = None,
    kwargs: dict[str, Any] | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> pd.DataFrame | dict[str, Any]:
    """Run a Python function on every stored model (rebuilt) or series, in batches on Dask.

    For Python callers (a function cannot be typed into the UI). The function gets a
    pastas Model (library models) or a pandas Series (oseries, stresses) and any
    kwargs; it is checked to pickle before any work. An item it fails on is recorded
    with its error and the others go on; the run fails only when it failed on every
    item.

    Args:
        func: The function, e.g. lambda ml: ml.stats.evp().
        store: The store: the name of a saved Pastas Store block, or a block.
        library: What to run it on: models, oseries or stresses.
        names: Items; default all of the library.
        pattern: Only items whose name matches this glob pattern, e.g. B58*.
        kwargs: Further keyword arguments of the function.
        workers: Worker processes of the local Dask cluster started for this run.
        threads_per_worker: Threads per worker process.
        cluster_address: Address of an existing Dask scheduler (tcp://host:8786) to
            use instead of a local cluster; its workers need PREFECT_API_URL set.
        batch_size: Items per task; default chosen so orchestration stays a few
            percent of the work.

    Returns:
        A DataFrame (one row per item; an error column if something failed) when the
        function returns numbers or Series/dicts of numbers, else a dict name -> value
        (pastas_projects.modelling.apply.collect).

    """
    check_library(library)
    check_picklable(func, kwargs)
    run = start_run(store, workers, threads_per_worker, cluster_address, batch_size)
    chosen, missing = run.db.select_names(library, names, pattern)
    if missing:
        run.logger.warning("not in the store: %s", ", ".join(missing[:10]))
    options = {"library": library, "func": func, "kwargs": dict(kwargs or {})}
    result = run_step(run, "apply", chosen, options, library)
    rows = result.rows
    by_name = {r["name"]: r for r in rows}
    ordered = [by_name[n] for n in chosen if n in by_name]
    failed = [r for r in ordered if not r["ok"]]
    run.logger.info(
        "applied %s to %d %s in %.1f s: %d failed",
        label_of(func),
        len(ordered),
        library,
        result.seconds,
        len(failed),
    )
    if ordered and len(failed) == len(ordered):
        raise AllFailedError(
            f"{label_of(func)} failed on all {len(ordered)} {library}, e.g. "
            f"{failed[0]['name']}: {failed[0]['error']}",
            {"failed": len(failed), "failures": failed[:100]},
        )
    return collect(ordered, label_of(func))
