"""Prefect tasks that work on batches of series or models.

Each task takes the store (a :class:`~pastas_projects.blocks.PastasStoreBlock` or the
name of a saved one) and a batch; it opens the store once per worker process,
records failures per item instead of raising them, retries transient store errors
and returns a plain list of dicts (one per item).
"""

from pastas_projects.tasks._common import is_transient, pipeline_project, retry_condition
from pastas_projects.tasks.apply import apply_batch_task
from pastas_projects.tasks.build import build_batch_task, build_plans_batch
from pastas_projects.tasks.copy import copy_batch_task
from pastas_projects.tasks.ingest import ingest_batch
from pastas_projects.tasks.solve import make_solver, solve_batch_task
from pastas_projects.tasks.statistics import statistics_batch

__all__ = [
    "apply_batch_task",
    "build_batch_task",
    "build_plans_batch",
    "copy_batch_task",
    "ingest_batch",
    "is_transient",
    "make_solver",
    "pipeline_project",
    "retry_condition",
    "solve_batch_task",
    "statistics_batch",
]
