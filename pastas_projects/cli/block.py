"""``pastas-projects block``: save a Pastas Store block for a store on the Prefect server."""

from __future__ import annotations

from typing import Annotated

import typer

from pastas_projects.cli._common import (
    DEFAULT_NAME,
    DEFAULT_STORE_URI,
    NameOption,
    StoreOption,
    handle_errors,
    shown_uri,
)
from pastas_projects.cli.root import app


@app.command("block")
@handle_errors
def block(
    store: StoreOption = DEFAULT_STORE_URI,
    block_name: Annotated[
        str | None,
        typer.Option("--block-name", help="Name to save it under (default: derived from --store)."),
    ] = None,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Save a PastasStoreBlock for the store on the Prefect server (PREFECT_API_URL).

    A password or secret key in the URI goes into the block's secret fields; it is
    never printed.
    """
    from pastas_projects.cli._prefect import require_api_url, save_store_block

    require_api_url()
    saved = save_store_block(store, name, block_name)
    typer.echo(f"Saved Pastas Store block {saved!r} for {shown_uri(store)}.")
    typer.echo(f"Flows and deployments take it as store={saved!r}.")
