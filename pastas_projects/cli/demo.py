"""``pastas-projects demo``: calibrate the bundled real series and synthetic ones on Dask.

>>> from pastas_projects.cli.demo import run_demo
>>> summary = run_demo("lmdb://./pastas_data", n_synthetic=300, workers=2)  # doctest: +SKIP

Callable without the command line; ``pastas-projects demo`` calls :func:`run_demo`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pastas_projects.cli._common import (
    DEFAULT_NAME,
    DEFAULT_STORE_URI,
    NameOption,
    StoreOption,
    ThreadsOption,
    WorkersOption,
    handle_errors,
    open_project,
    shown_uri,
)
from pastas_projects.cli.root import app

if TYPE_CHECKING:
    import pandas as pd

    from pastas_projects.project import PastasProject

STATISTICS = ["evp", "rsq", "rmse", "nse", "kge", "aic"]
"""Fit statistics shown for the real-series models."""


def statistics_table(project: PastasProject, names: list[str]) -> pd.DataFrame:
    """Fit statistics and status of models, one row per model."""
    info = project.db.get_model_info(names)
    table = project.get_statistics(STATISTICS, names)
    table.insert(0, "status", info["status"])
    return table


def write_demo_picture(project: PastasProject, report_path: str | None) -> Path | None:
    """Write ``overview.png`` (EVP map, checks map, histogram) next to the run's report."""
    import warnings

    from pastas_projects.flows._pictures import reports_dir
    from pastas_projects.plotting import write_overview

    folder = Path(report_path).parent if report_path else reports_dir()
    if folder is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report lists what was left out
        return write_overview(project, folder / "overview.png")


@app.command()
@handle_errors
def demo(
    store: StoreOption = DEFAULT_STORE_URI,
    synthetic: Annotated[
        int, typer.Option(min=0, help="Synthetic head series (and models) besides the real ones.")
    ] = 300,
    workers: WorkersOption = 2,
    threads_per_worker: ThreadsOption = 1,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic series.")] = 0,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Calibrate the bundled real series plus synthetic ones, as a Prefect flow on Dask.

    Starts a Prefect server on 127.0.0.1 when PREFECT_API_URL is not set (and stops
    it at the end), stores the series in the store, builds and solves all models on a
    local Dask cluster and prints the fit statistics and throughput.
    """
    run_demo(store, synthetic, workers, threads_per_worker, seed, name)


def run_demo(
    store: str = DEFAULT_STORE_URI,
    n_synthetic: int = 300,
    workers: int = 2,
    threads_per_worker: int = 1,
    seed: int = 0,
    name: str = DEFAULT_NAME,
) -> dict[str, Any]:
    """Run the demo and print what it did.

    1. Use the Prefect server of ``PREFECT_API_URL`` (or of ``server start``), else
       start one on 127.0.0.1 for the duration of the demo (exported before the Dask
       cluster starts).
    2. Save a :class:`~pastas_projects.blocks.PastasStoreBlock` for the store.
    3. Run ``calibrate_flow`` on a local Dask cluster with the real example series
       (:func:`~pastas_projects.datasets.load_examples`) and ``n_synthetic`` synthetic
       heads as in-memory data: ingest them (unchanged series are not written again),
       build the missing models and solve all of them.
    4. Print the fit statistics of the real-series models, counts, time, throughput
       and failures, the report the flow wrote (``./pastas_reports``), an overview
       picture next to it (``overview.png``) and the address of the Prefect UI.

    Parameters
    ----------
    store : str
        Store URI.
    n_synthetic : int
        Synthetic heads besides the real ones.
    workers, threads_per_worker : int
        Size of the local Dask cluster.
    seed : int
        Seed of the synthetic heads.
    name : str
        Connector name.

    Returns
    -------
    dict
        The flow's summary.

    """
    from pastas_projects.cli._common import quiet_prefect
    from pastas_projects.cli._prefect import (
        call_flow,
        prefect_session,
        print_summary,
        run_url,
        save_store_block,
        summary_on_failure,
        ui_url,
    )
    from pastas_projects.datasets import SeriesCollection, load_examples, synthetic
    from pastas_projects.flows import calibrate_flow

    total = time.perf_counter()
    typer.echo(f"Store: {shown_uri(store)}")
    project = open_project(store, name, must_exist=False)
    examples = load_examples()
    synthetic_data = synthetic(n_synthetic, seed)
    data = SeriesCollection.of(examples, synthetic_data)
    real = sorted(examples.oseries)
    models = real + sorted(synthetic_data.oseries)
    with prefect_session() as (url, started), quiet_prefect(), summary_on_failure("calibrate"):
        block = save_store_block(store, name)
        typer.echo(
            f"Calibrating {len(real)} real and {n_synthetic} synthetic head series "
            f"(ingest, build, solve) with Prefect on a local Dask cluster of {workers} "
            f"worker(s) x {threads_per_worker} thread(s) ..."
        )
        summary = call_flow(
            calibrate_flow,
            store=block,
            data=data,
            names=models,
            only_changed=False,
            workers=workers,
            threads_per_worker=threads_per_worker,
        )
        typer.echo("")
        typer.echo(
            "Fit of the real-series models (evp in %; rmse in m; rsq, nse, kge: 1 is perfect):"
        )
        table = statistics_table(project, [m for m in real if m in project.db.model_names])
        typer.echo(table.to_string(float_format=lambda v: f"{v:9.3f}"))
        typer.echo("")
        print_summary(summary, "calibrate")
        typer.echo("")
        run = summary.get("flow_run_id")
        report_path = (summary.get("artifacts") or {}).get("report_path")
        if report_path:
            typer.echo(f"Report (open it in a browser): {report_path}")
        picture = write_demo_picture(project, report_path)
        if picture is not None:
            typer.echo(f"Overview picture: {picture}")
        typer.echo(f"Prefect UI: {ui_url(url)}")
        typer.echo(
            f"  this run (artifacts tab: pictures, statistics, checks, failures, summary): "
            f"{run_url(url, run)}"
        )
        if started:
            typer.echo(
                "  The Prefect server stops when the demo ends. Keep one running with "
                "`pastas-projects server start` (the demo then uses it)."
            )
        else:
            typer.echo("  The Prefect server was already running and keeps running.")
    typer.echo(f"Demo done in {time.perf_counter() - total:.1f} s.")
    return summary
