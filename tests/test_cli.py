"""The ``pastas-projects`` command line, on real stores, a real Prefect server and Dask."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from typer.testing import CliRunner

import pastas_projects as pp
from pastas_projects.cli import app
from pastas_projects.datasets import data_path, load_examples
from pastas_projects.modelling import build_batch

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(data_path())
runner = CliRunner()


def invoke(*args: str, env: dict | None = None):
    """Run the CLI in this process; return the result (output = stdout + stderr)."""
    return runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)


def counts(uri: str) -> dict:
    result = invoke("status", "--store", uri, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def example_store(tmp_path) -> str:
    """An lmdb store with 3 real heads, their meteo, 3 models (1 solved, 1 failed)."""
    uri = f"lmdb://{tmp_path / 'store'}"
    pr = pp.PastasProject("t", pp.connect(uri, name="pastas_projects"))
    data = load_examples()
    heads = ["B32C0609001", "B58C0698001", "heby_head"]
    for name in {s for h in heads for s in data.meteo[h]}:
        pr.db.add_stress(data.stresses[name], name, metadata=data.stresses_metadata[name])
    for name in heads + ["nb18_head"]:
        pr.db.add_oseries(data.oseries[name], name, metadata=data.oseries_metadata[name])
    assert all(o.ok for o in build_batch(pr.db, heads))
    pr.solve_models("B58C0698001", progressbar=False)
    ml = pr.db.get_models("heby_head")
    pr.db.write_model(ml, *_inputs(pr, "heby_head"), error="ValueError: made to fail")
    return uri


def _inputs(pr, name):
    info = pr.db.model_records(name)[name]
    return info["inputs"], info.get("input_versions", {})


# ---------------------------------------------------------------------- status / ingest
def test_status_counts_series_and_models(example_store):
    assert counts(example_store) == {
        "oseries": 4,
        "stresses": 6,
        "stress_kinds": {"evap": 3, "prec": 3},
        "models": 3,
        "solved": 1,
        "outdated": 0,
        "failed": 1,
        "never_solved": 1,
        "to_solve": 2,
        "checks_pass": 0,
        "checks_fail": 1,
    }
    result = invoke("status", "--store", example_store)
    assert result.exit_code == 0
    table = dict(re.findall(r"^\s*(\S[\w ()-]*?)\s{2,}(\d+)", result.output, re.M))
    assert table["oseries"] == "4" and table["models"] == "3" and table["failed"] == "1"
    assert table["to solve (--only-changed)"] == "2"


def test_ingest_csv_files_then_status(tmp_path):
    uri = f"lmdb://{tmp_path / 'store'}"
    heads = tmp_path / "heads"
    heads.mkdir()
    for name in ("B32C0609001", "B58C0698001"):
        shutil.copy(DATA / f"{name}.csv", heads)
    meta = tmp_path / "meta.csv"
    meta.write_text("name,x,y,filter\nB32C0609001,150000,460000,1\nB58C0698001,165000,385000,\n")
    result = invoke("ingest", heads, "--store", uri, "--metadata-csv", meta)
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    result = invoke("ingest", DATA / "rain_260.csv", "--kind", "prec", "--store", uri)
    assert "1 added" in result.output
    invoke("ingest", DATA / "evap_260.csv", "--kind", "evap", "--store", uri)
    c = counts(uri)
    assert (c["oseries"], c["stresses"], c["stress_kinds"]) == (2, 2, {"evap": 1, "prec": 1})
    pr = pp.PastasProject("t", pp.connect(uri, name="pastas_projects"))
    assert pr.db.oseries.loc["B32C0609001", "x"] == 150000
    assert pr.db.stresses.loc["rain_260", "kind"] == "prec"
    # the same files again change nothing and keep the metadata
    result = invoke("ingest", heads, "--store", uri)
    assert "0 added, 0 updated, 2 unchanged" in result.output
    assert pr.db.oseries.loc["B58C0698001", "y"] == 385000


def test_ingest_reports_bad_files_and_missing_paths(tmp_path):
    uri = f"lmdb://{tmp_path / 'store'}"
    bad = tmp_path / "bad.csv"
    bad.write_text("garbage\n")
    result = invoke("ingest", bad, DATA / "B32C0609001.csv", "--store", uri)
    assert result.exit_code == 1
    assert "1 added" in result.output and "bad.csv" in result.output
    result = invoke("ingest", tmp_path / "nothere.csv", "--store", uri)
    assert result.exit_code == 1
    assert "Error: no such file or folder" in result.output and "nothere.csv" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://host/x", "unsupported scheme 'ftp'"),
        ("./pastas_data", "has no scheme"),
        ("lmdb://{tmp}/does-not-exist", "no store at"),
    ],
)
def test_bad_store_is_a_clear_error(uri, message, tmp_path):
    result = invoke("status", "--store", uri.format(tmp=tmp_path))
    assert result.exit_code == 1
    assert message in result.output and result.output.startswith("Error: ")
    assert "Traceback" not in result.output


def test_unreachable_mongodb_and_env_store(tmp_path):
    """The console script itself: a closed MongoDB port is exit 1 and one clear line."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = Path(sys.executable).with_name("pastas-projects")
    env = {**os.environ, "PASTAS_PROJECTS_STORE": f"mongodb://127.0.0.1:{port}/"}
    out = subprocess.run([exe, "status"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "cannot reach a MongoDB server" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


# ---------------------------------------------------------------------- server
def test_server_start_status_stop_round_trip(tmp_path, monkeypatch):
    from pastas_projects.prefect_server import free_port, is_healthy

    home = tmp_path / "home"
    port = free_port()
    result = invoke("server", "start", "--port", port, "--home", home)
    assert result.exit_code == 0, result.output
    url = f"http://127.0.0.1:{port}/api"
    assert f"export PREFECT_API_URL={url}" in result.output
    assert f"http://127.0.0.1:{port}" in result.output
    try:
        assert is_healthy(url)
        state = json.loads((home / "server.json").read_text())
        assert state["port"] == port
        result = invoke("server", "status", "--home", home)
        assert result.exit_code == 0 and "healthy" in result.output and url in result.output
        again = invoke("server", "start", "--home", home)  # finds it, starts nothing
        assert again.exit_code == 0 and "already runs" in again.output
    finally:
        result = invoke("server", "stop", "--home", home)
    assert result.exit_code == 0 and "Stopped" in result.output
    assert not is_healthy(url)
    result = invoke("server", "status", "--home", home)
    assert result.exit_code == 3 and "No Prefect server" in result.output


def test_block_command_never_prints_the_password(prefect_api_url):
    password = "s3cr3t-P@ss:w/rd"
    uri = f"mongodb://alice:{quote(password, safe='')}@db.example:27017/"
    result = invoke("block", "--store", uri, "--block-name", "alice-store")
    assert result.exit_code == 0, result.output
    assert "mongodb://alice:***@db.example:27017/" in result.output
    assert password not in result.output and quote(password, safe="") not in result.output
    srv = invoke(
        "block", "--store", "mongodb+srv://bob:pw@cluster0.example.net/", "--block-name", "b"
    )
    assert srv.exit_code == 0 and "mongodb+srv://bob:***@cluster0.example.net/" in srv.output


def test_mongodb_srv_is_a_store_uri_everywhere():
    from pastas_projects.blocks import PastasStoreBlock
    from pastas_projects.connectors.uri import check_uri, mask_uri

    uri = "mongodb+srv://me:pw@cluster0.example.net/"
    assert check_uri(uri) == uri and mask_uri(uri) == "mongodb+srv://me:***@cluster0.example.net/"
    block = PastasStoreBlock(uri=uri)
    assert block.uri == "mongodb+srv://cluster0.example.net/" and block.username == "me"
    assert block._full_uri() == uri
    result = invoke("status", "--store", "mongodb+srv://me:pw@nowhere.invalid/")
    assert result.exit_code == 1 and "unsupported scheme" not in result.output
    assert "pw" not in result.output.replace("pastas", "")


# ---------------------------------------------------------------------- flows
@pytest.mark.slow
def test_solve_only_changed_after_a_change(example_store, tmp_path, prefect_api_url):
    before = counts(example_store)
    assert (before["solved"], before["to_solve"]) == (1, 2)
    # new observations of the solved model's head, as a CSV, make it stale
    pr = pp.PastasProject("t", pp.connect(example_store, name="pastas_projects"))
    head = pr.db.get_oseries("B58C0698001")
    head.iloc[-1] += 0.05
    (tmp_path / "new").mkdir()
    head.to_csv(tmp_path / "new" / "B58C0698001.csv")
    result = invoke("ingest", tmp_path / "new", "--store", example_store)
    assert "1 updated" in result.output, result.output
    changed = counts(example_store)
    assert (changed["outdated"], changed["to_solve"]) == (1, 3)

    result = invoke("solve", "--store", example_store, "--only-changed", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "3 of 3 models ok, 0 failed" in result.output
    assert re.search(r"models selected\s+3", result.output)
    after = counts(example_store)
    assert (after["solved"], after["failed"], after["to_solve"]) == (3, 0, 0)
    solved_at = pr.db.get_model_info()["solved_at"]

    # nothing changed since: nothing is solved again
    result = invoke("solve", "--store", example_store, "--only-changed", "--filter", "B*")
    assert result.exit_code == 0, result.output
    assert re.search(r"models selected\s+2\s+2 up to date", result.output)
    assert (pr.db.get_model_info()["solved_at"] == solved_at).all()


def test_solve_unknown_model_is_a_clear_error(example_store):
    result = invoke("solve", "--store", example_store, "--models", "nope,B32C0609001")
    assert result.exit_code == 1
    assert "Error: model(s) not in the store: nope" in result.output


@pytest.mark.slow
def test_demo_smoke(tmp_path, prefect_api_url):
    uri = f"lmdb://{tmp_path / 'demo'}"
    result = invoke("demo", "--store", uri, "--synthetic", "20", "--workers", "2")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "25 of 25 models ok, 0 failed" in out
    header = next(line for line in out.splitlines() if line.split()[:3] == ["status", "evp", "rsq"])
    assert header
    for name in load_examples().oseries:
        assert re.search(rf"^{name}\s+solved\s+-?\d+\.\d+", out, re.M), name
    assert re.search(r"throughput\s+\d+\.\d models/s", out)
    assert "Failures: none" in out
    assert prefect_api_url.removesuffix("/api") in out
    assert "already running and keeps running" in out
    assert counts(uri)["solved"] == 25


# ---------------------------------------------------------------------- deployments
def deployments_yaml() -> dict:
    return yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())


def test_prefect_yaml_names_both_deployments_and_their_flows_import():
    from prefect.flows import load_flow_from_entrypoint

    config = deployments_yaml()
    by_name = {d["name"]: d for d in config["deployments"]}
    assert set(by_name) == {"calibrate", "solve-models"}
    assert by_name["calibrate"]["entrypoint"] == "pastas_projects.flows.calibrate:calibrate_flow"
    assert by_name["solve-models"]["entrypoint"] == "pastas_projects.flows.solve:solve_models_flow"
    flows = {n: load_flow_from_entrypoint(d["entrypoint"]) for n, d in by_name.items()}
    assert flows["calibrate"].name == "calibrate" and flows["solve-models"].name == "solve-models"
    for name, deployment in by_name.items():
        accepted = set(flows[name].parameters.properties)
        assert set(deployment["parameters"]) <= accepted, name
        assert deployment["parameters"]["store"] == "pastas-store"
        assert deployment["work_pool"]["name"] == "pastas-pool"
    (schedule,) = by_name["calibrate"]["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == ("0 2 * * *", "Europe/Amsterdam")
    assert by_name["calibrate"]["parameters"]["only_changed"] is True
    assert not by_name["solve-models"].get("schedules")
    assert {"names", "pattern", "only_changed", "solver", "solve_options", "workers"} <= set(
        flows["solve-models"].parameters.properties
    )
    (pull,) = config["pull"]
    assert "prefect.deployments.steps.set_working_directory" in pull


def test_serve_and_prefect_yaml_define_the_same_deployments():
    """One definition (flows/deployments.py); deployments/prefect.yaml states the same."""
    from pastas_projects.flows.deployments import DEPLOYMENTS, runner_deployments

    by_name = {d["name"]: d for d in deployments_yaml()["deployments"]}
    assert list(by_name) == [spec.name for spec in DEPLOYMENTS]
    for spec in DEPLOYMENTS:
        entry = by_name[spec.name]
        assert entry["entrypoint"] == spec.entrypoint
        assert " ".join(entry["description"].split()) == spec.description
        assert entry["parameters"] == spec.parameters
        assert tuple(entry["tags"]) == spec.tags
        assert entry.get("concurrency_limit") == spec.concurrency_limit
        schedules = [(s["cron"], s["timezone"]) for s in entry.get("schedules") or []]
        assert schedules == ([(spec.cron, spec.timezone)] if spec.cron else [])
    served = {d.name: d for d in runner_deployments("my-store", workers=3)}
    assert list(served) == list(by_name)
    for spec in DEPLOYMENTS:
        deployment = served[spec.name]
        assert deployment.entrypoint == spec.entrypoint.replace(":", ".")  # module path
        assert deployment.parameters == spec.parameters | {"store": "my-store", "workers": 3}
        assert deployment.description == spec.description
        crons = [s.schedule.cron for s in deployment.schedules]
        assert crons == ([spec.cron] if spec.cron else [])


def test_prefect_deploy_creates_both_deployments(prefect_api_url):
    """`prefect deploy --all` with the yaml, against the session's server."""
    from prefect.client.orchestration import get_client

    env = {**os.environ, "PREFECT_API_URL": prefect_api_url}
    prefect = [sys.executable, "-m", "prefect"]
    subprocess.run(
        [*prefect, "work-pool", "create", "pastas-pool", "--type", "process", "--overwrite"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    out = subprocess.run(
        [*prefect, "--no-prompt", "deploy", "--prefect-file", "deployments/prefect.yaml", "--all"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    with get_client(sync_client=True) as client:
        calibrate = client.read_deployment_by_name("calibrate/calibrate")
        solve = client.read_deployment_by_name("solve-models/solve-models")
    assert calibrate.work_pool_name == solve.work_pool_name == "pastas-pool"
    assert calibrate.parameters["only_changed"] is True
    assert [s.schedule.cron for s in calibrate.schedules] == ["0 2 * * *"]
    assert solve.schedules == []
    assert solve.entrypoint == "pastas_projects.flows.solve:solve_models_flow"
    (step,) = solve.pull_steps
    assert step["prefect.deployments.steps.set_working_directory"]["directory"] == str(ROOT)
    assert "pattern" in solve.parameter_openapi_schema["properties"]
