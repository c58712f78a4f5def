"""Shared pieces of the command line: the store option, errors, blocks and tables."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from pastas_projects.errors import PastasProjectsError

if TYPE_CHECKING:
    from pastas_projects.blocks import PastasStoreBlock
    from pastas_projects.project import PastasProject

STORE_ENV = "PASTAS_PROJECTS_STORE"
"""Environment variable with the default store URI."""
NAME_ENV = "PASTAS_PROJECTS_NAME"
"""Environment variable with the default connector name."""
DEBUG_ENV = "PASTAS_PROJECTS_DEBUG"
"""Set to 1 to get tracebacks instead of one-line error messages."""
DEFAULT_STORE = "lmdb://./pastas_data"
DEFAULT_NAME = "pastas_projects"
_PATH_SCHEMES = ("lmdb", "pystore")

StoreOption = Annotated[
    str,
    typer.Option(
        "--store",
        "-s",
        envvar=STORE_ENV,
        help="Store URI: lmdb://DIR, pystore://DIR, mongodb://host:27017/, "
        "s3://endpoint:bucket, mem://.",
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
    import httpx
    from pydantic import ValidationError

    if isinstance(exc, httpx.TransportError):  # the Prefect API went away
        return True

    return isinstance(exc, ValidationError)


def _message(exc: BaseException) -> str:
    import httpx
    from pydantic import ValidationError

    if isinstance(exc, httpx.TransportError):
        return f"cannot reach the Prefect API ({os.environ.get('PREFECT_API_URL', '?')}): {exc}"
    if isinstance(exc, ValidationError):
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
def scheme_of(uri: str) -> str:
    """Lower-case scheme of a store URI ('' when it has none)."""
    scheme, sep, _ = uri.partition("://")
    return scheme.lower() if sep else ""


def absolute_uri(uri: str) -> str:
    """The URI with the folder of ``lmdb://`` and ``pystore://`` made absolute."""
    from pastas_projects.blocks import resolve_store_uri

    return resolve_store_uri(uri)


def store_path(uri: str) -> Path | None:
    """Folder of an ``lmdb://`` or ``pystore://`` URI (absolute), else None."""
    if scheme_of(uri) not in _PATH_SCHEMES:
        return None
    rest = absolute_uri(uri).partition("://")[2]
    return Path(rest.partition("?")[0])


def check_uri(uri: str) -> str:
    """Validate the scheme of a store URI; return it unchanged.

    Raises
    ------
    UnsupportedURIError
        For a URI without a supported scheme.

    """
    from pastas_projects.connect import SCHEMES
    from pastas_projects.errors import UnsupportedURIError

    scheme = scheme_of(uri)
    if scheme not in SCHEMES and scheme != "s3s":
        known = ", ".join(f"{s}://" for s in SCHEMES)
        if not scheme:
            raise UnsupportedURIError(f"store URI {uri!r} has no scheme; use one of {known}")
        raise UnsupportedURIError(
            f"store URI {uri!r}: unsupported scheme {scheme!r}; use one of {known}"
        )
    return uri


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
    from pastas_projects.connect import connect
    from pastas_projects.project import PastasProject

    check_uri(uri)
    path = store_path(uri)
    if must_exist and path is not None and not path.exists():
        raise CLIError(
            f"no store at {path} (from {uri}); add series first with "
            f"`pastas-projects ingest PATH... --store {uri}`"
        )
    return PastasProject(name, connect(absolute_uri(uri), name=name))


def make_block(uri: str, name: str = DEFAULT_NAME) -> PastasStoreBlock:
    """A :class:`PastasStoreBlock` for the URI (folder made absolute, credentials moved)."""
    from pastas_projects.blocks import PastasStoreBlock

    check_uri(uri)
    return PastasStoreBlock(uri=absolute_uri(uri), connector_name=name)


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
    if scheme_of(uri) in ("mem", "memory"):
        raise CLIError(
            f"{uri} is an in-memory store of this process; flows run on Dask workers and "
            "need a shared store such as lmdb://./pastas_data"
        )
    block = make_block(uri, name)
    saved_as = block_name_ or block_name(block)
    type(block).register_type_and_schema(_sync=True)
    block.save(saved_as, overwrite=True, _sync=True)
    return saved_as


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
