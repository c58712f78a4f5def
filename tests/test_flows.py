"""The Prefect flows against a real Prefect server, real Dask clusters and real stores.

Slow by nature (each flow run talks to a Prefect server and each local cluster
starts worker processes), so most tests share one tuned LocalCluster through
``cluster_address``; a few start their own cluster, as users do by default.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pandas as pd
import pytest
from flow_helpers import N_MODELS, data_with_a_failure, lmdb_block, model_info, unique
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.states import Failed

from pastas_projects.blocks import PastasStoreBlock, clear_connector_cache
from pastas_projects.datasets import synthetic
from pastas_projects.errors import InvalidNameError, StoreConnectionError
from pastas_projects.flows import (
    AllFailedError,
    PastasDaskTaskRunner,
    SeriesCollection,
    build_models_flow,
    calibrate_flow,
    ingest_flow,
    solve_models_flow,
)
from pastas_projects.tasks import (
    build_batch_task,
    ingest_batch,
    is_transient,
    retry_condition,
    solve_batch_task,
    statistics_batch,
)

PASSWORD = "fl0w:p@ss/w%rd-S3cret"


def run_artifacts(flow_run_id: str) -> dict[str, list]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {"all": found, "progress": [a for a in found if a.type == "progress"]}


@pytest.fixture(scope="module", autouse=True)
def close_connectors():
    """Close the stores this module opened while their servers still run.

    An ArcticDB MongoDB client left open when the server stops makes the
    interpreter wait minutes at exit.
    """
    yield
    clear_connector_cache(close=True)


@pytest.fixture(scope="module")
def mongo_login(mongo_uri):
    import pymongo

    user = unique("flows")
    client = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        client.admin.command("createUser", user, pwd=PASSWORD, roles=["root"])
    finally:
        client.close()
    return mongo_uri, user


@pytest.fixture(params=["lmdb", "mongodb", "pystore"])
def block(request, tmp_path):
    name = unique("flows").replace("-", "_")
    if request.param == "lmdb":
        return PastasStoreBlock(uri=f"lmdb://{tmp_path / 'arctic'}", connector_name=name)
    if request.param == "pystore":
        return PastasStoreBlock(uri=f"pystore://{tmp_path / 'pystore'}", connector_name=name)
    return PastasStoreBlock(uri=request.getfixturevalue("mongo_uri"), connector_name=name)


# ---------------------------------------------------------------- no server needed
def test_parameters_render_in_the_ui():
    for flow in (solve_models_flow, build_models_flow, ingest_flow, calibrate_flow):
        props = flow.parameters.properties
        assert props["store"]["default"] == "pastas-store"
        assert props["workers"]["default"] == 2 and props["workers"]["type"] == "integer"
        assert props["cluster_address"]["default"] is None
        described = [p for p, spec in props.items() if spec.get("description")]
        assert set(described) == set(props), set(props) - set(described)
    assert solve_models_flow.parameters.properties["only_changed"]["type"] == "boolean"


def test_retry_rule():
    assert is_transient(StoreConnectionError("down")) and is_transient(OSError("reset"))
    assert is_transient(RuntimeError("arcticdb storage error"))
    assert not is_transient(InvalidNameError("bad name")) and not is_transient(TypeError())
    assert not is_transient(FileNotFoundError("x.csv")) and not is_transient(None)
    run = SimpleNamespace(name="solve m1..m9 (9)")
    assert retry_condition(solve_batch_task, run, Failed(data=StoreConnectionError("down")))
    assert not retry_condition(solve_batch_task, run, Failed(data=InvalidNameError("bad")))
    for task in (solve_batch_task, build_batch_task, ingest_batch, statistics_batch):
        assert task.retries == 2 and task.retry_condition_fn is retry_condition


# ---------------------------------------------------------------- all three stores
@pytest.mark.slow
def test_calibrate_rerun_and_only_changed(prefect_api_url, shared_cluster, block):
    """End to end, failure isolation, idempotent re-run and incremental solve."""
    data = data_with_a_failure()
    common = {"cluster_address": shared_cluster, "data": data}
    state = calibrate_flow(block, **common, return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    syn = sorted(n for n in data.oseries if n != "late")
    assert summary["solved"] == N_MODELS and summary["solved_names"] == syn
    assert summary["failed"] == 1 and summary["failures"][0]["name"] == "late"
    assert summary["ingested"] == N_MODELS + 1 + len(data.stresses)
    info = model_info(block)
    assert set(info.index) == {*syn, "late"}
    assert (info.loc[syn, "status"] == "solved").all() and info.loc["late", "status"] == "failed"
    assert "tmin" in info.loc["late", "error"] or "overlap" in info.loc["late", "error"]

    artifacts = run_artifacts(summary["flow_run_id"])
    tables = {a.key: a for a in artifacts["all"]}
    keys = summary["artifacts"]
    failure_rows = json.loads(tables[keys["failures"]].data)
    assert [r["name"] for r in failure_rows] == ["late"]
    stats_rows = json.loads(tables[keys["fit-statistics"]].data)
    assert {r["name"] for r in stats_rows} == {*syn, "late"}
    markdown = tables[keys["summary"]].data
    assert "late" in markdown and "models/s" in markdown and "Worst-fitting" in markdown
    progress = artifacts["progress"]
    assert len(progress) == 3 and all(float(p.data) == 100.0 for p in progress)

    # the same inputs again: nothing written, built or solved twice
    again = calibrate_flow(block, **common)
    assert again["changed"] == 0 and again["built"] == 0
    assert again["solved"] == 0 and again["failed"] == 1  # only `late` is tried again
    assert again["solved_names"] == [] and again["up_to_date"] == N_MODELS
    info2 = model_info(block)
    assert sorted(info2.index) == sorted(info.index)
    assert (info2.loc[syn, "solved_at"] == info.loc[syn, "solved_at"]).all()

    # one oseries changes: only its model is solved again
    changed = syn[2]
    head = data.oseries[changed].copy()
    head.iloc[-5:] += 0.25
    ingested = ingest_flow(
        block,
        data=SeriesCollection(oseries={changed: head}, oseries_metadata=data.oseries_metadata),
        cluster_address=shared_cluster,
    )
    assert ingested["changed"] == 1
    solved = solve_models_flow(
        block, only_changed=True, pattern="syn_*", cluster_address=shared_cluster
    )
    assert solved["solved_names"] == [changed] and solved["up_to_date"] == N_MODELS - 1
    info3 = model_info(block)
    others = [n for n in syn if n != changed]
    assert (info3.loc[others, "solved_at"] == info.loc[others, "solved_at"]).all()
    assert info3.loc[changed, "solved_at"] > info.loc[changed, "solved_at"]


# ---------------------------------------------------------------- own clusters
@pytest.mark.slow
def test_default_local_cluster_solver_and_csv_ingest(prefect_api_url, tmp_path):
    """The flows start their own tuned LocalCluster; CSV ingestion; a named solver."""
    data = synthetic(4, 11)
    folder = tmp_path / "csv"
    (folder / "heads").mkdir(parents=True)
    for name, series in data.oseries.items():
        series.rename("head").to_csv(folder / "heads" / f"{name}.csv")
    for name, series in data.stresses.items():
        series.rename("value").to_csv(folder / f"{name}.csv")
    (folder / "heads" / "broken.csv").write_text("date,head\nnot a date,1\n")
    meta = pd.DataFrame.from_dict(data.oseries_metadata | data.stresses_metadata, orient="index")[
        ["x", "y"]
    ]
    meta.to_csv(folder / "meta.csv")
    block = lmdb_block(tmp_path)
    summary = calibrate_flow(
        block,
        oseries_paths=[str(folder / "heads")],
        stress_paths={
            "prec": [str(folder / "syn_prec_*.csv")],
            "evap": [str(folder / "syn_evap_*.csv")],
        },
        metadata_csv=str(folder / "meta.csv"),
        solver="LeastSquares",
        workers=2,
    )
    assert summary["cluster_seconds"] > 0 and summary["workers"] == 2
    assert summary["solved_names"] == sorted(data.oseries)
    assert [f["name"] for f in summary["failures"]] == ["broken"]
    assert summary["failures"][0]["step"] == "ingest"
    db = block.get_project().db
    assert db.stresses.loc["syn_prec_260", "kind"] == "prec"
    assert db.oseries.loc["syn_00001", "x"] == data.oseries_metadata["syn_00001"]["x"]
    with pytest.raises(ValueError, match="unknown pastas solver"):
        solve_models_flow(block, solver="NoSuchSolver", workers=1)
    with pytest.raises(ValueError, match="lives in one process"):  # each worker: an empty store
        solve_models_flow(PastasStoreBlock(uri="memory://"), workers=1)


# ---------------------------------------------------------------- failures and secrets
@pytest.mark.slow
def test_everything_failed_fails_the_run(prefect_api_url, shared_cluster, tmp_path):
    block = lmdb_block(tmp_path)
    data = data_with_a_failure(1)
    data.oseries.pop("syn_00001")
    state = calibrate_flow(block, data=data, cluster_address=shared_cluster, return_state=True)
    assert state.is_failed()
    assert "all 1 failed" in state.message and "late" in state.message
    # a runner chosen by the caller is used as it is (the workers parameter is ignored)
    runner = PastasDaskTaskRunner(cluster_address=shared_cluster)
    with pytest.raises(AllFailedError) as info:
        solve_models_flow.with_options(task_runner=runner)(block, workers=7)
    assert info.value.summary["failures"][0]["name"] == "late"
    assert info.value.summary["workers"] == 2


@pytest.mark.slow
def test_password_never_logged(prefect_api_url, shared_cluster, mongo_login, caplog, capfd):
    from prefect.logging.handlers import APILogWorker

    uri, user = mongo_login
    name = unique("flows-secret")
    block = PastasStoreBlock(
        uri=uri, username=user, password=PASSWORD, connector_name=unique("s").replace("-", "_")
    )
    block.save(name)
    caplog.set_level("DEBUG")
    first = calibrate_flow(name, data=data_with_a_failure(2), cluster_address=shared_cluster)
    second = solve_models_flow(block, cluster_address=shared_cluster)
    assert first["solved"] == 2 and second["solved"] == 3 - 1  # `late` fails again
    assert f"{user}:***@" in first["store"]
    APILogWorker.drain_all(timeout=30)
    time.sleep(3)  # logs of the worker processes arrive on their own
    run_ids = [first["flow_run_id"], second["flow_run_id"]]
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids)))
        runs = [client.read_flow_run(run_id) for run_id in run_ids]
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=run_ids))
        )
    text = "\n".join(log.message for log in logs)
    assert f"store mongodb://{user}:***@" in text
    assert any("solving" in log.message for log in logs)  # the logs did arrive
    text += json.dumps([r.parameters for r in runs], default=str)
    text += json.dumps([a.data for a in artifacts], default=str)
    text += json.dumps([first, second], default=str) + caplog.text
    captured = capfd.readouterr()
    text += captured.out + captured.err
    from urllib.parse import quote

    assert PASSWORD not in text and quote(PASSWORD, safe="") not in text
