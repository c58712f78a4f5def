"""The ``solve-models`` flow: solve stored models in bulk on Dask."""

from __future__ import annotations

import time
from typing import Any

from prefect import get_run_logger

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.bookkeeping import utc_now
from pastas_projects.flows.cluster import PastasDaskTaskRunner, flow_task_runner
from pastas_projects.flows.common import (
    DEFAULT_STORE,
    check_positive,
    resolve_store,
    select_models,
    ui_flow,
)
from pastas_projects.flows.report import finish
from pastas_projects.flows.runner import run_step
from pastas_projects.tasks.solve import make_solver


def solve_step(
    runner: Any,
    block: PastasStoreBlock,
    names: list[str],
    since: str,
    solver: str | None,
    solve_options: dict[str, Any] | None,
    batch_size: int | None,
) -> Any:
    """Run the solve step (shared by ``solve-models`` and ``calibrate``)."""
    make_solver(solver)  # a wrong name fails the run before any work
    options = {"solve_kwargs": dict(solve_options or {}), "solver": solver, "since": since}
    return run_step(runner, "solve", block, names, options, batch_size, "models")


@ui_flow(
    name="solve-models",
    task_runner=PastasDaskTaskRunner(follow_parameters=True),
    persist_result=False,
    log_prints=False,
)
def solve_models_flow(
    store: PastasStoreBlock | str = DEFAULT_STORE,
    names: list[str] | None = None,
    pattern: str | None = None,
    only_changed: bool = False,
    solver: str | None = None,
    solve_options: dict[str, Any] | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Solve stored Pastas models in batches on a Dask cluster and store the results.

    A model that fails is recorded in the store with its error and listed in the
    failures table; the run goes on and ends Completed unless every model failed.
    Running again is safe: a model is solved at most once per run, also when a
    worker dies and its batch runs again.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store: the name of a saved Pastas Store block, or a block.
    names : list of str, optional
        Models to solve; default all models in the store.
    pattern : str, optional
        Only models whose name matches this glob pattern, e.g. ``B58*``.
    only_changed : bool
        Only models that are unsolved, failed, or whose series changed since they
        were solved.
    solver : str, optional
        A pastas solver class (``LeastSquares``, ``Lmfit``, ``Emcee``); default pastas'
        own (LeastSquares).
    solve_options : dict, optional
        Options of pastas ``Model.solve`` and the solver, e.g. ``{"tmin": "2000"}``.
    workers : int
        Worker processes of the local Dask cluster started for this run.
    threads_per_worker : int
        Threads per worker process; 1 is fastest for pastas.
    cluster_address : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to use instead of
        a local cluster; its workers need ``PREFECT_API_URL`` set.
    batch_size : int, optional
        Models per task; default chosen so orchestration stays ~3 % of the work.

    Returns
    -------
    dict
        Summary: ``solved``, ``failed``, ``solved_names``, ``failures``, ``seconds``,
        ``cluster_seconds``, ``models_per_second``, ``selected``, ``up_to_date``, ...

    """
    started, since = time.perf_counter(), utc_now()
    check_positive(workers=workers, threads_per_worker=threads_per_worker, batch_size=batch_size)
    logger = get_run_logger()
    block = resolve_store(store)
    logger.info("store %s", block.display_uri)
    runner = flow_task_runner(workers, threads_per_worker, cluster_address)
    db = block.get_project().db
    todo, missing, up_to_date = select_models(db, names, pattern, only_changed)
    logger.info(
        "%d model(s) to solve; %d up to date, %d not in the store",
        len(todo),
        len(up_to_date),
        len(missing),
    )
    result = solve_step(runner, block, todo, since, solver, solve_options, batch_size)
    missing_rows = [{"name": n, "ok": False} for n in missing]
    extra = {
        "selected": len(todo) + len(up_to_date) + len(missing),
        "up_to_date": len(up_to_date),
        "missing": missing,
        "only_changed": only_changed,
    }
    return finish(
        "Solve models",
        "solve-models",
        block,
        {"solve": result},
        result.rows + missing_rows,
        started,
        runner,
        extra,
        todo + up_to_date,
    )
