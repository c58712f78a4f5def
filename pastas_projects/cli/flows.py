"""``pastas-projects calibrate | build | solve | serve``: run the flows, or serve deployments."""

from __future__ import annotations

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
    split_names,
)
from pastas_projects.cli.root import app

if TYPE_CHECKING:
    from pastas_projects.project import PastasProject

DefinitionOption = Annotated[
    Path | None,
    typer.Option(
        "--definition",
        "-d",
        help="Model definition file: YAML or TOML (pastastore YAML too); docs/definitions.md.",
    ),
]
WarmOption = Annotated[
    bool,
    typer.Option(
        "--warm-start/--cold",
        help="Start each model from its last optimum (default) or from its initial parameters.",
    ),
]


def read_definition(project: PastasProject, path: Path | None) -> dict | None:
    """Read and check a definition file against the store; the flow gets it as a dict."""
    if path is None:
        return None
    from pastas_projects.modelling.definitions import check_against_store, load_definition

    definition = load_definition(path)
    check_against_store(project.db, definition)
    return definition.to_dict()


@app.command()
@handle_errors
def calibrate(
    store: StoreOption = DEFAULT_STORE_URI,
    filter_: Annotated[
        str | None,
        typer.Option("--filter", "-f", help="Only oseries matching a glob, e.g. 'B58*'."),
    ] = None,
    only_changed: Annotated[
        bool, typer.Option("--only-changed/--all", help="Solve only unsolved/stale models.")
    ] = True,
    noise: Annotated[
        bool, typer.Option("--noise", help="Add an AR(1) noise model to new models.")
    ] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild models that exist already.")
    ] = False,
    definition: DefinitionOption = None,
    warm_start: WarmOption = True,
    workers: WorkersOption = 2,
    threads_per_worker: ThreadsOption = 1,
    cluster: ClusterOption = None,
    batch_size: BatchOption = None,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Build a model for every oseries that has none, then solve (the calibrate flow).

    New models get a RechargeModel (Exponential, Linear) with the precipitation and
    evaporation stresses nearest to the oseries (x/y metadata).
    """
    from pastas_projects.cli._prefect import run_flow
    from pastas_projects.flows import calibrate_flow

    project = open_project(store, name)  # a clear error for a missing or unreachable store
    run_flow(
        store,
        name,
        calibrate_flow,
        "calibrate",
        pattern=filter_,
        only_changed=only_changed,
        noise=noise,
        rebuild=rebuild,
        definition=read_definition(project, definition),
        warm_start=warm_start,
        workers=workers,
        threads_per_worker=threads_per_worker,
        cluster_address=cluster,
        batch_size=batch_size,
    )


@app.command()
@handle_errors
def build(
    store: StoreOption = DEFAULT_STORE_URI,
    definition: DefinitionOption = None,
    filter_: Annotated[
        str | None,
        typer.Option("--filter", "-f", help="Only oseries matching a glob, e.g. 'B58*'."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Build models that exist again.")
    ] = False,
    noise: Annotated[
        bool, typer.Option("--noise", help="Without --definition: add an AR(1) noise model.")
    ] = False,
    workers: WorkersOption = 2,
    threads_per_worker: ThreadsOption = 1,
    cluster: ClusterOption = None,
    batch_size: BatchOption = None,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Build models (the build-models flow): those of a definition, or one per oseries.

    With --definition models.yaml (or .toml; pastastore's YAML too) the file is
    checked against the store first: an unknown stress, kind or response function
    stops the command before anything is built. Without it every oseries gets a
    RechargeModel with its nearest prec/evap stresses. Solve them with
    `pastas-projects solve --only-changed`.
    """
    from pastas_projects.cli._prefect import run_flow
    from pastas_projects.flows import build_models_flow

    project = open_project(store, name)
    run_flow(
        store,
        name,
        build_models_flow,
        "build",
        pattern=filter_,
        definition=read_definition(project, definition),
        overwrite=overwrite,
        noise=noise,
        workers=workers,
        threads_per_worker=threads_per_worker,
        cluster_address=cluster,
        batch_size=batch_size,
    )


@app.command()
@handle_errors
def solve(
    store: StoreOption = DEFAULT_STORE_URI,
    models: Annotated[
        str | None, typer.Option("--models", "-m", help="Comma-separated model names.")
    ] = None,
    filter_: Annotated[
        str | None, typer.Option("--filter", "-f", help="Glob of model names, e.g. 'B58*'.")
    ] = None,
    only_changed: Annotated[
        bool,
        typer.Option("--only-changed/--all", help="Solve only unsolved, failed or stale models."),
    ] = False,
    noise: Annotated[
        bool, typer.Option("--noise", help="Give models without one an AR(1) noise model first.")
    ] = False,
    solver: Annotated[
        str | None, typer.Option(help="pastas solver: LeastSquares (default), Lmfit, Emcee.")
    ] = None,
    tmin: Annotated[str | None, typer.Option(help="Start of the calibration period.")] = None,
    tmax: Annotated[str | None, typer.Option(help="End of the calibration period.")] = None,
    warm_start: WarmOption = True,
    workers: WorkersOption = 2,
    threads_per_worker: ThreadsOption = 1,
    cluster: ClusterOption = None,
    batch_size: BatchOption = None,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Solve stored models (the solve-models flow) and store the results.

    With --noise, the selected models without a noise model get an AR(1) noise model
    first; they are stored unsolved, so --only-changed solves them too.
    """
    from pastas_projects.cli._common import CLIError
    from pastas_projects.cli._prefect import run_flow
    from pastas_projects.flows import solve_models_flow

    if models and filter_:
        raise typer.BadParameter("give --models or --filter, not both", param_hint="--models")
    project = open_project(store, name)
    names = split_names(models)
    selected, missing = project.db.select_names("models", names, filter_)
    if missing:
        raise CLIError(f"model(s) not in the store: {', '.join(missing[:10])}")
    if not selected:
        what = f" matching {filter_!r}" if filter_ else ""
        raise CLIError(f"no models{what} in the store; build them with `pastas-projects calibrate`")
    if noise:
        added = project.add_noise_models(selected)
        typer.echo(f"Added an AR(1) noise model to {added} of {len(selected)} selected models.")
    run_flow(
        store,
        name,
        solve_models_flow,
        "solve",
        names=names,
        pattern=filter_,
        only_changed=only_changed,
        solver=solver,
        solve_options={k: v for k, v in (("tmin", tmin), ("tmax", tmax)) if v} or None,
        warm_start=warm_start,
        workers=workers,
        threads_per_worker=threads_per_worker,
        cluster_address=cluster,
        batch_size=batch_size,
    )


@app.command()
@handle_errors
def serve(
    store: StoreOption = DEFAULT_STORE_URI,
    cron: Annotated[
        str | None, typer.Option(help="Schedule of the nightly calibrate (default 0 2 * * *).")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Time zone of --cron (default Europe/Amsterdam).")
    ] = None,
    workers: WorkersOption = 2,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Serve the deployments 'calibrate' (nightly) and 'solve-models' (run from the UI).

    Runs in the foreground until Ctrl-C; no work pool or worker needed. Uses the
    Prefect server of PREFECT_API_URL, or one started by `server start`, or starts one.
    The deployments are defined once, in pastas_projects/flows/deployments.py;
    deployments/prefect.yaml states the same for `prefect deploy`.
    """
    from prefect import serve as prefect_serve

    from pastas_projects.cli._common import shown_uri
    from pastas_projects.cli._prefect import prefect_session, save_store_block, ui_url
    from pastas_projects.flows.deployments import (
        DEPLOYMENTS,
        SERVE_POLL_SECONDS,
        runner_deployments,
    )

    open_project(store, name, must_exist=False)  # a clear error for a bad store first
    with prefect_session() as (url, started):
        block = save_store_block(store, name)
        deployments = runner_deployments(block, workers=workers, cron=cron, timezone=timezone)
        names = " and ".join(f"'{d.name}'" for d in DEPLOYMENTS)
        typer.echo(f"Serving {names} for {shown_uri(store)} on {url}")
        for deployment in deployments:
            for schedule in deployment.schedules or []:
                typer.echo(f"  {deployment.name}: {schedule.schedule}")
        typer.echo(f"Run them from the UI: {ui_url(url)}/deployments  (Ctrl-C to stop)")
        if started:
            typer.echo(
                "This command started the server; it stops with Ctrl-C. Keep one with "
                "`pastas-projects server start`."
            )
        try:
            prefect_serve(
                *deployments, print_starting_message=False, query_seconds=SERVE_POLL_SECONDS
            )
        except KeyboardInterrupt:
            pass
        typer.echo("Stopped serving (the schedule of 'calibrate' is paused).")
