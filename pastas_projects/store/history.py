"""The history of a store: versions of items and snapshots of the whole store.

:class:`HistoryStore` is the history part of :class:`~pastas_projects.store.Database`:
only connectors with ``supports_versions`` keep versions, only those with
``supports_snapshots`` take snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pastas_projects.connectors.base import LIBRARIES
from pastas_projects.errors import ItemNotFoundError
from pastas_projects.store.base import StoreBase, check_library, name_list
from pastas_projects.store.validation import validate_name

RETENTION = {"keep_versions": 3, "keep_days": 30}
"""The retention policy of the nightly deployment and of ``pastas-projects prune``: of
every series and model keep the last 3 versions and every version younger than 30
days (stores with versions: ArcticDB). A month of nightly runs stays readable
(``as_of``), and a store that runs every night for years stops growing with every
night."""


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

    def apply_retention(
        self,
        keep_last: int = 1,
        keep_days: float | None = None,
        libraries: str | Iterable[str] | None = None,
        names: Iterable[str] | None = None,
        now: pd.Timestamp | str | None = None,
    ) -> dict[str, int]:
        """Delete old versions by a retention policy: keep the last K and the young ones.

        Of every item, the newest ``keep_last`` versions are kept, and every version
        written less than ``keep_days`` days ago; older versions are deleted. The
        newest version is always kept. A model version whose series versions were
        deleted can no longer be rebuilt ``as_of`` that version (its series are then
        read as they are now, if at all): keep enough days to look back as far as
        you need.

        On connectors without versions (PyStore, Dict) there is nothing to prune.

        Parameters
        ----------
        keep_last : int, optional
            Versions to keep of every item, at least 1.
        keep_days : float, optional
            Keep every version younger than this many days as well.
        libraries : str or list of str, optional
            Libraries to prune (default all three).
        names : list of str, optional
            Only these items (default all items of each library).
        now : pandas.Timestamp or str, optional
            The time the ages are counted from (UTC; default the current time).

        Returns
        -------
        dict
            ``library -> number of versions deleted``.

        Examples
        --------
        >>> pr.db.apply_retention(keep_last=3, keep_days=30)  # doctest: +SKIP
        {'oseries': 12, 'stresses': 0, 'models': 2970}

        """
        if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
            raise ValueError(f"keep_last must be a whole number >= 1, not {keep_last!r}")
        if keep_days is not None and (isinstance(keep_days, bool) or not keep_days >= 0):
            raise ValueError(f"keep_days must be a number >= 0 or None, not {keep_days!r}")
        libraries = name_list(libraries, list(LIBRARIES))
        for library in libraries:
            check_library(library)
        deleted = dict.fromkeys(libraries, 0)
        if not self.conn.supports_versions:
            return deleted
        stamp = pd.Timestamp(now) if now is not None else pd.Timestamp.now(tz="UTC")
        stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tz else stamp
        cutoff = None if keep_days is None else stamp - pd.Timedelta(days=float(keep_days))
        for library in libraries:
            wanted = (
                self.names(library)
                if names is None
                else [n for n in names if self.conn._has(library, n)]
            )
            for name in wanted:
                versions = self.conn._list_versions(library, name)
                young = 0 if cutoff is None else sum(v.timestamp >= cutoff for v in versions)
                keep = max(keep_last, young)
                if len(versions) > keep:
                    deleted[library] += self.conn._prune_versions(library, name, keep)
        return deleted

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
