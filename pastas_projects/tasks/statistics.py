"""Read the stored fit statistics and parameters of a batch of models."""

from __future__ import annotations

from typing import Any

from prefect import task

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.store.bookkeeping import DEFAULT_STATISTICS
from pastas_projects.tasks._common import TASK_OPTIONS, pipeline_project


def model_rows(
    infos: dict[str, dict], statistics: list[str] | None = None, parameters: bool = False
) -> list[dict[str, Any]]:
    """Table rows (``name``, ``status``, statistics, checks, optional parameters) from model info.

    Parameters
    ----------
    infos : dict
        ``name -> stored model info`` (the models' metadata).
    statistics : list of str, optional
        Statistics to include (default :data:`DEFAULT_STATISTICS`).
    parameters : bool
        Add the optimal parameters as columns ``p_<name>``.

    Returns
    -------
    list of dict
        ``checks`` is ``"pass"``, ``"fail"`` or ``None`` (not checked), followed by
        one column per check stored at solve time (the same columns in every row).

    """
    statistics = list(DEFAULT_STATISTICS if statistics is None else statistics)
    labels = list(dict.fromkeys(c for i in infos.values() for c in i.get("checks") or {}))
    labels = [c for c in labels if c != "pass"]
    rows = []
    for name, info in infos.items():
        stats = info.get("statistics") or {}
        row: dict[str, Any] = {"name": name, "status": info.get("status")}
        row |= {s: stats.get(s) for s in statistics}
        checks = info.get("checks") or {}
        row["checks"] = None if "pass" not in checks else "pass" if checks["pass"] else "fail"
        row |= {c: checks.get(c) for c in labels}
        row["solved_at"] = info.get("solved_at")
        row["error"] = info.get("error")
        if parameters:
            row |= {f"p_{p}": v for p, v in (info.get("parameters") or {}).items()}
        rows.append(row)
    return rows


@task(name="statistics_batch", **TASK_OPTIONS)
def statistics_batch(
    store: PastasStoreBlock | str,
    names: list[str],
    statistics: list[str] | None = None,
    parameters: bool = False,
) -> list[dict[str, Any]]:
    """Stored fit statistics (and parameters) of a batch of models; nothing is rebuilt.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store, or the name of a saved block.
    names : list of str
        Models; names not in the store are left out.
    statistics : list of str, optional
        Statistics stored at solve time to include (default all of them).
    parameters : bool
        Include the optimal parameters (``p_<parameter>`` columns).

    Returns
    -------
    list of dict
        One row per model found: ``name``, ``status``, the statistics, ``solved_at``,
        ``error`` and optionally the parameters.

    """
    _, project = pipeline_project(store)
    infos = project.db.model_records(names, missing="skip")
    return model_rows(infos, statistics, parameters)
