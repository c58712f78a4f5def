"""Work-arounds for the defects of pystore 1.0.1, kept in one place.

Every item below was measured with pystore 1.0.1, dask 2026.8, pandas 2.3 and
pyarrow 26. :class:`~pastas_projects.connectors.pystore.PystoreConnector` reads and
writes pystore's on-disk format itself (pyarrow, no dask), so most defects only bite
code that calls pystore directly; they are listed so nobody "simplifies" the
connector back onto them.

(a) ``pystore.utils.write_metadata`` uses ``timezone`` without importing it, so
    *every* ``Collection.write`` (and ``pystore.store()`` of a new store) raises
    ``NameError: name 'timezone' is not defined`` (upstream issue 81).
    :func:`patch_pystore` injects the name into ``pystore.utils``; the connector
    calls :func:`patch_pystore_on_import`, so plain pystore works in the same
    process without the connector importing it (pystore imports dask, which
    doubled the time to open a store). Remove the shim once
    ``tests/test_pystore_connector.py::test_timezone_bug_still_present`` fails,
    i.e. once a pystore release imports ``timezone`` itself.
(b) Never use ``Collection.append()``: it ends in ``drop_duplicates(keep="last")``
    on the *values*, so a new row whose value equals an existing row's value
    silently deletes that older row. The connector always rewrites whole items.
(c) pystore stores frames only; a :class:`pandas.Series` must be written as a
    one-column frame, and the column name must be a ``str`` (pystore's reader fails
    with a ``KeyError`` on the integer name ``0`` of ``Series.to_frame()``):
    :func:`frame_for_pystore`.
(d) The ``freq`` of a :class:`pandas.DatetimeIndex` is not stored: frames come back
    with ``freq=None``. The layer above restores it from its own metadata; the
    connector just returns the frame.
(e) ``Collection.write`` of a time series with more than 10,000 rows raises
    ``ValueError: right side of old and new divisions are different`` (its
    time-based repartitioning disagrees with current dask), and
    ``Collection.write(pd.DataFrame())`` -- the original design's model placeholder
    -- raises ``parquet doesn't support non-string column names``. The connector
    writes Parquet with pyarrow, and its placeholder is :func:`empty_parquet`.
(f) Parquet has no seconds unit: a ``datetime64[s]`` index comes back as
    ``datetime64[ms]`` (same instants). The connector records the dtypes and casts
    back.
(g) ``pystore.utils.subdirs`` skips only ``_snapshots``: any other folder in a store
    or collection (even a hidden ``.tmp``) shows up as a collection or an item.
    Private folders must therefore live in a folder called :data:`SNAPSHOTS_DIR`,
    and no item may be called that.
(h) Items written by plain pystore (or by the original design) have no connector
    information: their data may be split over ``part.N.parquet`` files, and a model
    kept its dict as the metadata. :func:`read_pystore_item` reads them.
(i) pystore reads and writes its metadata files in the locale's encoding: they are
    written as ASCII-only JSON so any locale reads them (:func:`write_metadata`).
(j) pystore works relative to the global ``pystore.config.DEFAULT_PATH``. The
    connector never uses it, so connectors on different paths can share a process.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import io
import json
import sys
from datetime import UTC, datetime, timezone
from functools import cache
from pathlib import Path
from types import ModuleType

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

METADATA_FILE = "pystore_metadata.json"
"""Name of pystore's metadata file in every store and item folder."""

SNAPSHOTS_DIR = "_snapshots"
"""The one folder name pystore skips when listing collections and items (g)."""

DATA_FILE = "part.0.parquet"
"""Name of the single Parquet file of an item, as dask names the first partition."""

PYSTORE_KEYS = frozenset({"_updated", "_transform_metadata", "_type_info", "_timezone_info"})
"""Keys pystore itself adds to an item's metadata."""

UPDATED_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""Format of pystore's ``_updated`` stamp (UTC); ``list_items(**query)`` needs it."""


def patch_pystore() -> bool:
    """Make ``pystore.utils.write_metadata`` work again (defect a); idempotent.

    Returns
    -------
    bool
        True if the shim was injected by this call, False if ``pystore.utils``
        already had a ``timezone`` (patched before, or fixed upstream).

    """
    import pystore.utils  # imports dask: about a second, once per process

    return _inject_timezone(pystore.utils)


def _inject_timezone(utils: ModuleType) -> bool:
    if "timezone" in vars(utils):
        return False
    utils.timezone = timezone  # REMOVE when upstream issue 81 is fixed
    return True


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Import hook: run :func:`patch_pystore` right after ``pystore.utils`` loads."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> object:
        if fullname != "pystore.utils":
            return None
        sys.meta_path.remove(self)  # one shot; find the real spec without this hook
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            _inject_timezone(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def patch_pystore_on_import() -> None:
    """Apply :func:`patch_pystore` now if pystore is loaded, else when it is imported."""
    if "pystore.utils" in sys.modules:
        patch_pystore()
    elif not any(isinstance(hook, _PatchAfterImport) for hook in sys.meta_path):
        sys.meta_path.insert(0, _PatchAfterImport())


def frame_for_pystore(data: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Return ``data`` as a frame whose column names are strings (defect c).

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        The series (or frame) to store.

    Returns
    -------
    pandas.DataFrame
        ``data`` itself when it already qualifies, else a renamed copy.

    """
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    if all(isinstance(c, str) for c in frame.columns):
        return frame
    names = ["value" if c is None else str(c) for c in frame.columns]
    return frame.set_axis(names, axis=1)


def restore_dtypes(frame: pd.DataFrame, index_dtype: str, dtype: str) -> pd.DataFrame:
    """Cast a frame read from Parquet back to the dtypes it was written with (f).

    Parameters
    ----------
    frame : pandas.DataFrame
        One-column frame as read by pyarrow.
    index_dtype, dtype : str
        ``str()`` of the index dtype and the column dtype at write time.

    Returns
    -------
    pandas.DataFrame
        The frame with the original dtypes (the same object when nothing changed).

    """
    if str(frame.index.dtype) != index_dtype:
        frame.index = frame.index.astype(index_dtype)
    if len(frame.columns) == 1 and str(frame.dtypes.iloc[0]) != dtype:
        frame = frame.astype(dtype)
    return frame


@cache
def empty_parquet() -> bytes:
    """Parquet bytes of an empty frame, the placeholder data of a model item (e).

    Plain pystore reads it back as an empty frame with a ``DatetimeIndex``.
    """
    buffer = io.BytesIO()
    empty = pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[ns]"))
    pq.write_table(pa.Table.from_pandas(empty), buffer, compression="snappy")
    return buffer.getvalue()


def read_pystore_item(folder: Path, library: str, metadata: dict) -> tuple[object, dict]:
    """Read an item that plain pystore (or the original design) wrote (defect h).

    Parameters
    ----------
    folder : pathlib.Path
        The item's folder.
    library : str
        The library (collection) it is in.
    metadata : dict
        Its metadata, without pystore's keys.

    Returns
    -------
    tuple
        ``(data, metadata)``: a frame, or for ``"models"`` the JSON of the model dict
        that the original design kept as metadata (and no metadata).

    """
    if library == "models":
        return json.dumps(metadata), {}
    files = sorted(folder.glob("*.parquet"), key=lambda p: (len(p.name), p.name))
    return pa.concat_tables([pq.read_table(f) for f in files]).to_pandas(), metadata


def write_metadata(path: Path, metadata: dict) -> None:
    """Write a metadata file stamped as ``pystore.utils.write_metadata`` does (i).

    Parameters
    ----------
    path : pathlib.Path
        The file to write.
    metadata : dict
        JSON-serialisable metadata; ``_updated`` is added (pystore needs it).

    """
    stamped = {**metadata, "_updated": datetime.now(UTC).strftime(UPDATED_FORMAT)}
    path.write_text(json.dumps(stamped), encoding="ascii")


def read_metadata(folder: Path) -> dict:
    """Read the metadata file in ``folder``; ``{}`` when missing, as pystore does."""
    try:
        with open(folder / METADATA_FILE, "rb") as file:
            return json.loads(file.read())
    except FileNotFoundError:  # an item plain pystore was killed writing
        return {}
