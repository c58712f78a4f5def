"""Build and solve models in batches, recording every outcome.

These functions hold the work itself; :class:`~pastas_projects.PastasProject` runs
them in a loop and the Prefect tasks run them on Dask workers. One failing model
never stops a batch: its error is recorded and the rest go on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pastas as ps
from pastas.stats import metrics

from pastas_projects.bookkeeping import finite, series_key
from pastas_projects.errors import ItemNotFoundError, ModelBuildError
from pastas_projects.models_store import SeriesCache

if TYPE_CHECKING:
    from pastas_projects.database import Database

DEFAULT_STATISTICS = ("evp", "rsq", "rmse", "nse", "kge", "aic", "bic")
"""Fit statistics stored with every solved model."""

RFUNCS = {"well": ("Hantush", False), "river": ("Gamma", True), "level": ("Gamma", True)}
"""Response function and direction (``up``) used for extra stresses of a kind."""


@dataclass
class Outcome:
    """What happened to one model in a batch.

    Attributes
    ----------
    name : str
        The model.
    ok : bool
        Whether the step succeeded.
    step : str
        ``"build"`` or ``"solve"``.
    seconds : float
        Time spent on this model.
    error : str or None
        The error, as ``"Type: message"``, when it failed.
    statistics : dict
        Fit statistics of a solved model.

    """

    name: str
    ok: bool
    step: str
    seconds: float
    error: str | None = None
    statistics: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, e.g. for a table row."""
        return asdict(self)


def _error_text(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


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


def solve_batch(
    db: Database,
    names: Iterable[str],
    solve_kwargs: dict[str, Any] | None = None,
    progress: Any = None,
) -> list[Outcome]:
    """Rebuild, solve and store each model; record failures with their error.

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
            ml, info, versions = db._build_model(name, None, cache)
        except (ItemNotFoundError, ModelBuildError) as err:
            outcome = Outcome(name, False, "build", time.perf_counter() - start, _error_text(err))
        else:
            inputs = info["current_inputs"]
            try:
                ml.solve(**solve_kwargs)
                statistics = fit_statistics(ml)
                if not math.isfinite(ml.parameters["optimal"].sum()):
                    raise ValueError("the solver returned non-finite parameters")
            except Exception as err:  # any solver failure is recorded, never raised
                db._write_model(ml, inputs, versions, error=_error_text(err))
                outcome = Outcome(
                    name, False, "solve", time.perf_counter() - start, _error_text(err)
                )
            else:
                db._write_model(ml, inputs, versions, statistics=statistics)
                outcome = Outcome(
                    name, True, "solve", time.perf_counter() - start, None, statistics
                )
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def nearest_stress(db: Database, oseries: str, kind: str) -> str:
    """Name of the stress of a kind nearest to an oseries, by ``x``/``y`` metadata.

    Raises
    ------
    ModelBuildError
        If the oseries has no coordinates or no stress of that kind has them.

    """
    point = db.get_metadata("oseries", oseries).iloc[0]
    if not {"x", "y"} <= set(point.index) or pd.isna(point["x"]) or pd.isna(point["y"]):
        raise ModelBuildError(f"oseries {oseries!r} has no x/y metadata to find the nearest {kind}")
    table = db.stresses
    if "kind" not in table or not {"x", "y"} <= set(table.columns):
        raise ModelBuildError(f"no stress of kind {kind!r} with x/y metadata in the store")
    candidates = table[(table["kind"] == kind) & table["x"].notna() & table["y"].notna()]
    if candidates.empty:
        raise ModelBuildError(f"no stress of kind {kind!r} with x/y metadata in the store")
    distance = (candidates["x"] - point["x"]) ** 2 + (candidates["y"] - point["y"]) ** 2
    return str(distance.astype(float).idxmin())


def build_model(
    db: Database,
    oseries: str,
    recharge: tuple[str, str] | str | None = "nearest",
    stresses: Sequence[str] = (),
    rfunc: str = "Exponential",
    recharge_model: str = "Linear",
    name: str | None = None,
    noise: bool = False,
    cache: SeriesCache | None = None,
) -> tuple[ps.Model, dict[str, str], dict[str, int | None]]:
    """Build (but do not store) a model from stored series.

    Parameters
    ----------
    db : Database
        The store.
    oseries : str
        Name of the oseries.
    recharge : (str, str), "nearest" or None
        Names of the precipitation and evaporation stresses of a RechargeModel, or
        ``"nearest"`` for the stresses of kind ``prec`` and ``evap`` nearest to the
        oseries by ``x``/``y`` metadata, or None for no recharge.
    stresses : sequence of str
        Further stresses, each added as a StressModel; its ``kind`` metadata picks
        the response (``well``: Hantush, downward; others: Gamma, upward).
    rfunc : str
        Response function of the recharge (a class in ``pastas.rfunc``).
    recharge_model : str
        Recharge model (a class in ``pastas.recharge``), e.g. ``"Linear"``.
    name : str, optional
        Model name; defaults to the oseries name.
    noise : bool
        Add an AR(1) noise model.
    cache : SeriesCache, optional
        Share stress reads with other models of the same batch.

    Returns
    -------
    tuple
        The model, ``series key -> content hash`` and ``series key -> version`` of
        the series it was built from.

    """
    cache = cache or SeriesCache(db)
    inputs: dict[str, str] = {}
    versions: dict[str, int | None] = {}

    def read(library: str, series_name: str) -> pd.Series:
        series, stored = cache.get(library, series_name)
        key = series_key(library, series_name)
        inputs[key] = stored.metadata.get("_hash")
        versions[key] = stored.version
        return series

    ml = ps.Model(read("oseries", oseries), name=name or oseries)
    if recharge is not None:
        if recharge == "nearest":
            prec, evap = nearest_stress(db, oseries, "prec"), nearest_stress(db, oseries, "evap")
        else:
            prec, evap = recharge
        ps.RechargeModel(
            ml,
            prec=read("stresses", prec),
            evap=read("stresses", evap),
            rfunc=getattr(ps.rfunc, rfunc)(),
            recharge=getattr(ps.recharge, recharge_model)(),
            name="recharge",
        )
    if stresses:
        kinds = db.get_metadata("stresses", list(stresses)).get("kind", pd.Series(dtype=object))
        for stress in stresses:
            kind = kinds.get(stress)
            response, up = RFUNCS.get(str(kind), ("Gamma", True))
            ps.StressModel(
                ml,
                read("stresses", stress),
                rfunc=getattr(ps.rfunc, response)(),
                name=stress,
                settings=kind if kind in ("prec", "evap", "well") else None,
                up=up,
            )
    if noise:
        ps.ArNoiseModel(ml)  # attaches itself (the pastas >= 2.4 way)
    return ml, inputs, versions


def build_batch(
    db: Database,
    oseries: Iterable[str],
    overwrite: bool = False,
    progress: Any = None,
    **build_kwargs: Any,
) -> list[Outcome]:
    """Build and store one model per oseries; record failures with their error.

    Models that exist are skipped (counted as ok) unless ``overwrite`` is True, so a
    re-run adds nothing twice.
    """
    cache = SeriesCache(db)
    existing = set(db.conn._list_names("models"))
    outcomes = []
    for name in oseries:
        start = time.perf_counter()
        model_name = build_kwargs.get("name") or name
        if model_name in existing and not overwrite:
            outcome = Outcome(model_name, True, "build", 0.0, None)
        else:
            try:
                ml, inputs, versions = build_model(db, name, cache=cache, **build_kwargs)
                db._write_model(ml, inputs, versions)
                outcome = Outcome(model_name, True, "build", time.perf_counter() - start)
            except Exception as err:  # a model that cannot be built is recorded
                outcome = Outcome(
                    model_name, False, "build", time.perf_counter() - start, _error_text(err)
                )
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes
