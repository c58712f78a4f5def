"""Solve a batch of stored models on a Dask worker."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from prefect import task

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.store import Database
from pastas_projects.store.outcomes import Outcome
from pastas_projects.tasks._common import (
    TASK_OPTIONS,
    BatchClock,
    done_since,
    in_order,
    pipeline_project,
)

if TYPE_CHECKING:
    import pastas as ps

# pastas loads in the worker that solves (the worker preload imports it), not in the
# flow's process, which only plans and collects batches.


class SolverPerModel:
    """Hand each model its own new pastas solver of a class.

    :func:`pastas_projects.modelling.solve_batch` passes the same ``solve_kwargs``
    to every model, but a pastas 2 solver instance belongs to one model
    (``LeastSquares(model)``). Given as ``solver=``, this object is "attached" to a
    model by :meth:`pastas.Model.solve` through :meth:`set_model`, which instead
    puts a new solver of the class on the model, so every model gets its own.
    """

    def __init__(self, solver_class: type, **options: Any) -> None:
        self.solver_class = solver_class
        self.options = options
        self._name = f"per-model {solver_class.__name__}"
        self.model = None  # stays None: pastas calls set_model for every model

    def set_model(self, model: ps.Model) -> None:
        """Put a new solver on ``model`` (replacing this placeholder)."""
        model.solver = self.solver_class(model, **self.options)

    def __reduce__(self) -> tuple:
        return (type(self), (self.solver_class,), {"options": self.options})


def make_solver(name: str | None) -> SolverPerModel | None:
    """A per-model solver from a pastas solver class name (``None``: pastas' default).

    Parameters
    ----------
    name : str or None
        A class in :mod:`pastas.solver`, e.g. ``"LeastSquares"`` or ``"Lmfit"``.

    Returns
    -------
    SolverPerModel or None

    Raises
    ------
    ValueError
        If there is no such solver, or its optional package (``lmfit``, ``emcee``) is
        not installed.

    """
    if name is None or name == "":
        return None
    import pastas as ps

    known = [n for n in ("LeastSquares", "Lmfit", "Emcee") if hasattr(ps.solver, n)]
    solver_class = getattr(ps.solver, name, None) if name in known else None
    if not isinstance(solver_class, type):
        raise ValueError(f"unknown pastas solver {name!r}; use one of {known} or None")
    package = {"Lmfit": "lmfit", "Emcee": "emcee"}.get(name)
    if package is not None:
        import importlib.util

        if importlib.util.find_spec(package) is None:
            raise ValueError(f"pastas solver {name!r} needs the {package!r} package")
    return SolverPerModel(solver_class)


def reused_outcomes(
    db: Database, names: list[str], since: str | None
) -> tuple[dict[str, dict], list[str]]:
    """Split a batch into models already done since ``since`` and models to solve.

    A batch that runs again after a worker died or a retry must not solve models a
    second time: models solved (or failed) at or after ``since`` whose series did
    not change since are reported from the store instead.

    Returns
    -------
    (dict, list)
        Outcome rows (``reused: True``) by name, and the names still to solve.

    """
    if since is None or not names:
        return {}, list(names)
    infos = db.model_records(names, missing="skip")
    candidates = [
        n
        for n, info in infos.items()
        if (info.get("status") == "solved" and done_since(info, since, "solved_at"))
        or (info.get("status") == "failed" and done_since(info, since, "failed_at"))
    ]
    stale = set(db.stale_models(candidates)) if candidates else set()
    reused = {}
    for name in candidates:
        info = infos[name]
        solved = info.get("status") == "solved"
        if solved and name in stale:
            continue
        outcome = Outcome(
            name, solved, "solve", 0.0, info.get("error"), info.get("statistics") or {}
        )
        reused[name] = outcome.to_dict() | {"reused": True}
    return reused, [n for n in names if n not in reused]


@task(name="solve_batch", **TASK_OPTIONS)
def solve_batch_task(
    store: PastasStoreBlock | str,
    names: list[str],
    solve_kwargs: dict[str, Any] | None = None,
    solver: str | None = None,
    since: str | None = None,
    warm_start: bool = False,
) -> list[dict[str, Any]]:
    """Rebuild, solve and store a batch of models; failures are recorded per model.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store, or the name of a saved block.
    names : list of str
        Models to solve.
    solve_kwargs : dict, optional
        Passed to :meth:`pastas.Model.solve` (e.g. ``{"tmin": "2000"}``).
    solver : str, optional
        Name of a solver class in :mod:`pastas.solver`; default pastas' own.
    since : str, optional
        Start time (UTC ISO) of the run: models solved since then by an earlier
        attempt of this batch are not solved again (see :func:`reused_outcomes`).
    warm_start : bool
        Start each model from its last optimal parameters (see
        :func:`pastas_projects.modelling.solve.solve_one`).

    Returns
    -------
    list of dict
        One :meth:`Outcome.to_dict` per model, in the order of ``names``, with
        ``reused`` (taken from the store, not solved again) added.

    """
    from pastas_projects.modelling.solve import solve_batch

    clock = BatchClock()
    _, project = pipeline_project(store)
    rows, todo = reused_outcomes(project.db, names, since)
    kwargs = dict(solve_kwargs or {})
    instance = make_solver(solver)
    if instance is not None:
        kwargs["solver"] = instance
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        for outcome in solve_batch(project.db, todo, kwargs, warm_start=warm_start):
            rows[outcome.name] = outcome.to_dict() | {"reused": False}
    return clock.stamp(in_order(names, rows))
