"""The ``build-models`` flow: build and store one model per oseries, in bulk on Dask."""

from __future__ import annotations

import time
from typing import Any

from prefect import flow

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.flows._artifacts import finish
from pastas_projects.flows._common import DEFAULT_BLOCK, FlowRun, start_run
from pastas_projects.flows._steps import StepResult, run_step
from pastas_projects.flows.cluster import PastasDaskTaskRunner
from pastas_projects.modelling.plan import models_to_build
from pastas_projects.store.outcomes import Outcome
from pastas_projects.tasks.build import normalise_recharge


def build_step(
    run: FlowRun, oseries: list[str], options: dict[str, Any], overwrite: bool
) -> StepResult:
    """Run the build step (shared by ``build-models`` and ``calibrate``).

    Without ``overwrite``, oseries that have a model already are not sent to the
    workers at all; they are reported with ``result="skipped"``.
    """
    todo, kept = models_to_build(run.db, oseries, overwrite)
    options = options | {"overwrite": overwrite, "since": run.since}
    result = run_step(run, "build", todo, options, "models")
    result.rows += [
        Outcome(o, True, "build", 0.0, result="skipped").to_dict() | {"reused": False} for o in kept
    ]
    return result


def definition_step(
    run: FlowRun,
    definition: Any,
    oseries: list[str],
    overwrite: bool,
    names: list[str] | None = None,
) -> StepResult:
    """Build the models a definition describes (shared by ``build-models`` and ``calibrate``).

    The definition is parsed and checked against the store in the flow's process,
    before any work: unknown classes, stresses or kinds fail the run with a clear
    error. A model that cannot be made for its oseries (``nearest 3 well`` where two
    wells have coordinates, say) is recorded as failed and the others are built.
    Models that exist are not sent to the workers without ``overwrite``.
    """
    from pastas_projects.modelling.definitions import load_definition, plan_models

    started = time.perf_counter()
    plans, failures = plan_models(run.db, load_definition(definition), oseries, names)
    todo, kept = models_to_build(run.db, [p.name for p in plans], overwrite)
    wanted = set(todo)
    options = {"overwrite": overwrite, "since": run.since}
    result = run_step(run, "define", [p for p in plans if p.name in wanted], options, "models")
    result.rows += [
        Outcome(o, True, "build", 0.0, result="skipped").to_dict() | {"reused": False} for o in kept
    ]
    result.rows += [
        Outcome(name, False, "build", 0.0, error).to_dict() | {"reused": False}
        for name, error in failures.items()
    ]
    for row in result.rows:
        row["step"] = "build"
    if not result.seconds:
        result.seconds = time.perf_counter() - started
    return result


def build_options(
    recharge: str | list[str] | None,
    stresses: list[str] | dict[str, list[str]] | None,
    rfunc: str,
    recharge_model: str,
    noise: bool,
) -> dict[str, Any]:
    """Task options of the build step (``recharge`` checked here, before any work)."""
    return {
        "recharge": normalise_recharge(recharge),
        "stresses": stresses,
        "rfunc": rfunc,
        "recharge_model": recharge_model,
        "noise": noise,
    }


@flow(
    name="build-models",
    task_runner=PastasDaskTaskRunner(follow_parameters=True),
    persist_result=False,
    log_prints=False,
)
def build_models_flow(
    store: PastasStoreBlock | str = DEFAULT_BLOCK,
    oseries: list[str] | None = None,
    pattern: str | None = None,
    recharge: str | list[str] | None = "nearest",
    stresses: list[str] | None = None,
    rfunc: str = "Exponential",
    recharge_model: str = "Linear",
    noise: bool = False,
    overwrite: bool = False,
    definition: dict[str, Any] | str | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Build Pastas models from the stored series and store them.

    Without a definition each model is named after its oseries and gets a
    RechargeModel (precipitation and evaporation) and optionally further stresses
    and a noise model. With a definition (YAML text or a dict, see
    docs/definitions.md) the models are those it describes, per oseries or by
    templates; recharge, stresses, rfunc, recharge_model and noise are then not used.
    A model that cannot be built is recorded with its error; the run goes on.

    Args:
        store: The store: the name of a saved Pastas Store block, or a block.
        oseries: Oseries to build a model for; default all oseries in the store.
        pattern: Only oseries whose name matches this glob pattern, e.g. B58*.
        recharge: 'nearest' (the prec and evap stresses nearest to each oseries by
            its x/y metadata), two stress names [prec, evap], or none.
        stresses: Further stresses added to every model (e.g. a pumping well).
        rfunc: Response function of the recharge (a class in pastas.rfunc).
        recharge_model: Recharge model (a class in pastas.recharge), e.g. Linear.
        noise: Add an AR(1) noise model (pastas 2: noise is part of the model).
        overwrite: Rebuild models that exist already (else they are kept as they are).
        definition: A model definition: YAML text (or a path the flow can read) or the
            same as a dict, e.g. {"templates": {"recharge": {"match": "*",
            "stressmodels": {"recharge": {"prec": "nearest prec", "evap":
            "nearest evap"}}}}}. pastastore's YAML is read too.
        workers: Worker processes of the local Dask cluster started for this run.
        threads_per_worker: Threads per worker process; 1 is fastest for pastas.
        cluster_address: Address of an existing Dask scheduler (tcp://host:8786) to
            use instead of a local cluster; its workers need PREFECT_API_URL set.
        batch_size: Models per task; default chosen so orchestration stays a few
            percent of the work.

    Returns:
        Summary: built, failed, failures, seconds, ...

    """
    run = start_run(store, workers, threads_per_worker, cluster_address, batch_size)
    options = build_options(recharge, stresses, rfunc, recharge_model, noise)
    chosen, missing = run.db.select_names("oseries", oseries, pattern)
    if definition is not None:
        result = definition_step(run, definition, chosen, overwrite)
    else:
        result = build_step(run, chosen, options, overwrite)
    extra = {"selected": len(chosen) + len(missing), "missing": missing}
    missing_rows = [{"name": n, "ok": False} for n in missing]
    built = [r["name"] for r in result.rows if r["ok"]]
    return finish(
        run,
        "Build models",
        "build-models",
        {"build": result},
        result.rows + missing_rows,
        extra,
        built,
    )
