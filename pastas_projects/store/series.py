"""Series in the store: oseries and stresses, validated before anything is written.

:class:`SeriesStore` is the series part of :class:`~pastas_projects.store.Database`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import pandas as pd
from tqdm.auto import tqdm

from pastas_projects.connectors.base import AsOf
from pastas_projects.errors import ItemExistsError, ItemNotFoundError, SeriesInUseError
from pastas_projects.store.base import StoreBase, check_library, name_list, word
from pastas_projects.store.bookkeeping import (
    FREQ_KEY,
    HASH_KEY,
    frame_for_storage,
    series_bookkeeping,
    user_metadata,
)
from pastas_projects.store.validation import (
    check_increasing,
    merge_new_values,
    validate_metadata,
    validate_name,
    validate_series,
)

WriteResult = Literal["added", "updated", "unchanged"]
"""What a write did: a new item, a changed item, or nothing (identical to the stored one)."""


class SeriesStore(StoreBase):
    """Add, update, read and delete oseries and stresses; part of ``Database``.

    The public ``del_oseries``/``del_stress`` are ``Database``'s: deleting a series
    changes the models that use it.
    """

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
        check_library(library, series_only=True)
        wanted = name_list(names, self.names(library))
        found = self.series_records(library, wanted)
        missing = [n for n in wanted if n not in found]
        if names is not None and missing:
            raise ItemNotFoundError(
                f"{word(library)} {missing[0]!r} is not in the store"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )
        rows = {n: user_metadata(found[n]) for n in wanted if n in found}
        table = pd.DataFrame.from_dict(rows, orient="index")
        # a series without metadata keeps its row (from_dict drops empty dicts)
        table = table.reindex(pd.Index(list(rows), dtype=object))
        table.index.name = "name"
        return table

    @property
    def n_oseries(self) -> int:
        """Number of oseries in the store."""
        return len(self.conn._list_names("oseries"))

    @property
    def n_stresses(self) -> int:
        """Number of stresses in the store."""
        return len(self.conn._list_names("stresses"))

    # ------------------------------------------------------------------ writing series
    def add_oseries(
        self,
        series: pd.Series | pd.DataFrame,
        name: str | None = None,
        metadata: dict | None = None,
        overwrite: bool = False,
        force: bool = False,
    ) -> WriteResult:
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

        Returns
        -------
        {"added", "updated", "unchanged"}
            ``"unchanged"`` when the stored series has the same values and metadata:
            nothing is written then (no new version; its models stay up to date).

        """
        return self._add_series("oseries", series, name, metadata, overwrite, force)

    def add_stress(
        self,
        series: pd.Series | pd.DataFrame,
        name: str | None = None,
        kind: str | None = None,
        metadata: dict | None = None,
        overwrite: bool = False,
        force: bool = False,
    ) -> WriteResult:
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

        Returns
        -------
        {"added", "updated", "unchanged"}
            ``"unchanged"`` when the stored series has the same values and metadata:
            nothing is written then (no new version; its models stay up to date).

        """
        if kind is not None and isinstance(metadata, dict | None):
            metadata = dict(metadata or {})
            if not isinstance(kind, str):
                raise TypeError(f"kind of stress {name!r} must be a str, not {type(kind).__name__}")
            metadata["kind"] = kind
        return self._add_series("stresses", series, name, metadata, overwrite, force)

    def _add_series(
        self,
        library: str,
        series: Any,
        name: str | None,
        metadata: dict | None,
        overwrite: bool,
        force: bool,
    ) -> WriteResult:
        what = word(library)
        if name is None:
            name = getattr(series, "name", None)
            if name is None and isinstance(series, pd.DataFrame) and series.shape[1] == 1:
                name = series.columns[0]
        name = validate_name(name, what)
        series = validate_series(series, name, what)
        metadata = validate_metadata(metadata, name, what)
        bookkeeping = series_bookkeeping(series)
        stored = self.conn._read_metadata(library, [name]).get(name)
        if stored is not None:
            if not overwrite:
                raise ItemExistsError(
                    f"{what} {name!r} is already in the store; use overwrite=True to replace it"
                )
            if stored.get(HASH_KEY) == bookkeeping[HASH_KEY] and user_metadata(stored) == metadata:
                return "unchanged"  # identical: writing again would only add a version
            if stored.get(HASH_KEY) != bookkeeping[HASH_KEY] and not force:
                users = self.models_using(library, [name]).get(name, [])
                if users:
                    raise SeriesInUseError(
                        f"{what} {name!r} is used by {len(users)} model(s) "
                        f"({', '.join(users[:5])}); use force=True to overwrite it anyway"
                    )
        self.conn._write(library, name, frame_for_storage(series, name), metadata | bookkeeping)
        return "added" if stored is None else "updated"

    # ------------------------------------------------------------------ new observations
    def update_oseries(
        self,
        series: pd.Series | pd.DataFrame,
        name: str | None = None,
        metadata: dict | None = None,
        overwrite: bool = False,
    ) -> WriteResult:
        """Append new values to a stored oseries, keeping the stored ones.

        The stored and new values are merged: new timestamps are added, the values
        under timestamps the store has already must be equal (NaN equals NaN) unless
        ``overwrite=True``. Models using the oseries become stale (their series
        changed) and ``solve_models(only_changed=True)`` re-solves exactly them. On
        connectors with versions every call that changes something writes one new
        version; the old one stays readable (``as_of``).

        Parameters
        ----------
        series : pandas.Series or one-column pandas.DataFrame
            The new values (e.g. only the newest rows), on a sorted DatetimeIndex.
        name : str, optional
            Name of the stored oseries; defaults to the series' name.
        metadata : dict, optional
            Metadata to add to (and override in) the stored metadata.
        overwrite : bool, optional
            Replace stored values that differ under existing timestamps.

        Returns
        -------
        {"updated", "unchanged"}
            ``"unchanged"`` when nothing is new: nothing is written then.

        Raises
        ------
        ItemNotFoundError
            If the oseries is not stored (use :meth:`upsert_oseries`).
        SeriesUpdateError
            If values change under existing timestamps (the error names them),
            timestamps decrease, or the new values do not keep the stored frequency
            (e.g. hourly values for a daily series, or a gap in a daily series).
            Nothing is written then.

        Examples
        --------
        >>> pr.db.update_oseries(new_rows, "B58C0698")  # doctest: +SKIP
        'updated'

        """
        return self._update_series("oseries", series, name, metadata, overwrite, upsert=False)

    def update_stress(
        self,
        series: pd.Series | pd.DataFrame,
        name: str | None = None,
        metadata: dict | None = None,
        overwrite: bool = False,
    ) -> WriteResult:
        """Append new values to a stored stress; see :meth:`update_oseries`."""
        return self._update_series("stresses", series, name, metadata, overwrite, upsert=False)

    def upsert_oseries(
        self,
        series: pd.Series | pd.DataFrame,
        name: str | None = None,
        metadata: dict | None = None,
        overwrite: bool = False,
    ) -> WriteResult:
        """Add an oseries, or append new values if it is stored (:meth:`update_oseries`).

        Returns
        -------
        {"added", "updated", "unchanged"}

        """
        return self._update_series("oseries", series, name, metadata, overwrite, upsert=True)

    def upsert_stress(
        self,
        series: pd.Series | pd.DataFrame,
        name: str | None = None,
        kind: str | None = None,
        metadata: dict | None = None,
        overwrite: bool = False,
    ) -> WriteResult:
        """Add a stress, or append new values if it is stored (:meth:`update_oseries`).

        Returns
        -------
        {"added", "updated", "unchanged"}

        """
        if kind is not None:
            if not isinstance(kind, str):
                raise TypeError(f"kind of stress {name!r} must be a str, not {type(kind).__name__}")
            if isinstance(metadata, dict | None):
                metadata = dict(metadata or {}) | {"kind": kind}
        return self._update_series("stresses", series, name, metadata, overwrite, upsert=True)

    def _update_series(
        self,
        library: str,
        series: Any,
        name: str | None,
        metadata: dict | None,
        overwrite: bool,
        upsert: bool,
    ) -> WriteResult:
        what = word(library)
        if name is None:
            name = getattr(series, "name", None)
            if name is None and isinstance(series, pd.DataFrame) and series.shape[1] == 1:
                name = series.columns[0]
        name = validate_name(name, what)
        check_increasing(series, name, what)
        series = validate_series(series, name, what)
        metadata = validate_metadata(metadata, name, what)
        stored = self.conn._read_metadata(library, [name]).get(name)
        if stored is None:
            if not upsert:
                suffix = "oseries" if library == "oseries" else "stress"
                raise ItemNotFoundError(
                    f"{what} {name!r} is not in the store, so it cannot be updated; "
                    f"add it with upsert_{suffix}() or add_{suffix}()"
                )
            self.conn._write(
                library,
                name,
                frame_for_storage(series, name),
                metadata | series_bookkeeping(series),
            )
            return "added"
        old, _ = self._read_series(library, name)
        merged = merge_new_values(old, series, name, what, overwrite, stored.get(FREQ_KEY))
        merged_metadata = user_metadata(stored) | metadata
        bookkeeping = series_bookkeeping(merged)
        if (
            stored.get(HASH_KEY) == bookkeeping[HASH_KEY]
            and user_metadata(stored) == merged_metadata
        ):
            return "unchanged"
        self.conn._write(
            library, name, frame_for_storage(merged, name), merged_metadata | bookkeeping
        )
        return "updated"

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

    # ------------------------------------------------------------------ deleting series
    def _del_series(
        self, library: str, names: str | Iterable[str], force: bool, remove_models: bool = False
    ) -> dict[str, list[str]]:
        """Check, then delete series; return ``series -> models using it`` (for the caller).

        Nothing is deleted when a name is missing, or when models use a series and
        neither ``force`` nor ``remove_models`` is given.
        """
        names = name_list(names, [])
        for name in names:
            self._require(library, name)
        users = self.models_using(library, names)
        if users and not (force or remove_models):
            name, models = next(iter(users.items()))
            raise SeriesInUseError(
                f"{word(library)} {name!r} is used by {len(models)} model(s) "
                f"({', '.join(models[:5])}); delete those first or use force=True"
            )
        for name in names:
            self.conn._delete(library, name)
        return users
