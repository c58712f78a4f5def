"""The history of a store: versions of items and snapshots of the whole store.

:class:`HistoryStore` is the history part of :class:`~pastas_projects.store.Database`:
only connectors with ``supports_versions`` keep versions, only those with
``supports_snapshots`` take snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pastas_projects.errors import ItemNotFoundError
from pastas_projects.store.base import StoreBase, name_list
from pastas_projects.store.validation import validate_name


class HistoryStore(StoreBase):
    """List and prune versions, take and restore snapshots; part of ``Database``."""

    # ------------------------------------------------------------------ versions
    def list_versions(self, library: str, name: str) -> pd.DataFrame:
        """Stored versions of an oseries, stress or model, oldest first.

        Returns
        -------
        pandas.DataFrame
            Columns ``version`` and ``timestamp`` (UTC).

        """
        self._require(library, name)
        versions = self.conn._list_versions(library, name)
        return pd.DataFrame(
            {"version": [v.version for v in versions], "timestamp": [v.timestamp for v in versions]}
        )

    def prune_versions(
        self, library: str, names: str | Iterable[str] | None = None, keep_last: int = 1
    ) -> int:
        """Delete old versions, keeping the newest ``keep_last`` of each item.

        Returns
        -------
        int
            How many versions were deleted.

        """
        if not isinstance(keep_last, int) or keep_last < 1:
            raise ValueError(f"keep_last must be an int >= 1, not {keep_last!r}")
        names = name_list(names, self.names(library))
        for name in names:
            self._require(library, name)
        return sum(self.conn._prune_versions(library, name, keep_last) for name in names)

    # ------------------------------------------------------------------ snapshots
    def create_snapshot(self, snapshot: str) -> None:
        """Save the current state of the whole store under a name."""
        self.conn._create_snapshot(validate_name(snapshot, "snapshot"))

    def list_snapshots(self) -> list[str]:
        """Names of the stored snapshots."""
        return sorted(self.conn._list_snapshots())

    def restore_snapshot(self, snapshot: str) -> None:
        """Make the whole store exactly as it was when the snapshot was taken."""
        self._require_snapshot(snapshot)
        self.conn._restore_snapshot(snapshot)

    def delete_snapshot(self, snapshot: str) -> None:
        """Delete a snapshot."""
        self._require_snapshot(snapshot)
        self.conn._delete_snapshot(snapshot)

    def _require_snapshot(self, snapshot: str) -> None:
        if snapshot not in self.conn._list_snapshots():
            raise ItemNotFoundError(f"snapshot {snapshot!r} does not exist")
