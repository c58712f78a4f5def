"""What every flow does first, and the rule that fails a run in which everything failed."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from prefect import get_run_logger

from pastas_projects.blocks import PastasStoreBlock, load_store_block
from pastas_projects.connectors.uri import IN_PROCESS_SCHEMES
from pastas_projects.errors import PastasProjectsError
from pastas_projects.flows.cluster import flow_task_runner
from pastas_projects.store import Database
from pastas_projects.store.bookkeeping import utc_now
from pastas_projects.tasks import pipeline_project

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
    logger = get_run_logger()
    block = load_store_block(store)
    if block.scheme in IN_PROCESS_SCHEMES:
        raise ValueError(
            f"store {block.display_uri} lives in one process, but the flow's tasks run in "
            "Dask worker processes; use a store they share, e.g. lmdb:///data/pastas"
        )
    block, project = pipeline_project(block)
    logger.info("store %s", block.display_uri)
    runner = flow_task_runner(workers, threads_per_worker, cluster_address)
    return FlowRun(block, project.db, runner, logger, started, started_at, since, batch_size)


def check_positive(**values: int | None) -> None:
    """Raise a clear ``ValueError`` for a count parameter below 1."""
    for name, value in values.items():
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a whole number >= 1, not {value!r}")
