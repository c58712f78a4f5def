"""The ``ingest`` flow: write series (CSV files, bundled data, in-memory) into the store."""

from __future__ import annotations

import time
from typing import Any

from prefect import get_run_logger

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.flows.cluster import PastasDaskTaskRunner, flow_task_runner
from pastas_projects.flows.common import DEFAULT_STORE, check_positive, resolve_store, ui_flow
from pastas_projects.flows.inputs import SeriesData, ingest_items
from pastas_projects.flows.report import finish
from pastas_projects.flows.runner import StepResult, run_step


def ingest_step(
    runner: Any,
    block: PastasStoreBlock,
    items: list[dict[str, Any]],
    csv_options: dict[str, Any] | None,
    batch_size: int | None,
) -> StepResult:
    """Run the ingest step (shared by ``ingest`` and ``calibrate``)."""
    options = {"csv_options": dict(csv_options or {})}
    return run_step(runner, "ingest", block, items, options, batch_size, "series")


@ui_flow(
    name="ingest", task_runner=PastasDaskTaskRunner(follow_parameters=True), persist_result=False
)
def ingest_flow(
    store: PastasStoreBlock | str = DEFAULT_STORE,
    oseries_paths: list[str] | None = None,
    stress_paths: dict[str, list[str]] | None = None,
    metadata: dict[str, dict[str, Any]] | None = None,
    metadata_csv: str | None = None,
    csv_options: dict[str, Any] | None = None,
    dataset: str | None = None,
    data: SeriesData | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Write head and stress series into the store, in batches on a Dask cluster.

    Series are written with ``overwrite=True, force=True``: a series that did not
    change is left alone (running again changes nothing), a changed one replaces
    the stored one and makes the models that use it stale. A file that cannot be
    read or a series that is not valid is listed in the failures; the rest goes on.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store: the name of a saved Pastas Store block, or a block.
    oseries_paths : list of str, optional
        Head series: CSV files, folders (all their ``*.csv``) or glob patterns; each
        series is named after its file. Paths must be readable by the workers.
    stress_paths : dict, optional
        Stress series by kind, e.g. ``{"prec": ["meteo/rain_*.csv"], "evap": [...]}``.
    metadata : dict, optional
        Metadata per series name, e.g. ``{"B58C0698001": {"x": 165000, "y": 385000}}``;
        ``x``/``y`` let models find their nearest precipitation and evaporation.
    metadata_csv : str, optional
        CSV table of metadata: the first column the series name, the others keys
        such as ``x`` and ``y``.
    csv_options : dict, optional
        Options of ``pastas_projects.io.read_csv``, e.g. ``{"unit": "cm->m"}``.
    dataset : str, optional
        A bundled data set: ``examples`` or ``synthetic:N[:SEED]``.
    data : SeriesData, optional
        In-memory series (Python callers): ``SeriesData.of(collection)``.
    workers : int
        Worker processes of the local Dask cluster started for this run.
    threads_per_worker : int
        Threads per worker process.
    cluster_address : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to use instead of
        a local cluster; its workers need ``PREFECT_API_URL`` set.
    batch_size : int, optional
        Series per task; default chosen so orchestration stays a few percent.

    Returns
    -------
    dict
        Summary: ``ingested``, ``changed``, ``failed``, ``failures``, ``seconds``, ...

    """
    started = time.perf_counter()
    check_positive(workers=workers, threads_per_worker=threads_per_worker, batch_size=batch_size)
    logger = get_run_logger()
    block = resolve_store(store)
    logger.info("store %s", block.display_uri)
    items = ingest_items(oseries_paths, stress_paths, metadata, metadata_csv, dataset, data)
    runner = flow_task_runner(workers, threads_per_worker, cluster_address)
    result = ingest_step(runner, block, items, csv_options, batch_size)
    return finish(
        "Ingest series", "ingest", block, {"ingest": result}, result.rows, started, runner
    )
