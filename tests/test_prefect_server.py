"""Start, find, reuse and stop real Prefect servers (no mocks)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_LOGGING_LEVEL, get_current_settings, temporary_settings

from pastas_projects.prefect_server import (
    ServerStartError,
    configured_api_url,
    ensure_server,
    is_healthy,
    server_status,
    set_api_url,
    start_server,
    stop_server,
)
from pastas_projects.prefect_server.local import STATE_FILE

ROOT = Path(__file__).resolve().parents[1]


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def no_api_url(monkeypatch):
    """No PREFECT_API_URL for this test; Prefect's cached settings follow the env."""
    before = os.environ.get("PREFECT_API_URL")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    set_api_url(None)
    if configured_api_url():
        pytest.skip("the active Prefect profile sets PREFECT_API_URL")
    yield
    set_api_url(before)


@pytest.fixture(scope="module")
def server_home(tmp_path_factory):
    """One server home for this module: only the first start migrates a new database."""
    return tmp_path_factory.mktemp("server_home")


@flow(name="ping-flow")
def ping_flow() -> str:
    return "pong"


@pytest.mark.soak
def test_server_started_by_one_process_is_found_and_stopped_by_another(server_home, no_api_url):
    home = server_home
    # like a CLI `server start`: the starting process exits, the server stays
    code = (
        "import json, sys; from pastas_projects.prefect_server import start_server\n"
        "s = start_server(home=sys.argv[1])\n"
        "print(json.dumps({'pid': s.pid, 'url': s.api_url, 'secs': s.startup_seconds}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(home)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    started = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"server started in {started['secs']:.1f} s")  # shown with -s
    try:
        assert is_healthy(started["url"])
        assert started["url"].startswith("http://127.0.0.1:") and started["url"].endswith("/api")
        state = json.loads((home / STATE_FILE).read_text())
        assert state["pid"] == started["pid"] and state["api_url"] == started["url"]
        assert (home / "prefect.db").exists()  # the database lives in the home folder

        status = server_status(home)
        assert status is not None and status.pid == started["pid"]
        assert status.api_url == started["url"] and status.healthy()
        assert status.ui_url == started["url"].removesuffix("/api")
        assert os.getpgid(status.pid) == status.pid  # its own process group

        with pytest.raises(ServerStartError, match="already runs"):
            start_server(home=home)

        # ensure_server reuses the recorded server and leaves it running
        with ensure_server(home=home) as url:
            assert url == started["url"]
            assert os.environ["PREFECT_API_URL"] == url
            assert get_current_settings().api.url == url
        assert "PREFECT_API_URL" not in os.environ
        assert get_current_settings().api.url is None
        assert server_status(home) is not None
    finally:
        stopped = stop_server(home)
    assert stopped
    assert _gone(started["pid"])
    assert not is_healthy(started["url"], timeout=1)
    assert server_status(home) is None and not (home / STATE_FILE).exists()
    assert stop_server(home) is False


def test_ensure_server_starts_and_stops_a_server_and_flows_use_it(server_home, no_api_url):
    home = server_home
    with temporary_settings({PREFECT_LOGGING_LEVEL: "INFO"}):  # an active settings context
        with ensure_server(home=home) as url:
            status = server_status(home)
            assert status is not None and status.api_url == url
            pid = status.pid
            assert os.environ["PREFECT_API_URL"] == url
            assert get_current_settings().api.url == url
            state = ping_flow(return_state=True)
            assert state.result() == "pong"
            with get_client(sync_client=True) as client:
                assert str(client.api_url).rstrip("/") == url
                run = client.read_flow_run(state.state_details.flow_run_id)
            assert run.state.is_completed()
        assert get_current_settings().api.url is None
    assert "PREFECT_API_URL" not in os.environ
    assert _gone(pid)
    assert server_status(home) is None
    assert (home / "prefect.db").exists()  # kept for the next run


def test_ensure_server_reuses_an_existing_url(prefect_api_url, tmp_path):
    home = tmp_path / "home"
    with ensure_server(home=home) as url:
        assert url == prefect_api_url
        assert is_healthy(url)
    assert not home.exists()  # nothing was started
    assert os.environ["PREFECT_API_URL"] == prefect_api_url
    assert get_current_settings().api.url == prefect_api_url


def test_ensure_server_does_not_start_anything_when_url_is_set(monkeypatch, tmp_path):
    before = os.environ.get("PREFECT_API_URL")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    try:
        with ensure_server(home=tmp_path / "home") as url:
            assert url == "http://127.0.0.1:9/api"
            assert get_current_settings().api.url == url  # cached settings refreshed
        assert not (tmp_path / "home").exists()
    finally:
        monkeypatch.undo()
        set_api_url(before)


def test_start_refuses_a_busy_port(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
        with pytest.raises(ServerStartError, match=f"port {port}"):
            start_server(port=port, home=tmp_path)
    assert server_status(tmp_path) is None


def test_start_reports_the_log_tail_when_the_server_dies(tmp_path, monkeypatch):
    # a database in a folder that does not exist: the server exits during start-up
    bad = f"sqlite+aiosqlite:///{tmp_path}/missing/dir/prefect.db"
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", bad)
    with pytest.raises(ServerStartError, match="exited with code") as info:
        start_server(home=tmp_path, timeout=60)
    assert "server.log" in str(info.value)
    assert len(str(info.value).splitlines()) > 2  # the tail of the log is included
    assert server_status(tmp_path) is None


def test_start_times_out_and_kills_the_server(tmp_path):
    with pytest.raises(ServerStartError, match="did not answer") as info:
        start_server(home=tmp_path, timeout=0.5)
    assert "server.log" in str(info.value)
    assert server_status(tmp_path) is None
    stray = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if str(tmp_path) in " ".join(p.info["cmdline"] or []) or _server_home(p) == tmp_path
    ]
    assert stray == []


def _server_home(proc: psutil.Process) -> Path | None:
    try:
        home = proc.environ().get("PREFECT_HOME")
    except psutil.Error:
        return None
    return Path(home) if home else None
