"""Questions about a network of series: where they are, how long they run, what they look like.

Every function here takes a :class:`~pastas_projects.store.Database` and reads the
stored metadata only (coordinates ``x``/``y``, ``kind``, and the bookkeeping
``_tmin``/``_tmax``/``_count`` written with every series), so it stays fast on
stores of tens of thousands of series. Two exceptions read data: :func:`get_signatures`
(pastas computes signatures from the values) and :func:`get_tmin_tmax` for series
written before the store kept their first and last timestamps.

:class:`~pastas_projects.PastasProject` offers them as methods
(``pr.get_nearest_stresses("B58C0698", kind="well", n=2)``).
"""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from pastas_projects.errors import ItemNotFoundError
from pastas_projects.store.base import check_library, name_list, word
from pastas_projects.store.bookkeeping import COUNT_KEY, TMAX_KEY, TMIN_KEY
from pastas_projects.store.database import Database
from pastas_projects.store.model_json import stored_settings_period


# ---------------------------------------------------------------------- coordinates
def coordinates(
    db: Database, library: str, names: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """``x``, ``y`` (float, NaN where missing) and ``kind`` of series, from their metadata.

    For ``library="models"`` the coordinates are those of each model's oseries.

    Raises
    ------
    ItemNotFoundError
        If a name asked for is not in the library.

    """
    check_library(library)
    if library == "models":
        records = db.model_records(names)
        oseries = {name: record.get("oseries") for name, record in records.items()}
        points = coordinates(db, "oseries", sorted({o for o in oseries.values() if o}))
        table = points.reindex([oseries[n] for n in records])
        table.index = pd.Index(list(records), name="name")
        return table
    wanted = name_list(names, None) if names is not None else None
    found = db.series_records(library, wanted)
    if wanted is not None:
        missing = [n for n in wanted if n not in found]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise ItemNotFoundError(f"{word(library)} {missing[0]!r} is not in the store{more}")
    order = wanted if wanted is not None else sorted(found)
    table = pd.DataFrame(
        {
            "x": [_number(found[n].get("x")) for n in order],
            "y": [_number(found[n].get("y")) for n in order],
            "kind": [found[n].get("kind") for n in order],
        },
        index=pd.Index(order, name="name", dtype=object),
    )
    return table


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _stress_candidates(
    db: Database, stresses: str | Iterable[str] | None, kind: str | Iterable[str] | None
) -> pd.DataFrame:
    table = coordinates(db, "stresses", stresses)
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        table = table[table["kind"].isin(kinds)]
    return table


def _pairwise(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    ax, ay = a["x"].to_numpy(float)[:, None], a["y"].to_numpy(float)[:, None]
    bx, by = b["x"].to_numpy(float)[None, :], b["y"].to_numpy(float)[None, :]
    return np.hypot(ax - bx, ay - by)


def get_distances(
    db: Database,
    oseries: str | Iterable[str] | None = None,
    stresses: str | Iterable[str] | None = None,
    kind: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Distances between oseries (rows) and stresses (columns), from ``x``/``y``.

    Parameters
    ----------
    db : Database
        The store.
    oseries : str or list of str, optional
        Oseries (default all).
    stresses : str or list of str, optional
        Stresses (default all).
    kind : str or list of str, optional
        Only stresses of this kind (or kinds).

    Returns
    -------
    pandas.DataFrame
        NaN where a series has no coordinates.

    """
    rows = coordinates(db, "oseries", oseries)
    columns = _stress_candidates(db, stresses, kind)
    return pd.DataFrame(_pairwise(rows, columns), index=rows.index, columns=columns.index)


def _nearest(
    points: pd.DataFrame,
    candidates: pd.DataFrame,
    n: int,
    maxdist: float | None,
    exclude_self: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Names and distances of the ``n`` nearest candidates of every point (KD-tree)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a whole number >= 1, not {n!r}")
    located = candidates.dropna(subset=["x", "y"])
    names = np.full((len(points), n), None, dtype=object)
    distances = np.full((len(points), n), np.nan)
    has_xy = points[["x", "y"]].notna().all(axis=1).to_numpy()
    if len(located) and has_xy.any():
        from scipy.spatial import cKDTree

        tree = cKDTree(located[["x", "y"]].to_numpy(float))
        extra = 1 if exclude_self else 0
        k = min(n + extra, len(located))
        found_d, found_i = tree.query(
            points.loc[has_xy, ["x", "y"]].to_numpy(float),
            k=k,
            distance_upper_bound=np.inf if maxdist is None else float(maxdist) * (1 + 1e-12),
        )
        found_d = np.asarray(found_d).reshape(int(has_xy.sum()), k)
        found_i = np.asarray(found_i).reshape(int(has_xy.sum()), k)
        labels = np.append(located.index.to_numpy(dtype=object), None)
        own = points.index[has_xy].to_numpy(dtype=object)
        for row, (point, d_row, i_row) in enumerate(zip(own, found_d, found_i, strict=True)):
            picked = [(labels[i], d) for i, d in zip(i_row, d_row, strict=True) if np.isfinite(d)]
            if exclude_self:
                picked = [(name, d) for name, d in picked if name != point]
            picked = picked[:n]
            target = np.flatnonzero(has_xy)[row]
            for j, (name, d) in enumerate(picked):
                names[target, j], distances[target, j] = name, d
    index = points.index
    return (
        pd.DataFrame(names, index=index, columns=range(n)),
        pd.DataFrame(distances, index=index, columns=range(n)),
    )


def get_nearest_stresses(
    db: Database,
    oseries: str | Iterable[str] | None = None,
    stresses: str | Iterable[str] | None = None,
    kind: str | Iterable[str] | None = None,
    n: int = 1,
    maxdist: float | None = None,
    distances: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` stresses (of a kind) nearest to each oseries.

    Parameters
    ----------
    db : Database
        The store.
    oseries : str or list of str, optional
        Oseries (default all).
    stresses : str or list of str, optional
        Candidate stresses (default all).
    kind : str or list of str, optional
        Only stresses of this kind, e.g. ``"well"``.
    n : int, optional
        How many.
    maxdist : float, optional
        Only stresses at most this far away.
    distances : bool, optional
        Also return their distances.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, pandas.DataFrame)
        One row per oseries, columns ``0 .. n-1``: the names, nearest first, ``None``
        where there are fewer than ``n`` (or the oseries has no coordinates); with
        ``distances=True`` also the distances (NaN there).

    """
    names, dist = _nearest(
        coordinates(db, "oseries", oseries),
        _stress_candidates(db, stresses, kind),
        n,
        maxdist,
        False,
    )
    return (names, dist) if distances else names


def get_nearest_oseries(
    db: Database,
    names: str | Iterable[str] | None = None,
    n: int = 1,
    maxdist: float | None = None,
    distances: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` other oseries nearest to each oseries; see :func:`get_nearest_stresses`."""
    points = coordinates(db, "oseries", names)
    candidates = coordinates(db, "oseries") if names is not None else points
    found, dist = _nearest(points, candidates, n, maxdist, True)
    return (found, dist) if distances else found


def get_extent(
    db: Database,
    library: str = "oseries",
    names: str | Iterable[str] | None = None,
    buffer: float = 0.0,
) -> list[float]:
    """``[xmin, xmax, ymin, ymax]`` of the series (models: their oseries), plus ``buffer``."""
    table = coordinates(db, library, names).dropna(subset=["x", "y"])
    if table.empty:
        raise ItemNotFoundError(f"no {library} with x/y metadata to take the extent of")
    return [
        float(table["x"].min() - buffer),
        float(table["x"].max() + buffer),
        float(table["y"].min() - buffer),
        float(table["y"].max() + buffer),
    ]


def within(
    db: Database,
    extent: Sequence[float],
    names: str | Iterable[str] | None = None,
    library: str = "oseries",
) -> list[str]:
    """Names of the series (models: whose oseries) inside ``[xmin, xmax, ymin, ymax]``."""
    try:
        xmin, xmax, ymin, ymax = (float(v) for v in extent)
    except (TypeError, ValueError):
        raise ValueError(f"extent must be [xmin, xmax, ymin, ymax], not {extent!r}") from None
    table = coordinates(db, library, names)
    inside = table["x"].between(xmin, xmax) & table["y"].between(ymin, ymax)
    return sorted(table.index[inside.to_numpy()])


# ---------------------------------------------------------------------- time
def get_tmin_tmax(
    db: Database, library: str = "oseries", names: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """First and last timestamp with a value of series, or the calibration period of models.

    Series: from the bookkeeping written with each series (``_tmin``, ``_tmax``,
    ``_count``); series written before the store kept it are read. Models: their
    ``tmin``/``tmax`` settings, from their records (models written before records
    had them: from their stored JSON, without rebuilding them).

    Returns
    -------
    pandas.DataFrame
        Columns ``tmin`` and ``tmax`` (and ``count``, the number of values, for
        series); one row per item.

    """
    check_library(library)
    if library == "models":
        records = db.model_records(names)
        rows = {}
        for name, record in records.items():
            if "tmin" in record and "tmax" in record:
                rows[name] = {"tmin": record["tmin"], "tmax": record["tmax"]}
            else:
                rows[name] = stored_settings_period(db.read_item("models", name).data)
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["tmin", "tmax"])
    else:
        wanted = name_list(names, None) if names is not None else None
        records = db.series_records(library, wanted)
        if wanted is not None:
            missing = [n for n in wanted if n not in records]
            if missing:
                raise ItemNotFoundError(f"{word(library)} {missing[0]!r} is not in the store")
        order = wanted if wanted is not None else sorted(records)
        rows = {}
        for name in order:
            record = records[name]
            if TMIN_KEY in record:
                rows[name] = {
                    "tmin": record[TMIN_KEY],
                    "tmax": record[TMAX_KEY],
                    "count": record.get(COUNT_KEY),
                }
            else:  # written before the store kept these
                series = db._read_series(library, name)[0].dropna()
                rows[name] = {
                    "tmin": series.index[0],
                    "tmax": series.index[-1],
                    "count": len(series),
                }
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["tmin", "tmax", "count"])
        table["count"] = table["count"].astype("Int64")
    for column in ("tmin", "tmax"):
        table[column] = pd.to_datetime(table[column])
    table.index.name = "name"
    return table


# ---------------------------------------------------------------------- values
def get_signatures(
    db: Database,
    names: str | Iterable[str] | None = None,
    signatures: Sequence[str] | None = None,
    library: str = "oseries",
    progressbar: bool = False,
) -> pd.DataFrame:
    """Groundwater signatures of series (pastas' ``ps.stats.signatures``).

    Reads each series (signatures need the values). A signature that cannot be
    computed for a series is NaN; the others are still computed.

    Parameters
    ----------
    db : Database
        The store.
    names : str or list of str, optional
        Series (default all of the library).
    signatures : list of str, optional
        Names in ``ps.stats.signatures.__all__`` (default all of them).
    library : {"oseries", "stresses"}, optional
        The library.
    progressbar : bool, optional
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per series, one column per signature.

    Raises
    ------
    ValueError
        For a signature pastas does not have.

    """
    check_library(library, series_only=True)
    import pastas as ps

    known = list(ps.stats.signatures.__all__)
    wanted = known if signatures is None else list(signatures)
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ValueError(f"unknown signature(s) {unknown}; pastas has {known}")
    names = name_list(names, db.names(library))
    rows = {}
    for name in tqdm(names, desc="Signatures", disable=not progressbar):
        series = db._read_series(library, name)[0].dropna()
        row = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for signature in wanted:
                try:
                    row[signature] = float(getattr(ps.stats.signatures, signature)(series))
                except Exception:  # noqa: BLE001 - a signature that does not apply is NaN
                    row[signature] = np.nan
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index", columns=wanted, dtype=float)
    table.index.name = "name"
    return table


# ---------------------------------------------------------------------- names
def search(
    db: Database,
    pattern: str | Iterable[str],
    library: str | None = None,
    case_sensitive: bool = True,
) -> list[str] | dict[str, list[str]]:
    """Names that contain ``pattern`` or match it as a glob (``*``, ``?``, ``[...]``).

    Parameters
    ----------
    db : Database
        The store.
    pattern : str or list of str
        A part of a name (``"B58"``), or a glob (``"B58*001"``); several: any.
    library : {"oseries", "stresses", "models"}, optional
        Where to look (default all three).
    case_sensitive : bool, optional
        Whether case matters.

    Returns
    -------
    list of str or dict
        Sorted names; without ``library`` a dict ``library -> names``.

    """
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    if not patterns or not all(isinstance(p, str) for p in patterns):
        raise TypeError(f"pattern must be a str or a list of str, not {pattern!r}")
    libraries = [library] if library is not None else ["oseries", "stresses", "models"]
    result = {}
    for lib in libraries:
        check_library(lib)
        names = db.names(lib)
        matches = set()
        for p in patterns:
            glob = any(c in p for c in "*?[")
            for name in names:
                a, b = (name, p) if case_sensitive else (name.lower(), p.lower())
                if fnmatch.fnmatchcase(a, b) if glob else b in a:
                    matches.add(name)
        result[lib] = sorted(matches)
    return result[library] if library is not None else result


__all__ = [
    "coordinates",
    "get_distances",
    "get_extent",
    "get_nearest_oseries",
    "get_nearest_stresses",
    "get_signatures",
    "get_tmin_tmax",
    "search",
    "within",
]
