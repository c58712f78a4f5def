"""Suite part: the store survives reopening, concurrent writers and killed writers."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import pastas_projects as pp
from pastas_projects.testing import workers


def _reopen_or_skip(connector) -> pp.Database:
    if not connector.multiprocess_safe:
        pytest.skip(f"{type(connector).__name__} lives in one process only")
    try:
        uri = connector.uri
    except NotImplementedError:
        pytest.skip(f"{type(connector).__name__} has no URI to reopen it with")
    return pp.Database(pp.connect(uri, connector.name))


class SafetySuite:
    """Reopening, concurrency and crash safety (multi-process connectors only)."""

    def test_reopened_store_has_everything(self, filled):
        db = _reopen_or_skip(filled.db.conn)
        assert db.oseries_names == ["well_1"] and db.model_names == ["well_1"]
        assert db.stresses.loc["prec_1", "kind"] == "prec"
        ml = db.get_models("well_1")
        original = filled.db.get_models("well_1")
        assert ml.simulate().equals(original.simulate())

    def test_opening_reads_no_series(self, filled, monkeypatch):
        conn = filled.db.conn
        _reopen_or_skip(conn)

        def refuse(*args, **kwargs):
            raise AssertionError("opening the store read an item")

        monkeypatch.setattr(type(conn), "_read", refuse)
        db = pp.Database(pp.connect(conn.uri, conn.name))
        repr(db)
        assert db.oseries.loc["well_1", "x"] == 10.0
        assert db.models.loc["well_1", "status"] == "solved"

    def test_concurrent_writers_lose_nothing(self, connector):
        _reopen_or_skip(connector)
        n_workers, count = 3, 8
        ctx = multiprocessing.get_context("spawn")
        procs = [
            ctx.Process(target=workers.write_many, args=(connector.uri, connector.name, w, count))
            for w in range(n_workers)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=240)
            assert proc.exitcode == 0, f"writer exited with {proc.exitcode}"
        db = pp.Database(connector)
        expected = {f"w{w}_{i}" for w in range(n_workers) for i in range(count)}
        assert set(db.oseries_names) == expected
        for w in range(n_workers):
            for i in range(count):
                back = db.get_oseries(f"w{w}_{i}")
                np.testing.assert_array_equal(
                    back.to_numpy(), workers.numbered_series(w, i).to_numpy()
                )

    def test_killed_writer_leaves_item_whole(self, connector, tmp_path):
        _reopen_or_skip(connector)
        db = pp.Database(connector)
        db.add_oseries(workers.victim_series(1.0), "victim")
        rng = random.Random(7)
        for attempt in range(3):
            ready = tmp_path / f"ready_{attempt}"
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pastas_projects.testing.workers",
                    connector.uri,
                    connector.name,
                    str(ready),
                ],
                stderr=subprocess.PIPE,
            )
            deadline = time.monotonic() + 120
            while not ready.exists():
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "writer never got going"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            reopened = pp.Database(pp.connect(connector.uri, connector.name))
            values = reopened.get_oseries("victim").to_numpy()
            assert len(values) == 20_000
            assert np.all(values == 1.0) or np.all(values == 2.0), "half-written item"
