import os
import uuid

import pytest


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    """URI of a MongoDB server for the whole session: ``MONGO_URI`` or a SecantusDB child."""
    from mongo_server import start_mongo

    with start_mongo(tmp_path_factory.mktemp("mongo")) as server:
        yield server.uri


@pytest.fixture(scope="session")
def prefect_api_url(tmp_path_factory):
    """URL of a Prefect API for the session: ``PREFECT_API_URL`` or a server started here.

    Without ``PREFECT_API_URL`` (or an API URL in the active Prefect profile) a real
    ``prefect server start`` runs on a free loopback port with its home in a tmp dir;
    the variable is set (and Prefect's cached settings refreshed) for this process and
    the processes it starts, and the server is stopped after the session.
    """
    from pastas_projects.prefect_server import ensure_server

    with ensure_server(home=tmp_path_factory.mktemp("prefect_home")) as url:
        yield url


@pytest.fixture(scope="module")
def shared_cluster(prefect_api_url):
    """A tuned LocalCluster (2 workers x 1 thread) shared through ``cluster_address``."""
    from distributed import LocalCluster

    from pastas_projects.flows import local_cluster_kwargs

    with LocalCluster(**local_cluster_kwargs(2, 1)) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(params=["lmdb", "mongodb", "mem"])
def arctic_conn(request, tmp_path):
    """A new ArcticConnector on each ArcticDB backend: LMDB, MongoDB (``mongo_uri``), mem."""
    from pastas_projects.connectors.arctic import ArcticConnector

    name = f"t{uuid.uuid4().hex[:12]}"
    if request.param == "lmdb":
        conn = ArcticConnector(name, f"lmdb://{tmp_path / 'arctic'}")
    elif request.param == "mongodb":
        conn = ArcticConnector(name, request.getfixturevalue("mongo_uri"))
    else:
        conn = ArcticConnector(name, "mem://")
    yield conn
    conn.close()


@pytest.fixture(scope="session", autouse=True)
def no_flow_reports():
    """Flows write no HTML report into the working folder; tests that want one set a folder."""
    os.environ.setdefault("PASTAS_PROJECTS_REPORTS_DIR", "off")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Debian chromium driven by playwright (skips, saying why, when missing).

    Module-scoped: a module that also runs flows asks for it after they ran.
    """
    from browser import launch

    with launch(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: runs real Prefect flows on Dask clusters (tens of seconds each)"
    )
