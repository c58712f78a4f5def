"""The ``pastas-projects`` command line.

``pastas-projects demo`` runs the whole pipeline on the embedded store; the other
commands manage a store given as a URI (``--store`` or ``$PASTAS_PROJECTS_STORE``)
and run the Prefect flows on it. Errors in the input (bad URI, missing files, an
unreachable database) print one ``Error: ...`` line and exit with code 1; set
``PASTAS_PROJECTS_DEBUG=1`` for a traceback.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pastas_projects import cli_server
from pastas_projects.cli_common import (
    CONSOLE_LEVEL_ENV,
    DEFAULT_NAME,
    DEFAULT_STORE,
    BatchOption,
    ClusterOption,
    NameOption,
    StoreOption,
    ThreadsOption,
    WorkersOption,
    echo_table,
    handle_errors,
    open_project,
    split_names,
)

app = typer.Typer(
    name="pastas-projects",
    help="Keep Pastas groundwater models and series in a store and calibrate them in bulk "
    "with Prefect on Dask.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.add_typer(cli_server.app, name="server")


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show Prefect and Dask logs in the terminal.")
    ] = False,
) -> None:
    """Keep Pastas groundwater models and series in a store and calibrate them in bulk."""
    if not verbose and CONSOLE_LEVEL_ENV not in os.environ:
        os.environ[CONSOLE_LEVEL_ENV] = "WARNING"  # before Prefect is imported
        ctx.call_on_close(lambda: os.environ.pop(CONSOLE_LEVEL_ENV, None))


class Kind(StrEnum):
    """Kinds of series ``ingest`` reads."""

    oseries = "oseries"
    prec = "prec"
    evap = "evap"
    well = "well"


# ---------------------------------------------------------------------- demo
@app.command()
@handle_errors
def demo(
    store: StoreOption = DEFAULT_STORE,
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
    from pastas_projects.demo import run_demo

    run_demo(store, synthetic, workers, threads_per_worker, seed, name)


# ---------------------------------------------------------------------- store
@app.command()
@handle_errors
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="CSV files (one series each) or folders of CSV files.", metavar="PATH..."
        ),
    ],
    store: StoreOption = DEFAULT_STORE,
    kind: Annotated[
        Kind, typer.Option(help="oseries (heads) or the kind of stress.")
    ] = Kind.oseries,
    metadata_csv: Annotated[
        Path | None,
        typer.Option(help="CSV with a 'name' column (file name without .csv) and x, y, ..."),
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Unit conversion of the values, e.g. cm->m or m/d->mm/d.")
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(help="Replace stored series whose values changed (their models go stale)."),
    ] = True,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Read CSV files into the store; a series is named after its file."""
    from pastas_projects.cli_store import ingest, read_metadata_csv

    kind = kind.value
    metadata = read_metadata_csv(metadata_csv) if metadata_csv is not None else None
    project = open_project(store, name, must_exist=False)
    report = ingest(project, paths, kind, metadata, unit, overwrite)
    what = "oseries" if kind == "oseries" else f"stresses (kind {kind})"
    typer.echo(
        f"{what}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.failed)} failed"
    )
    if report.updated:
        typer.echo("Models using updated series are stale: `pastas-projects solve --only-changed`.")
    if report.unused_metadata:
        typer.echo(f"({len(report.unused_metadata)} metadata rows are for series not in PATHS)")
    for path, error in report.failed.items():
        text = error if path in error else f"{path}: {error}"
        typer.secho(f"  failed: {text}", err=True, fg=typer.colors.RED)
    if report.failed:
        raise typer.Exit(1)


@app.command()
@handle_errors
def status(
    store: StoreOption = DEFAULT_STORE,
    name: NameOption = DEFAULT_NAME,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Counts of series and models, and how many are solved, failed or stale."""
    from pastas_projects.cli_common import absolute_uri
    from pastas_projects.cli_store import status_rows, store_status

    project = open_project(store, name)
    counts = store_status(project)
    if as_json:
        typer.echo(json.dumps(counts))
        return
    typer.echo(f"Store {absolute_uri(store)} (connector {name!r}):")
    echo_table(status_rows(counts))


# ---------------------------------------------------------------------- flows
@app.command()
@handle_errors
def calibrate(
    store: StoreOption = DEFAULT_STORE,
    filter_: Annotated[
        str | None,
        typer.Option("--filter", "-f", help="Only oseries matching a glob, e.g. 'B58*'."),
    ] = None,
    only_changed: Annotated[
        bool, typer.Option("--only-changed/--all", help="Solve only unsolved/stale models.")
    ] = True,
    noise: Annotated[
        bool, typer.Option("--noise", help="Add an AR(1) noise model to new models.")
    ] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild models that exist already.")
    ] = False,
    workers: WorkersOption = 2,
    threads_per_worker: ThreadsOption = 1,
    cluster: ClusterOption = None,
    batch_size: BatchOption = None,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Build a model for every oseries that has none, then solve (the calibrate flow).

    New models get a RechargeModel (Exponential, Linear) with the precipitation and
    evaporation stresses nearest to the oseries (x/y metadata).
    """
    from pastas_projects.cli_flows import run_calibrate

    run_calibrate(
        store,
        name,
        pattern=filter_,
        only_changed=only_changed,
        noise=noise,
        rebuild=rebuild,
        workers=workers,
        threads_per_worker=threads_per_worker,
        cluster_address=cluster,
        batch_size=batch_size,
    )


@app.command()
@handle_errors
def solve(
    store: StoreOption = DEFAULT_STORE,
    models: Annotated[
        str | None, typer.Option("--models", "-m", help="Comma-separated model names.")
    ] = None,
    filter_: Annotated[
        str | None, typer.Option("--filter", "-f", help="Glob of model names, e.g. 'B58*'.")
    ] = None,
    only_changed: Annotated[
        bool,
        typer.Option("--only-changed/--all", help="Solve only unsolved, failed or stale models."),
    ] = False,
    noise: Annotated[
        bool, typer.Option("--noise", help="Give models without one an AR(1) noise model first.")
    ] = False,
    solver: Annotated[
        str | None, typer.Option(help="pastas solver: LeastSquares (default), Lmfit, Emcee.")
    ] = None,
    tmin: Annotated[str | None, typer.Option(help="Start of the calibration period.")] = None,
    tmax: Annotated[str | None, typer.Option(help="End of the calibration period.")] = None,
    workers: WorkersOption = 2,
    threads_per_worker: ThreadsOption = 1,
    cluster: ClusterOption = None,
    batch_size: BatchOption = None,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Solve stored models (the solve-models flow) and store the results."""
    from pastas_projects.cli_flows import run_solve

    if models and filter_:
        raise typer.BadParameter("give --models or --filter, not both", param_hint="--models")
    run_solve(
        store,
        name,
        models=split_names(models),
        pattern=filter_,
        only_changed=only_changed,
        noise=noise,
        solver=solver,
        solve_options={k: v for k, v in (("tmin", tmin), ("tmax", tmax)) if v} or None,
        workers=workers,
        threads_per_worker=threads_per_worker,
        cluster_address=cluster,
        batch_size=batch_size,
    )


@app.command()
@handle_errors
def serve(
    store: StoreOption = DEFAULT_STORE,
    cron: Annotated[str, typer.Option(help="Schedule of the nightly calibrate.")] = "0 2 * * *",
    timezone: Annotated[str, typer.Option(help="Time zone of --cron.")] = "Europe/Amsterdam",
    workers: WorkersOption = 2,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Serve the deployments 'calibrate' (nightly) and 'solve-models' (run from the UI).

    Runs in the foreground until Ctrl-C; no work pool or worker needed. Uses the
    Prefect server of PREFECT_API_URL, or one started by `server start`, or starts one.
    """
    from pastas_projects.cli_flows import serve_deployments

    serve_deployments(store, name, cron=cron, timezone=timezone, workers=workers)


@app.command("block")
@handle_errors
def block(
    store: StoreOption = DEFAULT_STORE,
    block_name: Annotated[
        str | None,
        typer.Option("--block-name", help="Name to save it under (default: derived from --store)."),
    ] = None,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Save a PastasStoreBlock for the store on the Prefect server (PREFECT_API_URL)."""
    from pastas_projects.cli_common import absolute_uri, save_store_block
    from pastas_projects.cli_flows import require_api_url

    require_api_url()
    saved = save_store_block(store, name, block_name)
    typer.echo(f"Saved Pastas Store block {saved!r} for {absolute_uri(store)}.")
    typer.echo(f"Flows and deployments take it as store={saved!r}.")


if __name__ == "__main__":  # pragma: no cover
    app()
