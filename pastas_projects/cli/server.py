"""``pastas-projects server start|stop|status``: a local Prefect server on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pastas_projects.cli._common import handle_errors
from pastas_projects.cli.root import app as root_app

app = typer.Typer(
    help="Start, stop or check a local Prefect server on 127.0.0.1 (state kept in --home).",
    no_args_is_help=True,
)
root_app.add_typer(app, name="server")

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="PASTAS_PROJECTS_PREFECT_HOME",
        help="Server home: its database, log and state file (default: ./.prefect).",
        show_envvar=True,
    ),
]


def _describe(api_url: str, ui_url: str) -> None:
    typer.echo(f"  UI:   {ui_url}")
    typer.echo(f"  API:  {api_url}")
    typer.echo("Point Prefect commands and flows in other shells at it with:")
    typer.echo(f"  export PREFECT_API_URL={api_url}")


@app.command("start")
@handle_errors
def start(
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1 (default: a free port).")
    ] = None,
    home: HomeOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server.")] = 90,
) -> None:
    """Start a Prefect server in the background; it runs until `server stop`."""
    from pastas_projects.prefect_server import server_status, start_server

    running = server_status(home)
    if running is not None and running.healthy():
        typer.echo(f"A Prefect server already runs for {running.home} (pid {running.pid}):")
        _describe(running.api_url, running.ui_url)
        return
    typer.echo("Starting a Prefect server on 127.0.0.1 (a new database is set up first) ...")
    server = start_server(port=port, home=home, timeout=timeout)
    typer.echo(f"Prefect server started in {server.startup_seconds:.1f} s (pid {server.pid}):")
    _describe(server.api_url, server.ui_url)
    typer.echo(f"  home: {server.home} (database, {server.log_path.name})")
    typer.echo("Stop it with: pastas-projects server stop" + _home_arg(home))


def _home_arg(home: Path | None) -> str:
    return f" --home {home}" if home is not None else ""


@app.command("stop")
@handle_errors
def stop(home: HomeOption = None) -> None:
    """Stop the server started by `server start`."""
    from pastas_projects.prefect_server import default_home, server_status

    server = server_status(home)
    if server is None:
        typer.echo(f"No Prefect server runs for {default_home(home)}.")
        return
    server.stop()
    typer.echo(f"Stopped the Prefect server at {server.ui_url} (pid {server.pid}).")


@app.command("status")
@handle_errors
def status(home: HomeOption = None) -> None:
    """Whether a server started by `server start` runs, and its address."""
    from pastas_projects.prefect_server import default_home, server_status

    server = server_status(home)
    if server is None:
        typer.echo(f"No Prefect server runs for {default_home(home)}.")
        typer.echo("Start one with: pastas-projects server start" + _home_arg(home))
        raise typer.Exit(3)
    health = "healthy" if server.healthy() else "NOT answering /health"
    typer.echo(f"A Prefect server runs for {server.home} (pid {server.pid}, {health}):")
    _describe(server.api_url, server.ui_url)
