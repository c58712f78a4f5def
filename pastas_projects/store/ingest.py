"""Ingest: read series (CSV files or series in memory) and write them into the store.

One code path for every way series come in: ``pastas-projects ingest``, the ingest
task of the flows, and Python. Each item is read and written on its own; a file that
cannot be read or a series that is not valid is recorded as that item's failure and
the rest go on. Writing a series identical to the stored one changes nothing, so
ingesting the same files again is cheap and harmless.

>>> import pastas_projects as pp
>>> from pastas_projects.store.ingest import IngestItem, ingest
>>> db = pp.Database(pp.DictConnector())
>>> [o.result for o in ingest(db, [IngestItem.from_path("oseries", "B58C0698001.csv")])]
... # doctest: +SKIP
['added']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pastas_projects.errors import PastasProjectsError, StoreConnectionError
from pastas_projects.io import find_csv_files, read_csv
from pastas_projects.store.base import SERIES_LIBRARIES
from pastas_projects.store.bookkeeping import user_metadata
from pastas_projects.store.database import Database
from pastas_projects.store.outcomes import Outcome, error_text

RECORDED: tuple[type[BaseException], ...] = (PastasProjectsError, OSError, ValueError, TypeError)
"""Errors of one item that are recorded as its failure (the batch goes on).

A lost store connection (:class:`~pastas_projects.errors.StoreConnectionError`) is
not one of them: it is raised, so that the whole batch can be tried again.
"""


@dataclass
class IngestItem:
    """One series to write: a CSV file to read, or a series in memory.

    Attributes
    ----------
    library : {"oseries", "stresses"}
        Where it goes.
    name : str
        Item name (a file's name without suffix, by default).
    path : str or None
        CSV file, read with :func:`pastas_projects.io.read_csv` where the item is
        ingested (on a Dask worker, for the flows).
    series : pandas.Series or None
        The series itself.
    metadata : dict
        Metadata, e.g. ``{"x": 187000.0, "y": 337000.0}``.
    kind : str or None
        Kind of a stress (``prec``, ``evap``, ``well``, ...).

    """

    library: str
    name: str
    path: str | None = None
    series: pd.Series | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    kind: str | None = None

    def __post_init__(self) -> None:
        if self.library not in SERIES_LIBRARIES:
            raise ValueError(f"library must be 'oseries' or 'stresses', not {self.library!r}")
        if (self.path is None) == (self.series is None):
            raise ValueError(f"series {self.name!r}: give either a path or a series")

    @classmethod
    def from_path(
        cls, kind: str, path: str | Path, metadata: Mapping[str, Any] | None = None
    ) -> IngestItem:
        """An item for a CSV file, named after it; ``kind`` ``"oseries"`` or a stress kind."""
        library = "oseries" if kind == "oseries" else "stresses"
        stress_kind = None if kind == "oseries" else kind
        return cls(library, Path(path).stem, str(path), None, dict(metadata or {}), stress_kind)


def items_from_paths(
    kind: str,
    paths: str | Path | Iterable[str | Path],
    metadata: Mapping[str, Mapping[str, Any]] | None = None,
    must_exist: bool = True,
) -> list[IngestItem]:
    """Items for the CSV files named by files, folders or glob patterns.

    Parameters
    ----------
    kind : str
        ``"oseries"`` (heads) or the kind of stress (``"prec"``, ``"evap"``, ...).
    paths : path or list of paths
        See :func:`pastas_projects.io.find_csv_files`.
    metadata : dict, optional
        ``series name -> metadata``.
    must_exist : bool, optional
        Raise for a missing path (default); else it becomes an item that fails.

    Returns
    -------
    list of IngestItem

    """
    metadata = metadata or {}
    files = find_csv_files(paths, must_exist=must_exist)
    return [IngestItem.from_path(kind, p, metadata.get(p.stem)) for p in files]


def items_from_collection(
    collection: Any, metadata: Mapping[str, Mapping[str, Any]] | None = None
) -> list[IngestItem]:
    """Items for series in memory (a :class:`~pastas_projects.datasets.SeriesCollection`).

    Stresses come first, so that models can be built as soon as the heads are in.
    ``metadata`` adds to (and overrides) the collection's own.
    """
    metadata = metadata or {}
    items = []
    for library, series, meta in (
        ("stresses", collection.stresses, collection.stresses_metadata),
        ("oseries", collection.oseries, collection.oseries_metadata),
    ):
        for name, values in series.items():
            merged = dict(meta.get(name) or {}) | dict(metadata.get(name) or {})
            items.append(IngestItem(library, name, None, values, merged))
    return items


def ingest(
    db: Database,
    items: Iterable[IngestItem],
    csv_options: Mapping[str, Any] | None = None,
    overwrite: bool = True,
    progress: Callable[[Outcome], Any] | None = None,
    update: bool = False,
) -> list[Outcome]:
    """Read each item (if it is a file) and write it into the store.

    Metadata already stored for a series is kept and updated with the item's. A
    series stored with other values is replaced (``overwrite``) even when models use
    it: those models become stale, and ``solve --only-changed`` re-solves them.

    Parameters
    ----------
    db : Database
        The store.
    items : iterable of IngestItem
        What to write.
    csv_options : dict, optional
        Passed to :func:`pastas_projects.io.read_csv` (``unit``, ``dayfirst``, ...).
    overwrite : bool, optional
        Replace series that changed; with ``False`` they are recorded as failed.
        With ``update``: let new values replace stored values that differ under the
        same timestamp.
    progress : callable, optional
        Called with each :class:`Outcome` as soon as it is known.
    update : bool, optional
        Append the values to the stored series instead of replacing it
        (``Database.upsert_oseries``/``upsert_stress``): for files that hold only
        the newest rows. A series not stored yet is added.

    Returns
    -------
    list of Outcome
        One per item (step ``ingest``), in order; ``result`` says ``"added"``,
        ``"updated"`` or ``"unchanged"``.

    Raises
    ------
    StoreConnectionError
        If the store cannot be reached (nothing is recorded: try the batch again).

    """
    items = list(items)
    csv_options = dict(csv_options or {})
    stored = {
        library: db.series_records(library, [i.name for i in items if i.library == library])
        for library in SERIES_LIBRARIES
    }
    outcomes = []
    for item in items:
        start = time.perf_counter()
        try:
            result = _write_one(db, item, csv_options, stored[item.library], overwrite, update)
            outcome = Outcome(item.name, True, "ingest", time.perf_counter() - start)
            outcome.result = result
        except StoreConnectionError:
            raise
        except RECORDED as err:
            outcome = Outcome(
                item.name, False, "ingest", time.perf_counter() - start, error_text(err)
            )
        outcome.library = item.library
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def _write_one(
    db: Database, item: IngestItem, csv_options: dict, stored: dict, overwrite: bool, update: bool
) -> str:
    series = item.series
    if series is None:
        series = read_csv(item.path, name=item.name, **csv_options)
    metadata = user_metadata(stored.get(item.name, {})) | dict(item.metadata)
    if item.kind is not None:
        metadata["kind"] = item.kind
    if update:
        if item.library == "oseries":
            return db.upsert_oseries(series, item.name, metadata, overwrite=overwrite)
        return db.upsert_stress(series, item.name, metadata=metadata, overwrite=overwrite)
    if item.library == "oseries":
        return db.add_oseries(series, item.name, metadata, overwrite=overwrite, force=overwrite)
    return db.add_stress(series, item.name, metadata=metadata, overwrite=overwrite, force=overwrite)
