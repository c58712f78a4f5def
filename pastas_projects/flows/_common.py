"""What every flow does first, and the rule that fails a run in which everything failed."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from prefect import get_run_logger

from pastas_projects.blocks import PastasStoreBlock, load_store_block
from pastas_projects.connectors.uri import IN_PROCESS_SCHEMES
from pastas_projects.errors import PastasProjectsError
from pastas_projects.flows.cluster import PastasDaskTaskRunner
from pastas_projects.flows.warm_cluster import find_warm_cluster
from pastas_projects.store import Database
from pastas_projects.store.bookkeeping import utc_now
from pastas_projects.tasks import pipeline_project

logger = logging.getLogger("pastas_projects.flows")

DEFAULT_BLOCK = "pastas-store"
"""Name of the saved Pastas Store block the flows use by default."""


class AllFailedError(PastasProjectsError, RuntimeError):
    """Every item of a run failed; ``summary`` holds what happened.

    Parameters
    ----------
    message : str
        What failed, e.g. the first error.
    summary : dict, optional
        The run summary (counts, failures).

    """

    def __init__(self, message: str, summary: dict | None = None) -> None:
        super().__init__(message)
        self.summary = summary or {}

    def __reduce__(self) -> tuple:
        return (type(self), (self.args[0] if self.args else "", self.summary))


@dataclass
class FlowRun:
    """What a flow run works with, set up by :func:`start_run`.

    Attributes
    ----------
    block : PastasStoreBlock
        The store.
    db : Database
        The store, opened in the flow's process.
    runner : TaskRunner
        The flow run's task runner, configured from the flow's parameters.
    logger : logging.Logger
        The flow run's logger (its lines reach the Prefect UI).
    started : float
        ``time.perf_counter()`` at the start.
    started_at : float
        Wall clock (``time.time()``) at the start.
    since : str
        UTC time of the start, as stored in models' records: what an earlier
        attempt of a batch did after it is not done again.
    batch_size : int or None
        Fixed largest batch size, or ``None`` for the automatic rule.

    """

    block: PastasStoreBlock
    db: Database
    runner: Any
    logger: logging.Logger | logging.LoggerAdapter
    started: float
    started_at: float
    since: str
    batch_size: int | None


def start_run(
    store: PastasStoreBlock | str,
    workers: int,
    threads_per_worker: int,
    cluster_address: str | None,
    batch_size: int | None,
) -> FlowRun:
    """Check the common parameters, open the store and configure the Dask cluster.

    Raises
    ------
    ValueError
        For a count parameter below 1, or a store that lives in one process
        (``mem://``, ``memory://``): the tasks run in other processes, each of which
        would see an empty store of its own.

    """
    started, started_at, since = time.perf_counter(), time.time(), utc_now()
    check_positive(workers=workers, threads_per_worker=threads_per_worker, batch_size=batch_size)
    run_logger = get_run_logger()
    block = load_store_block(store)
    if block.scheme in IN_PROCESS_SCHEMES:
        raise ValueError(
            f"store {block.display_uri} lives in one process, but the flow's tasks run in "
            "Dask worker processes; use a store they share, e.g. lmdb:///data/pastas"
        )
    block, project = pipeline_project(block)
    run_logger.info("store %s", block.display_uri)
    runner = flow_task_runner(workers, threads_per_worker, cluster_address)
    return FlowRun(block, project.db, runner, run_logger, started, started_at, since, batch_size)


def check_positive(**values: int | None) -> None:
    """Raise a clear ``ValueError`` for a count parameter below 1."""
    for name, value in values.items():
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a whole number >= 1, not {value!r}")


def slug(text: str) -> str:
    """Lower-case letters, digits and dashes only (what artifact keys allow)."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-") or "store"


def flow_task_runner(
    workers: int = 2, threads_per_worker: int = 1, cluster_address: str | None = None
) -> Any:
    """Configure the task runner of the current flow run and return it.

    The flows' default runner (a :class:`PastasDaskTaskRunner` with
    ``follow_parameters``) is set up from the arguments: without ``cluster_address``
    it uses the warm cluster of this machine when one runs for the same Prefect API
    (:mod:`~pastas_projects.flows.warm_cluster`), else it starts a local cluster for
    the run. A runner a caller chose with ``flow.with_options(task_runner=...)`` is
    used as it is.

    Returns
    -------
    prefect.task_runners.TaskRunner

    """
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.task_runner is None:
        raise RuntimeError("flow_task_runner() must be called inside a flow run")
    runner = context.task_runner
    if (
        isinstance(runner, PastasDaskTaskRunner)
        and runner.follow_parameters
        and runner._client is None
    ):
        warm = find_warm_cluster() if cluster_address is None else None
        if warm is not None:
            logger.info("using the warm cluster at %s (pastas-projects cluster)", warm.address)
            cluster_address = warm.address
        runner.configure(workers, threads_per_worker, cluster_address, warm=warm is not None)
    return runner
