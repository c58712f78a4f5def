"""``pastas-projects report``: one HTML page that judges the whole store.

Does not import Prefect. With ``--serve`` it then serves the report's folder over
HTTP on 127.0.0.1, which is also how the reports the flows write become clickable
in the Prefect UI (see ``docs/judge.md``).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Annotated

import typer

from pastas_projects.cli._common import (
    DEFAULT_NAME,
    DEFAULT_STORE_URI,
    NameOption,
    StoreOption,
    handle_errors,
    open_project,
    shown_uri,
    split_names,
)
from pastas_projects.cli.root import app

DEFAULT_PORT = 8765


@app.command()
@handle_errors
def report(
    store: StoreOption = DEFAULT_STORE_URI,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="HTML file to write (its folder must exist).")
    ] = Path("report.html"),
    statistic: Annotated[
        str,
        typer.Option(help="Statistic that ranks the models: evp, rsq, rmse, nse, kge, aic, bic."),
    ] = "evp",
    worst: Annotated[
        int, typer.Option(min=0, help="How many of the worst models get a results plot.")
    ] = 10,
    models: Annotated[
        str | None,
        typer.Option("--models", "-m", help="Comma-separated model names (default all)."),
    ] = None,
    filter_: Annotated[
        str | None, typer.Option("--filter", "-f", help="Only models matching a glob, e.g. 'B58*'.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title of the page.")] = None,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Then serve the report's folder on 127.0.0.1 until Ctrl-C."),
    ] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port of --serve.")] = DEFAULT_PORT,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Write one self-contained HTML report: counts, maps, histograms, checks, worst fits.

    Images are inline and nothing is fetched, so the file opens anywhere. Reads the
    store only: nothing in it changes.
    """
    from pastas_projects.cli._common import CLIError
    from pastas_projects.errors import SkippedItemsWarning
    from pastas_projects.modelling.checks import check_statistic
    from pastas_projects.plotting.report import check_output_path

    check_statistic(statistic, stored_only=True)
    if models and filter_:
        raise typer.BadParameter("give --models or --filter, not both", param_hint="--models")
    path = check_output_path(out)  # a clear error before any work
    project = open_project(store, name)
    names = None
    if models or filter_:
        names, missing = project.db.select_names("models", split_names(models), filter_)
        if missing:
            raise CLIError(f"model(s) not in the store: {', '.join(missing[:10])}")
        if not names:
            raise CLIError(f"no models matching {filter_!r} in the store")
    typer.echo(f"Store {shown_uri(store)}: writing the report ...")
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SkippedItemsWarning)
        written = project.report(path, statistic=statistic, worst=worst, names=names, title=title)
    for warning in caught:
        if issubclass(warning.category, SkippedItemsWarning):
            typer.secho(f"  note: {warning.message}", err=True, fg=typer.colors.YELLOW)
    size = written.stat().st_size / 1e6
    typer.echo(
        f"Report: {written.resolve()} ({size:.1f} MB, {time.perf_counter() - started:.1f} s)"
    )
    if serve:
        serve_folder(written.resolve().parent, port, written.name)


def serve_folder(folder: Path, port: int, page: str | None = None) -> None:
    """Serve ``folder`` over HTTP on 127.0.0.1 until Ctrl-C.

    Set ``PASTAS_PROJECTS_REPORTS_URL`` to the address it prints (and
    ``PASTAS_PROJECTS_REPORTS_DIR`` to the folder) for the flows' report links in
    the Prefect UI to open.
    """
    server = make_server(folder, port)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    typer.echo(f"Serving {folder} at {url}/{page or ''}  (Ctrl-C to stop)")
    typer.echo(
        f"  flows link their reports here with PASTAS_PROJECTS_REPORTS_DIR={folder} "
        f"PASTAS_PROJECTS_REPORTS_URL={url}"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    typer.echo("Stopped serving.")


def make_server(folder: Path, port: int = 0):  # noqa: ANN201 - http.server type
    """A threading HTTP server of ``folder`` on 127.0.0.1 (port 0: a free one), not started."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    handler = functools.partial(QuietHandler, directory=str(folder))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)
