"""The metadata index of ArcticConnector: a cache that never changes what is read."""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pastas_projects.connectors import _arctic_index
from pastas_projects.connectors.arctic import ArcticConnector

REPO = Path(__file__).resolve().parents[1]


def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def small_frame(value: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"v": [value, 2.0]}, index=pd.date_range("2000-01-01", periods=2))


@pytest.fixture
def conn(arctic_conn):
    return arctic_conn


@pytest.fixture
def index_from_two(monkeypatch):
    """Let reads of two or more items use the index (default: 200), to keep tests small."""
    monkeypatch.setattr(_arctic_index, "MIN_NAMES", 2)


def fill(conn: ArcticConnector, n: int, library: str = "oseries") -> dict[str, dict]:
    expected = {}
    for i in range(n):
        name, meta = f"s{i:03d}", {"i": i, "x": i / 7, "tags": ["a", str(i)], "ok": True}
        if library == "models":
            conn._write(library, name, f'{{"i": {i}}}', meta)
        else:
            conn._write(library, name, small_frame(i), meta)
        expected[name] = meta
    return expected


def index_entries(conn: ArcticConnector, library: str) -> pd.DataFrame:
    lib = conn._index._library()
    return lib.read(library).data if lib.has_symbol(library) else pd.DataFrame()


def by_item(conn: ArcticConnector, library: str, names: list[str]) -> dict[str, dict]:
    return {n: m for n, (_, m) in conn._read_metadata_batch(library, names).items()}


@pytest.mark.parametrize("library", ["oseries", "models"])
def test_index_is_built_then_used(conn, index_from_two, library):
    expected = fill(conn, 6, library)
    names = list(expected)
    assert conn._read_metadata(library, names) == expected
    entries = index_entries(conn, library)
    assert sorted(entries.index) == names
    assert conn._read_metadata(library, names) == expected  # now from the index
    assert list(conn._read_metadata(library, names[::-1])) == names[::-1]
    assert conn._read_metadata(library, [*names, "missing"]) == expected


def test_default_thresholds_use_the_index_for_a_whole_library(conn):
    expected = fill(conn, _arctic_index.MIN_NAMES)
    names = list(expected)
    assert conn._read_metadata("oseries", names[:10]) == {n: expected[n] for n in names[:10]}
    assert index_entries(conn, "oseries").empty  # few items: read one by one
    assert conn._read_metadata("oseries", names) == expected
    assert len(index_entries(conn, "oseries")) == len(names)


def test_changed_deleted_and_new_items_are_read_fresh(conn, index_from_two):
    expected = fill(conn, 5)
    conn._read_metadata("oseries", list(expected))  # builds the index
    conn._write("oseries", "s001", small_frame(9), {"i": "changed"})
    conn._delete("oseries", "s002")
    conn._write("oseries", "s009", small_frame(), {"i": "new"})
    conn._delete("oseries", "s003")
    conn._write("oseries", "s003", small_frame(), {"i": "rewritten"})
    got = conn._read_metadata("oseries", [*expected, "s009"])
    assert got == by_item(conn, "oseries", [*expected, "s009"])
    assert got["s001"] == {"i": "changed"} and got["s003"] == {"i": "rewritten"}
    assert "s002" not in got and got["s009"] == {"i": "new"}
    assert sorted(index_entries(conn, "oseries").index) == sorted(got)


def test_metadata_only_model_versions_are_seen(conn, index_from_two):
    fill(conn, 3, "models")
    conn._read_metadata("models", ["s000", "s001", "s002"])
    conn._write("models", "s001", '{"i": 10}', {"solved": True})
    assert conn._read_metadata("models", ["s000", "s001", "s002"])["s001"] == {"solved": True}


def test_entries_of_a_recreated_library_are_not_trusted(tmp_path, index_from_two):
    uri, name = f"lmdb://{tmp_path / 'arctic'}", unique_name()
    names = ["s000", "s001", "s002", "s003"]
    holder = ArcticConnector(name, uri)  # keeps the one Arctic of this LMDB folder open
    try:
        conn = ArcticConnector(name, uri)
        fill(conn, 4)
        conn._read_metadata("oseries", names)
        conn.close()
        # deleted outside pastas_projects: new items start at version 0 again
        holder._index._arctic.delete_library(f"{name}.oseries")
        conn = ArcticConnector(name, uri)
        for n in names:
            conn._write("oseries", n, small_frame(), {"generation": 2})
        assert conn._read_metadata("oseries", names) == {n: {"generation": 2} for n in names}
        conn.close()
    finally:
        holder.close()


def test_an_unreadable_index_only_costs_time(conn, index_from_two, caplog):
    expected = fill(conn, 4)
    conn._index._library().write("oseries", pd.DataFrame({"junk": [1, 2]}))
    with caplog.at_level(logging.WARNING, logger="pastas_projects.connectors"):
        assert conn._read_metadata("oseries", list(expected)) == expected
    assert "metadata index" in caplog.text and "not read" in caplog.text
    assert conn._read_metadata("oseries", list(expected)) == expected  # rewritten
    assert sorted(index_entries(conn, "oseries").index) == list(expected)


def test_a_damaged_entry_only_costs_time(conn, index_from_two, caplog):
    expected = fill(conn, 4)
    names = list(expected)
    conn._read_metadata("oseries", names)
    entries = index_entries(conn, "oseries")
    entries.loc["s001", "metadata"] = '{"i": 1], ["x'  # breaks the JSON of the whole list
    conn._index._library().write("oseries", entries)
    with caplog.at_level(logging.WARNING, logger="pastas_projects.connectors"):
        got = conn._read_metadata("oseries", names)
    assert got == expected and list(got) == names
    assert "not decoded" in caplog.text
    assert conn._read_metadata("oseries", names) == expected


def test_metadata_without_an_exact_json_form_is_read_fresh(conn, index_from_two):
    conn._write("oseries", "a", small_frame(), {"rmse": math.nan})
    conn._write("oseries", "b", small_frame(), {"rmse": 0.1})
    for _ in range(2):
        got = conn._read_metadata("oseries", ["a", "b"])
        assert math.isnan(got["a"]["rmse"]) and got["b"] == {"rmse": 0.1}
    assert list(index_entries(conn, "oseries").index) == ["b"]


def test_floats_and_nested_values_round_trip_exactly(conn, index_from_two):
    rng = np.random.default_rng(1)
    metas = {
        f"s{i}": {"x": float(rng.normal()) * 10.0**e, "n": [1, [2.5, None]], "d": {"k": "é"}}
        for i, e in enumerate(range(-300, 301, 60))
    }
    for name, meta in metas.items():
        conn._write("stresses", name, small_frame(), meta)
    conn._read_metadata("stresses", list(metas))
    assert conn._read_metadata("stresses", list(metas)) == metas


READER = """
    import sys
    import pandas as pd
    from pastas_projects.connectors import _arctic_index
    from pastas_projects.connectors.arctic import ArcticConnector
    _arctic_index.MIN_NAMES = 2
    uri, name, worker = sys.argv[1], sys.argv[2], int(sys.argv[3])
    c = ArcticConnector(name, uri)
    frame = pd.DataFrame({"v": [1.0]}, index=pd.date_range("2000-01-01", periods=1))
    names = [f"s{i:03d}" for i in range(40)]
    for round in range(5):
        mine = names[worker::4]
        for n in mine:
            c._write("oseries", n, frame, {"writer": worker, "round": round})
        got = c._read_metadata("oseries", names)
        assert len(got) == len(names), len(got)
        for n in mine:
            assert got[n] == {"writer": worker, "round": round}, (n, got[n])
    c.close()
"""


@pytest.mark.soak
@pytest.mark.parametrize("backend", ["lmdb", "mongodb"])
def test_processes_rewriting_the_index_at_once_read_correctly(
    backend, tmp_path, request, index_from_two
):
    uri = (
        f"lmdb://{tmp_path / 'idx'}" if backend == "lmdb" else request.getfixturevalue("mongo_uri")
    )
    name = unique_name()
    c = ArcticConnector(name, uri)
    for i in range(40):
        c._write("oseries", f"s{i:03d}", small_frame(), {"writer": None})
    c.close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(READER), uri, name, str(w)],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    c = ArcticConnector(name, uri)
    try:
        names = [f"s{i:03d}" for i in range(40)]
        assert c._read_metadata("oseries", names) == by_item(c, "oseries", names)
        assert all(m["round"] == 4 for m in c._read_metadata("oseries", names).values())
    finally:
        c.close()
