"""The ``copy`` flow: copy a big store to another one on the Dask cluster."""

from __future__ import annotations

from typing import Any

from prefect import flow

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.connectors.uri import IN_PROCESS_SCHEMES
from pastas_projects.flows._artifacts import finish
from pastas_projects.flows._common import DEFAULT_BLOCK, start_run
from pastas_projects.flows._steps import run_step
from pastas_projects.flows.cluster import PastasDaskTaskRunner
from pastas_projects.store.base import SERIES_LIBRARIES
from pastas_projects.store.bookkeeping import series_key
from pastas_projects.tasks import pipeline_project
from pastas_projects.transfer import plan_copy


@flow(
    name="copy",
    task_runner=PastasDaskTaskRunner(follow_parameters=True),
    persist_result=False,
    log_prints=False,
)
def copy_flow(
    source: PastasStoreBlock | str,
    target: PastasStoreBlock | str = DEFAULT_BLOCK,
    libraries: list[str] | None = None,
    names: list[str] | None = None,
    overwrite: bool = False,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Copy series and models, with their bookkeeping, from one store to another.

    The same copy as pastas_projects.copy_store, with the items spread over Dask
    workers: first all series, then the models (which need their series in the
    target). Items that are the same in the target already are not written again,
    so running the flow again finishes an interrupted copy. Items that differ in the
    target stop the run before anything is written, unless overwrite is set.

    Args:
        source: The store to copy from: a saved Pastas Store block name, or a block.
        target: The store to copy to: a saved Pastas Store block name, or a block.
        libraries: Which of oseries, stresses and models to copy; default all.
        names: Only items of these names; a model brings the series it uses along.
        overwrite: Replace items that differ in the target.
        workers: Worker processes of the local Dask cluster started for this run.
        threads_per_worker: Threads per worker process.
        cluster_address: Address of an existing Dask scheduler (tcp://host:8786);
            its workers must reach both stores.
        batch_size: Items per task; default chosen so orchestration stays a few
            percent of the work.

    Returns:
        Summary: copied, unchanged, failed, failures, seconds, steps, ...

    """
    run = start_run(target, workers, threads_per_worker, cluster_address, batch_size)
    source_block, origin = pipeline_project(source)
    if source_block.scheme in IN_PROCESS_SCHEMES:
        raise ValueError(
            f"store {source_block.display_uri} lives in one process, but the flow's tasks "
            "run in Dask worker processes; copy it in Python with pastas_projects.copy_store"
        )
    run.logger.info("copy from %s", source_block.display_uri)
    plan = plan_copy(origin.db, run.db, libraries, names, overwrite)
    unchanged = sum(map(len, plan.unchanged.values()))
    run.logger.info("%d item(s) to copy; %d the same in the target already", plan.total, unchanged)
    options = {"source": source_block, "overwrite": overwrite}
    series = [series_key(lib, n) for lib in SERIES_LIBRARIES for n in plan.todo.get(lib, [])]
    models = [series_key("models", n) for n in plan.todo.get("models", [])]
    steps = {
        "copy series": run_step(run, "copy", series, options, "series"),
        "copy models": run_step(run, "copy", models, options, "models"),
    }
    rows = [row for step in steps.values() for row in step.rows]
    extra = {
        "source": source_block.display_uri,
        "copied": sum(bool(r["ok"]) and r.get("result") != "unchanged" for r in rows),
        "unchanged": unchanged + sum(r.get("result") == "unchanged" for r in rows),
        "selected": plan.total + unchanged,
        "up_to_date": unchanged,
    }
    return finish(run, "Copy store", "copy", steps, rows, extra)
