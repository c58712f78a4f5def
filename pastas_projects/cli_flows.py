"""Prefect side of the command line: run the flows, print their summaries, serve them."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from typing import Any

import typer

from pastas_projects.cli_common import (
    CLIError,
    absolute_uri,
    echo_table,
    open_project,
    quiet_prefect,
    save_store_block,
)


# ---------------------------------------------------------------------- the server
def require_api_url() -> str:
    """Return the Prefect API to use, without starting a server.

    ``PREFECT_API_URL`` (or the active profile's), else the server of
    ``pastas-projects server start`` (exported for this process).

    Raises
    ------
    CLIError
        When there is neither.

    """
    from pastas_projects.prefect_server import configured_api_url, server_status, set_api_url

    url = configured_api_url()
    if url:
        return check_api(url)
    server = server_status()
    if server is not None and server.healthy():
        set_api_url(server.api_url)
        return server.api_url
    raise CLIError(
        "no Prefect server: start one with `pastas-projects server start` (or "
        "`prefect server start`) and export the PREFECT_API_URL it prints"
    )


def check_api(url: str) -> str:
    """Return ``url`` if a Prefect API answers there, else raise :class:`CLIError`."""
    from pastas_projects.prefect_server import is_healthy

    if not is_healthy(url, timeout=5):
        raise CLIError(
            f"no Prefect API answers at PREFECT_API_URL={url}; start that server, or "
            "unset PREFECT_API_URL to use `pastas-projects server start` or a temporary one"
        )
    return url


@contextlib.contextmanager
def prefect_session(verbose: bool = True) -> Iterator[tuple[str, bool]]:
    """Use the configured Prefect server, or start one on loopback for this command.

    Yields
    ------
    (str, bool)
        The API URL and whether this command started the server (and will stop it).

    """
    from pastas_projects.prefect_server import configured_api_url, server_status

    configured = configured_api_url()
    if configured:
        check_api(configured)
    running = None if configured else server_status()
    reused = configured is not None or (running is not None and running.healthy())
    if not reused and verbose:
        typer.echo(
            "Starting a local Prefect server on 127.0.0.1 for this command (keep one "
            "running with `pastas-projects server start`) ..."
        )
    from pastas_projects.prefect_server import ensure_server

    start = time.perf_counter()
    with ensure_server() as url:
        if not reused and verbose:
            typer.echo(
                f"Prefect server ready in {time.perf_counter() - start:.1f} s: {ui_url(url)}"
            )
        yield url, not reused


def ui_url(api_url: str) -> str:
    """UI address of a Prefect API URL (``http://host:port/api`` -> ``http://host:port``)."""
    return api_url.rstrip("/").removesuffix("/api")


# ---------------------------------------------------------------------- flows
def get_flow(attr: str) -> Any:
    """Import a flow of :mod:`pastas_projects.flows` by name, e.g. ``"solve_models_flow"``."""
    try:
        from pastas_projects import flows

        return getattr(flows, attr)
    except (ImportError, AttributeError) as err:
        raise CLIError(f"the Prefect flow {attr} cannot be imported: {err}") from err


def call_flow(flow: Any, **params: Any) -> Any:
    """Call a flow with the parameters it accepts (``None`` values are left out)."""
    accepted = set(flow.parameters.properties)
    unknown = [k for k, v in params.items() if v is not None and k not in accepted]
    if unknown:
        raise CLIError(f"flow {flow.name!r} takes no parameter(s) {', '.join(unknown)}")
    return flow(**{k: v for k, v in params.items() if v is not None})


def run_calibrate(store: str, name: str, **params: Any) -> dict:
    """Run ``calibrate_flow`` on the store (through a saved block) and print its summary."""
    open_project(store, name)  # a clear error for a missing or unreachable store first
    with prefect_session() as (url, _), quiet_prefect(), summary_on_failure("calibrate"):
        block = save_store_block(store, name)
        summary = call_flow(get_flow("calibrate_flow"), store=block, **params)
        print_summary(summary, "calibrate")
        typer.echo(f"Flow run: {ui_url(url)}/runs/flow-run/{summary.get('flow_run_id')}")
    return summary


def run_solve(
    store: str,
    name: str,
    models: list[str] | None = None,
    pattern: str | None = None,
    noise: bool = False,
    **params: Any,
) -> dict:
    """Run ``solve_models_flow`` on the store and print its summary.

    With ``noise`` the selected models without a noise model get an AR(1) noise
    model first (they are stored unsolved, so ``only_changed`` solves them too).
    """
    from pastas_projects.cli_store import add_noise_models, select_models

    project = open_project(store, name)
    selected = select_models(project, models, pattern)
    flow = get_flow("solve_models_flow")
    if noise and "noise" not in flow.parameters.properties:
        added = add_noise_models(project, selected)
        typer.echo(f"Added an AR(1) noise model to {added} of {len(selected)} selected models.")
        noise = None
    with prefect_session() as (url, _), quiet_prefect(), summary_on_failure("solve"):
        block = save_store_block(store, name)
        summary = call_flow(
            flow, store=block, **_selection(flow, models, pattern), noise=noise or None, **params
        )
        print_summary(summary, "solve")
        typer.echo(f"Flow run: {ui_url(url)}/runs/flow-run/{summary.get('flow_run_id')}")
    return summary


def _selection(flow: Any, models: list[str] | None, pattern: str | None) -> dict[str, Any]:
    """Map ``--models``/``--filter`` onto the flow's parameter names."""
    accepted = set(flow.parameters.properties)
    out: dict[str, Any] = {}
    if models:
        key = next((k for k in ("names", "models", "model_names") if k in accepted), "names")
        out[key] = models
    if pattern:
        key = next(
            (k for k in ("pattern", "filter", "glob", "name_filter") if k in accepted), "pattern"
        )
        out[key] = pattern
    return out


# ---------------------------------------------------------------------- output
def _num(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_summary(summary: Any, what: str) -> None:
    """Print a flow's summary: counts, time, throughput and the first failures."""
    if not isinstance(summary, Mapping):
        typer.echo(f"{what}: {summary}")
        return
    steps = summary.get("steps") or {}
    rows: list[tuple[str, str, str]] = []
    selected, up_to_date = summary.get("selected"), summary.get("up_to_date") or 0
    if selected is not None:
        rows.append(("models selected", str(selected), f"{up_to_date} up to date, skipped"))
    notes = {"ingested": f"{summary.get('changed', 0)} new or changed"}
    for key in ("ingested", "built", "solved", "failed"):
        if key in summary and (summary[key] or key in ("solved", "failed")):
            rows.append((key, str(summary[key]), notes.get(key, "")))
    rows.append(
        (
            "time",
            f"{_num(summary.get('seconds'))} s",
            f"incl. {_num(summary.get('cluster_seconds'))} s starting the Dask cluster",
        )
    )
    for step, info in steps.items():
        rows.append(
            (
                f"  {step}",
                f"{_num(info.get('seconds'))} s",
                f"{info.get('total', 0)} items, {_num(info.get('per_second'))} per s",
            )
        )
    rows.append(
        (
            "throughput",
            f"{_num(summary.get('models_per_second'))} models/s",
            f"{summary.get('workers', '?')} worker threads, {summary.get('batches', '?')} batches",
        )
    )
    typer.echo(f"{what}: {summary.get('headline', '')}")
    echo_table(rows)
    failures = list(summary.get("failures") or [])
    if failures:
        typer.echo(f"Failures ({len(failures)}):")
        for item in failures[:10]:
            if isinstance(item, Mapping):
                text = f"{item.get('name')} ({item.get('step')}): {item.get('error')}"
            else:
                text = str(item)
            typer.echo(f"  {text[:200]}")
        if len(failures) > 10:
            typer.echo(
                f"  ... and {len(failures) - 10} more (pastas-projects status; UI artifacts)"
            )
    else:
        typer.echo("Failures: none")


@contextlib.contextmanager
def summary_on_failure(what: str) -> Iterator[None]:
    """Print the summary an all-failed flow run carries, then fail with its message."""
    from pastas_projects.flows.common import AllFailedError

    try:
        yield
    except AllFailedError as err:
        if err.summary:
            print_summary(err.summary, what)
        raise


# ---------------------------------------------------------------------- serve
def serve_deployments(store: str, name: str, cron: str, timezone: str, workers: int) -> None:
    """Serve ``calibrate`` (on a schedule) and ``solve-models`` (manual) until Ctrl-C."""
    from prefect import serve
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    open_project(store, name, must_exist=False)  # a clear error for a bad store first
    calibrate_flow, solve_models_flow = get_flow("calibrate_flow"), get_flow("solve_models_flow")
    with prefect_session() as (url, started):
        block = save_store_block(store, name)
        common = {"store": block, "workers": workers}
        kinds = {"entrypoint_type": EntrypointType.MODULE_PATH}
        calibrate = calibrate_flow.to_deployment(
            name="calibrate",
            schedules=[Cron(cron, timezone=timezone)],
            parameters=_accepted(calibrate_flow, common | {"only_changed": True}),
            description="Nightly: build missing models and re-solve changed ones in "
            f"{absolute_uri(store)}.",
            tags=["pastas"],
            **kinds,
        )
        solve = solve_models_flow.to_deployment(
            name="solve-models",
            parameters=_accepted(solve_models_flow, common),
            description=f"Solve models of {absolute_uri(store)}; pick them in the run form.",
            tags=["pastas"],
            **kinds,
        )
        typer.echo(f"Serving 'calibrate' ({cron}, {timezone}) and 'solve-models' on {url}")
        typer.echo(f"Run them from the UI: {ui_url(url)}/deployments  (Ctrl-C to stop)")
        if started:
            typer.echo(
                "This command started the server; it stops with Ctrl-C. Keep one with "
                "`pastas-projects server start`."
            )
        try:
            serve(calibrate, solve, print_starting_message=False)
        except KeyboardInterrupt:
            pass
        typer.echo("Stopped serving (the schedule of 'calibrate' is paused).")


def _accepted(flow: Any, params: dict[str, Any]) -> dict[str, Any]:
    accepted = set(flow.parameters.properties)
    return {k: v for k, v in params.items() if k in accepted}
