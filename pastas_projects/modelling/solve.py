"""Solve stored models in batches and record every outcome with the model.

:func:`solve_batch` is the work of one batch: :class:`~pastas_projects.PastasProject`
runs it in a loop and the solve task runs it on Dask workers. One failing model
never stops a batch: its error is stored with it and the rest go on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

import pastas as ps
from pastas.stats import metrics

from pastas_projects.errors import ItemNotFoundError, ModelBuildError
from pastas_projects.modelling.checks import Checklist, checklist_entries, run_checks
from pastas_projects.store import Database, SeriesCache
from pastas_projects.store.bookkeeping import finite
from pastas_projects.store.outcomes import Outcome, error_text


def fit_statistics(ml: ps.Model) -> dict[str, float | None]:
    """Fit statistics of a solved model, from one simulation.

    Parameters
    ----------
    ml : pastas.Model
        A solved model.

    Returns
    -------
    dict
        :data:`~pastas_projects.store.bookkeeping.DEFAULT_STATISTICS` as plain floats
        (``None`` when undefined).

    """
    res = ml.residuals()
    obs = ml.observations()
    sim = obs - res
    nparam = int(ml.parameters["vary"].sum())
    noise = ml.noise(res=res) if ml.noisemodel is not None else res  # one simulation
    values = {
        "evp": metrics.evp(obs=obs, res=res),
        "rsq": metrics.rsq(obs=obs, res=res),
        "rmse": metrics.rmse(res=res),
        "nse": metrics.nse(obs=obs, res=res),
        "kge": metrics.kge(obs=obs, sim=sim),
        "aic": metrics.aic(res=noise, nparam=nparam),
        "bic": metrics.bic(res=noise, nparam=nparam),
    }
    return {k: finite(v) for k, v in values.items()}


def solve_batch(
    db: Database,
    names: Iterable[str],
    solve_kwargs: dict[str, Any] | None = None,
    progress: Any = None,
    checklist: Checklist | bool = None,
) -> list[Outcome]:
    """Rebuild, solve, check and store each model; record failures with their error.

    A solved model is checked at once, while it is in memory (see
    :mod:`pastas_projects.modelling.checks`), and stored with its statistics and
    checks.

    Parameters
    ----------
    db : Database
        The store.
    names : iterable of str
        Models to solve.
    solve_kwargs : dict, optional
        Passed to :meth:`pastas.Model.solve` (e.g. ``{"noise": True}``).
    progress : callable, optional
        Called with each :class:`Outcome` as soon as it is known.
    checklist : list, optional
        The checks to store with each solved model (default pastas'
        ``checks_brakenhoff_2022``); ``False``: store no checks.

    Returns
    -------
    list of Outcome

    """
    solve_kwargs = {"report": False} | dict(solve_kwargs or {})
    entries = None if checklist is False else checklist_entries(checklist)  # before any work
    cache = SeriesCache(db)
    outcomes = []
    for name in names:
        start = time.perf_counter()
        try:
            rebuilt = db.rebuild_model(name, cache=cache)
        except (ItemNotFoundError, ModelBuildError) as err:
            outcome = Outcome(name, False, "build", time.perf_counter() - start, error_text(err))
        else:
            ml, inputs, versions = rebuilt.model, rebuilt.inputs, rebuilt.versions
            try:
                ml.solve(**solve_kwargs)
                statistics = fit_statistics(ml)
                if not math.isfinite(ml.parameters["optimal"].sum()):
                    raise ValueError("the solver returned non-finite parameters")
            except Exception as err:  # any solver failure is recorded, never raised
                db.write_model(ml, inputs, versions, error=error_text(err))
                outcome = Outcome(
                    name, False, "solve", time.perf_counter() - start, error_text(err)
                )
            else:
                checks, check_errors = run_checks(ml, entries) if entries else ({}, {})
                db.write_model(
                    ml, inputs, versions, statistics, checks=checks, check_errors=check_errors
                )
                outcome = Outcome(
                    name, True, "solve", time.perf_counter() - start, None, statistics
                )
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes
