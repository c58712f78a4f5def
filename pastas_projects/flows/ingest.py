"""The ``ingest`` flow: write series (CSV files, bundled data, in-memory) into the store."""

from __future__ import annotations

from typing import Any

from prefect import flow

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.datasets import SeriesCollection, load
from pastas_projects.flows._artifacts import finish
from pastas_projects.flows._common import DEFAULT_BLOCK, FlowRun, start_run
from pastas_projects.flows._steps import StepResult, run_step
from pastas_projects.flows.cluster import PastasDaskTaskRunner
from pastas_projects.io import read_metadata_csv
from pastas_projects.store.ingest import IngestItem, items_from_collection, items_from_paths


def ingest_items(
    oseries_paths: list[str] | str | None = None,
    stress_paths: dict[str, list[str] | str] | None = None,
    metadata: dict[str, dict] | None = None,
    metadata_csv: str | None = None,
    dataset: str | None = None,
    data: SeriesCollection | None = None,
) -> list[IngestItem]:
    """The series a flow's ingest parameters name (see :func:`ingest_flow`), stresses first.

    Paths that do not exist become items that fail on their own, so one wrong path
    never stops the others.
    """
    meta = (read_metadata_csv(metadata_csv) if metadata_csv else {}) | dict(metadata or {})
    items: list[IngestItem] = []
    for source in (load(dataset) if dataset else None, data):
        if source is not None:
            items += items_from_collection(SeriesCollection.of(source), meta)
    for kind, paths in (stress_paths or {}).items():
        items += items_from_paths(kind, paths, meta, must_exist=False)
    items += items_from_paths("oseries", oseries_paths or [], meta, must_exist=False)
    return items


def ingest_step(
    run: FlowRun, items: list[IngestItem], csv_options: dict | None, update: bool = False
) -> StepResult:
    """Run the ingest step (shared by ``ingest`` and ``calibrate``)."""
    options = {"csv_options": dict(csv_options or {}), "update": update}
    return run_step(run, "ingest", items, options, "series")


@flow(name="ingest", task_runner=PastasDaskTaskRunner(follow_parameters=True), persist_result=False)
def ingest_flow(
    store: PastasStoreBlock | str = DEFAULT_BLOCK,
    oseries_paths: list[str] | None = None,
    stress_paths: dict[str, list[str]] | None = None,
    metadata: dict[str, dict[str, Any]] | None = None,
    metadata_csv: str | None = None,
    csv_options: dict[str, Any] | None = None,
    dataset: str | None = None,
    data: SeriesCollection | None = None,
    update: bool = False,
    workers: int = 2,
    threads_per_worker: int = 1,
    cluster_address: str | None = None,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Write head and stress series into the store, in batches on a Dask cluster.

    The same code as ``pastas-projects ingest``: a series that did not change is left
    alone (running again changes nothing), a changed one replaces the stored one and
    makes the models that use it stale. Stored metadata is kept and updated. A file
    that cannot be read or a series that is not valid is listed in the failures; the
    rest goes on.

    Args:
        store: The store: the name of a saved Pastas Store block, or a block.
        oseries_paths: Head series: CSV files, folders (all their *.csv) or glob
            patterns; each series is named after its file. Paths must be readable by
            the workers.
        stress_paths: Stress series by kind, e.g. {"prec": ["meteo/rain_*.csv"],
            "evap": [...]}.
        metadata: Metadata per series name, e.g. {"B58C0698001": {"x": 165000,
            "y": 385000}}; x/y let models find their nearest meteo.
        metadata_csv: CSV table of metadata: a 'name' column (or else the first
            column) with the series name, the other columns keys such as x and y.
        csv_options: Options of pastas_projects.io.read_csv, e.g. {"unit": "cm->m"}.
        dataset: A bundled data set: 'examples' or 'synthetic:N[:SEED]'.
        data: Series in memory (Python callers): a SeriesCollection.
        update: Append the values to the stored series instead of replacing them: for
            files that hold only the newest rows. A value that differs from the
            stored one under the same timestamp fails that series (nothing of it is
            written); a series not in the store yet is added.
        workers: Worker processes of the local Dask cluster started for this run.
        threads_per_worker: Threads per worker process.
        cluster_address: Address of an existing Dask scheduler (tcp://host:8786) to
            use instead of a local cluster; its workers need PREFECT_API_URL set.
        batch_size: Series per task; default chosen so orchestration stays a few
            percent of the work.

    Returns:
        Summary: ingested, changed, failed, failures, seconds, ...

    """
    run = start_run(store, workers, threads_per_worker, cluster_address, batch_size)
    items = ingest_items(oseries_paths, stress_paths, metadata, metadata_csv, dataset, data)
    result = ingest_step(run, items, csv_options, update)
    return finish(run, "Ingest series", "ingest", {"ingest": result}, result.rows)
