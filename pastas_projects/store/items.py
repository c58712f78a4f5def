"""Items as stored, moved whole: a series frame or model JSON with its record.

:class:`ItemStore` is the part of :class:`~pastas_projects.store.Database` that
copies, zip import and the way in from other stores (:mod:`pastas_projects.transfer`)
write through. They move an item as the store keeps it (data plus record, see
:mod:`~pastas_projects.store.base`) instead of rebuilding it, so the bookkeeping
travels along: the content hash and frequency of a series, and a model's status,
statistics, parameters, the hashes of the series it used and whatever else its
record holds. The record is taken as a whole, so keys added to records later travel
too.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from pastas_projects.connectors.base import ItemData
from pastas_projects.errors import (
    ItemExistsError,
    MetadataError,
    ModelBuildError,
    ModelSeriesError,
    SeriesValueError,
)
from pastas_projects.store.base import SERIES_LIBRARIES, StoreBase, check_library, word
from pastas_projects.store.bookkeeping import (
    FREQ_KEY,
    HASH_KEY,
    frame_for_storage,
    series_bookkeeping,
    series_hash,
    split_series_key,
    user_metadata,
)
from pastas_projects.store.model_json import json_series_names
from pastas_projects.store.series import WriteResult
from pastas_projects.store.validation import (
    RESERVED_METADATA_PREFIX,
    validate_metadata,
    validate_name,
    validate_series,
)

VERSIONS_KEY = "input_versions"
"""Key of a model record that names versions of the store it was written in."""


def records_match(library: str, first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Whether two records describe the same item, so copying it changes nothing.

    Series match when their content hash, frequency and user metadata match (the
    time they were written may differ). Model records match when equal but for the
    versions of the series used, which are numbers of the store a record lives in.

    Parameters
    ----------
    library : {"oseries", "stresses", "models"}
        The library of both items.
    first, second : dict
        The records, as :meth:`StoreBase.series_records` or
        :meth:`StoreBase.model_records` give them.

    Returns
    -------
    bool

    Examples
    --------
    >>> records_match("oseries", {"_hash": "a", "x": 1.0}, {"_hash": "a", "x": 1.0})
    True

    """
    check_library(library)
    if library in SERIES_LIBRARIES:
        return (
            first.get(HASH_KEY) is not None
            and first.get(HASH_KEY) == second.get(HASH_KEY)
            and first.get(FREQ_KEY) == second.get(FREQ_KEY)
            and user_metadata(first) == user_metadata(second)
        )
    strip = {k: v for k, v in first.items() if k != VERSIONS_KEY}
    return strip == {k: v for k, v in second.items() if k != VERSIONS_KEY}


class ItemStore(StoreBase):
    """Write items as they were stored elsewhere, validated; part of ``Database``."""

    def write_item(
        self,
        library: str,
        name: str,
        data: ItemData,
        record: dict[str, Any],
        overwrite: bool = False,
    ) -> WriteResult:
        """Write an item read from another store, with its record, after validation.

        The counterpart of :meth:`~StoreBase.read_item`: ``data`` and ``record`` are
        what another store's ``read_item`` gave (``item.data``, ``item.metadata``).

        * A series frame is validated like any new series (name, values, timestamps,
          user metadata), and its content hash must be the one in its record: a
          series damaged on the way is refused. A record without bookkeeping gets it.
        * A model's JSON must be readable, and every series it uses must be in this
          store already (write the series first). Its record is kept whole (status,
          statistics, parameters, the hashes of the series it was solved with, ...),
          so a model that was up to date is up to date here when its series are the
          same, and a stale one stays stale. Only the versions of the series it used
          are renumbered to this store's (``None`` where it has no such version).

        Parameters
        ----------
        library : {"oseries", "stresses", "models"}
            The library.
        name : str
            The item.
        data : pandas.DataFrame or str
            A one-column frame (series) or the model's JSON.
        record : dict
            The item's record, bookkeeping included.
        overwrite : bool, optional
            Replace an item of that name that differs.

        Returns
        -------
        {"added", "updated", "unchanged"}
            ``"unchanged"`` when the stored item is the same (see
            :func:`records_match`; for models the JSON is compared too): nothing is
            written then, so copying twice writes nothing twice.

        Raises
        ------
        ItemExistsError
            If an item of that name differs and ``overwrite`` is False.
        InvalidNameError, SeriesTypeError, SeriesValueError, MetadataError
            If the item cannot be stored; nothing is written.
        ModelBuildError, ModelSeriesError
            If a model's JSON cannot be read, or a series it uses is not in the store.

        Examples
        --------
        >>> import pastas_projects as pp
        >>> import pandas as pd
        >>> source, target = pp.Database(pp.DictConnector()), pp.Database(pp.DictConnector())
        >>> head = pd.Series([1.0, 2.0], pd.date_range("2020", periods=2))
        >>> source.add_oseries(head, "well")
        'added'
        >>> item = source.read_item("oseries", "well")
        >>> target.write_item("oseries", "well", item.data, item.metadata)
        'added'

        """
        check_library(library)
        what = word(library)
        name = validate_name(name, what)
        if not isinstance(record, dict):
            raise MetadataError(
                f"record of {what} {name!r} must be a dict, not {type(record).__name__}"
            )
        if library in SERIES_LIBRARIES:
            data, record = self._checked_series(library, name, data, record)
        else:
            record = self._checked_model(name, data, record)
        try:
            json.dumps(record)
        except (TypeError, ValueError) as err:
            raise MetadataError(
                f"record of {what} {name!r} is not JSON-serialisable: {err}"
            ) from None
        stored = self.conn._read_metadata(library, [name]).get(name)
        if stored is not None:
            if records_match(library, record, stored) and (
                library in SERIES_LIBRARIES or self.read_item(library, name).data == data
            ):
                return "unchanged"
            if not overwrite:
                raise ItemExistsError(
                    f"{what} {name!r} is already in the store and differs; use "
                    "overwrite=True to replace it"
                )
        self.conn._write(library, name, data, record)
        return "added" if stored is None else "updated"

    def _checked_series(
        self, library: str, name: str, data: Any, record: dict[str, Any]
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        what = word(library)
        series = validate_series(data, name, what)
        metadata = validate_metadata(user_metadata(record), name, what)
        content = series_hash(series)
        if record.get(HASH_KEY) is None:  # a record without bookkeeping gets it
            record = record | series_bookkeeping(series)
        elif record[HASH_KEY] != content:
            raise SeriesValueError(
                f"{what} {name!r}: its values differ from the content hash in its record "
                f"({content} != {record[HASH_KEY]}); the series was changed on the way"
            )
        bookkeeping = {k: v for k, v in record.items() if k.startswith(RESERVED_METADATA_PREFIX)}
        return frame_for_storage(series, name), metadata | bookkeeping

    def _checked_model(self, name: str, data: Any, record: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(data, str):
            raise ModelBuildError(
                f"model {name!r}: its data must be the model's JSON text, not {type(data).__name__}"
            )
        try:
            needed = json_series_names(data)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ModelBuildError(
                f"model {name!r}: its JSON cannot be read: {type(err).__name__}: {err}"
            ) from None
        current = self.series_hashes(needed)
        for library, series_name in needed:
            if current[(library, series_name)] is None:
                raise ModelSeriesError(
                    f"model {name!r} uses {word(library)} {series_name!r}, which is not "
                    "in the store; write its series first"
                )
        return record | {VERSIONS_KEY: self._versions_here(record.get("inputs") or {}, current)}

    def _versions_here(
        self, inputs: dict[str, str], current: dict[tuple[str, str], str | None]
    ) -> dict[str, int | None]:
        """The latest version here of each series a model used, where it has that content."""
        versions: dict[str, int | None] = {}
        for key, content in inputs.items():
            library, series_name = split_series_key(key)
            same = current.get((library, series_name)) == content
            if same and self.conn.supports_versions:
                versions[key] = self.conn._list_versions(library, series_name)[-1].version
            else:
                versions[key] = None
        return versions


__all__ = ["ItemStore", "VERSIONS_KEY", "records_match"]
