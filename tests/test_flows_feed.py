"""The flows with definitions, new observations, warm starts, retention and apply.

Real Prefect server, the shared Dask cluster and an LMDB store, as users run them;
one test runs the nightly ``calibrate`` deployment from the server with a definition
given as YAML text, as the UI's run form sends it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from flow_helpers import lmdb_block, unique

from pastas_projects.blocks import clear_connector_cache
from pastas_projects.datasets import SeriesCollection, synthetic
from pastas_projects.errors import NotPicklableError
from pastas_projects.flows import (
    AllFailedError,
    apply_flow,
    build_models_flow,
    calibrate_flow,
    ingest_flow,
)

ROOT = Path(__file__).resolve().parents[1]

DEFINITION = """
templates:
  plain:
    stressmodels:
      recharge: {prec: nearest prec, evap: nearest evap}
  noise:
    name: "{oseries}_noise"
    noise: true
    stressmodels:
      recharge: {prec: nearest prec, evap: nearest evap}
"""


@pytest.fixture(scope="module", autouse=True)
def close_connectors():
    yield
    clear_connector_cache(close=True)


def split_data(n: int, days: int = 60) -> tuple[SeriesCollection, SeriesCollection, list[str]]:
    """Heads without their last ``days`` days, and those days for every second head."""
    data = synthetic(n, 11)
    first = SeriesCollection.of(data)
    newest = {}
    for i, (name, head) in enumerate(sorted(data.oseries.items())):
        cut = head.index[-1] - pd.Timedelta(days=days)
        first.oseries[name] = head[head.index <= cut]
        if i % 2 == 0:
            newest[name] = head[head.index > cut]
    return first, SeriesCollection(oseries=newest), sorted(newest)


@pytest.mark.slow
def test_nightly_definition_update_warm_start_retention(prefect_api_url, shared_cluster, tmp_path):
    block = lmdb_block(tmp_path)
    first, newest, updated = split_data(4)
    common = {"cluster_address": shared_cluster}
    summary = calibrate_flow(block, data=first, definition=DEFINITION, **common)
    assert summary["built"] == 8 and summary["solved"] == 8 and summary["failed"] == 0
    db = block.get_project().db
    assert sorted(db.model_names) == sorted(
        [*first.oseries, *(f"{o}_noise" for o in first.oseries)]
    )
    before = db.get_model_info()

    # the newest rows only: appended, and exactly their models re-solved, warm
    ingested = ingest_flow(block, data=newest, update=True, **common)
    assert ingested["changed"] == len(updated) and ingested["failed"] == 0
    night = calibrate_flow(block, keep_versions=1, keep_days=0, **common)
    expected = sorted([*updated, *(f"{o}_noise" for o in updated)])
    assert night["solved_names"] == expected and night["built"] == 0
    assert night["up_to_date"] == 8 - len(expected) and night["warm_start"] is True
    info = db.get_model_info()
    others = [m for m in db.model_names if m not in expected]
    assert (info.loc[others, "solved_at"] == before.loc[others, "solved_at"]).all()
    records = db.model_records(expected)
    assert all(r["solve_info"]["warm_start"] for r in records.values())
    for name in updated:
        ml = db.get_models(name)
        assert ml.observations().index[-1] == newest.oseries[name].index[-1]
    # retention: one version of everything is left
    assert night["pruned"]["models"] >= len(expected) and night["pruned"]["oseries"] >= 1
    assert all(len(db.list_versions("models", m)) == 1 for m in db.model_names)

    # a changed value under a stored timestamp fails that series alone, store unchanged
    name = updated[0]
    changed = newest.oseries[name].iloc[-2:] + 1.0
    stored = db.get_oseries(name)
    with pytest.raises(AllFailedError) as info:  # its only series failed
        ingest_flow(block, data=SeriesCollection(oseries={name: changed}), update=True, **common)
    bad = info.value.summary
    assert bad["failed"] == 1 and str(changed.index[0]) in bad["failures"][0]["error"]
    pd.testing.assert_series_equal(db.get_oseries(name), stored)


@pytest.mark.slow
def test_build_models_flow_with_a_definition(prefect_api_url, shared_cluster, tmp_path):
    block = lmdb_block(tmp_path)
    data = SeriesCollection.of(synthetic(3, 2))
    ingest_flow(block, data=data, cluster_address=shared_cluster)
    wells = {
        "models": {
            "two": {"oseries": "syn_00001", "stressmodels": {"w": {"stress": "nearest 2 prec"}}}
        }
    }
    with pytest.raises(Exception, match="names 2 stresses"):  # checked before any work
        build_models_flow(block, definition=wells, cluster_address=shared_cluster)
    as_dict = {"templates": {"t": {"match": "syn_0000[12]", "stressmodels": {"recharge": {}}}}}
    summary = build_models_flow(block, definition=as_dict, cluster_address=shared_cluster)
    assert summary["built"] == 2 and summary["failed"] == 0
    db = block.get_project().db
    assert db.model_names == ["syn_00001", "syn_00002"]
    assert db.model_records("syn_00001")["syn_00001"]["definition"]["template"] == "t"


def evp(ml):
    if ml.name == "syn_00002":
        raise ValueError("skip this one")
    return ml.stats.evp()


@pytest.mark.slow
def test_apply_flow(prefect_api_url, shared_cluster, tmp_path):
    block = lmdb_block(tmp_path)
    calibrate_flow(block, data=SeriesCollection.of(synthetic(3, 4)), cluster_address=shared_cluster)
    table = apply_flow(evp, block, cluster_address=shared_cluster)
    assert list(table.index) == ["syn_00001", "syn_00002", "syn_00003"]
    assert table.loc["syn_00002", "error"] == "ValueError: skip this one"
    stats = block.get_project().get_statistics("evp")["evp"]
    assert table.loc["syn_00001", "evp"] == pytest.approx(stats["syn_00001"])
    means = apply_flow(lambda s: s.mean(), block, library="oseries", cluster_address=shared_cluster)
    assert means.shape == (3, 1)
    import threading

    lock = threading.Lock()
    with pytest.raises(NotPicklableError, match="cannot be pickled"):
        apply_flow(lambda ml: lock.locked(), block, cluster_address=shared_cluster)


@pytest.mark.slow
def test_nightly_deployment_runs_with_a_yaml_definition(prefect_api_url, shared_cluster, tmp_path):
    """The UI's run form sends the definition as text; the deployment builds and solves it."""
    from prefect.client.orchestration import get_client

    from pastas_projects.flows.deployments import runner_deployments

    block = lmdb_block(tmp_path)
    ingest_flow(block, data=SeriesCollection.of(synthetic(2, 6)), cluster_address=shared_cluster)
    block_name = unique("store")
    block.save(block_name, overwrite=True)
    (nightly,) = [d for d in runner_deployments(block_name) if d.name == "calibrate"]
    nightly.name = unique("calibrate")
    deployment_id = nightly.apply()
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(
            deployment_id,
            parameters={"definition": DEFINITION, "cluster_address": shared_cluster},
        )
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url}
    out = subprocess.run(
        [sys.executable, "-m", "prefect", "flow-run", "execute", str(run.id)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run.id).state
        assert state.is_completed(), state
        assert client.read_flow_run(run.id).parameters["keep_versions"] == 3
    db = block.get_project().db
    assert db.model_names == ["syn_00001", "syn_00001_noise", "syn_00002", "syn_00002_noise"]
    assert (db.models["status"] == "solved").all()
