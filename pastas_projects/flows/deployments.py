"""The deployments of the flows, defined once.

``pastas-projects serve`` serves them from this definition, and
``deployments/prefect.yaml`` (for ``prefect deploy`` and a process worker) states the
same deployments; ``tests/test_cli.py::test_serve_and_prefect_yaml_define_the_same_deployments``
holds the two against each other.

>>> from pastas_projects.flows.deployments import DEPLOYMENTS
>>> [(d.name, d.cron) for d in DEPLOYMENTS]
[('calibrate', '0 2 * * *'), ('solve-models', None)]
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pastas_projects.flows._common import DEFAULT_BLOCK
from pastas_projects.store.history import RETENTION

if TYPE_CHECKING:
    from prefect import Flow


@dataclass(frozen=True)
class Deployment:
    """One deployment of a flow.

    Attributes
    ----------
    name : str
        Deployment name (the UI shows ``flow/deployment``).
    entrypoint : str
        ``module:flow``; a module path, so that the workers of an existing Dask
        cluster can import the flow's tasks.
    description : str
        What it does, shown in the UI.
    parameters : dict
        Default parameters of its runs (the run form starts from them).
    cron : str or None
        Schedule, or ``None`` for a deployment that runs when asked.
    timezone : str
        Time zone of ``cron``.
    concurrency_limit : int or None
        Runs at once at most (1: a slow night never overlaps the next one).
    tags : tuple of str
        Tags of the deployment.

    """

    name: str
    entrypoint: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)
    cron: str | None = None
    timezone: str = "Europe/Amsterdam"
    concurrency_limit: int | None = None
    tags: tuple[str, ...] = ("pastas",)

    def flow(self) -> Flow:
        """Import the flow of the entrypoint."""
        module, _, attribute = self.entrypoint.partition(":")
        return getattr(importlib.import_module(module), attribute)


DEPLOYMENTS: tuple[Deployment, ...] = (
    Deployment(
        name="calibrate",
        entrypoint="pastas_projects.flows.calibrate:calibrate_flow",
        description="Nightly: build a model for every oseries that has none (or the models "
        "of a definition), re-solve the models that are unsolved, failed or whose series "
        "changed, each from its last optimum, and prune old versions: keep the last "
        "keep_versions and all younger than keep_days.",
        parameters={
            "store": DEFAULT_BLOCK,
            "only_changed": True,
            "warm_start": True,
            "keep_versions": RETENTION["keep_versions"],
            "keep_days": RETENTION["keep_days"],
            "workers": 2,
            "threads_per_worker": 1,
        },
        cron="0 2 * * *",
        concurrency_limit=1,
    ),
    Deployment(
        name="solve-models",
        entrypoint="pastas_projects.flows.solve:solve_models_flow",
        description="Solve stored models on demand. Pick them in the run form: names (a "
        "list), pattern (a glob such as B58*), only_changed, solver and solve_options "
        '(e.g. {"tmin": "2000-01-01"}), workers.',
        parameters={
            "store": DEFAULT_BLOCK,
            "pattern": "*",
            "only_changed": False,
            "workers": 2,
            "threads_per_worker": 1,
        },
    ),
)
"""The deployments of ``pastas-projects serve`` and ``deployments/prefect.yaml``."""

SERVE_POLL_SECONDS = 1.0
"""How often ``pastas-projects serve`` asks the Prefect API for runs to start.

Prefect's default (10 s) is part of every wait between a click on Run in the UI and
the run starting; one query a second to the local server costs next to nothing.
"""


def runner_deployments(
    store: str | None = None,
    workers: int | None = None,
    cron: str | None = None,
    timezone: str | None = None,
) -> list[Any]:
    """The deployments as Prefect runner deployments, for :func:`prefect.serve`.

    Parameters
    ----------
    store : str, optional
        The name of the saved store block the runs use; default ``"pastas-store"``.
    workers : int, optional
        Dask workers of each run's local cluster, instead of 2.
    cron, timezone : str, optional
        Another schedule for the scheduled deployments.

    Returns
    -------
    list of prefect.deployments.runner.RunnerDeployment

    """
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    made = []
    for spec in DEPLOYMENTS:
        parameters = dict(spec.parameters)
        if store is not None:
            parameters["store"] = store
        if workers is not None:
            parameters["workers"] = workers
        schedules = []
        if spec.cron is not None:
            schedules = [Cron(cron or spec.cron, timezone=timezone or spec.timezone)]
        made.append(
            spec.flow().to_deployment(
                name=spec.name,
                schedules=schedules,
                parameters=parameters,
                description=spec.description,
                tags=list(spec.tags),
                concurrency_limit=spec.concurrency_limit,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return made
