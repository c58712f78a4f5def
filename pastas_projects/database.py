"""The validated read/write API on top of a connector: ``PastasProject.db``.

All checks, (de)serialisation and bookkeeping happen here, once, for every
connector. A connector only implements the storage hooks of
:class:`~pastas_projects.connectors.base.BaseConnector`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from pastas_projects.bookkeeping import (
    HASH_KEY,
    frame_for_storage,
    restore_series,
    series_bookkeeping,
    user_metadata,
)
from pastas_projects.connectors.base import AsOf, BaseConnector, StoredItem
from pastas_projects.errors import (
    ItemExistsError,
    ItemNotFoundError,
    NotSupportedError,
    SeriesInUseError,
)
from pastas_projects.history_store import HistoryStore, name_list
from pastas_projects.models_store import ModelStore
from pastas_projects.validation import (
    validate_metadata,
    validate_name,
    validate_series,
)

SERIES_LIBRARIES = {"oseries": "oseries", "stresses": "stress"}
"""Series libraries and the word used for one of their items in messages."""


class Database(ModelStore, HistoryStore):
    """Read and write oseries, stresses and models through a connector.

    Parameters
    ----------
    connector : BaseConnector
        Where the data lives.

    Notes
    -----
    Opening a store reads nothing but what is asked for: series stay on disk or in
    the database until ``get_*`` reads them.

    """

    def __init__(self, connector: BaseConnector) -> None:
        if not isinstance(connector, BaseConnector):
            raise TypeError(
                f"connector must be a BaseConnector (e.g. pp.ArcticConnector), "
                f"not {type(connector).__name__}"
            )
        self.conn = connector

    def __repr__(self) -> str:
        return (
            f"<Database {self.conn!r}: {len(self.oseries_names)} oseries, "
            f"{len(self.stresses_names)} stresses, {len(self.model_names)} models>"
        )

    # ------------------------------------------------------------------ names
    @property
    def oseries_names(self) -> list[str]:
        """Sorted names of all oseries."""
        return sorted(self.conn._list_names("oseries"))

    @property
    def stresses_names(self) -> list[str]:
        """Sorted names of all stresses."""
        return sorted(self.conn._list_names("stresses"))

    @property
    def model_names(self) -> list[str]:
        """Sorted names of all models."""
        return sorted(self.conn._list_names("models"))

    def _names(self, library: str) -> list[str]:
        return sorted(self.conn._list_names(library))

    def _require(self, library: str, name: str) -> None:
        if not self.conn._has(library, name):
            raise ItemNotFoundError(f"{self._word(library)} {name!r} is not in the store")

    @staticmethod
    def _word(library: str) -> str:
        return SERIES_LIBRARIES.get(library, "model")

    # ------------------------------------------------------------------ metadata tables
    @property
    def oseries(self) -> pd.DataFrame:
        """Metadata of all oseries, one row per series."""
        return self.get_metadata("oseries")

    @property
    def stresses(self) -> pd.DataFrame:
        """Metadata of all stresses (with their ``kind``), one row per series."""
        return self.get_metadata("stresses")

    def get_metadata(self, library: str, names: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Metadata table of a series library.

        Parameters
        ----------
        library : {"oseries", "stresses"}
            Which library.
        names : str or list of str, optional
            Only these items (default all).

        Returns
        -------
        pandas.DataFrame
            One row per item (index ``name``), one column per metadata key.

        """
        self._check_series_library(library)
        wanted = name_list(names, self._names(library))
        found = self.conn._read_metadata(library, wanted)
        missing = [n for n in wanted if n not in found]
        if names is not None and missing:
            raise ItemNotFoundError(
                f"{self._word(library)} {missing[0]!r} is not in the store"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )
        rows = {n: user_metadata(found[n]) for n in wanted if n in found}
        table = pd.DataFrame.from_dict(rows, orient="index")
        if table.empty:
            table = pd.DataFrame(index=pd.Index([], dtype=object))
        table.index.name = "name"
        return table

    @staticmethod
    def _check_series_library(library: str) -> None:
        if library not in SERIES_LIBRARIES:
            raise ValueError(f"library must be 'oseries' or 'stresses', not {library!r}")

    # ------------------------------------------------------------------ writing series
    def add_oseries(
        self,
        series: pd.Series | pd.DataFrame,
        name: str | None = None,
        metadata: dict | None = None,
        overwrite: bool = False,
        force: bool = False,
    ) -> None:
        """Store an observed head series.

        Parameters
        ----------
        series : pandas.Series or one-column pandas.DataFrame
            Numeric values on a sorted, unique, tz-naive DatetimeIndex.
        name : str, optional
            Name of the item; defaults to the series' name.
        metadata : dict, optional
            JSON-serialisable metadata, e.g. ``{"x": 187000.0, "y": 337000.0}``.
        overwrite : bool, optional
            Replace an existing oseries of that name.
        force : bool, optional
            Allow overwriting an oseries that models use (they become stale and are
            re-solved by ``solve_models(only_changed=True)``).

        """
        self._add_series("oseries", series, name, metadata, overwrite, force)

    def add_stress(
        self,
        series: pd.Series | pd.DataFrame,
        name: str | None = None,
        kind: str | None = None,
        metadata: dict | None = None,
        overwrite: bool = False,
        force: bool = False,
    ) -> None:
        """Store a stress series (precipitation, evaporation, pumping, river level).

        Parameters
        ----------
        series : pandas.Series or one-column pandas.DataFrame
            Numeric values on a sorted, unique, tz-naive DatetimeIndex.
        name : str, optional
            Name of the item; defaults to the series' name.
        kind : str, optional
            What the stress is, e.g. ``"prec"``, ``"evap"``, ``"well"``; used to pick
            stresses for models.
        metadata : dict, optional
            JSON-serialisable metadata, e.g. coordinates.
        overwrite : bool, optional
            Replace an existing stress of that name.
        force : bool, optional
            Allow overwriting a stress that models use.

        """
        if kind is not None and isinstance(metadata, dict | None):
            metadata = dict(metadata or {})
            if not isinstance(kind, str):
                raise TypeError(f"kind of stress {name!r} must be a str, not {type(kind).__name__}")
            metadata["kind"] = kind
        self._add_series("stresses", series, name, metadata, overwrite, force)

    def _add_series(
        self,
        library: str,
        series: Any,
        name: str | None,
        metadata: dict | None,
        overwrite: bool,
        force: bool,
    ) -> None:
        word = self._word(library)
        if name is None:
            name = getattr(series, "name", None)
            if name is None and isinstance(series, pd.DataFrame) and series.shape[1] == 1:
                name = series.columns[0]
        name = validate_name(name, word)
        series = validate_series(series, name, word)
        metadata = validate_metadata(metadata, name, word)
        bookkeeping = series_bookkeeping(series)
        if self.conn._has(library, name):
            if not overwrite:
                raise ItemExistsError(
                    f"{word} {name!r} is already in the store; use overwrite=True to replace it"
                )
            stored = self.conn._read_metadata(library, [name]).get(name, {})
            if stored.get(HASH_KEY) == bookkeeping[HASH_KEY] and user_metadata(stored) == metadata:
                return  # identical: writing again would only add a version
            if stored.get(HASH_KEY) != bookkeeping[HASH_KEY] and not force:
                users = self.models_using(library, [name]).get(name, [])
                if users:
                    raise SeriesInUseError(
                        f"{word} {name!r} is used by {len(users)} model(s) "
                        f"({', '.join(users[:5])}); use force=True to overwrite it anyway"
                    )
        self.conn._write(library, name, frame_for_storage(series, name), metadata | bookkeeping)

    # ------------------------------------------------------------------ reading series
    def get_oseries(
        self,
        names: str | Iterable[str],
        as_of: AsOf = None,
        progressbar: bool = False,
    ) -> pd.Series | dict[str, pd.Series]:
        """Read oseries.

        Parameters
        ----------
        names : str or list of str
            One name (returns a Series) or several (returns a dict).
        as_of : int, str or pandas.Timestamp, optional
            Version number or time to read (connectors with versions only).
        progressbar : bool, optional
            Show a progress bar when reading several.

        Returns
        -------
        pandas.Series or dict of pandas.Series
            Series named after the item, values and index exactly as written.

        """
        return self._get_series("oseries", names, as_of, progressbar)

    def get_stresses(
        self,
        names: str | Iterable[str],
        as_of: AsOf = None,
        progressbar: bool = False,
    ) -> pd.Series | dict[str, pd.Series]:
        """Read stresses; see :meth:`get_oseries`."""
        return self._get_series("stresses", names, as_of, progressbar)

    def _get_series(
        self, library: str, names: str | Iterable[str], as_of: AsOf, progressbar: bool
    ) -> pd.Series | dict[str, pd.Series]:
        if isinstance(names, str):
            return self._read_series(library, names, as_of)[0]
        names = list(names)
        return {
            name: self._read_series(library, name, as_of)[0]
            for name in tqdm(names, desc=f"Reading {library}", disable=not progressbar)
        }

    def _read_series(
        self, library: str, name: str, as_of: AsOf = None
    ) -> tuple[pd.Series, StoredItem]:
        item = self._read_item(library, name, as_of)
        return restore_series(item.data, name, item.metadata), item

    def _read_item(self, library: str, name: str, as_of: AsOf = None) -> StoredItem:
        if as_of is not None and not self.conn.supports_versions:
            raise NotSupportedError(
                f"{type(self.conn).__name__} keeps no versions; cannot read "
                f"{self._word(library)} {name!r} as of {as_of!r}"
            )
        try:
            return self.conn._read(library, name, as_of)
        except KeyError:
            at = f" as of {as_of!r}" if as_of is not None else ""
            raise ItemNotFoundError(
                f"{self._word(library)} {name!r}{at} is not in the store"
            ) from None

    # ------------------------------------------------------------------ deleting series
    def del_oseries(self, names: str | Iterable[str], force: bool = False) -> None:
        """Delete oseries; ``force=True`` also when models use them."""
        self._del_series("oseries", names, force)

    def del_stress(self, names: str | Iterable[str], force: bool = False) -> None:
        """Delete stresses; ``force=True`` also when models use them."""
        self._del_series("stresses", names, force)

    def _del_series(self, library: str, names: str | Iterable[str], force: bool) -> None:
        names = name_list(names, [])
        for name in names:
            self._require(library, name)
        if not force:
            users = self.models_using(library, names)
            if users:
                name, models = next(iter(users.items()))
                raise SeriesInUseError(
                    f"{self._word(library)} {name!r} is used by {len(models)} model(s) "
                    f"({', '.join(models[:5])}); delete those first or use force=True"
                )
        for name in names:
            self.conn._delete(library, name)

    def series_hashes(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """Current content hashes of ``(library, name)`` series (``None`` if missing)."""
        wanted: dict[str, list[str]] = {}
        for library, name in keys:
            wanted.setdefault(library, []).append(name)
        hashes: dict[tuple[str, str], str | None] = {}
        for library, names in wanted.items():
            found = self.conn._read_metadata(library, sorted(set(names)))
            for name in names:
                hashes[(library, name)] = found.get(name, {}).get(HASH_KEY)
        return hashes
