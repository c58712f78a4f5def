"""What the Prefect commands share: the server, the store block, running a flow, its summary.

Only the commands that run flows or talk to the Prefect API import this module, so
``status`` and ``ingest`` never load Prefect.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import typer

from pastas_projects.cli._common import DEFAULT_NAME, CLIError, echo_table, quiet_prefect

if TYPE_CHECKING:
    from pastas_projects.blocks import PastasStoreBlock


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


def run_url(api_url: str, flow_run_id: str | None) -> str:
    """Address of a flow run's page in the V2 UI, whose Artifacts tab shows the pictures.

    Prefect's own log links open the V1 UI (``/runs/...``), which shows artifact
    descriptions as text in that tab (see :mod:`pastas_projects.flows._pictures`).
    """
    return f"{ui_url(api_url)}/v2/runs/flow-run/{flow_run_id}"


# ---------------------------------------------------------------------- blocks
def make_block(uri: str, name: str = DEFAULT_NAME) -> PastasStoreBlock:
    """A :class:`PastasStoreBlock` for the URI (folder made absolute, credentials moved)."""
    from pastas_projects.blocks import PastasStoreBlock
    from pastas_projects.connectors.uri import absolute_uri, check_uri

    return PastasStoreBlock(uri=absolute_uri(check_uri(uri)), connector_name=name)


def block_name(block: PastasStoreBlock) -> str:
    """Deterministic block name for a store: ``pastas-store-<10 hex digits>``.

    The hash covers the URI without secrets, the connector name and the user name,
    so the same store always maps to the same block and a new password overwrites it.
    """
    key = json.dumps([block.uri, block.connector_name, block.username, block.access_key])
    return "pastas-store-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def save_store_block(uri: str, name: str = DEFAULT_NAME, block_name_: str | None = None) -> str:
    """Register the block type and save a block for the store; return the block name.

    Needs a reachable Prefect API (``PREFECT_API_URL``).
    """
    from pastas_projects.connectors.uri import IN_PROCESS_SCHEMES, scheme_of

    if scheme_of(uri) in IN_PROCESS_SCHEMES:
        raise CLIError(
            f"{uri} is an in-memory store of this process; flows run on Dask workers and "
            "need a shared store such as lmdb://./pastas_data"
        )
    block = make_block(uri, name)
    saved_as = block_name_ or block_name(block)
    type(block).register_type_and_schema(_sync=True)
    block.save(saved_as, overwrite=True, _sync=True)
    return saved_as


# ---------------------------------------------------------------------- flows
def run_flow(store: str, name: str, flow: Any, what: str, **params: Any) -> dict:
    """Run a flow on the store (through a saved block) and print its summary.

    Uses the configured Prefect server, or starts one for the command; prints the
    summary (also of a run in which everything failed) and the flow run's address.
    """
    with prefect_session() as (url, _), quiet_prefect(), summary_on_failure(what):
        block = save_store_block(store, name)
        summary = call_flow(flow, store=block, **params)
        print_summary(summary, what)
        typer.echo(f"Flow run: {run_url(url, summary.get('flow_run_id'))}")
    return summary


def call_flow(flow: Any, **params: Any) -> Any:
    """Call a flow with the parameters it accepts (``None`` values are left out)."""
    accepted = set(flow.parameters.properties)
    unknown = [k for k, v in params.items() if v is not None and k not in accepted]
    if unknown:
        raise CLIError(f"flow {flow.name!r} takes no parameter(s) {', '.join(unknown)}")
    return flow(**{k: v for k, v in params.items() if v is not None})


# ---------------------------------------------------------------------- output
def _num(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _cluster_note(summary: Mapping) -> str:
    seconds = _num(summary.get("cluster_seconds"))
    cluster = summary.get("cluster") or "local"
    if cluster == "local":
        return f"incl. {seconds} s starting a local Dask cluster"
    return f"on the Dask cluster at {cluster} (connected in {seconds} s)"


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
            _cluster_note(summary),
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
    from pastas_projects.flows import AllFailedError

    try:
        yield
    except AllFailedError as err:
        if err.summary:
            print_summary(err.summary, what)
        raise
