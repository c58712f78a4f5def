"""Flows on Dask clusters that are not the tuned shared one: a worker killed mid-run
(the flow's own local cluster) and an existing cluster started with the dask CLI.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from uuid import UUID

import psutil
import pytest
from flow_helpers import data_with_a_failure, lmdb_block, model_info

from pastas_projects.datasets import synthetic
from pastas_projects.flows import (
    SeriesCollection,
    build_models_flow,
    calibrate_flow,
    ingest_flow,
    solve_models_flow,
)


def _dask_workers(exclude: set[int]) -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.pid not in exclude and "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    return found


@pytest.mark.slow
@pytest.mark.soak
def test_worker_killed_mid_run(prefect_api_url, shared_cluster, tmp_path):
    """SIGKILL a worker while batches run: the run finishes, every model solved once."""
    block = lmdb_block(tmp_path)
    n = 16
    ingest_flow(block, data=SeriesCollection.of(synthetic(n, 5)), cluster_address=shared_cluster)
    build_models_flow(block, cluster_address=shared_cluster)
    db = block.get_project().db
    before = set(p.pid for p in _dask_workers(set()))  # the shared cluster's workers
    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not killed:
            infos = db.conn._read_metadata("models", db.model_names)
            solved = sum(i.get("status") == "solved" for i in infos.values())
            workers = _dask_workers(before)
            if solved >= 2 and workers:
                victim = workers[0]
                os.kill(victim.pid, signal.SIGKILL)
                killed.append(victim.pid)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker, daemon=True)
    killer.start()
    summary = solve_models_flow(block, workers=2, batch_size=2)
    killer.join(timeout=5)
    assert killed, "no worker was killed (the run ended too soon?)"
    names = sorted(synthetic(n, 5).oseries)
    assert summary["solved"] == n and summary["failed"] == 0
    assert sorted(summary["solved_names"]) == names
    info = model_info(block)
    assert (info["status"] == "solved").all() and sorted(info.index) == names
    # exactly one solve per model: the built version plus one solved version
    versions = {m: len(db.list_versions("models", m)) for m in names}
    assert set(versions.values()) == {2}, versions


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_existing_dask_cluster(prefect_api_url, tmp_path):
    """``cluster_address``: a scheduler and one worker started with the dask CLI.

    The worker preloads ``pastas_projects.tasks.worker_setup``, as the README says.
    """
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url}
    bindir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port)]
        + ["--no-dashboard"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [str(bindir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1"]
        + ["--host", "127.0.0.1", "--no-dashboard"]
        + ["--preload", "pastas_projects.tasks.worker_setup"],  # as the README suggests
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=120)
        block = lmdb_block(tmp_path)
        summary = calibrate_flow(block, data=data_with_a_failure(4), cluster_address=address)
        assert summary["cluster_seconds"] < 5 and summary["workers"] == 1
        assert summary["solved"] == 4 and [f["name"] for f in summary["failures"]] == ["late"]
        with Client(address, timeout="60s") as client:
            assert len(client.scheduler_info(n_workers=-1)["workers"]) == 1  # left running
            assert all(n > 100_000 for n in client.run(gc.get_freeze_count).values())
    finally:
        for proc in (worker, scheduler):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.mark.slow
def test_warm_cluster_is_used_by_commands_and_stopped(prefect_api_url, tmp_path, monkeypatch):
    """``cluster start``: later flow runs for the same Prefect API run on it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from typer.testing import CliRunner

    from pastas_projects.cli import app
    from pastas_projects.flows._pictures import REPORTS_DIR_ENV
    from pastas_projects.flows.warm_cluster import cluster_status, find_warm_cluster
    from pastas_projects.tasks.report import is_pending

    monkeypatch.setenv("PASTAS_PROJECTS_PREFECT_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    started = runner.invoke(app, ["cluster", "start", "--workers", "1"])
    assert started.exit_code == 0, started.output
    try:
        warm = find_warm_cluster()
        assert warm is not None and warm.api_url == prefect_api_url and warm.workers == 1
        status = runner.invoke(app, ["cluster", "status"])
        assert status.exit_code == 0 and warm.address in status.output
        block = lmdb_block(tmp_path)
        monkeypatch.setenv(REPORTS_DIR_ENV, str(tmp_path / "reports"))
        summary = calibrate_flow(block, data=data_with_a_failure(2), workers=2)
        assert summary["cluster"] == warm.address and summary["workers"] == 1
        assert summary["solved"] == 2
        # the run did not wait for its report: a worker writes it over the placeholder
        report = Path(summary["artifacts"]["report_path"])
        deadline = time.monotonic() + 120
        while is_pending(report) and time.monotonic() < deadline:
            time.sleep(0.5)
        page = report.read_text()
        assert "data:image/png;base64," in page and "could not be written" not in page
        # ... after the pictures, which it added to the ended run
        with get_client(sync_client=True) as client:
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(summary["flow_run_id"])])
                )
            )
        (pictures,) = [a for a in artifacts if a.key == summary["artifacts"]["pictures"]]
        assert "data:image/png;base64," in pictures.data
        assert "data:image/png;base64," in pictures.description  # shown in the Artifacts tab
        (worker,) = summary["accounting"]["solve"]["workers"].values()  # one warm worker
        assert worker["items"] == 3 and worker["busy_s"] > 0 and worker["cpu_s"] > 0
        again = runner.invoke(app, ["cluster", "start"])  # finds it, starts nothing
        assert again.exit_code == 0 and "runs already" in again.output
        # code changed since the workers started (an upgrade, an edit): not used
        state = tmp_path / "home" / "cluster.json"
        state.write_text(state.read_text().replace(warm.code, "0" * len(warm.code)))
        with pytest.warns(RuntimeWarning, match="other pastas_projects code"):
            assert find_warm_cluster() is None
    finally:
        stopped = runner.invoke(app, ["cluster", "stop"])
    assert stopped.exit_code == 0 and "Stopped" in stopped.output
    assert cluster_status() is None and not warm.is_running()
    status = runner.invoke(app, ["cluster", "status"])
    assert status.exit_code == 3 and "No warm cluster" in status.output
