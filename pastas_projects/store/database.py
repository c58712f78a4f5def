"""The validated read/write API on top of a connector: ``PastasProject.db``.

All checks, (de)serialisation and bookkeeping happen here, once, for every
connector. A connector only implements the storage hooks of
:class:`~pastas_projects.connectors.base.BaseConnector`.
"""

from __future__ import annotations

from collections.abc import Iterable

from pastas_projects.errors import SeriesInUseError
from pastas_projects.store.base import check_library, word
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

    # ------------------------------------------------------------------ deleting series
    # Here, not in SeriesStore: deleting a series changes the models that use it.
    def del_oseries(
        self, names: str | Iterable[str], force: bool = False, remove_models: bool = False
    ) -> None:
        """Delete oseries.

        Parameters
        ----------
        names : str or list of str
            The oseries.
        force : bool, optional
            Delete them also when models use them: those models are kept, recorded
            as failed with the reason (:meth:`mark_failed`), and solved again once the
            oseries is back.
        remove_models : bool, optional
            Delete the models that use them too.

        Raises
        ------
        ItemNotFoundError
            If an oseries is not in the store (nothing is deleted).
        SeriesInUseError
            If models use one, without ``force`` or ``remove_models`` (nothing is
            deleted).

        """
        self._delete_series("oseries", names, force, remove_models)

    def del_stress(self, names: str | Iterable[str], force: bool = False) -> None:
        """Delete stresses; ``force=True`` also when models use them (see :meth:`del_oseries`)."""
        self._delete_series("stresses", names, force, False)

    def _delete_series(
        self, library: str, names: str | Iterable[str], force: bool, remove_models: bool
    ) -> None:
        users = self._del_series(library, names, force, remove_models)
        models = sorted({m for ms in users.values() for m in ms})
        if remove_models:
            self.del_models([m for m in models if self.has("models", m)])
            return
        for name, using in users.items():
            self.mark_failed(
                using,
                f"ModelBuildError: {word(library)} {name!r} was deleted from the store "
                "(force=True); add it again and solve, or delete the model",
            )

    def empty_library(self, library: str, force: bool = False) -> int:
        """Delete every item of a library.

        Parameters
        ----------
        library : {"oseries", "stresses", "models"}
            The library.
        force : bool, optional
            Empty a series library also when models use its series; those models are
            recorded as failed (see :meth:`del_oseries`).

        Returns
        -------
        int
            How many items were deleted.

        Raises
        ------
        SeriesInUseError
            If models use series of the library and ``force`` is False (nothing is
            deleted).

        """
        check_library(library)
        names = self.names(library)
        if library == "models":
            self.del_models(names)
            return len(names)
        if not force:
            users = self.models_using(library, names)
            if users:
                models = sorted({m for ms in users.values() for m in ms})
                raise SeriesInUseError(
                    f"{len(users)} {library} of the library are used by {len(models)} "
                    f"model(s) ({', '.join(models[:5])}); use force=True to empty it anyway"
                )
        self._delete_series(library, names, True, False)
        return len(names)
