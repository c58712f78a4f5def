"""PastasStoreBlock against a real Prefect server, real stores and real processes."""

from __future__ import annotations

import json
import logging
import os
import pickle
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from prefect import flow, get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogWorker
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import SecretStr, ValidationError

from pastas_projects.blocks import (
    PastasStoreBlock,
    clear_connector_cache,
    load_store_block,
    register_default_block,
)
from pastas_projects.connectors.uri import absolute_uri
from pastas_projects.errors import StoreConnectionError

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "p@ss:w/rd%S3cr3t!x7"
SECRET_KEY = "Sk/9+zXqV3ryS3cretKey"
SECRETS = (PASSWORD, quote(PASSWORD, safe=""), SECRET_KEY)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def series(n: int = 30) -> pd.Series:
    index = pd.date_range("2020-01-01", periods=n, freq="D")
    return pd.Series(range(n), index=index, dtype=float, name="head")


@pytest.fixture(scope="module")
def mongo_login(mongo_uri):
    """(uri, user) of a MongoDB user whose password is PASSWORD."""
    import pymongo

    user = unique("alice")
    client = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        client.admin.command("createUser", user, pwd=PASSWORD, roles=["root"])
    finally:
        client.close()
    return mongo_uri, user


# ---------------------------------------------------------------- the block itself
class TestPastasStoreBlockStandards(BlockStandardTestSuite):
    """Prefect's own checks of a block: description, documentation URL, code example, logo."""

    @pytest.fixture
    def block(self, monkeypatch):
        # the logo test downloads the logo; this machine has no internet, so it reads
        # the file the URL publishes (docs/images/logo.png in this repository)
        assert PastasStoreBlock._logo_url.endswith("/docs/images/logo.png")
        local = (ROOT / "docs" / "images" / "logo.png").as_uri()
        monkeypatch.setattr(PastasStoreBlock, "_logo_url", local)
        return PastasStoreBlock


def test_block_type():
    assert PastasStoreBlock.get_block_type_name() == "Pastas Store"
    assert PastasStoreBlock.get_block_type_slug() == "pastas-store"
    assert "Pastas" in PastasStoreBlock.get_description()
    schema = PastasStoreBlock.model_json_schema()
    assert set(schema["secret_fields"]) == {"password", "secret_key"}  # masked in the UI
    assert PastasStoreBlock().connector_name == "pastas_projects"


def test_credentials_in_the_uri_move_to_their_fields():
    block = PastasStoreBlock(uri=f"mongodb://bob:{quote(PASSWORD, safe='')}@db.local:27017/")
    assert block.uri == "mongodb://db.local:27017/"
    assert block.username == "bob" and block.password.get_secret_value() == PASSWORD
    assert block._full_uri() == f"mongodb://bob:{quote(PASSWORD, safe='')}@db.local:27017/"
    assert block.display_uri == "mongodb://bob:***@db.local:27017/"

    s3 = PastasStoreBlock(uri=f"s3://minio:bucket?port=9000&access=AK1&secret={SECRET_KEY}")
    assert s3.uri == "s3://minio:bucket?port=9000"
    assert s3.access_key == "AK1" and s3.secret_key.get_secret_value() == SECRET_KEY
    assert s3._full_uri() == f"s3://minio:bucket?port=9000&access=AK1&secret={SECRET_KEY}"
    assert s3.display_uri == "s3://minio:bucket?port=9000&access=***&secret=***"
    explicit = PastasStoreBlock(uri="s3://minio:bucket", access_key="AK1", secret_key=SECRET_KEY)
    assert explicit._full_uri() == f"s3://minio:bucket?access=AK1&secret={SECRET_KEY}"


def test_secret_masked_in_repr_str_json_and_errors():
    block = PastasStoreBlock(
        uri="mongodb://db.local:27017/", username="bob", password=PASSWORD, secret_key=SECRET_KEY
    )
    for text in (repr(block), str(block), block.model_dump_json(), block.display_uri):
        assert_no_secret(text)
    assert "**********" in repr(block)
    assert isinstance(block.password, SecretStr)

    with pytest.raises(ValidationError) as info:
        PastasStoreBlock(uri="no-scheme", password=PASSWORD)
    assert_no_secret(str(info.value) + repr(info.value))
    with pytest.raises(ValidationError) as info:  # wrong type: the input is not echoed
        PastasStoreBlock(uri="memory://", password=[PASSWORD])
    assert_no_secret(str(info.value) + repr(info.value))
    with pytest.raises(ValueError, match="secret_key") as info:
        PastasStoreBlock(uri="s3://h:b", secret_key=f"{SECRET_KEY}&x").get_connector()
    assert_no_secret(str(info.value))
    with pytest.raises(ValueError, match="without a username") as info:
        PastasStoreBlock(uri="mongodb://h:1/", password=PASSWORD).get_connector()
    assert_no_secret(str(info.value))


def test_absolute_uri(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert absolute_uri("lmdb://./data") == f"lmdb://{tmp_path.resolve().as_posix()}/data"
    assert absolute_uri("pystore://rel/p") == f"pystore://{tmp_path.resolve()}/rel/p"
    assert absolute_uri("lmdb://x?map_size=1GB").endswith("/x?map_size=1GB")
    assert absolute_uri("lmdb:///abs/path") == "lmdb:///abs/path"
    assert absolute_uri("mongodb://h:1/") == "mongodb://h:1/"


# ---------------------------------------------------------------- against the server
def test_save_and_load_round_trip(prefect_api_url):
    name = unique("roundtrip")
    block = PastasStoreBlock(
        uri="mongodb://db.local:27017/", connector_name="cn", username="bob", password=PASSWORD
    )
    block.save(name)
    loaded = load_store_block(name)
    assert isinstance(loaded, PastasStoreBlock)
    assert loaded.uri == block.uri and loaded.connector_name == "cn"
    assert loaded.username == "bob" and loaded.password.get_secret_value() == PASSWORD
    assert load_store_block(f"pastas-store/{name}").password.get_secret_value() == PASSWORD
    assert load_store_block(loaded) is loaded
    with pytest.raises(TypeError):
        load_store_block(42)
    # what the UI and API show without include_secrets
    with get_client(sync_client=True) as client:
        doc = client.read_block_document_by_name(name, "pastas-store", include_secrets=False)
    assert doc.data["username"] == "bob"
    assert_no_secret(json.dumps(doc.data, default=str))


def test_register_default_block_saves_an_absolute_path(prefect_api_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = unique("default")
    saved = register_default_block("lmdb://./pastas_data", name=name)
    assert saved.uri == f"lmdb://{(tmp_path / 'pastas_data').resolve().as_posix()}"
    assert load_store_block(name).uri == saved.uri
    register_default_block("memory://", name=name, overwrite=True)
    assert load_store_block(name).uri == "memory://"


def test_cli_registers_the_block_type(prefect_api_url):
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "PYTHONPATH": str(ROOT)}
    prefect = Path(sys.executable).with_name("prefect")
    out = subprocess.run(
        [str(prefect), "block", "register", "-m", "pastas_projects.blocks"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Pastas Store" in out.stdout
    with get_client(sync_client=True) as client:
        block_type = client.read_block_type_by_slug("pastas-store")
    assert block_type.name == "Pastas Store"


# ---------------------------------------------------------------- connectors
def test_get_connector_is_cached_per_process():
    clear_connector_cache()
    block = PastasStoreBlock(uri="memory://", connector_name=unique("cache"))
    first = block.get_connector()
    assert block.get_connector() is first
    assert (
        PastasStoreBlock(uri="memory://", connector_name=block.connector_name).get_connector()
        is first
    )
    assert pickle.loads(pickle.dumps(block)).get_connector() is first
    assert PastasStoreBlock(uri="memory://", connector_name="other").get_connector() is not first
    project = block.get_project()
    assert project.name == block.connector_name and project.db.conn is first

    threaded = PastasStoreBlock(uri="memory://", connector_name=unique("threads"))
    found, barrier = [], threading.Barrier(8)

    def call():
        barrier.wait()
        found.append(threaded.get_connector())

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in found}) == 1

    assert clear_connector_cache() >= 3
    assert block.get_connector() is not first


def test_mongodb_connector_with_password(mongo_login):
    uri, user = mongo_login
    block = PastasStoreBlock(uri=uri, username=user, password=PASSWORD, connector_name="mongo")
    connector = block.get_connector()
    assert connector is block.get_connector()
    assert_no_secret(repr(connector))
    project = block.get_project()
    assert_no_secret(repr(project))
    project.db.add_oseries(series(), "well1", overwrite=True)
    assert "well1" in project.db.oseries_names

    wrong = PastasStoreBlock(uri=uri, username=user, password=PASSWORD[::-1])
    with pytest.raises(StoreConnectionError) as info:
        wrong.get_connector()
    assert_no_secret(str(info.value) + repr(info.value) + str(info.value.__context__))


@task
def use_connector(block: PastasStoreBlock) -> str:
    logger = get_run_logger()
    connector = block.get_connector()
    logger.info("task uses %r on %s", connector, block)
    return repr(connector)


@flow(name="secret-check")
def secret_check(block_name: str) -> str:
    logger = get_run_logger()
    block = load_store_block(block_name)
    logger.info("loaded block %r", block)
    logger.info("block as str: %s; uri %s", block, block.display_uri)
    connector = block.get_connector()
    logger.info("connector %r, project %r", connector, block.get_project())
    return use_connector(block)


@flow(name="secret-check-param")
def secret_check_param(block: PastasStoreBlock) -> str:
    get_run_logger().info("parameter block %r", block)
    return repr(block.get_connector())


def test_secret_absent_from_prefect_logs(prefect_api_url, mongo_login, caplog, capfd):
    uri, user = mongo_login
    name = unique("secret-check")
    block = PastasStoreBlock(uri=uri, username=user, password=PASSWORD, connector_name="logs")
    block.save(name)
    caplog.set_level(logging.DEBUG)

    state = secret_check(name, return_state=True)
    assert "ArcticConnector" in state.result()
    param_state = secret_check_param(block, return_state=True)
    assert "ArcticConnector" in param_state.result()
    APILogWorker.drain_all(timeout=30)

    run_ids = [state.state_details.flow_run_id, param_state.state_details.flow_run_id]
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids)))
        runs = [client.read_flow_run(run_id) for run_id in run_ids]
    messages = "\n".join(log.message for log in logs)
    assert "loaded block PastasStoreBlock(" in messages  # the logs did arrive
    assert "task uses ArcticConnector(" in messages
    assert "parameter block PastasStoreBlock(" in messages
    assert_no_secret(messages)
    assert_no_secret(json.dumps([run.parameters for run in runs], default=str))
    captured = capfd.readouterr()
    assert_no_secret(caplog.text + captured.out + captured.err)


# ---------------------------------------------------------------- other processes
def test_get_connector_in_a_subprocess(tmp_path):
    block = PastasStoreBlock(uri=f"lmdb://{tmp_path / 'store'}", connector_name="sub")
    code = (
        "import os, pickle, sys\n"
        "import pandas as pd\n"
        "block = pickle.loads(sys.stdin.buffer.read())\n"
        "c1, c2 = block.get_connector(), block.get_connector()\n"
        "s = pd.Series([1.0, 2.0], index=pd.date_range('2020', periods=2), name='h')\n"
        "block.get_project().db.add_oseries(s, 'remote_well')\n"
        "print(os.getpid(), c1 is c2, type(c1).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(block),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode()
    pid, same, kind = out.stdout.decode().split()[-3:]
    assert int(pid) != os.getpid() and same == "True" and kind == "ArcticConnector"
    assert block.get_project().db.oseries_names == ["remote_well"]  # the same store here


def connector_identity(block_or_name: PastasStoreBlock | str) -> tuple[int, int, str]:
    connector = load_store_block(block_or_name).get_connector()
    return os.getpid(), id(connector), type(connector).__name__


def test_get_connector_on_a_dask_worker(prefect_api_url, tmp_path):
    distributed = pytest.importorskip("distributed")
    name = unique("dask")
    block = PastasStoreBlock(uri=f"lmdb://{tmp_path / 'store'}", connector_name="dask")
    block.save(name)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        futures = [client.submit(connector_identity, block, pure=False) for _ in range(6)]
        futures += [client.submit(connector_identity, name, pure=False) for _ in range(2)]
        results = client.gather(futures)
        worker_env = client.run(lambda: os.environ.get("PREFECT_API_URL"))
    assert len(set(results)) == 1  # one connector for all tasks on the worker
    pid, _, kind = results[0]
    assert pid != os.getpid() and kind == "ArcticConnector"
    assert list(worker_env.values()) == [prefect_api_url]  # no per-worker temporary server
