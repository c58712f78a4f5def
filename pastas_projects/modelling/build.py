"""Build Pastas models from stored series, and store them.

:func:`build_model` builds one model: a ``RechargeModel`` from named or nearest
precipitation and evaporation stresses, plus further stresses.
:func:`build_batch` builds and stores many, recording every outcome; it is the work
of :meth:`~pastas_projects.PastasProject.create_model` and of the build task.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import pastas as ps

from pastas_projects.errors import ModelBuildError
from pastas_projects.modelling.plan import models_to_build
from pastas_projects.store import Database, SeriesCache
from pastas_projects.store.bookkeeping import HASH_KEY, series_key
from pastas_projects.store.outcomes import Outcome, error_text

RFUNCS = {"well": ("Hantush", False), "river": ("Gamma", True), "level": ("Gamma", True)}
"""Response function and direction (``up``) used for extra stresses of a kind."""


def _xy(record: dict) -> tuple[float, float] | None:
    """The ``x``/``y`` of a record as floats, or ``None`` when either is missing."""
    try:
        x, y = float(record["x"]), float(record["y"])
    except (KeyError, TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isnan(y) else (x, y)


def nearest_stress(db: Database, oseries: str, kind: str, cache: SeriesCache | None = None) -> str:
    """Name of the stress of a kind nearest to an oseries, by ``x``/``y`` metadata.

    The stresses' records are read once per ``cache`` (one batch of models).

    Raises
    ------
    ModelBuildError
        If the oseries has no coordinates or no stress of that kind has them.

    """
    records = db.series_records("oseries", [oseries])
    if oseries not in records:
        raise ModelBuildError(f"oseries {oseries!r} is not in the store")
    point = _xy(records[oseries])
    if point is None:
        raise ModelBuildError(f"oseries {oseries!r} has no x/y metadata to find the nearest {kind}")
    stresses = (cache or SeriesCache(db)).stress_records()
    best, best_distance = None, math.inf
    for name in sorted(stresses):
        record = stresses[name]
        xy = _xy(record) if record.get("kind") == kind else None
        if xy is not None:
            distance = (xy[0] - point[0]) ** 2 + (xy[1] - point[1]) ** 2
            if distance < best_distance:
                best, best_distance = name, distance
    if best is None:
        raise ModelBuildError(f"no stress of kind {kind!r} with x/y metadata in the store")
    return best


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
        inputs[key] = stored.metadata.get(HASH_KEY)
        versions[key] = stored.version
        return series

    ml = ps.Model(read("oseries", oseries), name=name or oseries)
    if recharge is not None:
        if recharge == "nearest":
            prec = nearest_stress(db, oseries, "prec", cache)
            evap = nearest_stress(db, oseries, "evap", cache)
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

    Models that exist are kept (outcome ``result="skipped"``, counted as ok) unless
    ``overwrite`` is True, so a re-run adds nothing twice.

    Parameters
    ----------
    db : Database
        The store.
    oseries : iterable of str
        Oseries to build a model for (named after it, or ``build_kwargs["name"]``).
    overwrite : bool, optional
        Build models that exist again.
    progress : callable, optional
        Called with each :class:`Outcome` as soon as it is known.
    **build_kwargs
        Passed to :func:`build_model`.

    Returns
    -------
    list of Outcome

    """
    cache = SeriesCache(db)
    oseries = list(oseries)
    model_names = [build_kwargs.get("name") or name for name in oseries]
    _, kept = models_to_build(db, model_names, overwrite)
    outcomes = []
    for name, model_name in zip(oseries, model_names, strict=True):
        start = time.perf_counter()
        if model_name in kept:
            outcome = Outcome(model_name, True, "build", 0.0, result="skipped")
        else:
            try:
                ml, inputs, versions = build_model(db, name, cache=cache, **build_kwargs)
                db.write_model(ml, inputs, versions)
                outcome = Outcome(model_name, True, "build", time.perf_counter() - start)
            except Exception as err:  # a model that cannot be built is recorded
                outcome = Outcome(
                    model_name, False, "build", time.perf_counter() - start, error_text(err)
                )
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes
