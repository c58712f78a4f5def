"""Pastas work on stored models: build, solve, edit, and plan what a run builds.

No Prefect here: :class:`~pastas_projects.PastasProject` calls these functions in
a loop, and the tasks of :mod:`pastas_projects.tasks` call them on Dask workers.
The modules load on first use (pastas takes a while to import, and the processes
that only orchestrate a run never need it).
"""

from __future__ import annotations

import importlib

_LAZY = {
    "build_batch": "pastas_projects.modelling.build",
    "build_model": "pastas_projects.modelling.build",
    "fit_statistics": "pastas_projects.modelling.solve",
    "models_to_build": "pastas_projects.modelling.plan",
    "solve_batch": "pastas_projects.modelling.solve",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):  # PEP 562
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
