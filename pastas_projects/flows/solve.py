"""The ``solve-models`` flow: solve stored models in bulk on Dask."""

from __future__ import annotations

from typing import Any

from prefect import flow

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.flows._artifacts import finish
from pastas_projects.flows._common import DEFAULT_BLOCK, FlowRun, start_run
from pastas_projects.flows._steps import StepResult, run_step
from pastas_projects.flows.cluster import PastasDaskTaskRunner
from pastas_projects.tasks.solve import make_solver


def solve_step(
    run: FlowRun,
    names: list[str],
    solver: str | None,
    solve_options: dict[str, Any] | None,
    warm_start: bool = False,
) -> StepResult:
    """Run the solve step (shared by ``solve-models`` and ``calibrate``)."""
    make_solver(solver)  # a wrong name fails the run before any work
    options = {"solve_kwargs": dict(solve_options or {}), "solver": solver, "since": run.since}
    options["warm_start"] = warm_start
    return run_step(run, "solve", names, options, "models")


@flow(
    name="solve-models",
    task_runner=PastasDaskTaskRunner(follow_parameters=True),
    persist_result=False,
    log_prints=False,
)
def solve_models_flow(
    store: PastasStoreBlock | str = DEFAULT_BLOCK,
    names: list[str] | None = None,
    pattern: str | None = None,
    only_changed: bool = False,
    solver: str | None = None,
    solve_options: dict[str, Any] | None = None,
    warm_start: bool = True,
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

    Args:
        store: The store: the name of a saved Pastas Store block, or a block.
        names: Models to solve; default all models in the store.
        pattern: Only models whose name matches this glob pattern, e.g. B58*.
        only_changed: Only models that are unsolved, failed, or whose series changed
            since they were solved.
        solver: A pastas solver class (LeastSquares, Lmfit, Emcee); default pastas'
            own (LeastSquares).
        solve_options: Options of pastas Model.solve and the solver, e.g.
            {"tmin": "2000"}.
        warm_start: Start each model from its last optimal parameters (fewer function
            evaluations for models whose data changed a little); false: from the
            initial parameters.
        workers: Worker processes of the local Dask cluster started for this run.
        threads_per_worker: Threads per worker process; 1 is fastest for pastas.
        cluster_address: Address of an existing Dask scheduler (tcp://host:8786) to
            use instead of a local cluster; its workers need PREFECT_API_URL set.
        batch_size: Models per task; default chosen so orchestration stays a few
            percent of the work.

    Returns:
        Summary: solved, failed, solved_names, failures, seconds, cluster_seconds,
        models_per_second, selected, up_to_date, ...

    """
    run = start_run(store, workers, threads_per_worker, cluster_address, batch_size)
    chosen, missing = run.db.select_names("models", names, pattern)
    stale = set(run.db.stale_models(chosen)) if only_changed and chosen else set(chosen)
    todo = [n for n in chosen if n in stale]
    up_to_date = [n for n in chosen if n not in stale]
    run.logger.info(
        "%d model(s) to solve; %d up to date, %d not in the store",
        len(todo),
        len(up_to_date),
        len(missing),
    )
    result = solve_step(run, todo, solver, solve_options, warm_start)
    extra = {
        "selected": len(chosen) + len(missing),
        "up_to_date": len(up_to_date),
        "missing": missing,
        "only_changed": only_changed,
    }
    primary = result.rows + [{"name": n, "ok": False} for n in missing]
    return finish(run, "Solve models", "solve-models", {"solve": result}, primary, extra, chosen)
