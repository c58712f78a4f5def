"""The shared connector suite, run against every connector configuration."""

import hashlib

import pytest

import pastas_projects as pp
from pastas_projects.testing import ConnectorSuite

CONFIGURATIONS = ["dict", "arctic-lmdb", "arctic-mongodb", "arctic-s3", "pystore"]


@pytest.fixture(params=CONFIGURATIONS)
def connector(request, tmp_path):
    kind = request.param
    if kind == "dict":
        conn = pp.DictConnector("suite")
    elif kind == "arctic-lmdb":
        conn = pp.ArcticConnector("suite", f"lmdb://{tmp_path / 'arctic'}")
    elif kind == "arctic-mongodb":
        uri = request.getfixturevalue("mongo_uri")
        # one database per test on the shared server; test ids may hold any character
        digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
        conn = pp.ArcticConnector(f"suite_{digest}", uri)
    elif kind == "arctic-s3":
        server = request.getfixturevalue("s3_server")
        # one set of libraries per test in the session's bucket
        digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
        conn = pp.ArcticConnector(f"suite_{digest}", server.uri())
    else:
        conn = pp.PystoreConnector("suite", tmp_path / "pystore")
    yield conn
    conn.close()


class TestConnectors(ConnectorSuite):
    """Every test of the suite, on every configuration."""
