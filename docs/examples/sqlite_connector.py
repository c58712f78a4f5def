"""A complete custom connector: every item in one SQLite file (see docs/storage.md).

Run the shipped suite against it with ``pytest tests/test_custom_connector.py``.
"""

import io
import json
import sqlite3

import pandas as pd

from pastas_projects import BaseConnector
from pastas_projects.connectors.base import StoredItem


class SQLiteConnector(BaseConnector):
    """Store series as Parquet bytes and models as JSON text in a SQLite file."""

    def __init__(self, name: str, path: str) -> None:
        super().__init__(name)
        self.path = str(path)
        self.db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS items (library TEXT, name TEXT, data BLOB,"
            " metadata TEXT, PRIMARY KEY (library, name))"
        )

    def _write(self, library, name, data, metadata):
        if isinstance(data, pd.DataFrame):
            buffer = io.BytesIO()
            data.to_parquet(buffer)
            data = buffer.getvalue()
        with self.db:  # one transaction: all or nothing, even if the process dies
            self.db.execute(
                "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)",
                (library, name, data, json.dumps(metadata)),
            )

    def _read(self, library, name, as_of=None):
        row = self.db.execute(
            "SELECT data, metadata FROM items WHERE library = ? AND name = ?", (library, name)
        ).fetchone()
        if row is None:
            raise KeyError(f"{library}/{name}")
        data, metadata = row
        if isinstance(data, bytes):
            data = pd.read_parquet(io.BytesIO(data))
        return StoredItem(data, json.loads(metadata))

    def _read_metadata(self, library, names):
        rows = self.db.execute("SELECT name, metadata FROM items WHERE library = ?", (library,))
        wanted = set(names)
        return {name: json.loads(meta) for name, meta in rows if name in wanted}

    def _list_names(self, library):
        rows = self.db.execute("SELECT name FROM items WHERE library = ?", (library,))
        return [name for (name,) in rows]

    def _delete(self, library, name):
        with self.db:
            deleted = self.db.execute(
                "DELETE FROM items WHERE library = ? AND name = ?", (library, name)
            ).rowcount
        if not deleted:
            raise KeyError(f"{library}/{name}")

    def close(self):
        """Close the database file."""
        self.db.close()
