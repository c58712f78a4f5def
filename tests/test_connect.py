import pytest

import pastas_projects as pp
from pastas_projects.errors import UnsupportedURIError


@pytest.mark.parametrize("uri", ["ftp://host/x", "./no/scheme", "sqlite:///x.db", 42])
def test_unsupported_uri_is_a_clear_error(uri):
    with pytest.raises(UnsupportedURIError, match="scheme"):
        pp.connect(uri)


def test_uri_picks_the_connector(tmp_path):
    assert isinstance(pp.connect("memory://", name="m"), pp.DictConnector)
    lmdb = pp.connect(f"lmdb://{tmp_path / 'a'}", name="a")
    assert isinstance(lmdb, pp.ArcticConnector) and lmdb.name == "a"
    pystore = pp.connect(f"pystore://{tmp_path / 'p'}", name="p")
    assert isinstance(pystore, pp.PystoreConnector)


def test_database_needs_a_connector():
    with pytest.raises(TypeError, match="BaseConnector"):
        pp.PastasProject("x", "lmdb://./somewhere")
