"""PystoreConnector on real pystore folders: round trips, pystore compatibility,
snapshots, the pystore defects it works around, and crash safety."""

import importlib.util
import json
import multiprocessing
import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pystore
import pytest

import pastas_projects as pp
from pastas_projects.connectors import _pystore_compat
from pastas_projects.connectors.pystore import PystoreConnector
from pastas_projects.errors import ItemExistsError


def daily_float(n=15_000, seed=0):
    index = pd.date_range("1980-01-01", periods=n, freq="D")
    values = np.random.default_rng(seed).normal(size=n)
    values[::97] = np.nan
    return pd.DataFrame({"head": values}, index=index)


def irregular_int(n=1_000, seed=1):
    rng = np.random.default_rng(seed)
    ns = np.sort(rng.choice(10**15, size=n, replace=False)) + 946_684_800 * 10**9 + 123
    index = pd.DatetimeIndex(ns.astype("datetime64[ns]"))
    return pd.DataFrame({"q": rng.integers(-(2**62), 2**62, size=n)}, index=index)


FRAMES = {
    "daily float": daily_float(),
    "irregular int": irregular_int(),
    "seconds index float32": pd.DataFrame(
        {"x": np.arange(5, dtype="float32")},
        index=pd.date_range("2000", periods=5, freq="h").as_unit("s"),
    ),
    "int column name": pd.DataFrame({0: [1.5, 2.5]}, index=pd.date_range("2000", periods=2)),
    "empty": pd.DataFrame({"e": np.array([], dtype="float64")}, index=pd.DatetimeIndex([])),
}


def assert_same(back, frame):
    """Values, dtypes and timestamps exactly equal (names and freq may be lost)."""
    assert back.index.dtype == frame.index.dtype
    assert back.dtypes.tolist() == frame.dtypes.tolist()
    assert (back.index.asi8 == frame.index.asi8).all()
    np.testing.assert_array_equal(back.to_numpy(), frame.to_numpy())


@pytest.fixture
def conn(tmp_path):
    return PystoreConnector("proj", tmp_path / "ps")


@pytest.fixture
def plain_pystore(tmp_path, monkeypatch):
    """Plain pystore pointed at the connector's folder (its global path restored after)."""
    monkeypatch.setattr(pystore.config, "DEFAULT_PATH", pystore.config.DEFAULT_PATH)
    pystore.set_path(tmp_path / "ps")
    return pystore.store("proj")


def state(conn):
    """Everything in the three libraries, comparable with ==."""
    out = {}
    for library in pp.connectors.LIBRARIES:
        for name in conn._list_names(library):
            item = conn._read(library, name)
            data = item.data if isinstance(item.data, str) else item.data.to_json()
            out[library, name] = (data, json.dumps(item.metadata, sort_keys=True))
    return out


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("case", FRAMES)
def test_series_round_trip_is_exact(conn, case):
    frame = FRAMES[case]
    conn._write("oseries", "s", frame, {"case": case})
    back = conn._read("oseries", "s")
    assert_same(back.data, frame)
    assert back.metadata == {"case": case}
    assert back.version is None


def test_model_str_round_trip(conn):
    model = '{\n  "name": "w\\u00e9ll",  "é": [1, 2.50, null],\n\t"x": "\\"quoted\\""}  '
    conn._write("models", "m", model, {"status": "solved"})
    back = conn._read("models", "m")
    assert back.data == model and back.metadata == {"status": "solved"}


def test_metadata_round_trip_and_bulk_read(conn):
    metadata = {
        "x": 1.5,
        "nested": {"a": [1, None, "ü"], "b": {}},
        "none": None,
        # keys pystore and the connector use themselves must survive too
        "_updated": "mine",
        "_pastas": {"not": "the connector's"},
        "_type_info": [1],
    }
    conn._write("stresses", "p", FRAMES["daily float"], metadata)
    conn._write("stresses", "q", FRAMES["irregular int"], {})
    assert conn._read("stresses", "p").metadata == metadata
    bulk = conn._read_metadata("stresses", ["p", "missing", "q"])
    assert bulk == {"p": metadata, "q": {}}


def test_overwrite_delete_list_has(conn):
    conn._write("oseries", "a", FRAMES["daily float"], {"v": 1})
    conn._write("oseries", "a", FRAMES["irregular int"], {"v": 2})
    conn._write("oseries", "b", FRAMES["empty"], {})
    assert_same(conn._read("oseries", "a").data, FRAMES["irregular int"])
    assert conn._list_names("oseries") == ["a", "b"] and conn._list_names("models") == []
    assert conn._has("oseries", "a") and not conn._has("stresses", "a")
    conn._delete("oseries", "a")
    assert not conn._has("oseries", "a") and conn._list_names("oseries") == ["b"]
    with pytest.raises(KeyError):
        conn._read("oseries", "a")
    with pytest.raises(KeyError):
        conn._delete("oseries", "a")


def test_uri_reopens_the_same_store(conn):
    conn._write("oseries", "a", FRAMES["irregular int"], {})
    assert conn.uri.startswith("pystore://") and not conn.supports_versions
    again = pp.connect(conn.uri, "proj")
    assert isinstance(again, PystoreConnector)
    assert_same(again._read("oseries", "a").data, FRAMES["irregular int"])


def test_two_connectors_with_different_paths_in_one_process(tmp_path):
    one = PystoreConnector("proj", tmp_path / "one")
    two = PystoreConnector("proj", tmp_path / "two")
    one._write("oseries", "a", FRAMES["daily float"], {"who": 1})
    two._write("oseries", "a", FRAMES["irregular int"], {"who": 2})
    assert_same(one._read("oseries", "a").data, FRAMES["daily float"])
    assert_same(two._read("oseries", "a").data, FRAMES["irregular int"])
    assert one._read_metadata("oseries", ["a"]) == {"a": {"who": 1}}
    assert two._read_metadata("oseries", ["a"]) == {"a": {"who": 2}}


# ---------------------------------------------------------------------- plain pystore
def test_items_are_readable_by_plain_pystore(conn, plain_pystore):
    conn._write("oseries", "daily", FRAMES["daily float"], {"x": 3})
    conn._write("stresses", "irr", FRAMES["irregular int"], {})
    conn._write("models", "m", '{"a": 1}', {"k": "v"})
    assert set(plain_pystore.list_collections()) == {"oseries", "stresses", "models"}
    oseries = plain_pystore.collection("oseries")
    assert oseries.list_items() == {"daily"}  # no staging or trash folders
    item = oseries.item("daily")
    assert_same(item.to_pandas(), FRAMES["daily float"])
    assert item.metadata["x"] == 3
    assert_same(
        plain_pystore.collection("stresses").item("irr").to_pandas(), FRAMES["irregular int"]
    )
    model = plain_pystore.collection("models").item("m")
    assert model.to_pandas().empty and model.metadata["k"] == "v"


def test_reads_what_plain_pystore_wrote(conn, plain_pystore):
    frame = FRAMES["irregular int"]
    plain_pystore.collection("oseries").write("foreign", frame, metadata={"src": "pystore"})
    assert conn._list_names("oseries") == ["foreign"]
    back = conn._read("oseries", "foreign")
    assert_same(back.data, frame)
    assert back.metadata == {"src": "pystore"}


def test_timezone_bug_still_present(tmp_path):
    """Fails once pystore fixes upstream issue 81: then remove the shim."""
    spec = importlib.util.spec_from_file_location("pystore.utils", pystore.utils.__file__)
    pristine = importlib.util.module_from_spec(spec)  # not in sys.modules: shim untouched
    spec.loader.exec_module(pristine)
    try:
        pristine.write_metadata(tmp_path, {})
    except NameError as error:
        assert "timezone" in str(error)
    else:
        pytest.fail(
            "pystore.utils.write_metadata works without the shim now (upstream issue 81 "
            "is fixed): remove patch_pystore() from pastas_projects/connectors/"
            "_pystore_compat.py, its import hook and its call in PystoreConnector.__init__, "
            "and this test"
        )
    PystoreConnector("proj", tmp_path / "ps")  # pystore is imported: patches it
    assert "timezone" in vars(pystore.utils)  # the shim itself is still in place
    assert _pystore_compat.patch_pystore() is False  # and idempotent
    pystore.utils.write_metadata(tmp_path, {"a": 1})
    assert json.loads((tmp_path / "pystore_metadata.json").read_text())["a"] == 1


def test_connector_does_not_import_pystore_but_patches_it_on_import(tmp_path):
    """Opening a store stays fast (pystore imports dask); plain pystore still works."""
    code = f"""
import sys
import pandas as pd
from pastas_projects.connectors.pystore import PystoreConnector
PystoreConnector("proj", {str(tmp_path / "ps")!r})
assert "pystore" not in sys.modules and "dask" not in sys.modules
import pystore
pystore.set_path({str(tmp_path / "plain")!r})
frame = pd.DataFrame({{"a": [1.0]}}, index=pd.date_range("2000", periods=1))
pystore.store("s").collection("c").write("i", frame)
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_pystore_append_still_drops_rows_with_repeated_values(plain_pystore):
    """Defect (b): why the connector never appends. Fails once pystore fixes it."""
    collection = plain_pystore.collection("oseries")
    collection.write("b", pd.DataFrame({"h": [1.0, 2.0]}, pd.date_range("2000", periods=2)))
    collection.append("b", pd.DataFrame({"h": [1.0, 3.0]}, pd.date_range("2000-01-03", periods=2)))
    rows = len(collection.item("b").to_pandas())  # 4 rows went in
    assert rows == 3, "pystore's append keeps all rows now: update defect (b) in _pystore_compat"


# ---------------------------------------------------------------------- snapshots
def fill(conn):
    for library in ("oseries", "stresses"):
        conn._write(library, "a", FRAMES["daily float"], {"v": 1})
        conn._write(library, "b", FRAMES["irregular int"], {"v": 1})
    conn._write("models", "m", '{"m": 1}', {"v": 1})


def test_snapshot_restore_gives_exactly_the_old_store(conn, plain_pystore):
    assert conn.supports_snapshots and conn._list_snapshots() == []
    fill(conn)
    before = state(conn)
    conn._create_snapshot("s1")
    assert conn._list_snapshots() == ["s1"]
    with pytest.raises(ItemExistsError, match="s1"):
        conn._create_snapshot("s1")
    # pystore's own snapshot folders: plain pystore reads them
    snap = plain_pystore.collection("oseries").item("a", snapshot="s1").to_pandas()
    assert_same(snap, FRAMES["daily float"])
    # change everything: overwrite, delete, add
    conn._write("oseries", "a", FRAMES["empty"], {"v": 2})
    conn._delete("stresses", "b")
    conn._write("stresses", "new", FRAMES["irregular int"], {})
    conn._write("models", "m", '{"m": 2}', {"v": 2})
    conn._write("models", "m2", '{"m": 3}', {})
    assert state(conn) != before
    conn._restore_snapshot("s1")
    assert state(conn) == before
    assert conn._list_snapshots() == ["s1"]  # restoring keeps the snapshot


def test_snapshot_list_delete_and_unknown(conn):
    fill(conn)
    conn._create_snapshot("s1")
    conn._write("oseries", "c", FRAMES["empty"], {})
    conn._create_snapshot("s2")
    assert conn._list_snapshots() == ["s1", "s2"]
    conn._delete_snapshot("s1")
    assert conn._list_snapshots() == ["s2"]
    for action in (conn._restore_snapshot, conn._delete_snapshot):
        with pytest.raises(KeyError, match="s1"):
            action("s1")
    conn._restore_snapshot("s2")
    assert conn._has("oseries", "c")


def test_half_made_snapshot_is_not_listed(conn):
    fill(conn)
    conn._create_snapshot("s1")
    # as if killed before the last (commit) rename: models' part missing
    os.rename(conn._snapshot("models", "s1"), conn._private / "trash" / "x")
    assert conn._list_snapshots() == []
    with pytest.raises(KeyError, match="s1"):
        conn._restore_snapshot("s1")
    conn._create_snapshot("s1")  # the left-overs are replaced
    assert conn._list_snapshots() == ["s1"]


# ---------------------------------------------------------------------- crash safety
# Children are spawned (forking a process that already runs pyarrow, ArcticDB or Dask
# threads can crash the child) and SIGKILL themselves at an exact step, so no
# except/finally clause of the connector runs: as a real kill.


def in_child(work, *args) -> int:
    """Run ``work(*args)`` in a fresh process; return its exit code (-9: SIGKILL)."""
    proc = multiprocessing.get_context("spawn").Process(target=work, args=args)
    proc.start()
    proc.join(timeout=240)
    return proc.exitcode


def write_or_delete_then_die(path, op, kill_at):
    """SIGKILL this process right after the kill_at-th rename (0: before the first)."""
    conn = PystoreConnector("proj", path)
    real_rename, calls = os.rename, [0]

    def rename(src, dst):
        if kill_at == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        real_rename(src, dst)
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    os.rename = rename
    if op == "write":
        conn._write("oseries", "x", item_with(2.0), {"v": 2})
    else:
        conn._delete("oseries", "x")


def run_killed(path, op, kill_at):
    exitcode = in_child(write_or_delete_then_die, path, op, kill_at)
    assert exitcode == -signal.SIGKILL, exitcode


def item_with(value):
    index = pd.date_range("1990", periods=15_000, freq="D")
    return pd.DataFrame({"h": np.full(15_000, value)}, index)


# kill_at: renames done before the kill; a write does live -> old, staging -> live
# (the commit), old -> trash; a delete does live -> trash
@pytest.mark.parametrize(("kill_at", "version"), [(0, 1), (1, 1), (2, 2), (3, 2)])
def test_writer_killed_between_renames(tmp_path, kill_at, version):
    conn = PystoreConnector("proj", tmp_path / "ps")
    conn._write("oseries", "x", item_with(1.0), {"v": 1})
    run_killed(tmp_path / "ps", "write", kill_at)
    reopened = PystoreConnector("proj", tmp_path / "ps")
    for c in (conn, reopened):  # the open connector and a new one both recover
        assert c._has("oseries", "x") and c._list_names("oseries") == ["x"]
        assert c._read_metadata("oseries", ["x"]) == {"x": {"v": version}}
        back = c._read("oseries", "x")
        assert back.metadata == {"v": version}
        assert (back.data["h"] == float(version)).all() and len(back.data) == 15_000
    reopened._write("oseries", "x", item_with(3.0), {"v": 3})  # writable again
    assert conn._read("oseries", "x").metadata == {"v": 3}
    private = tmp_path / "ps" / "proj" / "_snapshots"
    assert not any((private / "old" / "oseries").iterdir())
    assert not any((private / "trash").iterdir())


@pytest.mark.parametrize(("kill_at", "exists"), [(0, True), (1, False)])
def test_deleter_killed(tmp_path, kill_at, exists):
    conn = PystoreConnector("proj", tmp_path / "ps")
    conn._write("oseries", "x", item_with(1.0), {"v": 1})
    run_killed(tmp_path / "ps", "delete", kill_at)
    reopened = PystoreConnector("proj", tmp_path / "ps")
    assert reopened._has("oseries", "x") is exists
    if exists:
        assert reopened._read("oseries", "x").metadata == {"v": 1}
    assert not any((tmp_path / "ps" / "proj" / "_snapshots" / "trash").iterdir())


def write_numbered(path, worker):
    conn = PystoreConnector("proj", path)
    for i in range(15):
        frame = pd.DataFrame(
            {"h": np.full(1000, worker * 100.0 + i)}, pd.date_range("2000", periods=1000)
        )
        conn._write("oseries", f"w{worker}_{i}", frame, {"w": worker, "i": i})
        conn._write("stresses", "shared", frame, {"w": worker, "i": i})


def test_concurrent_processes_writing_different_items(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=write_numbered, args=(tmp_path / "ps", w)) for w in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=240)
    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    conn = PystoreConnector("proj", tmp_path / "ps")
    expected = {f"w{w}_{i}": (w, i) for w in range(3) for i in range(15)}
    assert set(conn._list_names("oseries")) == set(expected)
    for name, (w, i) in expected.items():
        item = conn._read("oseries", name)
        assert item.metadata == {"w": w, "i": i} and (item.data["h"] == w * 100.0 + i).all()
    shared = conn._read("stresses", "shared")  # one writer's, whole
    assert (shared.data["h"] == shared.metadata["w"] * 100.0 + shared.metadata["i"]).all()
