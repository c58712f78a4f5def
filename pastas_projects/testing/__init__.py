"""The connector test-suite, shipped so custom-connector authors can run it.

Subclass :class:`ConnectorSuite` in a pytest module and give it a ``connector``
fixture that returns a new, empty store of your class::

    import pytest
    from pastas_projects.testing import ConnectorSuite

    class TestMyConnector(ConnectorSuite):
        @pytest.fixture
        def connector(self, tmp_path):
            return MyConnector("test", tmp_path / "store")

Every test goes through :class:`~pastas_projects.PastasProject`, so it checks what
users rely on: exact round trips, models that simulate identically after a
rebuild, clear errors that leave the store unchanged, concurrent writers and
crashed writers (for connectors whose ``multiprocess_safe`` is true and whose
``uri`` reopens them), versions and snapshots where supported, new observations
(``update_*``/``upsert_*`` and their errors), deleting series that models use,
retention and model notes.
"""

from pastas_projects.testing.suite import ConnectorSuite

__all__ = ["ConnectorSuite"]
