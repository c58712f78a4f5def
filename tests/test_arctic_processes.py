"""ArcticConnector with several processes: concurrent writers, a writer killed mid-write."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from pastas_projects.connectors.arctic import ArcticConnector

REPO = Path(__file__).resolve().parents[1]


def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def small_frame() -> pd.DataFrame:
    return pd.DataFrame({"v": [1.0, 2.0]}, index=pd.date_range("2000-01-01", periods=2))


# ---------------------------------------------------------------------- processes
WRITER = """
    import sys
    import numpy as np, pandas as pd
    from pastas_projects.connectors.arctic import ArcticConnector
    uri, name, worker, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    c = ArcticConnector(name, uri)
    idx = pd.date_range("2000-01-01", periods=1000, freq="D")
    for i in range(n):
        df = pd.DataFrame({"v": np.full(1000, float(i))}, index=idx)
        c._write("oseries", f"w{worker}_{i}", df, {"worker": worker, "i": i})
    c.close()
"""


@pytest.mark.parametrize("backend", ["lmdb", "mongodb"])
def test_concurrent_processes_lose_nothing(backend, tmp_path, request):
    if backend == "lmdb":
        uri = f"lmdb://{tmp_path / 'conc'}"
    else:
        uri = request.getfixturevalue("mongo_uri")
    name = unique_name()
    ArcticConnector(name, uri).close()  # create the libraries before the race
    workers, per_worker = 4, 25
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), uri, name, str(w), str(per_worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(workers)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    expected = {
        f"w{w}_{i}": {"worker": str(w), "i": i} for w in range(workers) for i in range(per_worker)
    }
    c = ArcticConnector(name, uri)
    try:
        assert set(c._list_names("oseries")) == set(expected)
        assert c._read_metadata("oseries", list(expected)) == expected
        assert c._read("oseries", "w3_24").data["v"].iloc[0] == 24.0
    finally:
        c.close()


KILLED_WRITER = """
    import sys
    import numpy as np, pandas as pd
    from pastas_projects.connectors.arctic import ArcticConnector
    c = ArcticConnector("kill", sys.argv[1])
    idx = pd.date_range("1980-01-01", periods=15000, freq="D")
    i = 0
    while True:
        df = pd.DataFrame({"v": np.full(15000, float(i))}, index=idx)
        c._write("oseries", "s", df, {"i": i})
        c._write("models", "m", '{"i": %d, "pad": "%s"}' % (i, "x" * 100000), {"i": i})
        if i == 0:
            print("ready", flush=True)
        i += 1
"""


def test_sigkill_mid_write_leaves_store_readable(tmp_path):
    uri = f"lmdb://{tmp_path / 'kill'}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for delay in (0.05, 0.23, 0.41):
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), uri],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()[-2000:]
            time.sleep(delay)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        c = ArcticConnector("kill", uri)
        try:
            item = c._read("oseries", "s")
            values = item.data["v"].to_numpy()
            assert len(values) == 15000 and (values == values[0]).all()
            assert item.metadata == {"i": int(values[0])}
            model = c._read("models", "m")
            assert json.loads(model.data)["i"] == model.metadata["i"]
            assert c._read_metadata("oseries", ["s"]) == {"s": item.metadata}
            c._write("stresses", f"after_{delay}", small_frame(), {})  # still writable
        finally:
            c.close()
