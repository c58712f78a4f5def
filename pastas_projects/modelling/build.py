"""Build Pastas models from stored series, and store them.

:func:`build_model` builds one model: a ``RechargeModel`` from named or nearest
precipitation and evaporation stresses, plus further stresses.
:func:`build_batch` builds and stores many, recording every outcome; it is the work
of :meth:`~pastas_projects.PastasProject.create_model` and of the build task.
"""

from __future__ import annotations

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
        inputs[key] = stored.metadata.get(HASH_KEY)
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
