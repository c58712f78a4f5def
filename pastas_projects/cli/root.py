"""The root of the ``pastas-projects`` command line: the app and its global options.

Each command group lives in its own module (:mod:`~.store`, :mod:`~.flows`,
:mod:`~.block`, :mod:`~.server`, :mod:`~.demo`) and registers itself on :data:`app`;
:mod:`pastas_projects.cli` imports them all. Errors in the input (bad URI, missing
files, an unreachable database) print one ``Error: ...`` line and exit with code 1;
set ``PASTAS_PROJECTS_DEBUG=1`` for a traceback.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from pastas_projects.cli._common import CONSOLE_LEVEL_ENV

app = typer.Typer(
    name="pastas-projects",
    help="Keep Pastas groundwater models and series in a store and calibrate them in bulk "
    "with Prefect on Dask.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


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
