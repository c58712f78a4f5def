"""The validated read/write API on top of a connector: ``PastasProject.db``.

All checks, (de)serialisation and bookkeeping happen here, once, for every
connector. A connector only implements the storage hooks of
:class:`~pastas_projects.connectors.base.BaseConnector`.
"""

from __future__ import annotations

from pastas_projects.store.history import HistoryStore
from pastas_projects.store.items import ItemStore
from pastas_projects.store.models import ModelStore
from pastas_projects.store.series import SeriesStore


class Database(SeriesStore, ModelStore, HistoryStore, ItemStore):
    """Read and write oseries, stresses and models through a connector.

    The parts: :class:`~.series.SeriesStore` (oseries and stresses),
    :class:`~.models.ModelStore` (models) and :class:`~.history.HistoryStore`
    (versions and snapshots) and :class:`~.items.ItemStore` (items moved whole, with
    their records), all on :class:`~.base.StoreBase` (names, records).

    Parameters
    ----------
    connector : BaseConnector
        Where the data lives.

    Notes
    -----
    Opening a store reads nothing but what is asked for: series stay on disk or in
    the database until ``get_*`` reads them.

    Examples
    --------
    >>> import pastas_projects as pp
    >>> db = pp.Database(pp.DictConnector("demo"))
    >>> db.oseries_names
    []

    """

    def __repr__(self) -> str:
        return (
            f"<Database {self.conn!r}: {len(self.oseries_names)} oseries, "
            f"{len(self.stresses_names)} stresses, {len(self.model_names)} models>"
        )
