"""S3 for real: a moto server in its own process that checks credentials like AWS.

The shared connector suite runs over ``s3://`` too (``test_connector_suite.py``);
here: credentials from the block's secret fields and from the environment, a
calibrate flow and a copy flow over S3 on a Dask cluster, and the secret key
nowhere in logs, the Prefect UI or error messages.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import pytest
from flow_helpers import data_with_a_failure, lmdb_block, unique
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from typer.testing import CliRunner

import pastas_projects as pp
from pastas_projects.blocks import PastasStoreBlock, clear_connector_cache
from pastas_projects.cli import app
from pastas_projects.errors import StoreConnectionError
from pastas_projects.flows import calibrate_flow, copy_flow, solve_models_flow
from pastas_projects.testing.suite_transfer import assert_same_contents


@pytest.fixture(scope="module", autouse=True)
def close_connectors():
    yield
    clear_connector_cache(close=True)


def assert_no_secret(server, text: str) -> None:
    for secret in server.secrets():
        assert secret not in text


def head() -> pd.Series:
    return pd.Series([1.0, 2.5, 3.0], pd.date_range("2020", periods=3, freq="D"))


def test_the_server_checks_credentials(s3_server):
    db = pp.Database(pp.connect(s3_server.uri(), unique("ok").replace("-", "_")))
    db.add_oseries(head(), "well")
    pd.testing.assert_series_equal(db.get_oseries("well"), head().rename("well"))
    wrong = s3_server.uri().replace(s3_server.secret_key, "not-the-secret")
    with pytest.raises(StoreConnectionError, match="Permission|403") as info:
        pp.connect(wrong, unique("no").replace("-", "_"))
    assert_no_secret(s3_server, str(info.value))


def test_credentials_from_the_environment(s3_server, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    uri = s3_server.uri(credentials=False) + "&aws_auth=true&path_prefix=env"
    block = PastasStoreBlock(uri=uri, connector_name=unique("env").replace("-", "_"))
    assert block.secret_key is None and block.display_uri == uri  # nothing secret in the block
    db = block.get_project().db
    db.add_oseries(head(), "well")
    assert db.oseries_names == ["well"]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(StoreConnectionError, match="Permission|403"):
        pp.connect(uri.replace("path_prefix=env", "path_prefix=env2"), "other")


def test_errors_never_show_the_secret(s3_server, tmp_path):
    closed = s3_server.uri().replace(f"port={s3_server.port}", "port=9")
    with pytest.raises(StoreConnectionError, match="cannot reach an S3 server") as info:
        pp.connect(closed)
    assert "secret=***" in str(info.value)
    assert_no_secret(s3_server, str(info.value) + repr(info.value))
    missing = s3_server.uri(bucket="no-such-bucket")
    block = PastasStoreBlock(uri=missing, connector_name="x")
    assert block.display_uri.endswith("access=***&secret=***")
    with pytest.raises(StoreConnectionError) as info:
        block.get_connector()
    assert_no_secret(s3_server, str(info.value) + repr(info.value) + block.model_dump_json())
    runner = CliRunner()
    for uri in (closed, missing):
        result = runner.invoke(app, ["status", "--store", uri])
        assert result.exit_code == 1 and result.output.startswith("Error: ")
        assert_no_secret(s3_server, result.output)
    # ArcticDB's own log lines (written by its C++ core to stderr) hold no secret either
    code = (
        "import pastas_projects as pp\n"
        f"try:\n    pp.connect({missing!r})\n"
        "except Exception as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "NoSuchBucket" in out.stdout + out.stderr
    assert_no_secret(s3_server, out.stdout + out.stderr)


def flow_texts(run_ids: list[str]) -> str:
    """Logs, parameters and artifacts of flow runs, as the UI shows them."""
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30)
    time.sleep(3)  # the worker processes' logs arrive on their own
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids)))
        runs = [client.read_flow_run(run_id) for run_id in run_ids]
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=run_ids))
        )
    assert logs, "the run logs did not arrive"
    return (
        "\n".join(log.message for log in logs)
        + json.dumps([r.parameters for r in runs], default=str)
        + json.dumps([a.data for a in artifacts], default=str)
    )


@pytest.mark.slow
def test_calibrate_flow_over_s3(prefect_api_url, shared_cluster, s3_server, caplog, capfd):
    block = PastasStoreBlock(
        uri=s3_server.uri(credentials=False),
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        connector_name=unique("cal").replace("-", "_"),
    )
    name = unique("s3-store")
    block.save(name)
    caplog.set_level("DEBUG")
    first = calibrate_flow(name, data=data_with_a_failure(2), cluster_address=shared_cluster)
    assert first["solved"] == 2 and first["failed"] == 1  # `late` fails, as it should
    assert "secret=***" in first["store"]
    info = block.get_project().db.get_model_info()
    assert (info.drop(index="late")["status"] == "solved").all()
    again = solve_models_flow(
        block, only_changed=True, pattern="syn_*", cluster_address=shared_cluster
    )
    assert again["up_to_date"] == 2 and again["solved"] == 0
    text = flow_texts([first["flow_run_id"], again["flow_run_id"]])
    assert "store s3://127.0.0.1:" in text
    captured = capfd.readouterr()
    text += json.dumps([first, again], default=str) + caplog.text + captured.out + captured.err
    assert_no_secret(s3_server, text)


@pytest.mark.slow
def test_copy_flow_lmdb_to_s3(prefect_api_url, shared_cluster, s3_server, tmp_path, capfd):
    from test_transfer import filled_project

    source = lmdb_block(tmp_path)
    filled_project(source.get_connector())
    target = PastasStoreBlock(
        uri=s3_server.uri(), connector_name=unique("copy").replace("-", "_")
    )  # credentials in the URI move to the secret fields
    assert target.secret_key is not None and "secret=" not in target.uri
    summary = copy_flow(source, target, cluster_address=shared_cluster, batch_size=2)
    assert summary["copied"] == 6 and summary["failed"] == 0 and summary["unchanged"] == 0
    assert summary["steps"]["copy series"]["total"] == 4
    assert summary["steps"]["copy models"]["total"] == 2
    src_db, dst_db = source.get_project().db, target.get_project().db
    assert_same_contents(src_db, dst_db)
    assert dst_db.stale_models() == ["well_b"]
    again = copy_flow(source, target, cluster_address=shared_cluster)
    assert again["copied"] == 0 and again["unchanged"] == 6
    text = flow_texts([summary["flow_run_id"], again["flow_run_id"]])
    assert "copy from lmdb://" in text
    captured = capfd.readouterr()
    assert_no_secret(s3_server, text + json.dumps([summary, again]) + captured.out + captured.err)
