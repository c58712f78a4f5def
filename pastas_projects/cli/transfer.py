"""``pastas-projects copy | export | import``: move a project between stores and files.

``copy`` runs in this process (or, with ``--flow``, as the copy flow on Dask);
``export`` and ``import`` need no Prefect.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pastas_projects.cli._common import (
    DEFAULT_NAME,
    DEFAULT_STORE_URI,
    BatchOption,
    ClusterOption,
    NameOption,
    StoreOption,
    ThreadsOption,
    WorkersOption,
    handle_errors,
    open_project,
    shown_uri,
    split_names,
)
from pastas_projects.cli.root import app

if TYPE_CHECKING:
    from pastas_projects.transfer import TransferReport

OverwriteOption = Annotated[
    bool,
    typer.Option("--overwrite", help="Replace items that differ in the target (default: refuse)."),
]


@contextlib.contextmanager
def cli_words() -> Iterator[None]:
    """Say ``--overwrite`` where the Python error says ``overwrite=True``."""
    from pastas_projects.cli._common import CLIError
    from pastas_projects.errors import ItemExistsError

    try:
        yield
    except ItemExistsError as err:
        raise CLIError(str(err).replace("overwrite=True", "--overwrite")) from None


def echo_report(report: TransferReport, verb: str) -> None:
    """Print what a move did per library, and its failures; exit 1 if any failed."""
    typer.echo(f"{verb} in {report.seconds:.1f} s:")
    for line in report.summary().splitlines():
        if line.lstrip().startswith("failed:"):
            typer.secho(f"  {line.strip()}", err=True, fg=typer.colors.RED)
        else:
            typer.echo(f"  {line}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@handle_errors
def copy(
    source: Annotated[str, typer.Argument(help="Store URI to copy from.", metavar="SRC_URI")],
    target: Annotated[str, typer.Argument(help="Store URI to copy to.", metavar="DST_URI")],
    libraries: Annotated[
        str | None,
        typer.Option(help="Comma-separated libraries: oseries, stresses, models (default all)."),
    ] = None,
    names: Annotated[
        str | None,
        typer.Option(help="Comma-separated item names; a model brings its series along."),
    ] = None,
    overwrite: OverwriteOption = False,
    name: NameOption = DEFAULT_NAME,
    target_name: Annotated[
        str | None, typer.Option(help="Connector name in the target (default: --name).")
    ] = None,
    flow: Annotated[
        bool, typer.Option("--flow", help="Run the copy flow on a Dask cluster (big stores).")
    ] = False,
    workers: WorkersOption = 2,
    threads_per_worker: ThreadsOption = 1,
    cluster: ClusterOption = None,
    batch_size: BatchOption = None,
) -> None:
    """Copy series and models, with their bookkeeping, from SRC_URI to DST_URI.

    Series keep their values, index, frequency and metadata exactly; models keep their
    JSON, status, statistics and the hashes of the series they used, so the target
    knows which models are up to date. Items already the same in the target are not
    written again: run an interrupted copy again to finish it. Items that differ in
    the target stop the copy before anything is written, unless --overwrite.
    """
    from pastas_projects.cli._common import CLIError

    target_name = target_name or name
    origin = open_project(source, name)  # a clear error for a missing source first
    chosen = split_names(libraries)
    wanted = split_names(names)
    if flow or cluster:
        from pastas_projects.connectors.uri import IN_PROCESS_SCHEMES, scheme_of

        for uri in (source, target):
            if scheme_of(uri) in IN_PROCESS_SCHEMES:
                raise CLIError(
                    f"{uri} is an in-memory store of this process; the copy flow runs on "
                    "Dask workers: copy without --flow"
                )
        open_project(target, target_name, must_exist=False)
        with cli_words():
            _copy_flow(
                source, name, target, target_name, chosen, wanted, overwrite,
                workers, threads_per_worker, cluster, batch_size,
            )  # fmt: skip
        return
    from pastas_projects.transfer import copy_store

    destination = open_project(target, target_name, must_exist=False)
    typer.echo(f"Copying {shown_uri(source)} -> {shown_uri(target)}")
    with cli_words():
        report = copy_store(origin, destination, chosen, wanted, overwrite, progressbar=True)
    echo_report(report, "Copied")


def _copy_flow(
    source: str,
    name: str,
    target: str,
    target_name: str,
    libraries: list[str] | None,
    names: list[str] | None,
    overwrite: bool,
    workers: int,
    threads_per_worker: int,
    cluster: str | None,
    batch_size: int | None,
) -> None:
    from pastas_projects.cli._common import quiet_prefect
    from pastas_projects.cli._prefect import (
        call_flow,
        prefect_session,
        print_summary,
        save_store_block,
        summary_on_failure,
        ui_url,
    )
    from pastas_projects.flows import copy_flow

    with prefect_session() as (url, _), quiet_prefect(), summary_on_failure("copy"):
        source_block = save_store_block(source, name)
        target_block = save_store_block(target, target_name)
        summary = call_flow(
            copy_flow,
            source=source_block,
            target=target_block,
            libraries=libraries,
            names=names,
            overwrite=overwrite,
            workers=workers,
            threads_per_worker=threads_per_worker,
            cluster_address=cluster,
            batch_size=batch_size,
        )
        print_summary(summary, "copy")
        typer.echo(
            f"copied {summary.get('copied', 0)}, {summary.get('unchanged', 0)} the same already"
        )
        typer.echo(f"Flow run: {ui_url(url)}/runs/flow-run/{summary.get('flow_run_id')}")
    if summary.get("failed"):
        raise typer.Exit(1)


@app.command("export")
@handle_errors
def export_zip(
    path: Annotated[Path, typer.Argument(help="The zip file to write.", metavar="PATH")],
    store: StoreOption = DEFAULT_STORE_URI,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace PATH.")] = False,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Write the whole store to one portable zip file (series, models, bookkeeping).

    `pastas-projects import PATH --store URI` reads it into any store.
    """
    from pastas_projects.cli._common import CLIError

    if path.exists() and not overwrite:
        raise CLIError(f"{path} exists; use --overwrite to replace it")
    project = open_project(store, name)
    written = project.to_zip(path, overwrite=overwrite)
    counts = ", ".join(
        f"{len(project.db.names(lib))} {lib}" for lib in ("oseries", "stresses", "models")
    )
    typer.echo(f"Wrote {written} ({counts}) from {shown_uri(store)}")


@app.command("import")
@handle_errors
def import_(
    path: Annotated[
        Path,
        typer.Argument(
            help="A zip of `export`, a pastastore zip, or a pastastore config file "
            "(*.pastastore) or folder holding one.",
            metavar="PATH",
        ),
    ],
    store: StoreOption = DEFAULT_STORE_URI,
    overwrite: OverwriteOption = False,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Read a zip or a pastastore into the store.

    The file is checked whole before anything is written: a truncated or corrupt
    zip, one of a newer format version, or items that differ in the store (without
    --overwrite) leave the store as it was. A pastastore model whose series is
    missing is reported and skipped.
    """
    from pastas_projects.cli._common import CLIError
    from pastas_projects.transfer import import_pastastore, read_zip
    from pastas_projects.transfer.zip import is_pastastore_zip, read_manifest

    if not path.exists():
        raise FileNotFoundError(2, "no such file or folder", str(path))
    config = _pastastore_config(path)
    if config is None and not path.is_file():
        raise CLIError(f"{path} is a folder without a *.pastastore file; give a zip file")
    if config is None and not is_pastastore_zip(path):
        read_manifest(path)  # a clear error for what is no zip of ours, before opening the store
    project = open_project(store, name, must_exist=False)
    typer.echo(f"Importing {path} into {shown_uri(store)}")
    with cli_words():
        if config is not None:
            import pastastore

            source = pastastore.PastaStore.from_pastastore_config_file(str(config))
            report = import_pastastore(source, project, overwrite=overwrite)
        elif is_pastastore_zip(path):
            report = import_pastastore(path, project, overwrite=overwrite)
        else:
            report = read_zip(path, project.db, overwrite=overwrite)
    echo_report(report, "Imported")


def _pastastore_config(path: Path) -> Path | None:
    """The pastastore config file ``path`` is, or the one in ``path`` or a folder in it.

    pastastore's PasConnector keeps ``<name>.pastastore`` in ``<path>/<name>/``.
    """
    if path.is_file():
        return path if path.suffix == ".pastastore" else None
    found = sorted(path.glob("*.pastastore")) or sorted(path.glob("*/*.pastastore"))
    return found[0] if len(found) == 1 else None
