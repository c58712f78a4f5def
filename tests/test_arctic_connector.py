"""ArcticConnector against real backends: LMDB, MongoDB (SecantusDB or MONGO_URI), mem."""

from __future__ import annotations

import json
import pickle
import socket
import time
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest

from pastas_projects.connectors.arctic import ArcticConnector, mask_uri
from pastas_projects.connectors.base import StoredItem, VersionInfo
from pastas_projects.errors import StoreConnectionError


def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def make_series(n: int = 15_000, dtype: str = "float64", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("1980-01-01", periods=n, freq="D")
    if dtype.startswith("int"):
        values = rng.integers(-1000, 1000, n).astype(dtype)
    else:
        values = rng.normal(size=n).astype(dtype)
    return pd.DataFrame({"head": values}, index=index)


def assert_same_series(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert got.shape == expected.shape
    assert got.dtypes.iloc[0] == expected.dtypes.iloc[0]
    np.testing.assert_array_equal(got.iloc[:, 0].to_numpy(), expected.iloc[:, 0].to_numpy())
    assert got.index.dtype == expected.index.dtype
    assert (got.index == expected.index).all()


@pytest.fixture
def conn(arctic_conn):
    return arctic_conn


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_series_round_trip_exact(conn, dtype):
    df = make_series(dtype=dtype)
    version = conn._write("oseries", "s1", df, {"x": 1.5})
    assert version == 0
    item = conn._read("oseries", "s1")
    assert isinstance(item, StoredItem)
    assert_same_series(item.data, df)
    assert item.data.equals(df)  # a normal frame, not ArcticDB's unconsolidated one
    assert item.metadata == {"x": 1.5}
    assert item.version == 0


def test_series_special_values_and_index_unit(conn):
    index = pd.DatetimeIndex(
        ["1900-01-01", "2000-01-01 00:00:00.000001", "2262-04-11"], name="t"
    ).as_unit("us")
    df = pd.DataFrame({"v": [np.nan, -0.0, np.inf]}, index=index)
    conn._write("stresses", "odd", df, {})
    got = conn._read("stresses", "odd").data
    assert got.index.dtype == index.dtype
    assert (got.index == index).all()
    np.testing.assert_array_equal(got["v"].to_numpy(), df["v"].to_numpy())
    assert np.signbit(got["v"].iloc[1])


def test_model_str_round_trip(conn):
    text = json.dumps({"name": "m1", "note": "héé ∑ \u0000 ✓", "x": list(range(2000))})
    conn._write("models", "m1", text, {"oseries": "s1"})
    item = conn._read("models", "m1")
    assert isinstance(item.data, str)
    assert item.data == text
    assert item.metadata == {"oseries": "s1"}
    assert conn._read_metadata("models", ["m1"]) == {"m1": {"oseries": "s1"}}


def test_metadata_round_trip(conn):
    meta = {
        "x": 155000.5,
        "y": -3,
        "name": "B58C0698 ü",
        "tags": ["a", "b", None, True],
        "nested": {"unit": "m NAP", "empty": {}, "list": []},
        "big": 2**62,
    }
    conn._write("oseries", "s1", make_series(100), meta)
    assert conn._read("oseries", "s1").metadata == meta
    assert conn._read_metadata("oseries", ["s1"]) == {"s1": meta}


def test_list_has_delete(conn):
    for name in ["a", "b", "c"]:
        conn._write("stresses", name, make_series(10), {})
    assert sorted(conn._list_names("stresses")) == ["a", "b", "c"]
    assert conn._list_names("oseries") == []
    assert conn._has("stresses", "a") and not conn._has("stresses", "zz")
    conn._delete("stresses", "a")
    assert sorted(conn._list_names("stresses")) == ["b", "c"]
    with pytest.raises(KeyError, match="'a'"):
        conn._delete("stresses", "a")


# ---------------------------------------------------------------------- versions
def test_versions(conn):
    frames = [make_series(50, seed=i) for i in range(3)]
    versions = []
    for i, df in enumerate(frames):
        versions.append(conn._write("oseries", "s", df, {"i": i}))
        time.sleep(0.02)
    assert versions == [0, 1, 2]
    infos = conn._list_versions("oseries", "s")
    assert [v.version for v in infos] == [0, 1, 2]
    assert all(isinstance(v, VersionInfo) and v.timestamp.tz is None for v in infos)
    assert infos[0].timestamp < infos[1].timestamp < infos[2].timestamp
    assert abs(infos[2].timestamp - pd.Timestamp.now("UTC").tz_localize(None)) < pd.Timedelta(
        "5min"
    )

    item = conn._read("oseries", "s", as_of=0)
    assert item.version == 0 and item.metadata == {"i": 0}
    assert_same_series(item.data, frames[0])

    between = (infos[0].timestamp + (infos[1].timestamp - infos[0].timestamp) / 2).floor("us")
    for as_of in [between, between.isoformat(), between.to_pydatetime()]:
        item = conn._read("oseries", "s", as_of=as_of)
        assert item.version == 0, as_of
        assert_same_series(item.data, frames[0])
    aware = (infos[1].timestamp + pd.Timedelta("1ms")).tz_localize("UTC").tz_convert("CET")
    assert conn._read("oseries", "s", as_of=aware).version == 1
    assert conn._read("oseries", "s").version == 2

    with pytest.raises(KeyError):
        conn._read("oseries", "s", as_of=7)
    with pytest.raises(KeyError):
        conn._read("oseries", "s", as_of=infos[0].timestamp - pd.Timedelta("1h"))

    assert conn._prune_versions("oseries", "s", keep_last=1) == 2
    infos = conn._list_versions("oseries", "s")
    assert [v.version for v in infos] == [2]
    assert_same_series(conn._read("oseries", "s").data, frames[2])
    with pytest.raises(KeyError):
        conn._read("oseries", "s", as_of=0)
    assert conn._prune_versions("oseries", "s", keep_last=1) == 0
    with pytest.raises(ValueError):
        conn._prune_versions("oseries", "s", keep_last=0)


def test_model_versions(conn):
    for i in range(3):
        conn._write("models", "m", json.dumps({"i": i}), {"i": i})
    assert conn._read("models", "m", as_of=1).data == '{"i": 1}'
    assert conn._prune_versions("models", "m", keep_last=2) == 1
    assert [v.version for v in conn._list_versions("models", "m")] == [1, 2]
    conn._delete("models", "m")
    conn._write("models", "m", '{"i": 9}', {"i": 9})  # written again after a delete
    assert conn._read("models", "m").data == '{"i": 9}'


def test_models_written_with_a_placeholder_frame_still_read(conn):
    # stores written before models became metadata-only versions kept a one-row frame
    envelope = {"metadata": {"i": 0}, "json": '{"i": 0}'}
    conn._lib("models").write("m", pd.DataFrame({"json_length": [8]}), metadata=envelope)
    assert conn._read("models", "m") == StoredItem('{"i": 0}', {"i": 0}, 0)
    conn._write("models", "m", '{"i": 1}', {"i": 1})
    assert conn._read("models", "m").data == '{"i": 1}'
    assert conn._read("models", "m", as_of=0).data == '{"i": 0}'
    assert conn._read_metadata("models", ["m"]) == {"m": {"i": 1}}


# ---------------------------------------------------------------------- missing items
def test_missing_items_raise_keyerror(conn):
    with pytest.raises(KeyError, match="nope") as info:
        conn._read("oseries", "nope")
    assert "oseries" in str(info.value)
    with pytest.raises(KeyError, match="nope"):
        conn._read("models", "nope")
    with pytest.raises(KeyError, match="nope"):
        conn._list_versions("stresses", "nope")
    with pytest.raises(KeyError, match="nope"):
        conn._prune_versions("stresses", "nope", keep_last=1)
    with pytest.raises(KeyError, match="nope"):
        conn._delete("models", "nope")
    assert conn._read_metadata("oseries", ["nope"]) == {}


def test_read_metadata_many(conn):
    # more than the metadata index's MIN_NAMES, so the read goes through the index
    names = [f"s{i:04d}" for i in range(250)]
    small = make_series(5)
    for i, name in enumerate(names):
        conn._write("oseries", name, small, {"i": i})
    got = conn._read_metadata("oseries", names + ["missing"])
    assert len(got) == 250
    assert got["s0042"] == {"i": 42}
    assert conn._read_metadata("oseries", []) == {}


def test_read_filters_only_the_arcticdb_warning(conn):
    conn._write("oseries", "s", make_series(10), {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the BlockManagerUnconsolidated warning would raise
        conn._read("oseries", "s")
        conn._read_metadata("oseries", ["s"])
        with pytest.warns(UserWarning, match="still shown"):
            warnings.warn("still shown", UserWarning, stacklevel=1)


# ---------------------------------------------------------------------- connection
def test_unreachable_mongodb_fails_fast():
    uri = f"mongodb://user:hunter2@127.0.0.1:{closed_port()}/"
    start = time.monotonic()
    with pytest.raises(StoreConnectionError) as info:
        ArcticConnector(unique_name(), uri)
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert "hunter2" not in message
    assert "127.0.0.1" in message and "user:***@" in message
    assert "MongoDB" in message and "start" in message.lower()


def test_mongodb_with_password(mongo_uri):
    import pymongo

    client = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=3000)
    try:
        client.admin.command("createUser", "pp_user", pwd="pp_s3cret", roles=["root"])
    except pymongo.errors.PyMongoError as exc:
        if "already exists" not in str(exc):
            pytest.skip(f"cannot create a user on {mongo_uri}: {exc}")
    finally:
        client.close()
    host = mongo_uri.split("://", 1)[1].split("/")[0].split("@")[-1]
    for uri in [
        f"mongodb://pp_user:pp_s3cret@{host}/",
        f"mongodb://pp_user:pp_s3cret@{host}/admin",
    ]:
        c = ArcticConnector(unique_name(), uri)
        try:
            assert "pp_s3cret" not in repr(c) and "***" in repr(c)
            assert c.uri == uri
            c._write("models", "m", "{}", {})
            assert c._read("models", "m").data == "{}"
        finally:
            c.close()


def test_mask_uri():
    assert mask_uri("mongodb://me:p%40ss@h:1/db?x=1") == "mongodb://me:***@h:1/db?x=1"
    assert mask_uri("s3://ep:bucket?access=AK&secret=SK") == "s3://ep:bucket?access=AK&secret=***"
    assert mask_uri("lmdb:///tmp/x") == "lmdb:///tmp/x"


def test_repr_and_uri(tmp_path):
    uri = f"lmdb://{tmp_path}/store"
    c = ArcticConnector("proj", uri)
    assert c.uri == uri
    assert repr(c) == f"ArcticConnector(name='proj', uri={uri!r})"
    assert c.multiprocess_safe is True
    c.close()
    c.close()  # closing twice is fine
    with pytest.raises(StoreConnectionError, match="closed"):
        c._list_names("oseries")
    m = ArcticConnector("proj", "mem://")
    assert m.multiprocess_safe is False
    m.close()


def test_two_connectors_same_lmdb_path(tmp_path):
    path = tmp_path / "shared"
    a = ArcticConnector("proj", f"lmdb://{path}")
    b = ArcticConnector("proj", f"lmdb://{path}/")  # same folder, other spelling
    df = make_series(100)
    a._write("oseries", "s", df, {"by": "a"})
    assert_same_series(b._read("oseries", "s").data, df)
    b._write("oseries", "t", df, {"by": "b"})
    assert sorted(a._list_names("oseries")) == ["s", "t"]
    a.close()
    assert b._read("oseries", "t").metadata == {"by": "b"}  # b still works
    b.close()
    c = ArcticConnector("proj", f"lmdb://{path}")  # reopen after all closed
    assert sorted(c._list_names("oseries")) == ["s", "t"]
    c.close()


def test_open_reads_no_series_and_libraries_named(tmp_path):
    import arcticdb

    path = tmp_path / "names"
    c = ArcticConnector("proj", f"lmdb://{path}")
    c.close()
    ac = arcticdb.Arctic(f"lmdb://{path}")
    assert sorted(ac.list_libraries()) == ["proj.models", "proj.oseries", "proj.stresses"]


def test_pickle_reopens_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    c = ArcticConnector("proj", "lmdb://./rel")  # relative to the current folder
    c._write("oseries", "s", make_series(10), {"a": 1})
    state = pickle.dumps(c)
    c.close()
    monkeypatch.chdir(tmp_path.parent)
    c2 = pickle.loads(state)  # e.g. on a Dask worker with another working folder
    assert c2._read("oseries", "s").metadata == {"a": 1}
    assert c2.uri == f"lmdb://{tmp_path.resolve() / 'rel'}"
    c2.close()


def test_library_options_only_for_new_libraries(tmp_path):
    import arcticdb

    uri = f"lmdb://{tmp_path}/opts"
    c = ArcticConnector("proj", uri, library_options={"rows_per_segment": 1000})
    assert c._lib("oseries").options().rows_per_segment == 1000
    c.close()
    c = ArcticConnector("proj", uri, library_options=arcticdb.LibraryOptions(dynamic_schema=True))
    assert c._lib("oseries").options().rows_per_segment == 1000  # existing: unchanged
    c.close()
