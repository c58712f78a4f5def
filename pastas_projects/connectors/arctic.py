"""ArcticDB connector: LMDB (embedded), MongoDB, S3 or in-memory storage.

`ArcticDB <https://docs.arcticdb.io>`_ is the maintained successor of the legacy
``arctic`` package. It keeps every write as a new version, so this connector supports
reading an item as of an older version or time, and pruning old versions.

Storage layout: one ArcticDB library per pastas_projects library, named
``"{name}.oseries"``, ``"{name}.stresses"`` and ``"{name}.models"``. Series are stored
as the frame given; the item metadata is kept in an envelope ``{"metadata": ...}``
as the ArcticDB metadata of the version. A model is a version with metadata only: the
JSON string is in the envelope (``{"metadata": ..., "json": ...}``) and there is no
data (``write_metadata``). Reading a model then only reads the version's metadata,
which is much faster than reading the JSON from a string column, and writing it
skips the data segment a placeholder frame needs (stores written with a one-row
placeholder frame, as before, read the same).

Reads of the metadata of most items of a library (the metadata table) go through a
checked cache in a fourth library, ``"{name}.metadata_index"``: see
:mod:`pastas_projects.connectors._arctic_index`. What a URI means is
:mod:`pastas_projects.connectors.uri`'s business.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

import arcticdb
import arcticdb.config
import numpy as np
import pandas as pd
from arcticdb.exceptions import NoDataFoundException

from pastas_projects.connectors._arctic_index import MetadataIndex
from pastas_projects.connectors.base import (
    LIBRARIES,
    AsOf,
    BaseConnector,
    ItemData,
    StoredItem,
    VersionInfo,
)
from pastas_projects.connectors.uri import (
    MONGO_SCHEMES,
    S3_SCHEMES,
    arctic_uri,
    mask_uri,
    s3_endpoint,
    scheme_of,
)
from pastas_projects.errors import ItemNotFoundError, StoreConnectionError

MONGO_TIMEOUT_MS = 3000
"""How long to wait for a MongoDB server to answer before giving up."""
S3_TIMEOUT_S = 3.0
"""How long to wait for an S3 endpoint to accept a connection before giving up.

ArcticDB itself retries an endpoint that refuses connections for tens of seconds
before it reports the error."""

_CACHE: dict[tuple, list] = {}  # key -> [arcticdb.Arctic, number of connectors using it]
_CACHE_LOCK = threading.Lock()


def read_latest_versions() -> None:
    """Make ArcticDB libraries opened from now on see other processes' writes at once.

    ArcticDB caches which version of a symbol is the latest for a few seconds, so a
    process does not see what another process wrote just before. The cache makes
    repeated reads faster, so ordinary use keeps it; the
    pipeline, whose processes read what others just wrote, turns it off through
    :func:`pastas_projects.connectors.see_other_processes_writes`.
    """
    arcticdb.config.set_config_int("VersionMap.ReloadInterval", 0)


def _cache_key(uri: str, target: str) -> tuple | None:
    """Which connectors of this process share one :class:`arcticdb.Arctic` (``None``: none).

    ArcticDB cannot open one LMDB folder twice in a process; every ``mem://`` store
    is a new, empty one.
    """
    scheme = scheme_of(uri)
    if scheme == "mem":
        return None
    return (os.getpid(), scheme, target if scheme == "lmdb" else uri)


def _acquire(key: tuple | None, target: str) -> arcticdb.Arctic:
    """Return the shared :class:`arcticdb.Arctic` for ``key``, opening it if needed."""
    if key is None:
        return arcticdb.Arctic(target)
    with _CACHE_LOCK:
        entry = _CACHE.get(key)
        if entry is None:
            entry = _CACHE[key] = [arcticdb.Arctic(target), 0]
        entry[1] += 1
        return entry[0]


def _release(key: tuple | None) -> None:
    """Drop one user of a cached Arctic; forget it (closing its files) after the last."""
    if key is None:
        return
    with _CACHE_LOCK:
        entry = _CACHE.get(key)
        if entry is not None:
            entry[1] -= 1
            if entry[1] <= 0:
                del _CACHE[key]


def _open_library(arctic: arcticdb.Arctic, name: str, options: Any) -> Any:
    """Open a library, creating it with ``options`` if missing (options of existing ones stay)."""
    if options is not None and arctic.has_library(name):
        return arctic.get_library(name)
    return arctic.get_library(name, create_if_missing=True, library_options=options)


@contextlib.contextmanager
def _quiet_reads() -> Iterator[None]:
    """Hide the pandas deprecation warning ArcticDB triggers on every read (only that one)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*BlockManagerUnconsolidated", category=DeprecationWarning
        )
        yield


def _as_of(as_of: AsOf | dt.datetime) -> int | pd.Timestamp | None:
    """Turn a version number, timestamp or ISO string into what ArcticDB expects."""
    if as_of is None:
        return None
    if isinstance(as_of, int | np.integer) and not isinstance(as_of, bool):
        return int(as_of)
    if isinstance(as_of, str | dt.datetime | dt.date | np.datetime64):
        stamp = pd.Timestamp(as_of)
        # tz-naive times are UTC, like the timestamps of _list_versions
        return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
    raise TypeError(f"as_of must be a version number, a timestamp or a string, not {as_of!r}")


class ArcticConnector(BaseConnector):
    """Keep series and models in ArcticDB, with a version history.

    Parameters
    ----------
    name : str
        Name of the connector; the libraries are ``"{name}.oseries"``,
        ``"{name}.stresses"`` and ``"{name}.models"`` (created if missing).
    uri : str
        Where the store lives; the scheme picks the storage:

        * ``lmdb://./pastas_data`` -- embedded LMDB store in a folder, no server;
        * ``mongodb://user:password@host:27017/`` -- a MongoDB server;
        * ``s3://endpoint:bucket?access=...&secret=...`` -- S3 or compatible;
        * ``mem://`` -- in memory, this connector only.
    library_options : arcticdb.LibraryOptions or dict, optional
        Options for libraries that are created (ignored for existing ones).

    Raises
    ------
    StoreConnectionError
        When the MongoDB server does not answer, or ArcticDB cannot open the store.

    Notes
    -----
    ArcticDB does not support opening one LMDB folder twice in a process, so all
    connectors of a process on the same folder share one :class:`arcticdb.Arctic`.
    Every write adds a version and keeps the older ones: use
    :meth:`_prune_versions` to free space.

    """

    supports_versions = True

    def __init__(self, name: str, uri: str, library_options: Any = None) -> None:
        super().__init__(name)
        self._uri = uri
        self._library_options = library_options
        scheme = scheme_of(uri)
        target = arctic_uri(uri)
        key = _cache_key(uri, target)
        # what other processes open: an lmdb path made absolute, else the URI as given
        self._portable_uri = target if scheme == "lmdb" else uri
        self.multiprocess_safe = scheme != "mem"
        if scheme in MONGO_SCHEMES:
            check_mongo(uri)
        elif scheme in S3_SCHEMES:
            check_s3(uri)
        if isinstance(library_options, dict):
            library_options = arcticdb.LibraryOptions(**library_options)
        try:
            arctic = _acquire(key, target)
        except (RuntimeError, OSError) as exc:
            raise StoreConnectionError(f"cannot open store {mask_uri(uri)}: {exc}") from None
        self._closer = weakref.finalize(self, _release, key)
        try:
            self._libs: dict[str, Any] | None = {
                lib: _open_library(arctic, f"{name}.{lib}", library_options) for lib in LIBRARIES
            }
            self._index: MetadataIndex | None = MetadataIndex(arctic, name)
        except (RuntimeError, OSError) as exc:
            self._closer()
            raise StoreConnectionError(
                f"cannot open libraries {name}.* in {mask_uri(uri)}: {exc}"
            ) from None

    @property
    def uri(self) -> str:
        """The URI this connector was opened with (may contain a password)."""
        return self._uri

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, uri={mask_uri(self._uri)!r})"

    def __getstate__(self) -> dict:
        # reopen (not copy) the store when sent to another process, e.g. a Dask worker
        return {
            "name": self.name,
            "uri": self._portable_uri,
            "library_options": self._library_options,
        }

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["name"], state["uri"], state["library_options"])

    def _lib(self, library: str) -> Any:
        if self._libs is None:
            raise StoreConnectionError(f"{self!r} is closed")
        return self._libs[library]

    def _missing(self, library: str, name: str, as_of: AsOf = None) -> ItemNotFoundError:
        what = "" if as_of is None else f" as of {as_of!r}"
        return ItemNotFoundError(f"no item {name!r}{what} in library {self.name}.{library}")

    # ------------------------------------------------------------------ required hooks
    def _write(self, library: str, name: str, data: ItemData, metadata: dict) -> int:
        lib = self._lib(library)
        envelope: dict[str, Any] = {"metadata": metadata}
        if library == "models":
            if not isinstance(data, str):
                raise TypeError(f"model {name!r}: data must be a JSON str, not {type(data)}")
            envelope["json"] = data
            # a new version with metadata only (it creates the symbol if needed)
            written = lib.write_metadata(name, envelope, prune_previous_versions=False)
            return int(written.version)
        unit = getattr(data.index, "unit", "ns")
        if unit != "ns":  # ArcticDB stores nanoseconds; restore the unit on read
            envelope["index_unit"] = unit
        return int(lib.write(name, data, metadata=envelope, prune_previous_versions=False).version)

    def _read(self, library: str, name: str, as_of: AsOf = None) -> StoredItem:
        lib = self._lib(library)
        query = _as_of(as_of)
        try:
            with _quiet_reads():
                if library == "models":
                    item = lib.read_metadata(name, as_of=query)
                else:
                    item = lib.read(name, as_of=query)
        except NoDataFoundException:  # includes NoSuchVersionException
            raise self._missing(library, name, as_of) from None
        envelope = item.metadata or {}
        if library == "models":
            if "json" not in envelope:
                raise ValueError(f"{name!r} in {self.name}.{library} holds no model JSON")
            data: ItemData = envelope["json"]
        else:
            # rebuild with public pandas APIs: ArcticDB's frame has an unconsolidated
            # block manager on which e.g. DataFrame.equals gives False
            raw = item.data
            index = raw.index
            if "index_unit" in envelope:
                index = index.as_unit(envelope["index_unit"])
            data = pd.DataFrame(raw.to_numpy(), index=index, columns=raw.columns)
        return StoredItem(data, envelope.get("metadata", {}), int(item.version))

    def _read_metadata(self, library: str, names: list[str]) -> dict[str, dict]:
        if not names:
            return {}
        unique = list(dict.fromkeys(names))
        index = self._index
        if index is not None:
            with _quiet_reads():
                found = index.read_metadata(
                    library,
                    self._lib(library),
                    unique,
                    lambda n: self._read_metadata_batch(library, n),
                )
            if found is not None:
                return found
        return {
            n: metadata for n, (_, metadata) in self._read_metadata_batch(library, unique).items()
        }

    def _read_metadata_batch(self, library: str, names: list[str]) -> dict[str, tuple[int, dict]]:
        """Read the metadata of items one by one: name -> (version, metadata)."""
        with _quiet_reads():
            items = self._lib(library).read_metadata_batch(names)
        result: dict[str, tuple[int, dict]] = {}
        for name, item in zip(names, items, strict=True):
            if isinstance(item, arcticdb.DataError):
                if item.error_category == arcticdb.ErrorCategory.MISSING_DATA:
                    continue
                raise StoreConnectionError(
                    f"reading metadata of {name!r} in {self.name}.{library}: "
                    f"{item.exception_string}"
                )
            result[name] = (int(item.version), (item.metadata or {}).get("metadata", {}))
        return result

    def _list_names(self, library: str) -> list[str]:
        return list(self._lib(library).list_symbols())

    def _delete(self, library: str, name: str) -> None:
        lib = self._lib(library)
        if not lib.has_symbol(name):  # ArcticDB would only log "Nothing to delete"
            raise self._missing(library, name)
        lib.delete(name)

    # ------------------------------------------------------------------ optional hooks
    def _has(self, library: str, name: str) -> bool:
        return bool(self._lib(library).has_symbol(name))

    def _list_versions(self, library: str, name: str) -> list[VersionInfo]:
        versions = self._lib(library).list_versions(name)
        infos = []
        for key, info in versions.items():
            if getattr(info, "deleted", False):
                continue
            stamp = pd.Timestamp(info.date)
            stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tz else stamp
            infos.append(VersionInfo(int(key.version), stamp))
        if not infos:
            raise self._missing(library, name)
        return sorted(infos, key=lambda v: v.version)

    def _prune_versions(self, library: str, name: str, keep_last: int) -> int:
        if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
            raise ValueError(f"keep_last must be a whole number >= 1, not {keep_last!r}")
        old = [v.version for v in self._list_versions(library, name)][:-keep_last]
        if old:
            self._lib(library).delete(name, versions=old)
        return len(old)

    def close(self) -> None:
        """Forget the libraries; the store closes when its last connector closes."""
        self._libs = None
        self._index = None
        self._closer()


def check_mongo(uri: str) -> None:
    """Raise :class:`StoreConnectionError` quickly if no MongoDB server answers at ``uri``."""
    import pymongo
    from pymongo.errors import PyMongoError

    client = None
    try:
        client = pymongo.MongoClient(
            uri, serverSelectionTimeoutMS=MONGO_TIMEOUT_MS, connectTimeoutMS=MONGO_TIMEOUT_MS
        )
        client.admin.command("ping")
    except PyMongoError as exc:
        reason = str(exc).split(", Timeout:")[0]
        raise StoreConnectionError(
            f"cannot reach a MongoDB server at {mask_uri(uri)}: {mask_uri(reason)}. Start one "
            "first (e.g. `docker run -d -p 27017:27017 mongo` or `mongod --dbpath DIR`), or "
            "use an embedded store such as lmdb://./pastas_data that needs no server."
        ) from None
    finally:
        if client is not None:
            client.close()


def check_s3(uri: str) -> None:
    """Raise :class:`StoreConnectionError` quickly if nothing listens at an S3 endpoint.

    Only the connection is tried (no request, no credentials sent): whether the
    bucket exists and the keys are right, ArcticDB reports when it opens the store.
    """
    import socket

    host, port = s3_endpoint(uri)
    try:
        with socket.create_connection((host, port), timeout=S3_TIMEOUT_S):
            pass
    except OSError as exc:
        raise StoreConnectionError(
            f"cannot reach an S3 server at {host}:{port} (from {mask_uri(uri)}): "
            f"{exc.strerror or exc}. Check the endpoint and its port (?port=...)."
        ) from None
