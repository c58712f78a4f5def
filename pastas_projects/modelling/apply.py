"""Run your own function on every stored model or series, and gather the results.

:func:`apply_batch` does the work of one batch (in this process, on a Dask worker,
or in a Prefect task): it rebuilds each model (or reads each series), calls the
function on it and records what came back, or the error: a function that fails on
one item never stops the others. :func:`collect` turns the rows into a DataFrame or
a dict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd

from pastas_projects.errors import NotPicklableError
from pastas_projects.store import Database, SeriesCache
from pastas_projects.store.base import check_library
from pastas_projects.store.outcomes import error_text


@dataclass(frozen=True)
class Failed:
    """What :func:`collect` puts in a dict result for an item the function failed on.

    Attributes
    ----------
    error : str
        The error, as ``"Type: message"``.

    """

    error: str


def label_of(func: Callable) -> str:
    """A name for the results of ``func`` (its ``__name__``, else ``"result"``)."""
    name = getattr(func, "__name__", None)
    return "result" if not name or name == "<lambda>" else str(name)


def check_picklable(func: Callable, kwargs: Mapping[str, Any] | None = None) -> None:
    """Raise a clear error when ``func`` (or its ``kwargs``) cannot go to Dask workers.

    Dask sends functions to its worker processes with cloudpickle, which handles
    lambdas and closures, but not what holds a lock, an open file or connection, or
    a generator.

    Raises
    ------
    NotPicklableError
        Naming the function and why.

    """
    if not callable(func):
        raise TypeError(f"apply needs a function, not {type(func).__name__}")
    try:
        cloudpickle.dumps(func)
    except Exception as err:  # noqa: BLE001 - whatever pickling raises, say so clearly
        raise NotPicklableError(
            f"function {label_of(func)!r} cannot be pickled to send it to Dask workers "
            f"({type(err).__name__}: {err}); define it at module level without open "
            "files, locks or connections, or use parallel=False"
        ) from None
    try:
        cloudpickle.dumps(dict(kwargs or {}))
    except Exception as err:  # noqa: BLE001
        raise NotPicklableError(
            f"the kwargs of function {label_of(func)!r} cannot be pickled to send them to "
            f"Dask workers ({type(err).__name__}: {err})"
        ) from None


def apply_batch(
    db: Database,
    library: str,
    names: Iterable[str],
    func: Callable,
    kwargs: Mapping[str, Any] | None = None,
    progress: Callable[[dict[str, Any]], Any] | None = None,
) -> list[dict[str, Any]]:
    """Call ``func(item, **kwargs)`` on each model (rebuilt) or series of a library.

    Parameters
    ----------
    db : Database
        The store.
    library : {"models", "oseries", "stresses"}
        What the items are: models are rebuilt from the store (``pastas.Model``),
        series read (``pandas.Series`` named after the item).
    names : iterable of str
        The items.
    func : callable
        Called with the item and ``kwargs``.
    kwargs : dict, optional
        Further keyword arguments of ``func``.
    progress : callable, optional
        Called with each row as soon as it is known.

    Returns
    -------
    list of dict
        One row per item: ``name``, ``ok``, ``value`` (what ``func`` returned),
        ``error`` (``"Type: message"``) and ``seconds``.

    """
    check_library(library)
    kwargs = dict(kwargs or {})
    cache = SeriesCache(db)
    rows = []
    for name in names:
        start = time.perf_counter()
        try:
            if library == "models":
                item = db.rebuild_model(name, cache=cache).model
            else:
                item = cache.get(library, name)[0].copy()
            row = {"name": name, "ok": True, "value": func(item, **kwargs), "error": None}
        except Exception as err:  # noqa: BLE001 - the item fails alone, recorded
            row = {"name": name, "ok": False, "value": None, "error": error_text(err)}
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
        if progress is not None:
            progress(row)
    return rows


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, int | float | bool | str | np.generic)


def collect(rows: list[dict[str, Any]], label: str = "result") -> pd.DataFrame | dict[str, Any]:
    """The results of :func:`apply_batch` rows, as a DataFrame where they fit one.

    * every value a number, bool, string or None: a DataFrame with one column
      ``label``;
    * every value a ``pandas.Series`` or a dict of such scalars: a DataFrame with
      one column per key;
    * anything else (models, figures, arrays, frames): a dict ``name -> value``.

    Items the function failed on are kept: in a DataFrame as a row with NaN values
    and the error in an ``error`` column (only present when something failed); in a
    dict as :class:`Failed` objects.

    Returns
    -------
    pandas.DataFrame or dict

    """
    good = [r for r in rows if r["ok"]]
    failed = [r for r in rows if not r["ok"]]
    values = [r["value"] for r in good]
    if all(_scalar(v) for v in values):
        column = pd.Series(
            [r["value"] for r in good], index=pd.Index([r["name"] for r in good], dtype=object)
        )
        table = column.infer_objects().to_frame(label)
    elif all(
        isinstance(v, pd.Series) or (isinstance(v, Mapping) and all(_scalar(x) for x in v.values()))
        for v in values
    ):
        table = pd.DataFrame.from_dict({r["name"]: dict(r["value"]) for r in good}, orient="index")
    else:
        result: dict[str, Any] = {r["name"]: r["value"] for r in good}
        result |= {r["name"]: Failed(r["error"]) for r in failed}
        return {r["name"]: result[r["name"]] for r in rows}
    table = table.reindex([r["name"] for r in rows])
    if failed:
        table["error"] = pd.Series({r["name"]: r["error"] for r in failed}, dtype=object)
    table.index.name = "name"
    return table
