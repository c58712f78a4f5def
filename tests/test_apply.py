"""pr.apply: your own function on every model or series, in process and on Dask."""

from __future__ import annotations

import threading

import pandas as pd
import pastas as ps
import pytest

import pastas_projects as pp
from pastas_projects.errors import ItemNotFoundError, NotPicklableError
from pastas_projects.modelling.apply import Failed
from pastas_projects.testing import sample


def fill(pr: pp.PastasProject) -> pp.PastasProject:
    prec, evap = sample.meteo()
    head = sample.head(prec, evap)
    pr.db.add_stress(prec, "p", kind="prec", metadata={"x": 0.0, "y": 0.0})
    pr.db.add_stress(evap, "e", kind="evap", metadata={"x": 0.0, "y": 0.0})
    for i in range(4):
        pr.db.add_oseries(head + i, f"w{i}", metadata={"x": float(i), "y": 0.0})
        pr.create_model(f"w{i}", recharge=("p", "e"))
    pr.solve_models(progressbar=False)
    return pr


def evp(ml: ps.Model) -> float:
    return ml.stats.evp()


def fails_on_w2(ml: ps.Model) -> dict:
    if ml.name == "w2":
        raise ValueError("no good")
    return {"evp": ml.stats.evp(), "n": len(ml.observations())}


@pytest.fixture
def pr():
    return fill(pp.PastasProject("apply", pp.DictConnector("apply")))


def test_apply_in_process(pr):
    table = pr.apply(evp, progressbar=False)
    assert list(table.index) == ["w0", "w1", "w2", "w3"] and list(table.columns) == ["evp"]
    assert table.loc["w1", "evp"] == pytest.approx(pr.get_statistics("evp").loc["w1", "evp"])
    partial = pr.apply(fails_on_w2, names=["w1", "w2"], progressbar=False)
    assert list(partial.columns) == ["evp", "n", "error"]
    assert partial.loc["w2", "error"] == "ValueError: no good" and pd.isna(partial.loc["w2", "evp"])
    assert (
        partial.loc["w1", "n"] > 0
        and partial.loc["w1", "error"] is None
        or pd.isna(partial.loc["w1", "error"])
    )
    series = pr.apply(lambda s: s.mean(), library="oseries", progressbar=False)
    assert series.loc["w3", "result"] == pytest.approx(pr.db.get_oseries("w3").mean())
    described = pr.apply(lambda s: s.describe(), library="stresses", progressbar=False)
    assert list(described.index) == ["e", "p"] and "mean" in described.columns
    models = pr.apply(lambda ml: ml if ml.name != "w0" else 1 / 0, names=["w0", "w1"])
    assert isinstance(models["w0"], Failed) and "ZeroDivisionError" in models["w0"].error
    assert isinstance(models["w1"], ps.Model)
    with pytest.raises(ItemNotFoundError, match="'nope'"):
        pr.apply(evp, names=["w1", "nope"])


def test_unpicklable_function_fails_up_front(pr):
    lock = threading.Lock()

    def holds_a_lock(ml):
        with lock:
            return 1

    with pytest.raises(NotPicklableError, match="'holds_a_lock' cannot be pickled"):
        pr.apply(holds_a_lock, parallel=True)
    with pytest.raises(ValueError, match="lives in this process"):
        pr.apply(evp, parallel=True)  # a DictConnector cannot be opened by workers


@pytest.mark.slow
def test_apply_in_parallel_on_dask(tmp_path):
    project = fill(pp.PastasProject("p", pp.ArcticConnector("p", f"lmdb://{tmp_path / 'a'}")))
    serial = project.apply(fails_on_w2, progressbar=False)
    parallel = project.apply(fails_on_w2, parallel=True, workers=2, progressbar=False)
    pd.testing.assert_frame_equal(serial, parallel)
    project.db.conn.close()
