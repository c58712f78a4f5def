"""Start a throw-away S3-compatible server (moto) for tests, with real credentials.

The server runs in its own process (``moto_server`` from ``moto[server]``, the
server ArcticDB's own tests use) on a free loopback port and keeps its buckets in
memory. It checks credentials like AWS does: :func:`start_s3` lets the first four
requests through unauthenticated (``INITIAL_NO_AUTH_ACTION_COUNT``) and uses them to
create a bucket, an IAM user, an access key and a policy that lets that user use
S3. Every later request must be signed with that key, so a wrong secret is refused
and the tests can check that the real one never shows up anywhere.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
SETUP_REQUESTS = 4
"""Unauthenticated requests the set-up makes: bucket, user, access key, policy."""
_IAM_AUTH = (  # routes a request to moto's IAM; not checked during the set-up requests
    "AWS4-HMAC-SHA256 Credential=AKIASETUP/20260101/us-east-1/iam/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    """Whether the server accepts connections (without a request: they are counted)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class S3Server:
    """A running server: ``.uri(...)`` for ArcticDB, ``.stop()`` (or ``with``) to end it."""

    def __init__(self, port: int, bucket: str, process: subprocess.Popen | None, log: Path):
        self.host = "127.0.0.1"
        self.port = port
        self.bucket = bucket
        self.process: subprocess.Popen | None = process
        self.log = log
        self.access_key = ""
        self.secret_key = ""

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def uri(self, credentials: bool = True, bucket: str | None = None) -> str:
        """The ArcticDB URI of the bucket: ``s3://127.0.0.1:bucket?port=...&access=...``."""
        uri = f"s3://{self.host}:{bucket or self.bucket}?port={self.port}"
        if credentials:
            uri += f"&access={self.access_key}&secret={self.secret_key}"
        return uri

    def to_env(self) -> str:
        """The server as text for another process (``from_env``): no process handle."""
        fields = ("host", "port", "bucket", "access_key", "secret_key")
        return json.dumps({k: getattr(self, k) for k in fields})

    @classmethod
    def from_env(cls, text: str) -> S3Server:
        """The server another process started (``to_env``); ``stop()`` does nothing."""
        state = json.loads(text)
        server = cls(state["port"], state["bucket"], None, Path(os.devnull))
        server.host, server.access_key, server.secret_key = (
            state["host"],
            state["access_key"],
            state["secret_key"],
        )
        return server

    def secrets(self) -> list[str]:
        """The secret key as it may be written: plain and URL-quoted."""
        return sorted({self.secret_key, quote(self.secret_key, safe="")})

    def _setup(self) -> None:
        """The four unauthenticated requests: bucket, IAM user, its key, its S3 policy."""
        request = urllib.request.Request(f"{self.endpoint_url}/{self.bucket}", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200, response.status
        self._iam("CreateUser", UserName="pastas")
        created = self._iam("CreateAccessKey", UserName="pastas")
        self.access_key = re.search("<AccessKeyId>([^<]+)<", created)[1]
        self.secret_key = re.search("<SecretAccessKey>([^<]+)<", created)[1]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
        self._iam(
            "PutUserPolicy", UserName="pastas", PolicyName="s3", PolicyDocument=json.dumps(policy)
        )

    def _iam(self, action: str, **params: str) -> str:
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
        url = f"{self.endpoint_url}/?Action={action}&Version=2010-05-08&{query}"
        request = urllib.request.Request(url, headers={"Authorization": _IAM_AUTH})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()

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
    """Start ``moto_server`` on a free loopback port with a bucket and a key to use it.

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
        env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_REQUESTS)}
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(exe), "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tmp,
                env=env,
            )
        server = S3Server(port, bucket, proc, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"exited with code {proc.returncode}:\n{_tail(log)}"
                break
            if _listening(server.port):
                server._setup()
                return server
            time.sleep(0.2)
        else:
            server.stop()
            raise RuntimeError(f"moto_server did not answer within {timeout:.0f} s:\n{_tail(log)}")
    raise RuntimeError(f"moto_server could not start: {last_error}")
