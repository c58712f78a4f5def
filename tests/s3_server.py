"""Start a throw-away S3-compatible server (moto) for tests.

The server runs in its own process (``moto_server`` from ``moto[server]``, the
server ArcticDB's own tests use) on a free loopback port and keeps its buckets in
memory; :func:`start_s3` creates one bucket. moto accepts any access and secret key,
so the tests use fixed ones and can check that the secret never shows up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
ACCESS_KEY = "pp-test-access"
SECRET_KEY = "pp-S3cr3t-K3y-never-shown"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # an S3 error document is an answer
    except OSError:
        return False


class S3Server:
    """A running server: ``.uri(...)`` for ArcticDB, ``.stop()`` (or ``with``) to end it."""

    def __init__(self, port: int, bucket: str, process: subprocess.Popen, log: Path):
        self.host = "127.0.0.1"
        self.port = port
        self.bucket = bucket
        self.process: subprocess.Popen | None = process
        self.log = log

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def uri(self, credentials: bool = True, bucket: str | None = None) -> str:
        """The ArcticDB URI of the bucket: ``s3://127.0.0.1:bucket?port=...&access=...``."""
        uri = f"s3://{self.host}:{bucket or self.bucket}?port={self.port}"
        return uri + (f"&access={ACCESS_KEY}&secret={SECRET_KEY}" if credentials else "")

    def create_bucket(self, bucket: str) -> None:
        """Create a bucket (moto accepts unsigned requests)."""
        request = urllib.request.Request(f"{self.endpoint_url}/{bucket}", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200, response.status

    def stop(self) -> None:
        """Stop the server (terminate, then kill); idempotent."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        pid = None if self.process is None else self.process.pid
        return f"S3Server(endpoint={self.endpoint_url!r}, bucket={self.bucket!r}, pid={pid})"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_s3(
    tmp_dir: str | os.PathLike, bucket: str = "pastas-projects", timeout: float = STARTUP_TIMEOUT
) -> S3Server:
    """Start ``moto_server`` on a free loopback port and create ``bucket``.

    Raises
    ------
    RuntimeError
        If ``moto_server`` is not installed (``pip install "moto[server]"``) or does
        not answer within ``timeout`` seconds.

    """
    tmp = Path(tmp_dir)
    tmp.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).parent / "moto_server"
    if not exe.exists():
        raise RuntimeError(f"{exe} not found: pip install 'moto[server]'")
    last_error = ""
    for _attempt in range(3):  # the free port may be taken between choosing and binding
        port = _free_port()
        log = tmp / f"moto-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(exe), "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tmp,
            )
        server = S3Server(port, bucket, proc, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"exited with code {proc.returncode}:\n{_tail(log)}"
                break
            if _answers(f"{server.endpoint_url}/"):
                server.create_bucket(bucket)
                return server
            time.sleep(0.2)
        else:
            server.stop()
            raise RuntimeError(f"moto_server did not answer within {timeout:.0f} s:\n{_tail(log)}")
    raise RuntimeError(f"moto_server could not start: {last_error}")
