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
from pastas_projects.store import Database, SeriesCache
from pastas_projects.store.bookkeeping import finite
from pastas_projects.store.models import carried
from pastas_projects.store.outcomes import Outcome, error_text

DEFAULT_STATISTICS = ("evp", "rsq", "rmse", "nse", "kge", "aic", "bic")
"""Fit statistics stored with every solved model."""


def fit_statistics(ml: ps.Model) -> dict[str, float | None]:
    """Fit statistics of a solved model, from one simulation.

    Parameters
    ----------
    ml : pastas.Model
        A solved model.

    Returns
    -------
    dict
        :data:`DEFAULT_STATISTICS` as plain floats (``None`` when undefined).

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


def solve_one(
    ml: ps.Model, solve_kwargs: dict[str, Any], warm_start: bool
) -> tuple[bool, int | None]:
    """Solve a rebuilt model, from its last optimal parameters if ``warm_start``.

    A warm start begins at the stored optimum (parameters that have none, e.g. of a
    newly added stress model, start at their initial value) instead of the initial
    values. The stored initial values stay as they were, so a later cold solve
    (``warm_start=False``) starts where the first solve did.

    Returns
    -------
    (bool, int or None)
        Whether it started warm (there was an optimum to start from), and the number
        of function evaluations the solver made.

    """
    optimal = ml.parameters["optimal"]
    warm = bool(warm_start and optimal.notna().any())
    initial = ml.parameters["initial"].copy()
    ml.solve(initial=not warm, **solve_kwargs)
    if warm:  # keep the initial values of the model as they were
        for parameter, value in initial.items():
            if parameter in ml.parameters.index:
                ml.set_parameter(parameter, initial=value)
    nfev = getattr(getattr(ml.solver, "result", None), "nfev", None)
    return warm, None if nfev is None else int(nfev)


def solve_batch(
    db: Database,
    names: Iterable[str],
    solve_kwargs: dict[str, Any] | None = None,
    progress: Any = None,
    warm_start: bool = False,
) -> list[Outcome]:
    """Rebuild, solve and store each model; record failures with their error.

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
    warm_start : bool, optional
        Start each model from its last optimal parameters (see :func:`solve_one`);
        the record's ``solve_info`` says whether it did and how many function
        evaluations it took.

    Returns
    -------
    list of Outcome

    """
    solve_kwargs = {"report": False} | dict(solve_kwargs or {})
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
                warm, nfev = solve_one(ml, kwargs, warm_start)
                extra["solve_info"] = {"warm_start": warm, "nfev": nfev}
                statistics = fit_statistics(ml)
                if not math.isfinite(ml.parameters["optimal"].sum()):
                    raise ValueError("the solver returned non-finite parameters")
            except Exception as err:  # any solver failure is recorded, never raised
                db.write_model(ml, inputs, versions, error=error_text(err), extra=extra)
                outcome = Outcome(
                    name, False, "solve", time.perf_counter() - start, error_text(err)
                )
            else:
                db.write_model(ml, inputs, versions, statistics=statistics, extra=extra)
                outcome = Outcome(
                    name, True, "solve", time.perf_counter() - start, None, statistics
                )
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes
