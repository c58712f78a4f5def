"""What the command groups share: the common options, one-line errors, the store, tables.

Nothing here imports Prefect: ``status`` and ``ingest`` run without it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from pastas_projects.connectors.uri import SCHEMES
from pastas_projects.errors import PastasProjectsError

if TYPE_CHECKING:
    from pastas_projects.project import PastasProject

STORE_ENV = "PASTAS_PROJECTS_STORE"
"""Environment variable with the default store URI."""
NAME_ENV = "PASTAS_PROJECTS_NAME"
"""Environment variable with the default connector name."""
DEBUG_ENV = "PASTAS_PROJECTS_DEBUG"
"""Set to 1 to get tracebacks instead of one-line error messages."""
DEFAULT_STORE_URI = "lmdb://./pastas_data"
"""The store the commands use without ``--store`` or ``$PASTAS_PROJECTS_STORE``."""
DEFAULT_NAME = "pastas_projects"

StoreOption = Annotated[
    str,
    typer.Option(
        "--store",
        "-s",
        envvar=STORE_ENV,
        help="Store URI: " + ", ".join(f"{s}://" for s in SCHEMES) + ".",
        show_envvar=True,
    ),
]
NameOption = Annotated[
    str,
    typer.Option(
        "--name",
        envvar=NAME_ENV,
        help="Connector name: names the libraries/folders inside the store.",
        show_envvar=True,
    ),
]

WorkersOption = Annotated[
    int, typer.Option("--workers", "-w", min=1, help="Dask workers of a local cluster.")
]
ThreadsOption = Annotated[
    int, typer.Option("--threads-per-worker", min=1, help="Threads per local Dask worker.")
]
ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Address of a running Dask scheduler (tcp://host:8786) instead of a local cluster.",
    ),
]
BatchOption = Annotated[
    int | None,
    typer.Option("--batch-size", min=1, help="Models per Dask task (default: automatic)."),
]

F = TypeVar("F", bound=Callable[..., Any])


class CLIError(PastasProjectsError):
    """An error to show the user as one line, without traceback."""


def fail(message: str) -> NoReturn:
    """Print ``Error: message`` to stderr and exit with code 1."""
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


def _expected(exc: BaseException) -> bool:
    """Whether ``exc`` is a user error (bad input, missing file, unreachable store)."""
    if isinstance(exc, PastasProjectsError | FileNotFoundError | NotADirectoryError):
        return True
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    return _is_api_error(exc) or _is_validation_error(exc)


def _is_api_error(exc: BaseException) -> bool:
    """Whether the Prefect API went away (httpx is only loaded when Prefect was)."""
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(exc, httpx.TransportError)


def _is_validation_error(exc: BaseException) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(exc, pydantic.ValidationError)


def _message(exc: BaseException) -> str:
    if _is_api_error(exc):
        return f"cannot reach the Prefect API ({os.environ.get('PREFECT_API_URL', '?')}): {exc}"
    if _is_validation_error(exc):
        return "; ".join(str(e.get("msg", e)) for e in exc.errors(include_input=False))
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.strerror or 'no such file or folder'}: {exc.filename}"
    return str(exc) or type(exc).__name__


def handle_errors(func: F) -> F:
    """Turn user errors raised by a command into ``Error: ...`` and exit code 1.

    Set ``PASTAS_PROJECTS_DEBUG=1`` to see the traceback instead.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get(DEBUG_ENV) or not _expected(exc):
                raise
            fail(_message(exc))

    return wrapper  # type: ignore[return-value]


# ---------------------------------------------------------------------- stores
def open_project(uri: str, name: str = DEFAULT_NAME, must_exist: bool = True) -> PastasProject:
    """Open the store at ``uri`` as a project.

    Parameters
    ----------
    uri : str
        Store URI.
    name : str
        Connector name.
    must_exist : bool
        For folder stores (``lmdb://``, ``pystore://``): raise if the folder does not
        exist, instead of creating an empty store.

    Returns
    -------
    PastasProject

    """
    from pastas_projects.connectors import connect
    from pastas_projects.connectors.uri import absolute_uri, check_uri, mask_uri, store_path
    from pastas_projects.project import PastasProject

    check_uri(uri)
    path = store_path(uri)
    if must_exist and path is not None and not path.exists():
        raise CLIError(
            f"no store at {path} (from {mask_uri(uri)}); add series first with "
            f"`pastas-projects ingest PATH... --store {mask_uri(uri)}`"
        )
    return PastasProject(name, connect(absolute_uri(uri), name=name))


def shown_uri(uri: str) -> str:
    """The store URI as the command line shows it: folder absolute, secrets masked."""
    from pastas_projects.connectors.uri import absolute_uri, mask_uri

    return mask_uri(absolute_uri(uri))


# ---------------------------------------------------------------------- output
def echo_table(rows: Sequence[Sequence[Any]], indent: int = 2) -> None:
    """Print rows as aligned columns (first column left-, others right-aligned)."""
    if not rows:
        return
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(max(map(len, cells)))]
    for row in cells:
        parts = [row[0].ljust(widths[0])]
        parts += [c.rjust(widths[i + 1]) for i, c in enumerate(row[1:])]
        typer.echo(" " * indent + "  ".join(parts).rstrip())


def split_names(text: str | None) -> list[str] | None:
    """``"a,b, c"`` -> ``["a", "b", "c"]``; None or empty -> None."""
    if not text:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    return names or None


CONSOLE_LEVEL_ENV = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"
"""Prefect setting of its console log handler's level (the API handler keeps INFO)."""


@contextlib.contextmanager
def quiet_prefect() -> Iterator[None]:
    """Apply ``PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL`` to console handlers set up already.

    The CLI sets that variable to ``WARNING`` (unless ``--verbose``) before Prefect is
    imported, and Dask workers inherit it; when Prefect was imported earlier (e.g. in
    tests) this lowers the console handlers now. Run logs still reach the API, so the
    UI shows them; the terminal gets the summary.
    """
    import logging

    level = os.environ.get(CONSOLE_LEVEL_ENV)
    handlers = [
        h
        for lg in [logging.getLogger(), *map(logging.getLogger, ("prefect", "distributed"))]
        for h in lg.handlers
        if type(h).__name__ == "PrefectConsoleHandler"
    ]
    levels = [(h, h.level) for h in handlers]
    if level:
        for handler in handlers:
            handler.setLevel(level)
            handler.addFilter(_dask_shutdown_filter)
    try:
        yield
    finally:
        for handler, old in levels:
            handler.setLevel(old)
            handler.removeFilter(_dask_shutdown_filter)


def _dask_shutdown_filter(record: Any) -> bool:
    """Drop the nanny's "still alive after 4.0 seconds, killing" noise of a cluster close."""
    return not (record.name == "distributed.nanny" and "still alive" in record.getMessage())
