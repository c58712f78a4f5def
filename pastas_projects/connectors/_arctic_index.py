"""A checked cache of the item metadata of ArcticDB libraries (the metadata index).

Reading the metadata of every item of an ArcticDB library item by item
(``read_metadata_batch``) makes the metadata table of a store of 10,000 series take
about a second, most of it in ArcticDB itself. Listing the latest version of every
item (``list_versions``) costs a fraction of that. So the connector keeps, per
library, one frame with every item's latest version number, the time of that
version and its metadata as JSON, in an extra ArcticDB library
``"{name}.metadata_index"`` (one symbol per pastas_projects library).

An entry is used only while its version number and time equal those of the item's
latest version; every other item is read from ArcticDB as before and the frame is
written again. So the cache can be old, missing, half-written by a crashed process
or lost to two processes writing it at once (ArcticDB does not support concurrent
writers of one symbol) and the metadata read stays correct: such a cache only costs
speed. Reading or writing the cache never makes a metadata read fail; a store that
cannot be written (e.g. read-only credentials) just goes without.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pandas as pd

logger = logging.getLogger("pastas_projects.connectors")

INDEX_LIBRARY = "metadata_index"
"""Suffix of the ArcticDB library that holds the indexes: ``"{name}.metadata_index"``."""

MIN_NAMES = 200
"""Metadata reads of fewer items never use the index (reading them one by one is quick)."""

MIN_SHARE = 0.4
"""Share of a library's items a read must ask for to use the index.

Checking the index lists the latest version of *every* item in the library; reading
metadata item by item costs several times more per item asked for.
"""

VersionStamp = tuple[int, int]
"""An item's latest version: (version number, time of the version in ns since 1970)."""

BatchReader = Callable[[list[str]], dict[str, tuple[int, dict]]]
"""Reads the metadata of items: name -> (version number read, metadata); missing left out."""


class MetadataIndex:
    """The metadata index of one connector's libraries.

    Parameters
    ----------
    arctic : arcticdb.Arctic
        The store the connector's libraries are in.
    name : str
        Name of the connector; the index library is ``"{name}.metadata_index"``.

    """

    def __init__(self, arctic: Any, name: str) -> None:
        self._arctic = arctic
        self.library_name = f"{name}.{INDEX_LIBRARY}"
        self._index_lib: Any = None
        self._warned: set[str] = set()

    # ------------------------------------------------------------------ public
    def read_metadata(
        self, library: str, data_lib: Any, names: list[str], read_batch: BatchReader
    ) -> dict[str, dict] | None:
        """Metadata of ``names`` through the index, or ``None`` when it does not pay.

        Parameters
        ----------
        library : str
            The pastas_projects library (``"oseries"``, ``"stresses"``, ``"models"``).
        data_lib : arcticdb.version_store.library.Library
            The ArcticDB library of the items.
        names : list of str
            The items, without duplicates.
        read_batch : callable
            Reads items the index does not hold (see :data:`BatchReader`).

        Returns
        -------
        dict or None
            name -> metadata of the items that exist; ``None`` when the read asks
            for too few items to use the index (the caller reads them itself).

        """
        if len(names) < MIN_NAMES:
            return None
        if len(names) < MIN_SHARE * len(data_lib.list_symbols()):
            return None
        entries = self._read(library)
        latest = latest_versions(data_lib)
        cached: list[str] = []
        stale: list[str] = []
        for name in names:
            stamp = latest.get(name)
            if stamp is None:
                continue  # no such item
            entry = entries.get(name)
            (cached if entry is not None and entry[0] == stamp else stale).append(name)
        try:  # one JSON document for all entries: one decode, not one per entry
            decoded = json.loads("[" + ",".join(entries[n][1] for n in cached) + "]")
            result: dict[str, dict] = dict(zip(cached, decoded, strict=True))
        except ValueError as exc:  # a damaged entry: read them all item by item
            self._report("not decoded", library, exc)
            result, stale, entries = {}, [n for n in names if n in latest], {}
        fresh = read_batch(stale) if stale else {}
        changed = False
        for name, (version, metadata) in fresh.items():
            result[name] = metadata
            if version == latest[name][0]:  # else written since list_versions: not cached
                text = _as_json(metadata)
                if text is not None:
                    entries[name] = (latest[name], text)
                    changed = True
        kept = {n: e for n, e in entries.items() if latest.get(n) == e[0]}
        if changed or len(kept) < len(entries):
            self._write(library, kept)
        return {n: result[n] for n in names if n in result}  # in the order asked for

    # ------------------------------------------------------------------ storage
    def _library(self) -> Any:
        if self._index_lib is None:
            self._index_lib = self._arctic.get_library(self.library_name, create_if_missing=True)
        return self._index_lib

    def _read(self, library: str) -> dict[str, tuple[VersionStamp, str]]:
        """The stored entries of ``library``: name -> ((version, time), metadata JSON)."""
        try:
            lib = self._library()
            if not lib.has_symbol(library):
                return {}
            frame = lib.read(library).data
            return {
                str(name): ((int(version), int(stamp)), str(text))
                for name, version, stamp, text in zip(
                    frame.index, frame["version"], frame["time_ns"], frame["metadata"], strict=True
                )
            }
        except Exception as exc:  # a cache: any failure only means reading without it
            self._report("not read", library, exc)
            return {}

    def _write(self, library: str, entries: dict[str, tuple[VersionStamp, str]]) -> None:
        try:
            lib = self._library()
            if not entries:
                if lib.has_symbol(library):
                    lib.delete(library)
                return
            names = list(entries)
            frame = pd.DataFrame(
                {
                    "version": [entries[n][0][0] for n in names],
                    "time_ns": [entries[n][0][1] for n in names],
                    "metadata": [entries[n][1] for n in names],
                },
                index=pd.Index(names, name="name"),
            )
            lib.write(library, frame, prune_previous_versions=True)
        except Exception as exc:  # a cache: a store we cannot write just goes without
            self._report("not written", library, exc)

    def _report(self, what: str, library: str, exc: Exception) -> None:
        """Log a failure of the index: a warning the first time, then at debug level."""
        level = logging.DEBUG if what in self._warned else logging.WARNING
        self._warned.add(what)
        logger.log(level, "metadata index %s/%s %s: %s", self.library_name, library, what, exc)


def latest_versions(data_lib: Any) -> dict[str, VersionStamp]:
    """The latest live version of every item of an ArcticDB library."""
    versions = data_lib.list_versions(latest_only=True, skip_snapshots=True)
    return {key.symbol: (int(key.version), int(info.date.value)) for key, info in versions.items()}


def _as_json(metadata: dict) -> str | None:
    """The metadata as JSON text, or ``None`` when it has no exact JSON form (not cached)."""
    try:
        text = json.dumps(metadata, allow_nan=True)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == metadata else None
