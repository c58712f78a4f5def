"""Build and store a batch of models on a Dask worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect import task

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.store.outcomes import Outcome

if TYPE_CHECKING:
    from pastas_projects.modelling.definitions import ModelPlan

from pastas_projects.tasks._common import (
    TASK_OPTIONS,
    BatchClock,
    done_since,
    in_order,
    pipeline_project,
)


def normalise_recharge(recharge: str | list[str] | tuple[str, str] | None) -> Any:
    """``"nearest"``, ``None`` or a ``(prec, evap)`` tuple, from what a UI may send.

    Raises
    ------
    ValueError
        If ``recharge`` is none of ``"nearest"``, ``None``/``"none"`` or two names.

    """
    if recharge is None or (isinstance(recharge, str) and recharge.lower() in ("", "none")):
        return None
    if isinstance(recharge, str):
        if recharge == "nearest":
            return recharge
        parts = [p.strip() for p in recharge.split(",")]
        if len(parts) == 2 and all(parts):
            return tuple(parts)
    elif isinstance(recharge, list | tuple) and len(recharge) == 2:
        return tuple(str(r) for r in recharge)
    raise ValueError(
        f"recharge must be 'nearest', None, or two stress names (prec, evap), not {recharge!r}"
    )


@task(name="build_batch", **TASK_OPTIONS)
def build_batch_task(
    store: PastasStoreBlock | str,
    oseries: list[str],
    recharge: str | list[str] | None = "nearest",
    stresses: list[str] | dict[str, list[str]] | None = None,
    rfunc: str = "Exponential",
    recharge_model: str = "Linear",
    noise: bool = False,
    overwrite: bool = False,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """Build and store one model per oseries (named after it); failures are recorded.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store, or the name of a saved block.
    oseries : list of str
        Oseries to build a model for.
    recharge : "nearest", (prec, evap) or None
        Recharge from the stresses of kind ``prec``/``evap`` nearest to each oseries
        (by ``x``/``y`` metadata), from two named stresses, or no recharge.
    stresses : list of str or dict, optional
        Further stresses: a list for every model, or ``oseries -> list`` per model.
    rfunc, recharge_model : str
        Response function and recharge model of the recharge.
    noise : bool
        Add an AR(1) noise model.
    overwrite : bool
        Rebuild models that exist (else they are kept and reported ``skipped``).
    since : str, optional
        Start time (UTC ISO) of the run: with ``overwrite``, models written since then
        (by an earlier attempt of this batch) are not built again.

    Returns
    -------
    list of dict
        One :meth:`Outcome.to_dict` per oseries, in order (``result`` ``"skipped"``:
        the model existed and was kept), plus ``reused`` (built earlier in this run).

    """
    from pastas_projects.modelling.build import build_batch

    clock = BatchClock()
    _, project = pipeline_project(store)
    db = project.db
    recharge = normalise_recharge(recharge)
    infos = db.model_records(oseries, missing="skip")
    rows: dict[str, dict] = {}
    if overwrite and since is not None:
        for name, info in infos.items():
            if done_since(info, since, "written"):
                rows[name] = Outcome(name, True, "build", 0.0).to_dict() | {"reused": True}
    groups: dict[tuple[str, ...], list[str]] = {}
    for name in oseries:
        if name in rows:
            continue
        extra = stresses.get(name, []) if isinstance(stresses, dict) else stresses or []
        groups.setdefault(tuple(extra), []).append(name)
    options = {"recharge": recharge, "rfunc": rfunc, "recharge_model": recharge_model}
    for extra, names in groups.items():
        outcomes = build_batch(db, names, overwrite, None, stresses=extra, noise=noise, **options)
        for outcome in outcomes:
            rows[outcome.name] = outcome.to_dict() | {"reused": False}
    return clock.stamp(in_order(oseries, rows))


@task(name="build_definition_batch", **TASK_OPTIONS)
def build_plans_batch(
    store: PastasStoreBlock | str,
    plans: list[ModelPlan],
    overwrite: bool = False,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """Build and store the models of a batch of definition plans; failures are recorded.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store, or the name of a saved block.
    plans : list of ModelPlan
        Models resolved from a definition (``modelling.definitions.plan_models``).
    overwrite : bool
        Rebuild models that exist (else they are kept and reported ``skipped``).
    since : str, optional
        Start time (UTC ISO) of the run: with ``overwrite``, models written since then
        (by an earlier attempt of this batch) are not built again.

    Returns
    -------
    list of dict
        One :meth:`Outcome.to_dict` per plan, in order, plus ``reused``.

    """
    from pastas_projects.modelling.definitions import build_plans

    clock = BatchClock()
    _, project = pipeline_project(store)
    db = project.db
    names = [plan.name for plan in plans]
    rows: dict[str, dict] = {}
    if overwrite and since is not None:
        for name, info in db.model_records(names, missing="skip").items():
            if done_since(info, since, "written"):
                rows[name] = Outcome(name, True, "build", 0.0).to_dict() | {"reused": True}
    todo = [plan for plan in plans if plan.name not in rows]
    for outcome in build_plans(db, todo, overwrite):
        rows[outcome.name] = outcome.to_dict() | {"reused": False}
    return clock.stamp(in_order(names, rows))
