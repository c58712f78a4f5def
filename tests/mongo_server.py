"""Start a throw-away MongoDB-compatible server (SecantusDB) for tests.

The server runs in a separate process: ArcticDB deadlocks when the MongoDB server
runs inside the process that uses it. Set ``MONGO_URI`` to use a real server instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ping(uri: str, timeout_ms: int = 500) -> bool:
    import pymongo
    from pymongo.errors import PyMongoError

    client = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


class MongoServer:
    """A running server: ``.uri`` to connect, ``.stop()`` (or ``with``) to end it."""

    def __init__(self, uri: str, process: subprocess.Popen | None = None, log: Path | None = None):
        self.uri = uri
        self.process = process
        self.log = log

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def stop(self) -> None:
        """Stop the server this helper started (terminate, then kill); idempotent."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT)

    def __enter__(self) -> MongoServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MongoServer(uri={self.uri!r}, pid={self.pid})"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_mongo(tmp_dir: str | os.PathLike, timeout: float = STARTUP_TIMEOUT) -> MongoServer:
    """Return a MongoDB server to test against.

    Parameters
    ----------
    tmp_dir : str or path
        Folder for the server's data and log (created if missing).
    timeout : float
        Seconds to wait for the server to answer ``ping``.

    Returns
    -------
    MongoServer
        With ``MONGO_URI`` set: that URI, and ``stop()`` does nothing. Otherwise a
        ``secantusd-py`` server on a free loopback port, stopped by ``stop()``.
    """
    if os.environ.get("MONGO_URI"):
        return MongoServer(os.environ["MONGO_URI"])
    tmp = Path(tmp_dir)
    tmp.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).parent / "secantusd-py"
    if not exe.exists():
        raise RuntimeError(f"{exe} not found: pip install SecantusDB, or set MONGO_URI")
    last_error = ""
    for _attempt in range(3):  # the free port may be taken between choosing and binding
        port = _free_port()
        uri = f"mongodb://127.0.0.1:{port}/"
        log = tmp / f"secantus-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(exe), "--host", "127.0.0.1", "--port", str(port)]
                + ["--storage-path", str(tmp / f"data-{port}"), "--log-level", "WARNING"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tmp,  # no stray ./secantusd.toml gets picked up
            )
        server = MongoServer(uri, proc, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"exited with code {proc.returncode}:\n{_tail(log)}"
                break
            if _ping(uri):
                return server
            time.sleep(0.2)
        else:
            server.stop()
            raise RuntimeError(
                f"secantusd-py on {uri} did not answer ping within {timeout:.0f} s:\n{_tail(log)}"
            )
    raise RuntimeError(f"secantusd-py could not start: {last_error}")
