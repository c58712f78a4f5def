"""The ``calibrate`` flow: ingest -> build -> solve -> report, on one Dask cluster."""

from __future__ import annotations

import time
from typing import Any

from prefect import get_run_logger

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.bookkeeping import utc_now
from pastas_projects.flows.build import build_options, build_step
from pastas_projects.flows.cluster import PastasDaskTaskRunner, flow_task_runner
from pastas_projects.flows.common import (
    DEFAULT_STORE,
    check_positive,
    resolve_store,
    select_names,
    ui_flow,
)
from pastas_projects.flows.ingest import ingest_step
from pastas_projects.flows.inputs import SeriesData, ingest_items
from pastas_projects.flows.report import finish
from pastas_projects.flows.solve import solve_step
from pastas_projects.tasks.solve import make_solver


@ui_flow(
    name="calibrate", task_runner=PastasDaskTaskRunner(follow_parameters=True), persist_result=False
)
def calibrate_flow(
    store: PastasStoreBlock | str = DEFAULT_STORE,
    oseries_paths: list[str] | None = None,
    stress_paths: dict[str, list[str]] | None = None,
    metadata: dict[str, dict[str, Any]] | None = None,
    metadata_csv: str | None = None,
    csv_options: dict[str, Any] | None = None,
    dataset: str | None = None,
    data: SeriesData | None = None,
    names: list[str] | None = None,
    pattern: str | None = None,
    recharge: str | list[str] | None = "nearest",
    stresses: list[str] | None = None,
    noise: bool = False,
    rebuild: bool = False,
    only_changed: bool = True,
    solver: str | None = None,
    solve_options: dict[str, Any] | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Ingest series, build a model per oseries, solve the models and report.

    All steps share one Dask cluster. Every step records failures per series or
    model and goes on; the run ends Completed with a failures table unless every
    model failed. Running it again with the same inputs does no work twice: unchanged
    series are not written, existing models are kept and, with ``only_changed``,
    only models that are unsolved, failed or whose series changed are solved.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store: the name of a saved Pastas Store block, or a block.
    oseries_paths : list of str, optional
        Head series to ingest: CSV files, folders or glob patterns.
    stress_paths : dict, optional
        Stress series to ingest by kind, e.g. ``{"prec": [...], "evap": [...]}``.
    metadata : dict, optional
        Metadata per series name (``x``/``y`` for the nearest meteo).
    metadata_csv : str, optional
        CSV table of metadata, first column the series name.
    csv_options : dict, optional
        Options of ``pastas_projects.io.read_csv``, e.g. ``{"unit": "cm->m"}``.
    dataset : str, optional
        A bundled data set to ingest: ``examples`` or ``synthetic:N[:SEED]``.
    data : SeriesData, optional
        In-memory series to ingest (Python callers): ``SeriesData.of(collection)``.
    names : list of str, optional
        Oseries to model (models are named after them); default all in the store.
    pattern : str, optional
        Only oseries whose name matches this glob pattern.
    recharge : str or list of str, optional
        ``nearest``, two stress names ``[prec, evap]``, or none.
    stresses : list of str, optional
        Further stresses added to every new model.
    noise : bool
        Add an AR(1) noise model to new models.
    rebuild : bool
        Rebuild models that exist already (else they are kept).
    only_changed : bool
        Solve only models that are unsolved, failed or whose series changed.
    solver : str, optional
        A pastas solver class (``LeastSquares``, ``Lmfit``, ``Emcee``); default pastas'.
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
        Items per task; default chosen so orchestration stays ~3 % of the work.

    Returns
    -------
    dict
        Summary: ``ingested``, ``changed``, ``built``, ``solved``, ``failed``,
        ``solved_names``, ``failures``, ``seconds``, ``models_per_second``, ``steps``...

    """
    started, since = time.perf_counter(), utc_now()
    check_positive(workers=workers, threads_per_worker=threads_per_worker, batch_size=batch_size)
    logger = get_run_logger()
    block = resolve_store(store)
    logger.info("store %s", block.display_uri)
    make_solver(solver)  # fail on a wrong name before any work
    options = build_options(recharge, stresses, "Exponential", "Linear", noise)
    items = ingest_items(oseries_paths, stress_paths, metadata, metadata_csv, dataset, data)
    runner = flow_task_runner(workers, threads_per_worker, cluster_address)
    steps = {"ingest": ingest_step(runner, block, items, csv_options, batch_size)}
    db = block.get_project().db
    oseries, missing = select_names(db.oseries_names, names, pattern)
    steps["build"] = build_step(runner, block, oseries, since, options, rebuild, batch_size)
    failed_builds = {r["name"] for r in steps["build"].rows if not r["ok"]}
    models = [m for m in oseries if m not in failed_builds]
    stale = set(db.stale_models(models)) if only_changed and models else set(models)
    todo = [m for m in models if m in stale]
    logger.info("%d model(s) to solve, %d up to date", len(todo), len(models) - len(todo))
    steps["solve"] = solve_step(runner, block, todo, since, solver, solve_options, batch_size)
    by_model = {r["name"]: r for r in steps["build"].rows} | {
        r["name"]: r for r in steps["solve"].rows
    }
    primary = list(by_model.values()) + [{"name": n, "ok": False} for n in missing]
    if not primary:
        primary = steps["ingest"].rows
    extra = {
        "selected": len(oseries) + len(missing),
        "up_to_date": len(models) - len(todo),
        "missing": missing,
        "only_changed": only_changed,
    }
    return finish("Calibrate", "calibrate", block, steps, primary, started, runner, extra, models)
