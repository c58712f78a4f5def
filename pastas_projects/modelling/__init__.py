"""Pastas work on stored models: build, solve and fit statistics.

No Prefect here: :class:`~pastas_projects.PastasProject` calls these functions in
a loop, and the tasks of :mod:`pastas_projects.tasks` call them on Dask workers.
"""

from pastas_projects.modelling.build import build_batch, build_model, models_to_build
from pastas_projects.modelling.solve import fit_statistics, solve_batch

__all__ = [
    "build_batch",
    "build_model",
    "fit_statistics",
    "models_to_build",
    "solve_batch",
]
