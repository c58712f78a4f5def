"""Choose among alternative model structures of one oseries, and record the choice.

A definition can build several candidate models per oseries (templates named
``{oseries}`` and ``{oseries}_wells``, say). Once they are solved,
:func:`select_models` keeps the best of each oseries by a fit statistic stored at
solve time (AIC by default, as in the model selection of Frontiers-style studies)
and notes the choice with every candidate (``annotations["selection"]`` of its
record): the chosen model says ``selected: True``, the others ``False``. No model is
deleted; selecting again (after new observations, say) overwrites the notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from pastas_projects.store import Database
from pastas_projects.store.bookkeeping import utc_now

LOWER_IS_BETTER = {"aic": True, "bic": True, "rmse": True, "evp": False, "rsq": False}
LOWER_IS_BETTER |= {"nse": False, "kge": False}
"""Direction of the fit statistics stored at solve time."""


def select_models(
    db: Database, by: str = "aic", names: Iterable[str] | None = None
) -> pd.DataFrame:
    """Keep the best solved model of every oseries by a fit statistic; record the choice.

    Parameters
    ----------
    db : Database
        The store.
    by : str, optional
        A fit statistic stored with solved models: ``aic`` (default) or ``bic``,
        ``rmse`` (lowest wins), ``evp``, ``rsq``, ``nse``, ``kge`` (highest wins).
    names : list of str, optional
        Candidate models (default all); grouped by their oseries.

    Returns
    -------
    pandas.DataFrame
        One row per oseries: ``selected`` (model name, None if no candidate is
        solved), ``value`` (its statistic), ``candidates`` (all candidate names,
        sorted) and ``values`` (``name -> statistic``, None for unsolved ones).

    Raises
    ------
    ValueError
        If ``by`` is not a stored statistic.

    """
    if by not in LOWER_IS_BETTER:
        raise ValueError(
            f"by must be one of {', '.join(sorted(LOWER_IS_BETTER))} (statistics stored "
            f"with solved models), not {by!r}"
        )
    lower = LOWER_IS_BETTER[by]
    records = db.model_records(names)
    groups: dict[str, list[str]] = {}
    for name, record in records.items():
        groups.setdefault(str(record.get("oseries")), []).append(name)
    rows: dict[str, dict[str, Any]] = {}
    now = utc_now()
    for oseries, candidates in sorted(groups.items()):
        values = {}
        for name in sorted(candidates):
            record = records[name]
            value = (record.get("statistics") or {}).get(by)
            values[name] = value if record.get("status") == "solved" else None
        eligible = {n: v for n, v in values.items() if v is not None}
        chosen = None
        if eligible:
            chosen = (min if lower else max)(eligible, key=lambda n: (eligible[n], n))
        for name in sorted(candidates):
            db.annotate_model(
                name,
                "selection",
                {
                    "selected": name == chosen,
                    "by": by,
                    "chosen": chosen,
                    "oseries": oseries,
                    "candidates": sorted(candidates),
                    "values": values,
                    "at": now,
                },
            )
        rows[oseries] = {
            "selected": chosen,
            "value": eligible.get(chosen) if chosen else None,
            "candidates": sorted(candidates),
            "values": values,
        }
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["selected", "value", "candidates", "values"]
    )
    table.index.name = "oseries"
    return table


def selected_models(db: Database, names: Iterable[str] | None = None) -> pd.DataFrame:
    """The choices :func:`select_models` recorded, read from the models' records.

    Returns
    -------
    pandas.DataFrame
        One row per oseries with a recorded choice: ``selected``, ``by``, ``value``,
        ``at``.

    """
    rows = {}
    for name, record in db.model_records(names).items():
        note = (record.get("annotations") or {}).get("selection")
        if note and note.get("selected"):
            rows[note.get("oseries") or record.get("oseries")] = {
                "selected": name,
                "by": note.get("by"),
                "value": (note.get("values") or {}).get(name),
                "at": note.get("at"),
            }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["selected", "by", "value", "at"])
    table.index.name = "oseries"
    return table.sort_index()
