"""The files of one item of the PyStore connector: its metadata and its Parquet data.

An item folder holds pystore's ``pystore_metadata.json`` (user metadata at the top,
where pystore can query it, and this connector's own information under
:data:`PRIVATE_KEY`) and, for a series, ``part.0.parquet``. Items written by plain
pystore (no :data:`PRIVATE_KEY`) are read the way pystore writes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pastas_projects.connectors import _pystore_compat as compat
from pastas_projects.connectors.base import StoredItem

PRIVATE_KEY = "_pastas"
"""Metadata key holding this connector's own information about an item."""
RESERVED_KEYS = compat.PYSTORE_KEYS | {PRIVATE_KEY}


def pack_metadata(metadata: dict, info: dict) -> dict:
    """Put user metadata at the top (pystore can query it), the connector's under a key.

    User keys that pystore or this connector reserve are kept under ``shadowed``.
    """
    shadowed = {k: v for k, v in metadata.items() if k in RESERVED_KEYS}
    top = {k: v for k, v in metadata.items() if k not in RESERVED_KEYS}
    extra = {"shadowed": shadowed} if shadowed else {}
    return {**top, PRIVATE_KEY: {"format": 1, **info, **extra}}


def unpack_metadata(raw: dict) -> dict:
    """The user metadata of a stored metadata dict (reserved keys given back)."""
    metadata = {k: v for k, v in raw.items() if k not in RESERVED_KEYS}
    info = raw.get(PRIVATE_KEY)
    return {**metadata, **info.get("shadowed", {})} if isinstance(info, dict) else metadata


def write_series(path: Path, data: pd.DataFrame) -> dict:
    """Write a one-column frame as Snappy Parquet; return what restores its dtypes."""
    frame = compat.frame_for_pystore(data)
    table = pa.Table.from_pandas(frame, preserve_index=True)
    # delta-encoded timestamps: the index of a daily series takes almost no space
    encoding = {table.schema.pandas_metadata["index_columns"][0]: "DELTA_BINARY_PACKED"}
    options = {"use_dictionary": list(frame.columns), "column_encoding": encoding}
    pq.write_table(table, path, compression="snappy", **options)
    dtypes = {"dtype": str(frame.dtypes.iloc[0]), "index_dtype": str(frame.index.dtype)}
    return {"kind": "series", **dtypes}


def load_item(library: str, folder: Path) -> StoredItem:
    """Read the item in ``folder``: a series frame or a model's JSON, with its metadata."""
    raw = compat.read_metadata(folder)
    info = raw.get(PRIVATE_KEY)
    metadata = unpack_metadata(raw)
    if info is None:  # written by plain pystore or the original design
        return StoredItem(*compat.read_pystore_item(folder, library, metadata))
    if info["kind"] == "model":
        return StoredItem(info["model"], metadata)
    with pq.ParquetFile(folder / compat.DATA_FILE) as file:  # faster than read_table
        frame = file.read().to_pandas()
    return StoredItem(compat.restore_dtypes(frame, info["index_dtype"], info["dtype"]), metadata)


def same_files(other: Path, folder: Path) -> bool:
    """Whether item ``folder`` holds exactly the files (names and bytes) of ``other``."""
    names = {p.name for p in folder.iterdir()}
    if names != {p.name for p in other.iterdir()}:
        return False
    return all((folder / n).read_bytes() == (other / n).read_bytes() for n in names)
