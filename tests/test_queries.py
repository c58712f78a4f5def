"""Queries over the network: distances, nearest, extent, tmin/tmax, signatures, search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pastas_projects as pp
from pastas_projects.errors import ItemNotFoundError


@pytest.fixture(params=["dict", "lmdb"])
def pr(request, tmp_path):
    if request.param == "dict":
        conn = pp.DictConnector("q")
    else:
        conn = pp.ArcticConnector("q", f"lmdb://{tmp_path / 'arctic'}")
    project = pp.PastasProject("q", conn)
    rng = np.random.default_rng(4)
    index = pd.date_range("2000-01-01", periods=400, freq="D")
    for i in range(30):
        series = pd.Series(rng.normal(size=400), index).iloc[i : 300 + i]
        series.iloc[0] = np.nan  # the first valid value is the second
        xy = {"x": float(rng.uniform(0, 1000)), "y": float(rng.uniform(0, 1000))}
        project.db.add_oseries(series, f"obs_{i:02d}", metadata=xy | {"group": i % 3})
    for i in range(12):
        kind = ["prec", "evap", "well"][i % 3]
        xy = {"x": float(rng.uniform(0, 1000)), "y": float(rng.uniform(0, 1000))}
        project.db.add_stress(pd.Series(1.0, index), f"{kind}_{i:02d}", kind=kind, metadata=xy)
    project.db.add_oseries(pd.Series(1.0, index), "Nowhere")  # no coordinates
    yield project
    conn.close()


def brute(pr, kind=None):
    o = pr.db.oseries
    s = pr.db.stresses
    if kind:
        s = s[s["kind"] == kind]
    return pd.DataFrame(
        np.hypot(
            o["x"].to_numpy()[:, None] - s["x"].to_numpy(),
            o["y"].to_numpy()[:, None] - s["y"].to_numpy(),
        ),
        index=o.index,
        columns=s.index,
    )


@pytest.fixture
def no_series_reads(pr, monkeypatch):
    """Reading any item's data (not metadata) fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a query read an item")

    monkeypatch.setattr(type(pr.db.conn), "_read", refuse)
    return pr


def test_distances_and_nearest_read_metadata_only(no_series_reads):
    pr = no_series_reads
    expected = brute(pr, "well")
    distances = pr.get_distances(kind="well")
    pd.testing.assert_frame_equal(distances, expected, check_names=False)
    nearest, dist = pr.get_nearest_stresses(kind="well", n=2, distances=True)
    for name in ("obs_00", "obs_17"):
        order = expected.loc[name].sort_values()
        assert list(nearest.loc[name]) == list(order.index[:2])
        np.testing.assert_allclose(dist.loc[name], order.to_numpy()[:2])
    assert nearest.loc["Nowhere"].isna().all()  # no coordinates: no neighbours
    # more than there are: the rest is None
    four = pr.get_nearest_stresses("obs_03", kind="well", n=5)
    assert four.loc["obs_03"].isna().sum() == 1
    within = pr.get_nearest_stresses(kind="prec", n=4, maxdist=300.0, distances=True)[1]
    assert (within.fillna(0) <= 300.0).all().all()
    near_o = pr.get_nearest_oseries(["obs_05"], n=3)
    others = brute_oseries(pr).loc["obs_05"].drop("obs_05").sort_values()
    assert list(near_o.loc["obs_05"]) == list(others.index[:3])
    assert set(pr.get_nearest_oseries(n=1).index) == set(pr.db.oseries_names)


def brute_oseries(pr):
    o = pr.db.oseries.dropna(subset=["x", "y"])
    x, y = o["x"].to_numpy(), o["y"].to_numpy()
    return pd.DataFrame(np.hypot(x[:, None] - x, y[:, None] - y), index=o.index, columns=o.index)


def test_extent_within_tmin_tmax_and_search_read_metadata_only(no_series_reads):
    pr = no_series_reads
    table = pr.db.oseries
    extent = pr.get_extent("oseries")
    assert extent == [table["x"].min(), table["x"].max(), table["y"].min(), table["y"].max()]
    assert pr.get_extent("oseries", buffer=10)[0] == extent[0] - 10
    box = [200.0, 600.0, 100.0, 900.0]
    inside = table[table["x"].between(200, 600) & table["y"].between(100, 900)].index
    assert pr.within(box) == sorted(inside)
    tt = pr.get_tmin_tmax("oseries")
    assert tt.loc["obs_04", "tmin"] == pd.Timestamp("2000-01-06")  # the first value is NaN
    assert tt.loc["obs_04", "tmax"] == pd.Timestamp("2000-01-01") + pd.Timedelta(days=303)
    assert tt.loc["obs_04", "count"] == 299
    assert pr.search("obs_1", "oseries") == [f"obs_{i}" for i in range(10, 20)]
    assert pr.search("obs_0?", library="oseries") == [f"obs_0{i}" for i in range(10)]
    assert pr.search("nowhere", library="oseries", case_sensitive=False) == ["Nowhere"]
    assert pr.search(["well", "Now"]) == {
        "oseries": ["Nowhere"],
        "stresses": ["well_02", "well_05", "well_08", "well_11"],
        "models": [],
    }
    with pytest.raises(ItemNotFoundError, match="'nope'"):
        pr.get_tmin_tmax("oseries", ["obs_01", "nope"])
    with pytest.raises(ValueError, match="extent"):
        pr.within([1, 2, 3])


def test_models_library_uses_the_oseries_of_each_model(pr):
    pr.create_models(
        {"templates": {"t": {"match": "obs_0*", "stressmodels": {"recharge": {}}}}},
        progressbar=False,
    )
    assert pr.within([0, 1000, 0, 1000], library="models") == pr.within(
        [0, 1000, 0, 1000], names=pr.search("obs_0", "oseries"), library="oseries"
    )
    tt = pr.get_tmin_tmax("models")
    assert list(tt.index) == pr.db.model_names
    assert (tt["tmin"] == pr.get_tmin_tmax("oseries", tt.index)["tmin"]).all()


def test_signatures(pr):
    table = pr.get_signatures(["obs_01", "obs_02"], signatures=["magnitude", "rise_rate"])
    assert list(table.index) == ["obs_01", "obs_02"] and list(table.columns) == [
        "magnitude",
        "rise_rate",
    ]
    assert table.notna().all().all()
    everything = pr.get_signatures("obs_03")
    assert everything.shape[0] == 1 and everything.shape[1] > 20
    with pytest.raises(ValueError, match="unknown signature"):
        pr.get_signatures("obs_01", signatures=["nope"])
