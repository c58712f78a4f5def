"""Real servers and clusters shared by the whole test session.

The MongoDB-wire server (SecantusDB), the S3 server (moto) and the Prefect server
start once per session. In one process they start in the background as soon as the
tests are collected, so their start-up overlaps the first tests. With pytest-xdist
(``make test`` runs ``-n 2``) the controller starts all three before the workers
start, and hands them over through the environment (``MONGO_URI``,
``PREFECT_API_URL``, ``PASTAS_PROJECTS_TEST_S3``): every worker uses the same servers.
"""

import concurrent.futures
import ctypes
import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest

# ArcticDB takes a storage lock before it compacts a library's symbol list: it writes
# the lock, waits (1 s by default) and reads it back, long enough for storage with
# slow, eventually consistent writes. The tests' MongoDB-wire server answers on
# loopback within milliseconds, so a tenth of that wait is still ample, and it is the
# difference between seconds and minutes for the MongoDB tests. Set before ArcticDB
# is imported; subprocesses inherit it.
os.environ.setdefault("ARCTICDB_StorageLock_WaitMs_int", "100")

_SERVERS = concurrent.futures.ThreadPoolExecutor(max_workers=3, thread_name_prefix="servers")
_STARTED: dict[str, concurrent.futures.Future] = {}
_HOMES = Path(tempfile.mkdtemp(prefix="pastas-projects-test-servers-"))


def _start_mongo():
    from mongo_server import start_mongo

    return start_mongo(_HOMES / "mongo")


S3_ENV = "PASTAS_PROJECTS_TEST_S3"
"""The S3 server the xdist controller started, as JSON (see ``S3Server.to_env``)."""


def _start_s3():
    from s3_server import S3Server, start_s3

    if os.environ.get(S3_ENV):
        return S3Server.from_env(os.environ[S3_ENV])
    return start_s3(_HOMES / "s3")


def _start_prefect(port: int | None = None):
    if os.environ.get("PREFECT_API_URL") and port is None:
        return None  # the session uses that server (see prefect_api_url)
    from pastas_projects.prefect_server import start_server

    return start_server(port=port, home=_HOMES / "prefect", timeout=180)


def _start(kind: str) -> concurrent.futures.Future:
    if kind not in _STARTED:
        starters = {"mongo": _start_mongo, "s3": _start_s3, "prefect": _start_prefect}
        _STARTED[kind] = _SERVERS.submit(starters[kind])
    return _STARTED[kind]


def _is_xdist_controller(config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """With xdist: start the servers here, once, before the workers start."""
    config.addinivalue_line(
        "markers", "slow: runs real Prefect flows on Dask clusters (tens of seconds each)"
    )
    config.addinivalue_line(
        "markers",
        "soak: long robustness runs (killed workers, many processes); `make test-all` runs them",
    )
    if not _is_xdist_controller(config):
        return
    if not os.environ.get("PREFECT_API_URL"):
        # the server starts while the workers start and collect; they wait for it
        from pastas_projects.prefect_server import free_port

        port = free_port()
        _STARTED["prefect"] = _SERVERS.submit(_start_prefect, port)
        os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    mongo, s3 = _start("mongo"), _start("s3")
    os.environ["MONGO_URI"] = mongo.result(timeout=300).uri
    os.environ[S3_ENV] = s3.result(timeout=300).to_env()


def pytest_unconfigure(config):
    if _is_xdist_controller(config):
        _stop_servers()


def pytest_collection_modifyitems(session, config, items):
    """Start the servers the collected tests need, in the background, right away."""
    if any("mongo_uri" in item.fixturenames or "mongo" in item.nodeid for item in items):
        _start("mongo")
    if any("s3_server" in item.fixturenames or "s3" in item.nodeid for item in items):
        _start("s3")
    if any("prefect_api_url" in item.fixturenames for item in items):
        _start("prefect")


def pytest_sessionfinish(session, exitstatus):
    if not _is_xdist_controller(session.config):
        _stop_servers()


def _stop_servers():
    for future in _STARTED.values():
        try:
            server = future.result(timeout=300)
        except Exception:  # noqa: BLE001 - it never started: nothing to stop
            continue
        if server is not None:
            server.stop()
    _STARTED.clear()


@pytest.fixture(scope="session")
def mongo_uri():
    """URI of a MongoDB server for the whole session: ``MONGO_URI`` or a SecantusDB child.

    ArcticDB shares one client among the connectors of a process on one URI, and
    shutting that client down takes about half a second per library it opened (on the
    test server). So one connector stays open for the session: a test that closes its
    connector does not shut the client down. Nor does the end of the session: by then
    the client has opened hundreds of libraries, and the process ends right after, so
    it is left to the operating system.
    """
    server = _start("mongo").result(timeout=300)
    from pastas_projects.connectors import arctic

    keeper = arctic.ArcticConnector(f"keeper_{uuid.uuid4().hex[:8]}", server.uri)
    yield server.uri
    keeper._closer.detach()  # never release the shared client ...
    for shared, _ in arctic._CACHE.values():  # ... not even at interpreter exit
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(shared))


@pytest.fixture(scope="session")
def s3_server():
    """An S3-compatible server (``moto_server``) on loopback with a bucket, for the session."""
    return _start("s3").result(timeout=300)


@pytest.fixture(scope="session")
def prefect_api_url():
    """URL of a Prefect API for the session: ``PREFECT_API_URL`` or a server started here.

    Without ``PREFECT_API_URL`` (or an API URL in the active Prefect profile) a real
    ``prefect server start`` runs on a free loopback port with its home in a tmp dir;
    the variable is set (and Prefect's cached settings refreshed) for this process and
    the processes it starts, and the server is stopped after the session.
    """
    from pastas_projects.prefect_server import configured_api_url, ensure_server, is_healthy

    _start("prefect").result(timeout=300)  # ensure_server then finds it running
    url = configured_api_url()
    deadline = time.monotonic() + 180  # a server another process starts
    while url and not is_healthy(url) and time.monotonic() < deadline:
        time.sleep(0.2)
    with ensure_server(home=_HOMES / "prefect") as url:
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
