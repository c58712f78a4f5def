"""The ``build-models`` flow: build and store one model per oseries, in bulk on Dask."""

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
    select_names,
    ui_flow,
)
from pastas_projects.flows.report import finish
from pastas_projects.flows.runner import StepResult, run_step
from pastas_projects.tasks.build import normalise_recharge


def build_step(
    runner: Any,
    block: PastasStoreBlock,
    oseries: list[str],
    since: str,
    options: dict[str, Any],
    overwrite: bool,
    batch_size: int | None,
) -> StepResult:
    """Run the build step (shared by ``build-models`` and ``calibrate``).

    Without ``overwrite``, oseries that have a model already are not sent to the
    workers at all; they are reported as ``skipped``.
    """
    existing = set() if overwrite else set(block.get_project().db.model_names)
    todo = [o for o in oseries if o not in existing]
    result = run_step(
        runner,
        "build",
        block,
        todo,
        options | {"overwrite": overwrite, "since": since},
        batch_size,
        "models",
    )
    kept = [o for o in oseries if o in existing]
    result.rows += [
        {
            "name": o,
            "ok": True,
            "step": "build",
            "seconds": 0.0,
            "error": None,
            "statistics": {},
            "skipped": True,
            "reused": False,
        }
        for o in kept
    ]
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


@ui_flow(
    name="build-models",
    task_runner=PastasDaskTaskRunner(follow_parameters=True),
    persist_result=False,
    log_prints=False,
)
def build_models_flow(
    store: PastasStoreBlock | str = DEFAULT_STORE,
    oseries: list[str] | None = None,
    pattern: str | None = None,
    recharge: str | list[str] | None = "nearest",
    stresses: list[str] | None = None,
    rfunc: str = "Exponential",
    recharge_model: str = "Linear",
    noise: bool = False,
    overwrite: bool = False,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Build one Pastas model per oseries from the stored series and store it.

    Each model is named after its oseries and gets a RechargeModel (precipitation
    and evaporation) and optionally further stresses and a noise model. A model that
    cannot be built is recorded with its error; the run goes on.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store: the name of a saved Pastas Store block, or a block.
    oseries : list of str, optional
        Oseries to build a model for; default all oseries in the store.
    pattern : str, optional
        Only oseries whose name matches this glob pattern, e.g. ``B58*``.
    recharge : str or list of str, optional
        ``nearest`` (the ``prec`` and ``evap`` stresses nearest to each oseries by its
        x/y metadata), two stress names ``[prec, evap]``, or none.
    stresses : list of str, optional
        Further stresses added to every model (e.g. a pumping well).
    rfunc : str
        Response function of the recharge (a class in ``pastas.rfunc``).
    recharge_model : str
        Recharge model (a class in ``pastas.recharge``), e.g. ``Linear``.
    noise : bool
        Add an AR(1) noise model (pastas 2: noise is part of the model).
    overwrite : bool
        Rebuild models that exist already (else they are kept as they are).
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
        Summary: ``built``, ``failed``, ``failures``, ``seconds``, ...

    """
    started, since = time.perf_counter(), utc_now()
    check_positive(workers=workers, threads_per_worker=threads_per_worker, batch_size=batch_size)
    logger = get_run_logger()
    block = resolve_store(store)
    logger.info("store %s", block.display_uri)
    options = build_options(recharge, stresses, rfunc, recharge_model, noise)
    runner = flow_task_runner(workers, threads_per_worker, cluster_address)
    db = block.get_project().db
    chosen, missing = select_names(db.oseries_names, oseries, pattern)
    result = build_step(runner, block, chosen, since, options, overwrite, batch_size)
    extra = {"selected": len(chosen) + len(missing), "missing": missing}
    missing_rows = [{"name": n, "ok": False} for n in missing]
    built = [r["name"] for r in result.rows if r["ok"]]
    return finish(
        "Build models",
        "build-models",
        block,
        {"build": result},
        result.rows + missing_rows,
        started,
        runner,
        extra,
        built,
    )
