"""Write a batch of series (CSV files or in-memory series) into the store."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
from prefect import task

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.calibration import Outcome
from pastas_projects.errors import PastasProjectsError, StoreConnectionError
from pastas_projects.io import read_csv
from pastas_projects.tasks.common import TASK_OPTIONS, open_project

LIBRARIES = ("oseries", "stresses")

RECORDED: tuple[type[BaseException], ...] = (
    PastasProjectsError,
    FileNotFoundError,
    IsADirectoryError,
    ValueError,
    TypeError,
)
"""Errors of one item that are recorded as its failure (the batch goes on)."""


def series_item(
    library: str,
    name: str | None = None,
    path: str | None = None,
    series: pd.Series | None = None,
    metadata: dict | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """One item for :func:`ingest_batch`: a CSV ``path`` or an in-memory ``series``.

    Parameters
    ----------
    library : {"oseries", "stresses"}
        Where it goes.
    name : str, optional
        Item name; by default the file name without suffix, or the series' name.
    path : str, optional
        CSV file (read with :func:`pastas_projects.io.read_csv` on the worker).
    series : pandas.Series, optional
        The series itself.
    metadata : dict, optional
        Metadata, e.g. ``{"x": 187000.0, "y": 337000.0}``.
    kind : str, optional
        Kind of a stress (``prec``, ``evap``, ``well``, ...).

    Returns
    -------
    dict

    """
    if library not in LIBRARIES:
        raise ValueError(f"library must be 'oseries' or 'stresses', not {library!r}")
    if (path is None) == (series is None):
        raise ValueError("give either path or series")
    return {
        "library": library,
        "name": name,
        "path": None if path is None else str(path),
        "series": series,
        "metadata": metadata,
        "kind": kind,
    }


def item_name(item: dict) -> str:
    """The name an item is stored under (or a label of it for error rows)."""
    if item.get("name"):
        return str(item["name"])
    if item.get("path"):
        return str(item["path"]).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return str(getattr(item.get("series"), "name", None) or "?")


def _write_one(db: Any, item: dict, csv_options: dict, stored: dict) -> bool:
    """Read (if needed) and write one item; return whether the store changed."""
    library, name = item["library"], item_name(item)
    series = item.get("series")
    if series is None:
        series = read_csv(item["path"], name=name, **csv_options)
    metadata = dict(item.get("metadata") or {})
    if library == "stresses" and item.get("kind") is not None:
        metadata["kind"] = item["kind"]
    if library == "oseries":
        db.add_oseries(series, name, metadata=metadata, overwrite=True, force=True)
    else:
        db.add_stress(series, name, metadata=metadata, overwrite=True, force=True)
    after = db.conn._read_metadata(library, [name]).get(name)
    return stored.get(name) != after  # an identical series is not written again


@task(name="ingest_batch", **TASK_OPTIONS)
def ingest_batch(
    store: PastasStoreBlock | str,
    items: list[dict[str, Any]],
    csv_options: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Write series into the store; unchanged series are left as they are.

    Series are written with ``overwrite=True, force=True``: writing a series again
    with the same values and metadata is a no-op, and a changed series replaces the
    stored one and makes the models that use it stale (re-solved by
    ``solve_models_flow(only_changed=True)``). A series that cannot be read or
    stored is recorded as failed and the batch goes on; a lost store connection
    fails the batch, which is then retried.

    Parameters
    ----------
    store : PastasStoreBlock or str
        The store, or the name of a saved block.
    items : list of dict
        Items made by :func:`series_item`.
    csv_options : dict, optional
        Passed to :func:`pastas_projects.io.read_csv` (``unit``, ``dayfirst``, ...).

    Returns
    -------
    list of dict
        One :meth:`Outcome.to_dict` (step ``ingest``) per item, in order, plus
        ``library`` and ``changed`` (whether the store changed).

    """
    _, project = open_project(store)
    db = project.db
    csv_options = dict(csv_options or {})
    stored: dict[str, dict] = {}
    for library in LIBRARIES:
        names = [item_name(i) for i in items if i["library"] == library]
        if names:
            stored[library] = db.conn._read_metadata(library, names)
    rows = []
    for item in items:
        start = time.perf_counter()
        name = item_name(item)
        try:
            changed = _write_one(db, item, csv_options, stored.get(item["library"], {}))
            outcome = Outcome(name, True, "ingest", time.perf_counter() - start)
        except StoreConnectionError:
            raise
        except RECORDED as err:
            changed = False
            error = f"{type(err).__name__}: {err}"
            outcome = Outcome(name, False, "ingest", time.perf_counter() - start, error)
        rows.append(outcome.to_dict() | {"library": item["library"], "changed": changed})
    return rows
