"""What every batch task shares: opening the store, retry rules, task options.

Tasks run on Dask workers. Each gets the store block (or the name of a saved
block), opens the store through :func:`pipeline_project`, which opens it once per
worker process, and works through a whole batch of items.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.runtime import task_run as runtime_task_run

from pastas_projects.blocks import PastasStoreBlock, load_store_block
from pastas_projects.connectors import see_other_processes_writes
from pastas_projects.connectors.uri import ARCTIC_SCHEMES
from pastas_projects.errors import PastasProjectsError, StoreConnectionError
from pastas_projects.project import PastasProject

logger = logging.getLogger("pastas_projects.tasks")


NOT_RETRIED: tuple[type[BaseException], ...] = (
    TypeError,
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    PermissionError,
)
"""Errors that a retry cannot fix (besides the pastas_projects validation errors)."""


def is_transient(exc: BaseException | None) -> bool:
    """Whether retrying the task that raised ``exc`` may help.

    Store connection problems and unknown errors (e.g. a lost database connection)
    are retried; validation errors of :mod:`pastas_projects.errors` (bad names,
    series, metadata, missing items), wrong argument types and missing files are not.

    Parameters
    ----------
    exc : BaseException or None
        The error.

    Returns
    -------
    bool

    """
    if exc is None:
        return False
    if isinstance(exc, StoreConnectionError):
        return True
    if isinstance(exc, (PastasProjectsError, *NOT_RETRIED)):
        return False
    return isinstance(exc, Exception)


def retry_condition(task: Any, task_run: TaskRun, state: State) -> bool:
    """``retry_condition_fn`` of the batch tasks: retry transient errors only."""
    exc = state.data if isinstance(state.data, BaseException) else None
    if exc is None:
        try:
            state.result(raise_on_failure=True)
        except BaseException as err:  # noqa: BLE001 - only inspected
            exc = err
    retry = is_transient(exc)
    if not retry:
        logger.info("not retrying %s: %s", task_run.name, type(exc).__name__)
    return retry


def batch_run_name() -> str:
    """Name of a batch task run, e.g. ``solve syn_00001..syn_00027 (27)``."""
    parameters = runtime_task_run.parameters or {}
    items = next(
        (
            parameters[k]
            for k in ("names", "oseries", "items", "plans")
            if parameters.get(k) is not None
        ),
        [],
    )
    labels = [getattr(item, "name", item) for item in items]
    labels = [str(label).rsplit("/", 1)[-1] for label in labels if label]
    step = runtime_task_run.task_name.removesuffix("_task").removesuffix("_batch")
    if not labels:
        return f"{step} (empty)"
    span = labels[0] if len(labels) == 1 else f"{labels[0]}..{labels[-1]}"
    return f"{step} {span} ({len(labels)})"


TASK_OPTIONS: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": [2, 10],
    "retry_condition_fn": retry_condition,
    "cache_policy": NO_CACHE,
    "persist_result": False,
    "task_run_name": batch_run_name,
}
"""Options of every batch task: retries of transient errors, no caching."""


def pipeline_project(store: PastasStoreBlock | str) -> tuple[PastasStoreBlock, PastasProject]:
    """The block and a project on its store, for a flow or one of its tasks.

    The connector is opened once per process and shared (see
    :meth:`PastasStoreBlock.get_connector`). A pipeline's processes read what others
    have just written, so an ArcticDB store is made to see other processes' writes
    at once (:func:`~pastas_projects.connectors.see_other_processes_writes`); that
    is a process-wide ArcticDB setting, made here and not when a module is imported.

    Parameters
    ----------
    store : PastasStoreBlock or str
        A block or the name of a saved block.

    Returns
    -------
    (PastasStoreBlock, PastasProject)

    """
    block = load_store_block(store)
    if block.scheme in ARCTIC_SCHEMES:
        see_other_processes_writes()
    return block, block.get_project()


def parse_time(value: str | None) -> datetime | None:
    """Parse an ISO time as written by :func:`pastas_projects.store.bookkeeping.utc_now`."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def done_since(info: dict, since: str | None, key: str) -> bool:
    """Whether ``info[key]`` (a time) is at or after ``since`` (a run's start time)."""
    start, when = parse_time(since), parse_time(info.get(key))
    return start is not None and when is not None and when >= start


def in_order(names: Iterable[str], rows: dict[str, dict]) -> list[dict]:
    """Rows in the order of ``names`` (one per name)."""
    return [rows[name] for name in names]


class BatchClock:
    """Where and how long a batch ran, stamped on its rows for the run's accounting.

    >>> clock = BatchClock()
    >>> rows = clock.stamp([{"name": "m1"}])
    >>> sorted(rows[0]["batch"])
    ['cpu_s', 'end', 'start', 'worker']
    """

    def __init__(self) -> None:
        self.start, self.cpu = time.time(), time.process_time()

    def stamp(self, rows: list[dict]) -> list[dict]:
        """Add ``batch``: the worker process, its CPU seconds and the wall clock span."""
        batch = {
            "worker": f"{socket.gethostname()}:{os.getpid()}",
            "start": self.start,
            "end": time.time(),
            "cpu_s": time.process_time() - self.cpu,
        }
        for row in rows:
            row["batch"] = batch
        return rows
