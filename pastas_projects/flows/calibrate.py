"""The ``calibrate`` flow: ingest -> build -> solve -> report, on one Dask cluster."""

from __future__ import annotations

from typing import Any

from prefect import flow

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.datasets import SeriesCollection
from pastas_projects.flows._artifacts import finish
from pastas_projects.flows._common import DEFAULT_BLOCK, start_run
from pastas_projects.flows.build import build_options, build_step, definition_step
from pastas_projects.flows.cluster import PastasDaskTaskRunner
from pastas_projects.flows.ingest import ingest_items, ingest_step
from pastas_projects.flows.solve import solve_step
from pastas_projects.tasks.solve import make_solver


@flow(
    name="calibrate", task_runner=PastasDaskTaskRunner(follow_parameters=True), persist_result=False
)
def calibrate_flow(
    store: PastasStoreBlock | str = DEFAULT_BLOCK,
    oseries_paths: list[str] | None = None,
    stress_paths: dict[str, list[str]] | None = None,
    metadata: dict[str, dict[str, Any]] | None = None,
    metadata_csv: str | None = None,
    csv_options: dict[str, Any] | None = None,
    dataset: str | None = None,
    data: SeriesCollection | None = None,
    names: list[str] | None = None,
    pattern: str | None = None,
    recharge: str | list[str] | None = "nearest",
    stresses: list[str] | None = None,
    noise: bool = False,
    rebuild: bool = False,
    definition: dict[str, Any] | str | None = None,
    update: bool = False,
    only_changed: bool = True,
    solver: str | None = None,
    solve_options: dict[str, Any] | None = None,
    warm_start: bool = True,
    keep_versions: int | None = None,
    keep_days: float | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Ingest series, build models, solve the models that need it, prune, report.

    All steps share one Dask cluster. Every step records failures per series or
    model and goes on; the run ends Completed with a failures table unless every
    model failed. Running it again with the same inputs does no work twice: unchanged
    series are not written, existing models are kept and, with only_changed, only
    models that are unsolved, failed or whose series changed are solved, starting
    from their last optimum (warm_start). The models solved are all models of the
    selected oseries, also alternatives a definition made (e.g. name_wells).
    With keep_versions or keep_days, old versions are pruned at the end (stores with
    versions: ArcticDB): see docs/pipeline.md, "Retention".

    Args:
        store: The store: the name of a saved Pastas Store block, or a block.
        oseries_paths: Head series to ingest: CSV files, folders or glob patterns.
        stress_paths: Stress series to ingest by kind, e.g. {"prec": [...],
            "evap": [...]}.
        metadata: Metadata per series name (x/y for the nearest meteo).
        metadata_csv: CSV table of metadata: a 'name' column (or else the first
            column) with the series name, the other columns keys such as x and y.
        csv_options: Options of pastas_projects.io.read_csv, e.g. {"unit": "cm->m"}.
        dataset: A bundled data set to ingest: 'examples' or 'synthetic:N[:SEED]'.
        data: Series in memory to ingest (Python callers): a SeriesCollection.
        names: Oseries to model (models are named after them); default all in the
            store.
        pattern: Only oseries whose name matches this glob pattern.
        recharge: 'nearest', two stress names [prec, evap], or none.
        stresses: Further stresses added to every new model.
        noise: Add an AR(1) noise model to new models.
        rebuild: Rebuild models that exist already (else they are kept).
        definition: A model definition (YAML text, a path the flow can read, or a
            dict; docs/definitions.md) for the models to build; default one
            RechargeModel per oseries that has no model yet.
        update: Append ingested values to the stored series (files with only the
            newest rows) instead of replacing the series.
        only_changed: Solve only models that are unsolved, failed or whose series
            changed.
        solver: A pastas solver class (LeastSquares, Lmfit, Emcee); default pastas'.
        solve_options: Options of pastas Model.solve and the solver, e.g.
            {"tmin": "2000"}.
        warm_start: Start each model from its last optimal parameters; false: from
            the initial parameters (a cold solve).
        keep_versions: Retention: keep this many versions of every item (ArcticDB);
            none: prune nothing (unless keep_days is set, then 1).
        keep_days: Retention: also keep every version younger than this many days.
        workers: Worker processes of the local Dask cluster started for this run.
        threads_per_worker: Threads per worker process; 1 is fastest for pastas.
        cluster_address: Address of an existing Dask scheduler (tcp://host:8786) to
            use instead of a local cluster; its workers need PREFECT_API_URL set.
        batch_size: Items per task; default chosen so orchestration stays a few
            percent of the work.

    Returns:
        Summary: ingested, changed, built, solved, failed, solved_names, failures,
        seconds, models_per_second, steps, ...

    """
    run = start_run(store, workers, threads_per_worker, cluster_address, batch_size)
    make_solver(solver)  # fail on a wrong name before any work
    check_retention(keep_versions, keep_days)
    options = build_options(recharge, stresses, "Exponential", "Linear", noise)
    if definition is not None:
        from pastas_projects.modelling.definitions import load_definition  # loads pastas

        definition = load_definition(definition)  # a bad definition fails before any work
    items = ingest_items(oseries_paths, stress_paths, metadata, metadata_csv, dataset, data)
    steps = {"ingest": ingest_step(run, items, csv_options, update)}
    oseries, missing = run.db.select_names("oseries", names, pattern)
    records = run.db.model_records(missing="skip")
    if definition is not None:
        steps["build"] = definition_step(run, definition, oseries, rebuild)
    else:  # a model for every oseries that has none (under any name)
        having = {r.get("oseries") for r in records.values()}
        todo = [o for o in oseries if rebuild or o not in having or o in records]
        steps["build"] = build_step(run, todo, options, rebuild)
    failed_builds = {r["name"] for r in steps["build"].rows if not r["ok"]}
    selected = set(oseries)
    records = run.db.model_records(missing="skip")
    models = sorted(
        n for n, r in records.items() if r.get("oseries") in selected and n not in failed_builds
    )
    stale = set(run.db.stale_models(models)) if only_changed and models else set(models)
    todo = [m for m in models if m in stale]
    run.logger.info("%d model(s) to solve, %d up to date", len(todo), len(models) - len(todo))
    steps["solve"] = solve_step(run, todo, solver, solve_options, warm_start)
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
        "warm_start": warm_start,
    }
    if keep_versions is not None or keep_days is not None:
        extra["pruned"] = run.db.apply_retention(keep_last=keep_versions or 1, keep_days=keep_days)
        run.logger.info("retention: deleted %s old versions", extra["pruned"])
    return finish(run, "Calibrate", "calibrate", steps, primary, extra, models)


def check_retention(keep_versions: int | None, keep_days: float | None) -> None:
    """Raise a clear ``ValueError`` for retention parameters out of range, before any work."""
    if keep_versions is not None and (
        isinstance(keep_versions, bool) or not isinstance(keep_versions, int) or keep_versions < 1
    ):
        raise ValueError(
            f"keep_versions must be a whole number >= 1 or none, not {keep_versions!r}"
        )
    if keep_days is not None and (isinstance(keep_days, bool) or not keep_days >= 0):
        raise ValueError(f"keep_days must be a number >= 0 or none, not {keep_days!r}")
