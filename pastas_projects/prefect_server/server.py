"""Start, find, ensure and stop a local Prefect server on loopback.

Where the server keeps its state
--------------------------------
Each server has a *home* folder: by default ``./.prefect`` in the current working
directory (or ``$PASTAS_PROJECTS_PREFECT_HOME`` when set). The server process gets
``PREFECT_HOME=<home>``, so its SQLite database (``<home>/prefect.db``: flow runs,
blocks, deployments, schedules) persists across runs. The folder also holds
``server.log`` (output of the last start) and ``server.json`` (PID and URL of the
running server), which lets ``server stop`` / ``server status`` in another command
find a server started by ``server start``. The calling process keeps its own
``PREFECT_HOME`` and profile.

Prefect caches its settings when it is imported;
:func:`pastas_projects.prefect_server.api.set_api_url` updates both the environment
(inherited by Dask workers started afterwards) and Prefect's cached settings of this
process.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from pastas_projects.errors import PastasProjectsError
from pastas_projects.prefect_server.api import (
    configured_api_url,
    drain_prefect_workers,
    set_api_url,
)
from pastas_projects.prefect_server.local import (
    HOST,
    LOG_FILE,
    STATE_FILE,
    LocalServer,
    read_state,
    write_state,
)

HOME_ENV = "PASTAS_PROJECTS_PREFECT_HOME"
"""Environment variable with the default server home (else ``./.prefect``)."""
LOCK_FILE = "server.lock"


class ServerStartError(PastasProjectsError, RuntimeError):
    """The Prefect server exited or did not answer ``/health`` in time."""


def default_home(home: Path | str | None = None) -> Path:
    """Absolute server home: ``home``, else ``$PASTAS_PROJECTS_PREFECT_HOME`` or ``./.prefect``."""
    home = home if home is not None else os.environ.get(HOME_ENV) or Path.cwd() / ".prefect"
    return Path(home).expanduser().resolve()


def free_port(host: str = HOST) -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join(text[-lines:]) or "(server log is empty)"


@contextlib.contextmanager
def _home_lock(home: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``home`` (POSIX), so two starts do not race."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(home / LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def server_status(home: Path | str | None = None) -> LocalServer | None:
    """Return the server recorded in ``<home>/server.json`` if its process is alive.

    Parameters
    ----------
    home : path, optional
        Server home; :func:`default_home` when ``None``.

    Returns
    -------
    LocalServer or None
        The running server (check :meth:`LocalServer.healthy`), or ``None``; a stale
        state file is removed.

    """
    home = default_home(home)
    state = read_state(home)
    if state is None:
        return None
    server = LocalServer(int(state["port"]), state["pid"], home, state.get("create_time"))
    if not server.is_running():
        with contextlib.suppress(OSError):
            (home / STATE_FILE).unlink()
        return None
    return server


def stop_server(home: Path | str | None = None, timeout: float = 10.0) -> bool:
    """Stop the server recorded in ``<home>/server.json``.

    Returns
    -------
    bool
        ``True`` if a running server was stopped, ``False`` if none was running.

    """
    server = server_status(home)
    if server is None:
        return False
    server.stop(timeout)
    return True


def start_server(
    port: int | None = None, home: Path | str | None = None, timeout: float = 60
) -> LocalServer:
    """Start ``prefect server start`` on ``127.0.0.1`` in its own process group.

    The server survives the calling process (for a CLI ``server start``); stop it
    with :meth:`LocalServer.stop`, :func:`stop_server` or a ``with`` block.

    Parameters
    ----------
    port : int, optional
        Port to listen on; a free port when ``None``.
    home : path, optional
        ``PREFECT_HOME`` of the server: its SQLite database, log and state file live
        here and persist across runs. :func:`default_home` (``./.prefect``) when ``None``.
    timeout : float
        Seconds to wait for ``GET /health`` (a new database is migrated first).

    Returns
    -------
    LocalServer
        The healthy server.

    Raises
    ------
    ServerStartError
        If a server already runs for ``home``, or the new one exits or does not
        answer in time (with the tail of ``<home>/server.log``).

    """
    home = default_home(home)
    home.mkdir(parents=True, exist_ok=True)
    with _home_lock(home):
        running = server_status(home)
        if running is not None:
            raise ServerStartError(
                f"a Prefect server for {home} already runs at {running.api_url} "
                f"(pid {running.pid}); stop it first or use that one"
            )
        port = free_port() if port is None else int(port)
        try:  # else /health might be answered by whoever holds the port
            socket.create_server((HOST, port)).close()
        except OSError as exc:
            raise ServerStartError(f"port {port} on {HOST} is not free: {exc}") from None
        env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_PROFILE",)}
        env.update(
            PREFECT_HOME=str(home),
            PREFECT_API_URL=f"http://{HOST}:{port}/api",  # also what the UI talks to
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
        )
        cmd = [sys.executable, "-m", "prefect", "server", "start"]
        cmd += ["--host", HOST, "--port", str(port), "--analytics-off", "--no-prompt"]
        kwargs: dict = {"stdin": subprocess.DEVNULL, "stderr": subprocess.STDOUT, "cwd": home}
        if os.name == "posix":
            kwargs["start_new_session"] = True
        else:  # pragma: no cover - Windows
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        log_path = home / LOG_FILE
        started, created = time.monotonic(), None
        with open(log_path, "wb") as log:
            process = subprocess.Popen(cmd, stdout=log, env=env, **kwargs)
        with contextlib.suppress(psutil.Error):
            created = psutil.Process(process.pid).create_time()
        server = LocalServer(port, process.pid, home, created, process)
        deadline = started + timeout
        while not server.healthy(timeout=1.0):
            if process.poll() is not None:
                raise ServerStartError(
                    f"the Prefect server on port {port} exited with code {process.returncode}"
                    f" during start-up; end of {log_path}:\n{_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                server.stop()
                raise ServerStartError(
                    f"the Prefect server on port {port} did not answer {server.api_url}/health"
                    f" within {timeout:.0f} s; end of {log_path}:\n{_tail(log_path)}"
                )
            time.sleep(0.2)
        server.startup_seconds = time.monotonic() - started
        write_state(server)
        return server


@contextlib.contextmanager
def ensure_server(
    port: int | None = None, home: Path | str | None = None, timeout: float = 60
) -> Iterator[str]:
    """Make sure a Prefect server is available for the duration of the block.

    1. If ``PREFECT_API_URL`` is set in the environment or the active profile, use
       it and start nothing.
    2. Else, if ``<home>/server.json`` names a healthy server (e.g. one started by
       the CLI ``server start``), use that one and leave it running afterwards.
    3. Else start a server with :func:`start_server` and stop it on exit.

    In cases 2 and 3 ``PREFECT_API_URL`` is set in :data:`os.environ` and in
    Prefect's settings (see :func:`~pastas_projects.prefect_server.api.set_api_url`) until
    the block ends, so start the Dask cluster inside the block.

    Parameters
    ----------
    port, home, timeout
        Passed to :func:`start_server`.

    Yields
    ------
    str
        The API URL.

    """
    url = configured_api_url()
    if url:
        from prefect.settings import get_current_settings

        if get_current_settings().api.url != url:  # env changed after prefect was imported
            set_api_url(url)
        yield url
        return
    started = None
    running = server_status(home)
    if running is not None and running.healthy():
        url = running.api_url
    else:
        started = start_server(port=port, home=home, timeout=timeout)
        url = started.api_url
    from prefect.context import SettingsContext
    from prefect.settings import PREFECT_API_URL, temporary_settings

    previous = os.environ.get("PREFECT_API_URL")
    try:
        set_api_url(url)
        # a settings context active here (e.g. temporary_settings) hides the global one
        local = SettingsContext.__var__.get(None) is not None
        with temporary_settings({PREFECT_API_URL: url}) if local else contextlib.nullcontext():
            try:
                yield url
            finally:
                drain_prefect_workers()
    finally:
        set_api_url(previous)
        if started is not None:
            started.stop()
