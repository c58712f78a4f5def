"""The custom connector of docs/storage.md passes the shipped connector suite.

The connector is docs/examples/sqlite_connector.py.
"""

import sys
from pathlib import Path

import pytest

from pastas_projects.testing import ConnectorSuite

sys.path.insert(0, str(Path(__file__).parents[1] / "docs" / "examples"))
from sqlite_connector import SQLiteConnector  # noqa: E402


class TestSQLiteConnector(ConnectorSuite):
    @pytest.fixture
    def connector(self, tmp_path):
        conn = SQLiteConnector("example", tmp_path / "store.sqlite")
        yield conn
        conn.close()
