"""What every part of the store shares: the connector, names, stored items and records.

:class:`StoreBase` is the root of :class:`~pastas_projects.store.Database`: the
series, model and history parts build on it and on nothing of each other. It reads;
only those parts write.

A *record* is what the store keeps beside an item's data: for a series its user
metadata plus the bookkeeping keys starting with ``_`` (content hash, frequency),
for a model its bookkeeping (series used, status, statistics, parameters).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

import pandas as pd

from pastas_projects.connectors.base import LIBRARIES, AsOf, BaseConnector, StoredItem
from pastas_projects.errors import ItemNotFoundError, NotSupportedError
from pastas_projects.store.bookkeeping import HASH_KEY, restore_series, series_key

SERIES_LIBRARIES = {"oseries": "oseries", "stresses": "stress"}
"""Series libraries and the word used for one of their items in messages."""


def name_list(names: str | Iterable[str] | None, default: list[str]) -> list[str]:
    """``names`` as a list: one name, several, or ``default`` for None."""
    if names is None:
        return default
    if isinstance(names, str):
        return [names]
    return list(names)


def word(library: str) -> str:
    """What one item of a library is called in messages: oseries, stress or model."""
    return SERIES_LIBRARIES.get(library, "model")


def check_library(library: str, series_only: bool = False) -> None:
    """Raise a clear ``ValueError`` for a library name the store does not have."""
    allowed = tuple(SERIES_LIBRARIES) if series_only else LIBRARIES
    if library not in allowed:
        raise ValueError(f"library must be one of {', '.join(map(repr, allowed))}, not {library!r}")


class StoreBase:
    """The connector and the read-only questions every part of the store asks.

    Parameters
    ----------
    connector : BaseConnector
        Where the data lives.

    """

    def __init__(self, connector: BaseConnector) -> None:
        if not isinstance(connector, BaseConnector):
            raise TypeError(
                f"connector must be a BaseConnector (e.g. pp.ArcticConnector), "
                f"not {type(connector).__name__}"
            )
        self.conn = connector

    # ------------------------------------------------------------------ names
    def names(self, library: str) -> list[str]:
        """Sorted names of the items of a library (``oseries``, ``stresses``, ``models``)."""
        check_library(library)
        return sorted(self.conn._list_names(library))

    @property
    def oseries_names(self) -> list[str]:
        """Sorted names of all oseries."""
        return self.names("oseries")

    @property
    def stresses_names(self) -> list[str]:
        """Sorted names of all stresses."""
        return self.names("stresses")

    @property
    def model_names(self) -> list[str]:
        """Sorted names of all models."""
        return self.names("models")

    def has(self, library: str, name: str) -> bool:
        """Whether an item of that name is in a library."""
        check_library(library)
        return bool(self.conn._has(library, name))

    def select_names(
        self, library: str, names: Iterable[str] | None = None, pattern: str | None = None
    ) -> tuple[list[str], list[str]]:
        """Pick items of a library by a list of names and/or a glob pattern.

        Parameters
        ----------
        library : {"oseries", "stresses", "models"}
            The library.
        names : list of str, optional
            Wanted names (default: all in the library).
        pattern : str, optional
            Glob pattern (``fnmatch``, case-sensitive, e.g. ``"B58*"``) the names must
            match.

        Returns
        -------
        (list of str, list of str)
            The names chosen (sorted, or in the order of ``names``), and the names
            asked for that are not in the library.

        """
        available = self.names(library)
        if names is None:
            chosen, missing = available, []
        else:
            present = set(available)
            unique = list(dict.fromkeys(str(n) for n in names))
            chosen = [n for n in unique if n in present]
            missing = [n for n in unique if n not in present]
        if pattern:
            chosen = [n for n in chosen if fnmatch.fnmatchcase(n, pattern)]
        return chosen, missing

    def _require(self, library: str, name: str) -> None:
        if not self.conn._has(library, name):
            raise ItemNotFoundError(f"{word(library)} {name!r} is not in the store")

    # ------------------------------------------------------------------ items
    def read_item(self, library: str, name: str, as_of: AsOf = None) -> StoredItem:
        """One item as stored: its data (a frame or model JSON), record and version.

        Parameters
        ----------
        library : {"oseries", "stresses", "models"}
            The library.
        name : str
            The item.
        as_of : int, str or pandas.Timestamp, optional
            Version number or time (connectors with versions only).

        Returns
        -------
        StoredItem

        Raises
        ------
        ItemNotFoundError
            If the item (or that version of it) is not in the store.

        """
        check_library(library)
        if as_of is not None and not self.conn.supports_versions:
            raise NotSupportedError(
                f"{type(self.conn).__name__} keeps no versions; cannot read "
                f"{word(library)} {name!r} as of {as_of!r}"
            )
        try:
            return self.conn._read(library, name, as_of)
        except KeyError:
            at = f" as of {as_of!r}" if as_of is not None else ""
            raise ItemNotFoundError(f"{word(library)} {name!r}{at} is not in the store") from None

    def _read_series(
        self, library: str, name: str, as_of: AsOf = None
    ) -> tuple[pd.Series, StoredItem]:
        item = self.read_item(library, name, as_of)
        return restore_series(item.data, name, item.metadata), item

    # ------------------------------------------------------------------ records
    def series_records(
        self, library: str, names: str | Iterable[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Stored metadata of series, bookkeeping keys (``_hash``, ``_freq``, ...) included.

        Parameters
        ----------
        library : {"oseries", "stresses"}
            The library.
        names : str or list of str, optional
            Only these series (default all); names not in the store are left out.

        Returns
        -------
        dict
            ``name -> record``, without reading any series' values.

        """
        check_library(library, series_only=True)
        wanted = name_list(names, None) if names is not None else self.names(library)
        return self.conn._read_metadata(library, wanted) if wanted else {}

    def model_records(
        self, names: str | Iterable[str] | None = None, missing: str = "raise"
    ) -> dict[str, dict[str, Any]]:
        """Bookkeeping of models, without rebuilding any of them.

        Parameters
        ----------
        names : str or list of str, optional
            Only these models (default all).
        missing : {"raise", "skip"}
            What to do with a name that is not in the store.

        Returns
        -------
        dict
            ``name -> record`` in the order of ``names``: ``oseries``, ``stresses``,
            ``inputs`` (content hash of every series used), ``input_versions``,
            ``status`` (``built``, ``solved`` or ``failed``), ``error``,
            ``statistics``, ``parameters``, ``written``, ``solved_at``.

        Raises
        ------
        ItemNotFoundError
            If a model is missing and ``missing="raise"``.

        """
        if missing not in ("raise", "skip"):
            raise ValueError(f"missing must be 'raise' or 'skip', not {missing!r}")
        wanted = self.model_names if names is None else name_list(names, [])
        found = self.conn._read_metadata("models", wanted) if wanted else {}
        absent = [n for n in wanted if n not in found]
        if absent and missing == "raise":
            more = f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""
            raise ItemNotFoundError(f"model {absent[0]!r} is not in the store{more}")
        return {n: found[n] for n in wanted if n in found}

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

    def models_using(self, library: str, names: Iterable[str]) -> dict[str, list[str]]:
        """Which models use each of these series.

        Returns
        -------
        dict
            ``series name -> sorted model names``, only for series that are used.

        """
        keys = {series_key(library, n): n for n in names}
        users: dict[str, list[str]] = {}
        for model, info in self.model_records(missing="skip").items():
            for key in info.get("inputs", {}):
                if key in keys:
                    users.setdefault(keys[key], []).append(model)
        return {n: sorted(m) for n, m in users.items()}
