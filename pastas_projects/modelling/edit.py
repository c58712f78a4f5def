"""Change stored models: each change is written as a new, unsolved version of the model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pastas as ps

from pastas_projects.errors import DefinitionError
from pastas_projects.modelling.definitions import add_planned_stressmodel, plan_stressmodel
from pastas_projects.store import Database, SeriesCache
from pastas_projects.store.bookkeeping import HASH_KEY, series_key, utc_now
from pastas_projects.store.models import carried


def add_noise_models(db: Database, names: Iterable[str]) -> int:
    """Give stored models without a noise model an AR(1) noise model.

    Each changed model is stored unsolved, so ``solve_models(only_changed=True)``
    solves it next; on Arctic the previous version stays readable.

    Parameters
    ----------
    db : Database
        The store.
    names : iterable of str
        Models to look at.

    Returns
    -------
    int
        How many models got one.

    """
    cache = SeriesCache(db)
    added = 0
    for name in names:
        rebuilt = db.rebuild_model(name, cache=cache)
        if rebuilt.model.noisemodel is not None:
            continue
        ps.ArNoiseModel(rebuilt.model)  # attaches itself to the model
        db.write_model(
            rebuilt.model,
            rebuilt.inputs,
            rebuilt.versions,
            extra=_edited(rebuilt.record, "add_noise_model"),
        )
        added += 1
    return added


def add_stressmodel(
    db: Database,
    names: Iterable[str],
    spec: Mapping[str, Any],
    name: str | None = None,
    replace: bool = False,
) -> list[str]:
    """Add a stress model to stored models; each changed model is stored unsolved.

    ``spec`` is one stress model in the syntax of a model definition
    (``docs/definitions.md``): a class, stresses by name or ``nearest N <kind>``
    (resolved for each model's own oseries), a response function, further arguments.
    All models are checked first; if any cannot take the stress model nothing is
    written. On connectors with versions the previous version of each model stays
    readable; ``solve_models(only_changed=True)`` solves the changed ones.

    Parameters
    ----------
    db : Database
        The store.
    names : iterable of str
        Models.
    spec : dict
        The stress model, e.g. ``{"class": "WellModel", "stress": "nearest 2 well"}``.
    name : str, optional
        Name of the stress model (default ``spec["name"]``, else ``"recharge"`` for a
        RechargeModel, ``"wells"`` for a WellModel, the stress name otherwise).
    replace : bool, optional
        Replace a stress model of that name (else that is an error).

    Returns
    -------
    list of str
        The models changed.

    Raises
    ------
    DefinitionError
        If the spec is invalid, names what is not in the store, or a model has a
        stress model of that name already (and not ``replace``).

    """
    if not isinstance(spec, Mapping):
        raise DefinitionError(f"a stress model spec must be a mapping, not {type(spec).__name__}")
    spec = dict(spec)
    names = list(names)
    records = db.model_records(names)
    planned = {}
    for model, record in records.items():
        oseries = record.get("oseries")
        sm_name = name or spec.get("name") or _default_name(spec)
        planned[model] = plan_stressmodel(db, model, oseries, sm_name, spec | {"name": sm_name})
    cache = SeriesCache(db)
    rebuilt = {}
    for model, resolved in planned.items():
        rebuilt[model] = db.rebuild_model(model, cache=cache)
        sm_name = resolved["name"]
        if sm_name in rebuilt[model].model.stressmodels and not replace:
            raise DefinitionError(
                f"model {model!r} has a stress model {sm_name!r} already; use replace=True "
                "or another name"
            )
    for model, resolved in planned.items():
        item = rebuilt[model]
        ml = item.model
        inputs, versions = dict(item.inputs), dict(item.versions)

        def read(library: str, series_name: str, inputs=inputs, versions=versions) -> Any:
            series, stored = cache.get(library, series_name)
            key = series_key(library, series_name)
            inputs[key] = stored.metadata.get(HASH_KEY)
            versions[key] = stored.version
            return series

        if resolved["name"] in ml.stressmodels:
            ml.del_stressmodel(resolved["name"])
        add_planned_stressmodel(ml, resolved, read, f"model {model!r}")
        db.write_model(ml, inputs, versions, extra=_edited(item.record, "add_stressmodel"))
    return list(planned)


def _default_name(spec: Mapping[str, Any]) -> str:
    cls = spec.get("class", "StressModel")
    if cls == "RechargeModel":
        return "recharge"
    if cls == "WellModel":
        return "wells"
    stress = spec.get("stress")
    if isinstance(stress, str) and not stress.startswith("nearest"):
        return stress
    return str(cls).lower()


def _edited(record: dict[str, Any], how: str) -> dict[str, Any]:
    """The record a changed model keeps, with the edit noted."""
    extra = carried(record)
    definition = dict(extra.get("definition") or {})
    definition["edits"] = [*definition.get("edits", []), {"edit": how, "at": utc_now()}]
    extra["definition"] = definition
    return extra


def add_recharge(
    db: Database,
    names: Iterable[str],
    prec: str = "nearest prec",
    evap: str = "nearest evap",
    rfunc: str | Mapping[str, Any] = "Exponential",
    recharge: str | Mapping[str, Any] = "Linear",
    name: str = "recharge",
    replace: bool = False,
) -> list[str]:
    """Add a RechargeModel to stored models; see :func:`add_stressmodel`.

    Parameters
    ----------
    db : Database
        The store.
    names : iterable of str
        Models.
    prec, evap : str
        Stress names, or ``"nearest <kind>"`` (default the nearest ``prec`` and
        ``evap`` stresses of each model's oseries).
    rfunc : str or dict
        Response function, e.g. ``"Exponential"`` or ``{"class": "Gamma"}``.
    recharge : str or dict
        Recharge model: ``"Linear"``, ``"FlexModel"``, ``{"class": "FlexModel",
        "snow": True}``, ...
    name : str
        Name of the stress model.
    replace : bool
        Replace a stress model of that name (e.g. to swap Linear for FlexModel).

    """
    spec = {"class": "RechargeModel", "prec": prec, "evap": evap, "rfunc": rfunc}
    spec["recharge"] = recharge
    return add_stressmodel(db, names, spec, name=name, replace=replace)
