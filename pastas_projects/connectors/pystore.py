"""PyStore connector: Parquet files in pystore's folder layout, written atomically.

On-disk layout (``store / collections / items``, readable by plain pystore)::

    <path>/<name>/pystore_metadata.json                  the store
    <path>/<name>/<library>/<item>/part.0.parquet        data, Snappy; empty for models
    <path>/<name>/<library>/<item>/pystore_metadata.json metadata (and a model's JSON)
    <path>/<name>/<library>/_snapshots/<snapshot>/<item>/  pystore's snapshot folders
    <path>/<name>/_snapshots/   private to this connector (pystore skips the name):
        staging/<uuid>/         items and snapshots being built
        old/<library>/<item>/   the previous item, during a swap
        trash/<uuid>/           things being deleted
        locks/NN.lock           flock locks, 64 buckets of items

Atomic-write protocol; an item folder only ever appears complete, by ``os.rename``:

1. Build the whole new item in ``staging/<uuid>`` (no lock held).
2. Under the item's exclusive lock: recover (below); rename ``<item>`` to
   ``old/<library>/<item>`` if it exists; rename the staging folder to ``<item>``
   (the commit); rename ``old/...`` into the trash.
3. Remove the trash (no lock held).

Recovery, by every writer and by a reader that finds ``<item>`` missing but ``old``
present (under the exclusive lock): if ``<item>`` exists, ``old`` is stale (killed
after the commit) and goes to the trash; else the writer was killed before the
commit and ``old`` is renamed back to ``<item>``. Readers hold the item's shared
lock, so they never see half a swap. A kill leaves the previous or the new item,
plus garbage in ``staging``/``trash`` that the next connector removes. Delete renames
``<item>`` into the trash under the lock. ``flock`` locks die with their process;
without ``fcntl`` (Windows) nothing is locked and only one writer may run.

A snapshot copies every collection into its ``_snapshots/<snapshot>`` folder, renamed
into place for ``oseries``, ``stresses`` and then ``models`` (the commit): it exists
only when all three are there. Delete removes ``models`` first.

What an item folder holds (metadata layout, Parquet data) is in
:mod:`pastas_projects.connectors._pystore_items`; the pystore shim in
:mod:`pastas_projects.connectors._pystore_compat`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

from pastas_projects.connectors import _pystore_compat as compat
from pastas_projects.connectors import _pystore_items as items
from pastas_projects.connectors.base import LIBRARIES, AsOf, BaseConnector, ItemData, StoredItem
from pastas_projects.errors import InvalidNameError, ItemExistsError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

T = TypeVar("T")
LOCK_BUCKETS = 64
STALE_STAGING_SECONDS = 24 * 3600
"""Staging folders older than this are left-overs of killed writers."""


class PystoreConnector(BaseConnector):
    """Keep series and models in a pystore folder: Parquet files plus JSON metadata.

    Parameters
    ----------
    name : str
        Name of the store (a folder in ``path``).
    path : str or pathlib.Path
        Folder holding pystore stores (what ``pystore.set_path`` gets).

    Notes
    -----
    Data is written with pyarrow rather than through pystore (see
    :mod:`~pastas_projects.connectors._pystore_compat`), atomically and safely for
    several processes; the module docstring describes the layout and protocol.

    """

    supports_versions = False
    supports_snapshots = True

    def __init__(self, name: str, path: str | Path) -> None:
        _check_name(name, "store")
        super().__init__(name)
        compat.patch_pystore_on_import()  # so plain pystore also works in this process
        self.path = Path(path).expanduser().resolve()
        self.store_path = self.path / name
        self._private = self.store_path / compat.SNAPSHOTS_DIR
        for sub in ("staging", "trash", "locks", *(f"old/{lib}" for lib in LIBRARIES)):
            (self._private / sub).mkdir(parents=True, exist_ok=True)
        for library in LIBRARIES:
            (self.store_path / library / compat.SNAPSHOTS_DIR).mkdir(parents=True, exist_ok=True)
        if not (self.store_path / compat.METADATA_FILE).exists():
            staged = self._staging_path()
            staged.mkdir()
            compat.write_metadata(staged / compat.METADATA_FILE, {"engine": "pyarrow"})
            os.replace(staged / compat.METADATA_FILE, self.store_path / compat.METADATA_FILE)
            staged.rmdir()
        self._collect_garbage()

    @property
    def uri(self) -> str:
        """URI that :func:`pastas_projects.connect` turns back into this connector."""
        return f"pystore://{self.path}"

    def __repr__(self) -> str:
        return f"PystoreConnector(name={self.name!r}, path={str(self.path)!r})"

    # ------------------------------------------------------------------ items
    def _write(self, library: str, name: str, data: ItemData, metadata: dict) -> None:
        live = self._live(library, name)
        staged = self._staging_path()
        staged.mkdir()
        try:
            if isinstance(data, str):
                info = {"kind": "model", "model": data}
                (staged / compat.DATA_FILE).write_bytes(compat.empty_parquet())
            else:
                info = items.write_series(staged / compat.DATA_FILE, data)
            compat.write_metadata(
                staged / compat.METADATA_FILE, items.pack_metadata(metadata, info)
            )
            self._swap_in(library, name, live, staged)
        finally:
            shutil.rmtree(staged, ignore_errors=True)

    def _read(self, library: str, name: str, as_of: AsOf = None) -> StoredItem:
        return self._access(library, name, partial(items.load_item, library))

    def _read_metadata(self, library: str, names: list[str]) -> dict[str, dict]:
        result = {}
        for name in names:
            if not _is_valid(name):
                continue
            try:  # no lock: a single file is never changed, only renamed as a folder
                with open(self.store_path / library / name / compat.METADATA_FILE, "rb") as f:
                    raw = json.loads(f.read())
            except (FileNotFoundError, NotADirectoryError):
                try:  # missing, mid-swap or left by a killed writer: take the lock
                    raw = self._access(library, name, compat.read_metadata)
                except KeyError:
                    continue
            result[name] = items.unpack_metadata(raw)
        return result

    def _list_names(self, library: str) -> list[str]:
        return sorted(_subdirs(self.store_path / library) | _subdirs(self._old(library)))

    def _has(self, library: str, name: str) -> bool:
        if not _is_valid(name):
            return False
        return (self.store_path / library / name).is_dir() or self._old(library, name).is_dir()

    def _delete(self, library: str, name: str) -> None:
        live = self._live(library, name)
        garbage = []
        try:
            with self._lock(_bucket(library, name)):
                garbage.append(self._recover(library, name, live))
                if not live.is_dir():
                    raise KeyError(name)
                garbage.append(self._discard(live))
        finally:
            _remove(*garbage)

    # ------------------------------------------------------------------ snapshots
    def _create_snapshot(self, snapshot: str) -> None:
        _check_name(snapshot, "snapshot")
        with self._lock("snapshots.lock"):
            if snapshot in self._list_snapshots():
                raise ItemExistsError(f"snapshot {snapshot!r} already exists in {self.uri}")
            # left-overs of a create or delete that was killed half-way
            _remove(*(self._discard(self._snapshot(lib, snapshot)) for lib in LIBRARIES))
            for library in LIBRARIES:  # models last: that rename is the commit
                staged = self._staging_path()
                staged.mkdir()
                try:
                    for name in self._list_names(library):
                        with contextlib.suppress(KeyError):  # deleted meanwhile
                            self._access(library, name, partial(shutil.copytree, dst=staged / name))
                    os.rename(staged, self._snapshot(library, snapshot))
                finally:
                    shutil.rmtree(staged, ignore_errors=True)

    def _list_snapshots(self) -> list[str]:
        return sorted(set.intersection(*(_subdirs(self._snapshot(lib)) for lib in LIBRARIES)))

    def _restore_snapshot(self, snapshot: str) -> None:
        with self._lock("snapshots.lock"):
            if snapshot not in self._list_snapshots():
                raise KeyError(f"snapshot {snapshot!r} not found in {self.uri}")
            # item by item, each atomically: a killed restore is finished by a new one
            for library in LIBRARIES:
                source = self._snapshot(library, snapshot)
                wanted = _subdirs(source)
                for name in set(self._list_names(library)) - wanted:
                    with contextlib.suppress(KeyError):
                        self._delete(library, name)
                for name in sorted(wanted):
                    with contextlib.suppress(KeyError):
                        if self._access(library, name, partial(items.same_files, source / name)):
                            continue  # unchanged since the snapshot
                    staged = self._staging_path()
                    try:
                        shutil.copytree(source / name, staged)
                        self._swap_in(library, name, self._live(library, name), staged)
                    finally:
                        shutil.rmtree(staged, ignore_errors=True)

    def _delete_snapshot(self, snapshot: str) -> None:
        with self._lock("snapshots.lock"):
            paths = [self._snapshot(lib, snapshot) for lib in reversed(LIBRARIES)]
            if not _is_valid(snapshot) or not any(path.is_dir() for path in paths):
                raise KeyError(f"snapshot {snapshot!r} not found in {self.uri}")
            garbage = [self._discard(path) for path in paths]  # models first
        _remove(*garbage)

    # ------------------------------------------------------------------ helpers
    def _live(self, library: str, name: str) -> Path:
        _check_name(name, "item")
        return self.store_path / library / name

    def _old(self, library: str, name: str = "") -> Path:
        return self._private / "old" / library / name

    def _snapshot(self, library: str, snapshot: str = "") -> Path:
        return self.store_path / library / compat.SNAPSHOTS_DIR / snapshot

    def _staging_path(self) -> Path:
        return self._private / "staging" / uuid.uuid4().hex

    def _discard(self, path: Path) -> Path | None:
        """Rename ``path`` (if it exists) into the trash; return where it went."""
        target = self._private / "trash" / uuid.uuid4().hex
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        return target

    @contextlib.contextmanager
    def _lock(self, lockfile: str, exclusive: bool = True) -> Iterator[None]:
        """Hold a lock on ``locks/<lockfile>``; per open file, so also between threads."""
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        fd = os.open(self._private / "locks" / lockfile, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _recover(self, library: str, name: str, live: Path) -> Path | None:
        """Repair what a killed writer left; hold the exclusive lock. Returns garbage."""
        old = self._old(library, name)
        if not old.is_dir():
            return None
        if live.is_dir():  # killed after the commit: the old item is garbage
            return self._discard(old)
        os.rename(old, live)  # killed before the commit: put the old item back
        return None

    def _swap_in(self, library: str, name: str, live: Path, staged: Path) -> None:
        """Replace (or create) item folder ``live`` by the complete folder ``staged``."""
        old = self._old(library, name)
        garbage = []
        try:
            with self._lock(_bucket(library, name)):
                garbage.append(self._recover(library, name, live))
                replacing = live.is_dir()
                if replacing:
                    os.rename(live, old)
                try:
                    os.rename(staged, live)  # the commit
                except BaseException:
                    if replacing:
                        os.rename(old, live)
                    raise
                if replacing:
                    garbage.append(self._discard(old))
        finally:
            _remove(*garbage)

    def _access(self, library: str, name: str, action: Callable[[Path], T]) -> T:
        """Return ``action(item_folder)``, run under the item's shared lock.

        Repairs a swap a killed writer left first; :class:`KeyError` if missing.
        """
        live = self._live(library, name)
        with self._lock(_bucket(library, name), exclusive=False):
            if live.is_dir():
                return action(live)
            if not self._old(library, name).is_dir():
                raise KeyError(name)
        garbage = None
        try:
            with self._lock(_bucket(library, name)):
                garbage = self._recover(library, name, live)
                if not live.is_dir():
                    raise KeyError(name)
                return action(live)
        finally:
            _remove(garbage)

    def _collect_garbage(self) -> None:
        """Remove the trash, and staging folders that killed writers left."""
        limit = time.time() - STALE_STAGING_SECONDS
        for entry in os.scandir(self._private / "trash"):
            _remove(Path(entry.path))
        for entry in os.scandir(self._private / "staging"):
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < limit:
                    _remove(Path(entry.path))


# ---------------------------------------------------------------------- functions
def _is_valid(name: str) -> bool:
    """Whether ``name`` is a single folder name pystore can hold."""
    special = ("", ".", "..", compat.SNAPSHOTS_DIR)
    return isinstance(name, str) and name not in special and not any(c in name for c in "/\\\0")


def _check_name(name: str, what: str) -> None:
    if not _is_valid(name):
        raise InvalidNameError(f"{what} name {name!r} cannot be stored in pystore")


def _bucket(library: str, name: str) -> str:
    return f"{zlib.crc32(f'{library}/{name}'.encode()) % LOCK_BUCKETS:02d}.lock"


def _subdirs(folder: Path) -> set[str]:
    """Folders in ``folder`` except pystore's ``_snapshots``."""
    with os.scandir(folder) as entries:
        return {e.name for e in entries if e.is_dir() and e.name != compat.SNAPSHOTS_DIR}


def _remove(*paths: Path | None) -> None:
    for path in paths:
        if path is not None and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path is not None:
            path.unlink(missing_ok=True)


__all__ = ["PystoreConnector"]
