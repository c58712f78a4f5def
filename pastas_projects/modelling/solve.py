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

import pandas as pd
import pastas as ps
from pastas.stats import metrics

from pastas_projects.errors import ItemNotFoundError, ModelBuildError
from pastas_projects.modelling.checks import Checklist, checklist_entries, run_checks
from pastas_projects.store import Database, SeriesCache
from pastas_projects.store.bookkeeping import finite
from pastas_projects.store.models import carried
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


def follow_oseries(ml: ps.Model, period: dict[str, Any] | None, solve_kwargs: dict) -> dict:
    """Let the calibration period of a rebuilt model take in its oseries' new values.

    pastas keeps ``tmin``/``tmax`` in a model's settings, fixed when the model was
    made, so a model rebuilt with an oseries that gained values would be calibrated
    on the old period and never see them. Bounds that followed the oseries (``None``
    in ``period``, see :func:`pastas_projects.store.models.model_period`) are moved
    to the oseries' first and last timestamp now; fixed bounds and bounds given in
    ``solve_kwargs`` stay.

    Returns
    -------
    dict
        The period to record: ``solve_kwargs``' ``tmin``/``tmax`` become fixed.

    """
    period = dict(period or {"tmin": None, "tmax": None})
    moved = {}
    for key in ("tmin", "tmax"):
        given = solve_kwargs.get(key)
        if given is not None:
            period[key] = pd.Timestamp(given).isoformat()
        elif period.get(key) is None:
            moved[key] = ml.oseries.settings[key]
    if moved:
        ml.set_settings(**moved)
    return period


def warm_start_limit(ml: ps.Model) -> int:
    """Iterations a warm start may take before the model is solved cold instead.

    Starting from the last optimum usually converges in a few iterations. Now and
    then that optimum lies in a flat part of the objective (e.g. a noise parameter
    near zero) far from the optimum on the new data, and the solver crawls out of
    it in hundreds of iterations where a cold start needs a dozen. So a warm start
    gets ``10 + (parameters varied)`` solver evaluations (``max_nfev``: 15 for a
    RechargeModel with a noise model, where a warm start typically takes 3-6 and a
    cold one 10-25); if that is not enough, the model is solved cold.
    """
    return 10 + int(ml.parameters["vary"].sum())


def _uses_least_squares(ml: ps.Model, kwargs: dict[str, Any]) -> bool:
    least_squares = ps.solver.LeastSquares
    solver = kwargs.get("solver")
    cls = getattr(solver, "solver_class", None) or (
        type(solver) if solver is not None else type(ml.solver) if ml.solver else least_squares
    )
    return isinstance(cls, type) and issubclass(cls, least_squares)


def _evaluations(ml: ps.Model) -> tuple[int | None, int | None]:
    """``(nfev, evaluations)`` of the last solve.

    ``nfev`` as the solver reports it, ``evaluations`` all objective evaluations
    including those of its numerical Jacobian (``njev`` times the varied parameters).
    """
    result = getattr(ml.solver, "result", None)
    nfev = getattr(result, "nfev", None)
    if nfev is None:
        return None, None
    njev = getattr(result, "njev", None) or 0
    return int(nfev), int(nfev) + int(njev) * int(ml.parameters["vary"].sum())


def solve_one(ml: ps.Model, solve_kwargs: dict[str, Any], warm_start: bool) -> dict[str, Any]:
    """Solve a rebuilt model, from its last optimal parameters if ``warm_start``.

    A warm start begins at the stored optimum (parameters that have none, e.g. of a
    newly added stress model, start at their initial value) instead of the initial
    values, with pastas' LeastSquares limited to :func:`warm_start_limit` evaluations
    (unless ``solve_kwargs`` gives ``max_nfev``); a warm start that needs more is
    followed by a cold solve. The stored initial values stay as they were, so a
    later cold solve (``warm_start=False``) starts where the first solve did.

    Returns
    -------
    dict
        ``solve_info`` of the record: ``warm_start`` (it started warm: there was an
        optimum to start from), ``cold_after_warm`` (the warm start ran out of
        evaluations), ``nfev`` (the solver's count of evaluations, both solves) and
        ``evaluations`` (including those of the numerical Jacobian).

    """
    optimal = ml.parameters["optimal"]
    warm = bool(warm_start and optimal.notna().any())
    initial = ml.parameters["initial"].copy()
    info: dict[str, Any] = {"warm_start": warm, "cold_after_warm": False}
    nfev = evaluations = 0
    if warm:
        kwargs = dict(solve_kwargs)
        capped = _uses_least_squares(ml, kwargs) and "max_nfev" not in kwargs
        if capped:
            kwargs["max_nfev"] = warm_start_limit(ml)
            # pastas keeps solve options on its solver, and the solver with the model:
            # the limit must not stay with it
            own_limit = getattr(ml.solver, "max_nfev", None)
        ml.solve(initial=False, **kwargs)
        n, e = _evaluations(ml)
        nfev, evaluations = nfev + (n or 0), evaluations + (e or 0)
        result = getattr(ml.solver, "result", None)
        if capped:
            ml.solver.max_nfev = own_limit
        if capped and getattr(result, "status", None) == 0:  # ran out of evaluations
            info["cold_after_warm"] = True
            ml.solve(initial=True, **solve_kwargs)
            n, e = _evaluations(ml)
            nfev, evaluations = nfev + (n or 0), evaluations + (e or 0)
        for parameter, value in initial.items():  # keep the model's initial values
            if parameter in ml.parameters.index:
                ml.set_parameter(parameter, initial=value)
    else:
        ml.solve(initial=True, **solve_kwargs)
        nfev, evaluations = _evaluations(ml)
    info["nfev"] = nfev
    info["evaluations"] = evaluations
    return info


def solve_batch(
    db: Database,
    names: Iterable[str],
    solve_kwargs: dict[str, Any] | None = None,
    progress: Any = None,
    checklist: Checklist | bool = None,
    warm_start: bool = False,
) -> list[Outcome]:
    """Rebuild, solve, check and store each model; record failures with their error.

    A solved model is checked at once, while it is in memory (see
    :mod:`pastas_projects.modelling.checks`), and stored with its statistics and
    checks.

    A model that cannot be rebuilt (a series it uses is gone) is recorded as failed
    in the store, with the reason, so no table goes on showing its old fit. A model
    whose oseries gained values is calibrated over its new period (see
    :func:`follow_oseries`).

    Parameters
    ----------
    db : Database
        The store.
    names : iterable of str
        Models to solve.
    solve_kwargs : dict, optional
        Passed to :meth:`pastas.Model.solve` (e.g. ``{"tmin": "2000"}``), on top of
        the solve options a model's definition gave it.
    progress : callable, optional
        Called with each :class:`Outcome` as soon as it is known.
    checklist : list, optional
        The checks to store with each solved model (default pastas'
        ``checks_brakenhoff_2022``); ``False``: store no checks.
    warm_start : bool, optional
        Start each model from its last optimal parameters (see :func:`solve_one`);
        the record's ``solve_info`` says whether it did and how many function
        evaluations it took.

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
        except ItemNotFoundError as err:
            outcome = Outcome(name, False, "build", time.perf_counter() - start, error_text(err))
        except ModelBuildError as err:
            db.mark_failed(name, error_text(err))  # the stored record must not stay "solved"
            outcome = Outcome(name, False, "build", time.perf_counter() - start, error_text(err))
        else:
            ml, inputs, versions = rebuilt.model, rebuilt.inputs, rebuilt.versions
            kwargs = dict(rebuilt.record.get("solve_options") or {}) | solve_kwargs
            extra = carried(rebuilt.record)
            try:
                extra["period"] = follow_oseries(ml, rebuilt.period, kwargs)
                extra["solve_info"] = solve_one(ml, kwargs, warm_start)
                statistics = fit_statistics(ml)
                if not math.isfinite(ml.parameters["optimal"].sum()):
                    raise ValueError("the solver returned non-finite parameters")
            except Exception as err:  # any solver failure is recorded, never raised
                db.write_model(ml, inputs, versions, error=error_text(err), extra=extra)
                outcome = Outcome(
                    name, False, "solve", time.perf_counter() - start, error_text(err)
                )
            else:
                checks, check_errors = run_checks(ml, entries) if entries else ({}, {})
                db.write_model(
                    ml,
                    inputs,
                    versions,
                    statistics,
                    checks=checks,
                    check_errors=check_errors,
                    extra=extra,
                )
                outcome = Outcome(
                    name, True, "solve", time.perf_counter() - start, None, statistics
                )
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes
