"""The storage contract every connector implements.

A connector only moves bytes: it stores, reads, lists and deletes *items* in three
*libraries* (``"oseries"``, ``"stresses"`` and ``"models"``). All validation, model
(de)serialisation and bookkeeping happen once, above the connector, in
:class:`pastas_projects.store.Database`. A new backend therefore implements the
five abstract hooks below and nothing else; versions and snapshots are optional.

What the hooks receive is already validated:

* ``name`` is a safe name (see :mod:`pastas_projects.store.validation`): no path
  separators, no ``..``, no control characters, at most 200 characters.
* for ``"oseries"`` and ``"stresses"``, ``data`` is a :class:`pandas.DataFrame`
  with exactly one numeric column and a sorted, unique, tz-naive
  :class:`pandas.DatetimeIndex`; :meth:`BaseConnector._read` must give back the same
  values, dtype and timestamps (the column name, index name and ``freq`` may be
  lost: the layer above restores them).
* for ``"models"``, ``data`` is a ``str`` holding the model's JSON.
* ``metadata`` is a ``dict`` that survives ``json.dumps``; it must come back equal.

Every write must be atomic for readers: after a crash (even ``SIGKILL``) in the
middle of a write, a read gives either the previous item or the new one, never a
mixture.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from pastas_projects.errors import NotSupportedError

LIBRARIES: tuple[str, ...] = ("oseries", "stresses", "models")
"""The libraries every connector holds."""

ItemData = pd.DataFrame | str
"""What an item holds: a one-column frame for series, a JSON string for models."""

AsOf = int | str | pd.Timestamp | None
"""A version number, a timestamp (or its string) or ``None`` for the latest."""


@dataclass
class StoredItem:
    """One item as read from a connector.

    Attributes
    ----------
    data : pandas.DataFrame or str
        The stored frame (series) or JSON string (models).
    metadata : dict
        The metadata stored with the item.
    version : int or None
        The version read, for connectors that keep versions; ``None`` otherwise.

    """

    data: ItemData
    metadata: dict = field(default_factory=dict)
    version: int | None = None


@dataclass(frozen=True)
class VersionInfo:
    """One stored version of an item.

    Attributes
    ----------
    version : int
        The version number, increasing with every write.
    timestamp : pandas.Timestamp
        When the version was written (UTC, tz-naive).

    """

    version: int
    timestamp: pd.Timestamp


class BaseConnector(ABC):
    """Abstract storage backend of a :class:`~pastas_projects.PastasProject`.

    Subclasses implement :meth:`_write`, :meth:`_read`, :meth:`_read_metadata`,
    :meth:`_list_names` and :meth:`_delete`. Connectors that keep a version history
    set ``supports_versions = True`` and implement :meth:`_list_versions` and
    :meth:`_prune_versions`; those that can snapshot the whole store set
    ``supports_snapshots = True`` and implement the ``_*_snapshot`` hooks.

    Parameters
    ----------
    name : str
        Name of the connector; backends use it to name their libraries or folders.

    Notes
    -----
    Missing items must raise :class:`KeyError` (the layer above turns it into an
    :class:`~pastas_projects.errors.ItemNotFoundError` naming the item).

    """

    supports_versions: ClassVar[bool] = False
    supports_snapshots: ClassVar[bool] = False
    multiprocess_safe: ClassVar[bool] = True
    """Whether several processes may open this store at once (False for in-memory)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def uri(self) -> str:
        """URI that :func:`pastas_projects.connect` turns back into this connector."""
        raise NotSupportedError(f"{type(self).__name__} cannot be described by a URI")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    # ------------------------------------------------------------------ required hooks
    @abstractmethod
    def _write(self, library: str, name: str, data: ItemData, metadata: dict) -> int | None:
        """Create or replace one item, atomically.

        Parameters
        ----------
        library : str
            One of :data:`LIBRARIES`.
        name : str
            Item name (already validated).
        data : pandas.DataFrame or str
            One-column frame (series libraries) or JSON string (models).
        metadata : dict
            JSON-serialisable metadata to keep with the item.

        Returns
        -------
        int or None
            The version written, or ``None`` if the connector keeps no versions.

        """

    @abstractmethod
    def _read(self, library: str, name: str, as_of: AsOf = None) -> StoredItem:
        """Read one item; raise :class:`KeyError` if it does not exist.

        Parameters
        ----------
        library : str
            One of :data:`LIBRARIES`.
        name : str
            Item name.
        as_of : int, str, pandas.Timestamp or None
            Version or time to read; only connectors with ``supports_versions`` get
            anything but ``None``.

        """

    @abstractmethod
    def _read_metadata(self, library: str, names: list[str]) -> dict[str, dict]:
        """Read the metadata of many items at once, without reading their data.

        Missing names are left out of the result.
        """

    @abstractmethod
    def _list_names(self, library: str) -> list[str]:
        """Names of all items in a library, in any order."""

    @abstractmethod
    def _delete(self, library: str, name: str) -> None:
        """Delete an item (all its versions); raise :class:`KeyError` if missing."""

    # ------------------------------------------------------------------ optional hooks
    def _has(self, library: str, name: str) -> bool:
        """Whether an item exists. Override when listing all names is slow."""
        return name in self._list_names(library)

    def _list_versions(self, library: str, name: str) -> list[VersionInfo]:
        """All stored versions of an item, oldest first."""
        raise NotSupportedError(f"{type(self).__name__} keeps no version history")

    def _prune_versions(self, library: str, name: str, keep_last: int) -> int:
        """Delete all but the newest ``keep_last`` versions; return how many went."""
        raise NotSupportedError(f"{type(self).__name__} keeps no version history")

    def _create_snapshot(self, snapshot: str) -> None:
        """Save the current state of all libraries under ``snapshot``."""
        raise NotSupportedError(f"{type(self).__name__} does not support snapshots")

    def _list_snapshots(self) -> list[str]:
        """Names of the stored snapshots."""
        raise NotSupportedError(f"{type(self).__name__} does not support snapshots")

    def _restore_snapshot(self, snapshot: str) -> None:
        """Make all libraries exactly as they were when ``snapshot`` was taken."""
        raise NotSupportedError(f"{type(self).__name__} does not support snapshots")

    def _delete_snapshot(self, snapshot: str) -> None:
        """Delete a snapshot."""
        raise NotSupportedError(f"{type(self).__name__} does not support snapshots")

    def close(self) -> None:  # noqa: B027 (optional hook, nothing to release by default)
        """Release files, sockets or handles; the connector is unusable afterwards."""
