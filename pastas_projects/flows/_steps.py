"""Run one step (ingest, build, solve, statistics) over batches on the Dask cluster.

:func:`run_step` plans the batches of a step, submits them all to the flow run's
task runner (a :class:`~.cluster.PastasDaskTaskRunner`) and collects them as they
complete, moving a progress artifact.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import as_completed

from pastas_projects.flows._common import FlowRun
from pastas_projects.flows.batching import make_batches
from pastas_projects.flows.cluster import runner_threads
from pastas_projects.store.outcomes import Outcome
from pastas_projects.tasks import (
    apply_batch_task,
    build_batch_task,
    build_plans_batch,
    copy_batch_task,
    ingest_batch,
    is_transient,
    solve_batch_task,
    statistics_batch,
)

STEPS: dict[str, tuple[Any, str]] = {
    "ingest": (ingest_batch, "items"),
    "build": (build_batch_task, "oseries"),
    "solve": (solve_batch_task, "names"),
    "statistics": (statistics_batch, "names"),
    "copy": (copy_batch_task, "names"),
    "define": (build_plans_batch, "plans"),
    "apply": (apply_batch_task, "names"),
}
"""Step -> (batch task, name of its batch parameter)."""

VERBS = {
    "ingest": "Ingesting",
    "build": "Building",
    "define": "Building",
    "solve": "Solving",
    "statistics": "Reading",
    "copy": "Copying",
    "apply": "Applying",
}


@dataclass
class StepResult:
    """Rows of one step and how it went.

    Attributes
    ----------
    rows : list of dict
        One row per item (see the tasks), in no particular order.
    seconds : float
        Wall time of the step, cluster start excluded.
    batches : int
        Number of batches.
    threads : int
        Worker threads the batches were spread over.
    batch_failures : list of str
        Errors of batches that failed as a whole.
    started_at, ended_at : float
        Wall clock (``time.time()``) when the first batch was submitted and when the
        last one was collected.

    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    batches: int = 0
    threads: int = 0
    batch_failures: list[str] = field(default_factory=list)
    started_at: float = 0.0
    ended_at: float = 0.0


def failed_rows(step: str, batch: list[Any], error: BaseException) -> list[dict[str, Any]]:
    """Rows for every item of a batch that failed as a whole."""
    text = f"batch failed: {type(error).__name__}: {error}"
    rows = []
    for item in batch:
        outcome = Outcome(str(getattr(item, "name", item)), False, step, 0.0, text)
        outcome.library = getattr(item, "library", None)
        rows.append(outcome.to_dict() | {"reused": False})
    return rows


def _progress(artifact_id: UUID | None, done: int, total: int, description: str) -> None:
    if artifact_id is None:
        return
    try:
        update_progress_artifact(artifact_id, 100.0 * done / max(total, 1), description=description)
    except Exception as err:  # noqa: BLE001 - progress is never worth failing a run
        logging.getLogger("pastas_projects.flows").warning("progress update failed: %s", err)


def run_step(
    run: FlowRun,
    step: str,
    items: list[Any],
    options: dict[str, Any] | None = None,
    what: str = "models",
    resubmits: int = 1,
) -> StepResult:
    """Run a step over ``items`` in batches on the flow's task runner.

    All batches are submitted at once; they are collected as they complete, moving
    a progress artifact. A batch whose task still fails after its Prefect retries
    (or whose worker died too often) with a transient error is submitted again
    (``resubmits`` times); if it fails anyway its items are recorded as failed and
    the run goes on.

    Parameters
    ----------
    run : FlowRun
        The flow run: its task runner, store (handed to every task) and batch size
        (default: :func:`~.batching.plan_batches`).
    step : {"ingest", "build", "solve", "statistics", "copy"}
        The step.
    items : list
        Model/oseries names, or ingest items.
    options : dict, optional
        Further task arguments.
    what : str
        Word for the items in messages ("models", "series").
    resubmits : int
        How often a batch failing with a transient error is submitted again.

    Returns
    -------
    StepResult

    """
    if not items:
        return StepResult()
    logger = get_run_logger()
    task, param = STEPS[step]
    options = dict(options or {})
    threads = runner_threads(run.runner, 1)  # starts a local cluster (timed by the runner)
    batches = make_batches(items, threads, run.batch_size, step)
    total = len(items)
    progress_id = create_progress_artifact(
        0.0,
        description=f"{VERBS[step]} {total} {what} in {len(batches)} batches "
        f"on {threads} worker thread(s)",
    )
    logger.info(
        "%s %d %s in %d batches of %d-%d on %d worker thread(s)",
        VERBS[step].lower(),
        total,
        what,
        len(batches),
        min(map(len, batches)),
        max(map(len, batches)),
        threads,
    )
    started, result_started_at = time.perf_counter(), time.time()

    def submit(batch: list[Any]) -> Any:
        return task.submit(store=run.block, **{param: batch}, **options)

    pending = {submit(batch): (batch, 0) for batch in batches}
    result = StepResult(batches=len(batches), threads=threads)
    done = 0
    while pending:
        again = {}
        for future in as_completed(list(pending)):
            batch, attempt = pending.pop(future)
            try:
                rows = future.result()
            except Exception as err:  # noqa: BLE001 - recorded per item below
                text = f"{type(err).__name__}: {err}"
                if attempt < resubmits and is_transient(err):
                    logger.warning(
                        "%s batch of %d failed (%s); submitting it again", step, len(batch), text
                    )
                    again[submit(batch)] = (batch, attempt + 1)
                    continue
                logger.error("%s batch of %d failed: %s", step, len(batch), text)
                result.batch_failures.append(text)
                rows = failed_rows(step, batch, err)
            result.rows.extend(rows)
            done += len(batch)
            _progress(progress_id, done, total, f"{VERBS[step]}: {done} of {total} {what} done")
        pending = again
    result.seconds = time.perf_counter() - started
    result.started_at, result.ended_at = result_started_at, time.time()
    return result
