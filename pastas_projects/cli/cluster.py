"""``pastas-projects cluster start|stop|status``: a warm Dask cluster that commands reuse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pastas_projects.cli._common import ThreadsOption, WorkersOption, handle_errors
from pastas_projects.cli.root import app as root_app

app = typer.Typer(
    help="Start, stop or check a warm Dask cluster on this machine that flow runs reuse "
    "(state kept in --home, beside the Prefect server's).",
    no_args_is_help=True,
)
root_app.add_typer(app, name="cluster")

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="PASTAS_PROJECTS_PREFECT_HOME",
        help="Home of the local services: state file and log (default: ./.prefect).",
        show_envvar=True,
    ),
]


@app.command("start")
@handle_errors
def start(
    workers: WorkersOption = 2,
    threads_per_worker: ThreadsOption = 1,
    home: HomeOption = None,
) -> None:
    """Start a warm cluster in the background; it runs until `cluster stop`.

    Its workers report to the Prefect API of PREFECT_API_URL or of `server start`.
    Every flow run on this machine that uses the same API and is given no --cluster
    runs on it: no cluster to start, workers that have pastas imported and warm.
    """
    from pastas_projects.cli._prefect import require_api_url
    from pastas_projects.flows.warm_cluster import cluster_status, start_cluster

    running = cluster_status(home)
    if running is not None:
        typer.echo(f"A warm cluster runs already at {running.address} (pid {running.pid}).")
        return
    api_url = require_api_url()
    typer.echo(f"Starting a warm Dask cluster of {workers} worker(s) for {api_url} ...")
    cluster = start_cluster(workers, threads_per_worker, home)
    typer.echo(f"Warm cluster at {cluster.address} (pid {cluster.pid}).")
    typer.echo("Flow runs of this machine use it now. Stop it with: pastas-projects cluster stop")


@app.command("stop")
@handle_errors
def stop(home: HomeOption = None) -> None:
    """Stop the warm cluster started by `cluster start`."""
    from pastas_projects.flows.warm_cluster import cluster_status

    cluster = cluster_status(home)
    if cluster is None:
        typer.echo("No warm cluster runs.")
        return
    cluster.stop()
    typer.echo(f"Stopped the warm cluster at {cluster.address} (pid {cluster.pid}).")


@app.command("status")
@handle_errors
def status(home: HomeOption = None) -> None:
    """Whether a warm cluster runs, where, and for which Prefect API (exit 3: none)."""
    from pastas_projects.flows.warm_cluster import cluster_status

    cluster = cluster_status(home)
    if cluster is None:
        typer.echo("No warm cluster runs. Start one with: pastas-projects cluster start")
        raise typer.Exit(3)
    health = "answering" if cluster.healthy() else "NOT answering"
    typer.echo(
        f"A warm cluster runs at {cluster.address} (pid {cluster.pid}, {health}): "
        f"{cluster.workers} worker(s) x {cluster.threads_per_worker} thread(s), "
        f"reporting to {cluster.api_url}"
    )
