"""A warm Dask cluster that outlives commands: ``pastas-projects cluster start|stop|status``.

A flow run on a local cluster of its own first starts it: worker processes that
import pastas, Prefect and ArcticDB, then the run's first tasks on cold workers. For
the tens to a few hundred models a user calibrates at a time, that fixed cost is a
large part of the wait. A *warm* cluster is started once, in the background, beside
the Prefect server (its state lives in the same home folder), and every later flow
run on this machine that talks to the same Prefect API uses it: the flows look for
it when they are given no ``cluster_address``.

>>> from pastas_projects.flows.warm_cluster import find_warm_cluster, start_cluster
>>> cluster = start_cluster(workers=2)  # doctest: +SKIP
>>> find_warm_cluster().address  # doctest: +SKIP
'tcp://127.0.0.1:40123'

The cluster runs in its own process group (``python -m
pastas_projects.flows.warm_cluster``), with the workers of
:func:`~pastas_projects.flows.cluster.local_cluster_kwargs`; ``<home>/cluster.json``
records its address, the Prefect API its workers report to, and its process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from pastas_projects.errors import PastasProjectsError
from pastas_projects.prefect_server.api import configured_api_url
from pastas_projects.prefect_server.server import default_home

STATE_FILE = "cluster.json"
LOG_FILE = "cluster.log"


class ClusterStartError(PastasProjectsError, RuntimeError):
    """The warm cluster could not be started (the message ends with its log)."""


@dataclass
class WarmCluster:
    """A running warm cluster, as recorded in its state file.

    Attributes
    ----------
    address : str
        Scheduler address, e.g. ``tcp://127.0.0.1:40123``.
    pid : int
        The process that runs the cluster (leader of its process group).
    home : str
        Folder of the state file and log.
    api_url : str
        The Prefect API the workers report to.
    workers, threads_per_worker : int
        Size of the cluster.
    create_time : float
        Start time of the process (tells it from a later process with the same pid).
    code : str
        Fingerprint of the pastas_projects code its workers imported
        (:func:`code_fingerprint`).

    """

    address: str
    pid: int
    home: str
    api_url: str
    workers: int
    threads_per_worker: int
    create_time: float
    code: str = ""

    def is_running(self) -> bool:
        """Whether the cluster's process is alive."""
        try:
            process = psutil.Process(self.pid)
            same = abs(process.create_time() - self.create_time) < 1
            return same and process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def healthy(self, timeout: float = 2.0) -> bool:
        """Whether the scheduler accepts connections."""
        host, _, port = self.address.removeprefix("tcp://").rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return True
        except (OSError, ValueError):
            return False

    def stop(self, timeout: float = 30.0) -> None:
        """Close the cluster (its workers finish their current task first)."""
        if self.is_running():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.is_running() and time.monotonic() < deadline:
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)  # whatever is left of the group
        state = Path(self.home) / STATE_FILE
        with contextlib.suppress(OSError):
            if json.loads(state.read_text()).get("pid") == self.pid:
                state.unlink()


def code_fingerprint() -> str:
    """A fingerprint of the installed pastas_projects code: its version, files and times.

    Workers import the code once, when they start. A flow run whose code has changed
    since (an upgrade, or an edit of an editable install) must not send its tasks to
    them: the tasks would meet the old code.
    """
    import hashlib
    from importlib.metadata import version

    root = Path(__file__).resolve().parents[1]  # the pastas_projects package
    digest = hashlib.blake2b(version("pastas_projects").encode(), digest_size=8)
    for path in sorted(root.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def cluster_status(home: Path | str | None = None) -> WarmCluster | None:
    """The warm cluster recorded in ``<home>/cluster.json`` if its process is alive.

    Parameters
    ----------
    home : path, optional
        The home folder (default that of the Prefect server: ``./.prefect`` or
        ``$PASTAS_PROJECTS_PREFECT_HOME``).

    Returns
    -------
    WarmCluster or None
        A stale state file (its process is gone) is removed.

    """
    path = default_home(home) / STATE_FILE
    try:
        cluster = WarmCluster(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not cluster.is_running():
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return cluster


def find_warm_cluster(
    api_url: str | None = None, home: Path | str | None = None
) -> WarmCluster | None:
    """The warm cluster to use: running, answering, reporting to ``api_url``, same code.

    Parameters
    ----------
    api_url : str, optional
        The Prefect API of this process (default :func:`configured_api_url`). A
        cluster whose workers report to another API is not used: its task runs
        would not show in this one.
    home : path, optional
        See :func:`cluster_status`.

    Warns
    -----
    RuntimeWarning
        When a cluster runs with other pastas_projects code than this process has:
        it is not used (restart it with ``pastas-projects cluster stop`` and ``start``).

    """
    api_url = api_url or configured_api_url()
    cluster = cluster_status(home)
    if cluster is None or not api_url or cluster.api_url.rstrip("/") != api_url.rstrip("/"):
        return None
    if cluster.code != code_fingerprint():
        warnings.warn(
            f"the warm cluster at {cluster.address} runs other pastas_projects code than "
            "this process (upgraded or edited since it started); not using it. Restart it: "
            "pastas-projects cluster stop && pastas-projects cluster start",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return cluster if cluster.healthy() else None


def start_cluster(
    workers: int = 2,
    threads_per_worker: int = 1,
    home: Path | str | None = None,
    timeout: float = 120.0,
) -> WarmCluster:
    """Start a warm cluster in the background; it runs until :meth:`WarmCluster.stop`.

    Parameters
    ----------
    workers, threads_per_worker : int
        Size of the cluster.
    home : path, optional
        Where its state file and log go (see :func:`cluster_status`).
    timeout : float
        Seconds to wait for the workers.

    Returns
    -------
    WarmCluster

    Raises
    ------
    ClusterStartError
        If no Prefect API is configured (the workers would each start a temporary
        server of their own), a warm cluster runs already for ``home``, or the
        cluster does not come up in time.

    """
    if workers < 1 or threads_per_worker < 1:
        raise ValueError("workers and threads_per_worker must be >= 1")
    api_url = configured_api_url()
    if not api_url:
        raise ClusterStartError(
            "no Prefect API: start a server first (`pastas-projects server start`) and "
            "export the PREFECT_API_URL it prints; the cluster's workers report to it"
        )
    home = default_home(home)
    home.mkdir(parents=True, exist_ok=True)
    running = cluster_status(home)
    if running is not None:
        raise ClusterStartError(
            f"a warm cluster for {home} runs already at {running.address} (pid {running.pid})"
        )
    command = [sys.executable, "-m", "pastas_projects.flows.warm_cluster"]
    command += ["--workers", str(workers), "--threads-per-worker", str(threads_per_worker)]
    command += ["--home", str(home)]
    env = os.environ | {"PREFECT_API_URL": api_url}
    with open(home / LOG_FILE, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=home,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster = cluster_status(home)
        if cluster is not None and cluster.pid == process.pid:
            return cluster
        if process.poll() is not None:
            break
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    tail = (home / LOG_FILE).read_text(errors="replace").splitlines()[-30:]
    raise ClusterStartError(
        "the warm cluster did not start; end of its log:\n" + "\n".join(tail)
    ) from None


def stop_cluster(home: Path | str | None = None) -> bool:
    """Stop the warm cluster of ``home``; ``False`` if none was running."""
    cluster = cluster_status(home)
    if cluster is None:
        return False
    cluster.stop()
    return True


def _run(workers: int, threads_per_worker: int, home: Path) -> None:
    """The cluster process: start the cluster, record it, wait for SIGTERM, close it."""
    import dask.config
    from distributed import LocalCluster

    from pastas_projects.flows.cluster import local_cluster_kwargs, local_scheduler_config

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    with dask.config.set(local_scheduler_config()):
        cluster = LocalCluster(**local_cluster_kwargs(workers, threads_per_worker))
    try:
        cluster.wait_for_workers(workers, timeout=120)
        state = WarmCluster(
            address=cluster.scheduler_address,
            pid=os.getpid(),
            home=str(home),
            api_url=os.environ["PREFECT_API_URL"],
            workers=workers,
            threads_per_worker=threads_per_worker,
            create_time=psutil.Process().create_time(),
            code=code_fingerprint(),
        )
        tmp = home / f".{STATE_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(asdict(state), indent=2))
        os.replace(tmp, home / STATE_FILE)
        print(f"warm cluster at {state.address} ({workers} x {threads_per_worker})", flush=True)
        while not stopping.wait(1.0):
            pass
    finally:
        cluster.close(timeout=20)


def main(argv: list[str] | None = None) -> None:
    """Run a warm cluster in the foreground (what :func:`start_cluster` starts)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads-per-worker", type=int, default=1)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args(argv)
    _run(args.workers, args.threads_per_worker, default_home(args.home))


if __name__ == "__main__":
    main()
