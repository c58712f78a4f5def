"""One local Prefect server process: its URLs, liveness, health, stop and state file.

:mod:`pastas_projects.prefect_server.server` starts, finds and stops such servers; the
state file (``server.json`` in the server's home) is how a later command finds a
server an earlier one started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil

HOST = "127.0.0.1"
STATE_FILE = "server.json"
LOG_FILE = "server.log"

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def is_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether the Prefect API at ``api_url`` answers ``GET /health`` (ignoring proxies)."""
    try:
        with _NO_PROXY.open(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


class LocalServer:
    """A Prefect server process on loopback, leading its own process group.

    Parameters
    ----------
    port, pid : int
        Port the server listens on (host ``127.0.0.1``) and its process id.
    home : pathlib.Path
        The server's ``PREFECT_HOME`` (database, log and state file).
    create_time : float or None
        Start time of the process, to tell it from a later process with the same pid.
    process : subprocess.Popen or None
        The process handle, when this process started the server.

    """

    def __init__(
        self,
        port: int,
        pid: int,
        home: Path,
        create_time: float | None = None,
        process: subprocess.Popen | None = None,
    ) -> None:
        self.port, self.pid, self.home = port, pid, Path(home)
        self.create_time = create_time
        self.startup_seconds: float | None = None
        self._process = process

    @property
    def api_url(self) -> str:
        """URL of the API, the value for ``PREFECT_API_URL``."""
        return f"http://{HOST}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        """URL of the Prefect UI."""
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        """File with the server's output."""
        return self.home / LOG_FILE

    def is_running(self) -> bool:
        """Whether the server process is alive (not whether it answers)."""
        if self._process is not None:
            return self._process.poll() is None
        try:
            proc = psutil.Process(self.pid)
            reused = self.create_time is not None and abs(proc.create_time() - self.create_time) > 1
            return not reused and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def healthy(self, timeout: float = 2.0) -> bool:
        """Whether the server answers ``GET /health``."""
        return is_healthy(self.api_url, timeout)

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError, psutil.Error):
            if os.name == "posix":
                os.killpg(self.pid, sig)
            else:  # pragma: no cover - Windows has no process groups to signal
                proc = psutil.Process(self.pid)
                for child in [*proc.children(recursive=True), proc]:
                    child.send_signal(sig)

    def _wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.is_running():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: SIGTERM to its process group, SIGKILL after ``timeout`` s.

        Idempotent; also removes the state file when it describes this server.
        """
        if self.is_running():  # never signal a group whose leader is long gone
            self._signal_group(signal.SIGTERM)
            if not self._wait(timeout):
                self._signal_group(signal.SIGKILL)
                self._wait(timeout)
            self._signal_group(signal.SIGKILL)  # children left behind in the group
        state = read_state(self.home)
        if state is not None and state.get("pid") == self.pid:
            with contextlib.suppress(OSError):
                (self.home / STATE_FILE).unlink()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalServer(api_url={self.api_url!r}, pid={self.pid}, home={str(self.home)!r})"


def read_state(home: Path) -> dict | None:
    """The state file of the server in ``home``, or None if missing or unreadable."""
    try:
        state = json.loads((home / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("pid"), int) else None


def write_state(server: LocalServer) -> None:
    """Write the state file of ``server`` atomically (pid, port, URLs, log, start)."""
    state = {"pid": server.pid, "port": server.port, "api_url": server.api_url}
    state |= {"ui_url": server.ui_url, "home": str(server.home), "log": str(server.log_path)}
    state |= {"create_time": server.create_time, "started": time.strftime("%FT%T%z")}
    tmp = server.home / f".{STATE_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, server.home / STATE_FILE)
