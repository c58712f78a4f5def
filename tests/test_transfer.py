"""Copying between stores: what survives, what a rerun does, and what is refused.

The shared connector suite (``pastas_projects/testing/suite_transfer.py``) checks a
copy into and out of every connector; these tests cover the rest: stores given as
URIs, a copy killed half-way and run again, records keys added later, names, the
command line and CSV export.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import pastas_projects as pp
from pastas_projects.cli import app
from pastas_projects.errors import (
    ItemExistsError,
    ItemNotFoundError,
    SeriesValueError,
    StoreConnectionError,
)
from pastas_projects.testing import sample
from pastas_projects.testing._state import store_state
from pastas_projects.testing.suite_transfer import assert_same_contents


def filled_project(connector) -> pp.PastasProject:
    """Two oseries, two stresses, a solved model and a stale model."""
    pr = pp.PastasProject("p", connector)
    prec, evap = sample.meteo()
    pr.db.add_stress(prec, "prec", kind="prec", metadata={"x": 1.0, "y": 2.0})
    pr.db.add_stress(evap, "evap", kind="evap", metadata={"x": 1.0, "y": 2.0})
    for i, name in enumerate(("well_a", "well_b")):
        pr.db.add_oseries(sample.head(prec, evap, seed=i), name, metadata={"x": float(i)})
        pr.create_model(name, recharge=("prec", "evap"))
    pr.solve_models(progressbar=False)
    newer = pr.db.get_oseries("well_b")
    newer.iloc[-1] += 0.1
    pr.db.add_oseries(newer, "well_b", metadata={"x": 1.0}, overwrite=True, force=True)
    return pr


@pytest.fixture
def source(tmp_path):
    conn = pp.ArcticConnector("src", f"lmdb://{tmp_path / 'src'}")
    yield filled_project(conn)
    conn.close()


def test_copy_between_uris_keeps_bookkeeping(source, tmp_path):
    target_uri = f"pystore://{tmp_path / 'pystore'}"
    report = pp.copy_store(source.db.conn, target_uri, progressbar=False)
    assert report.ok
    assert report.counts().loc["models", "added"] == 2
    target = pp.Database(pp.connect(target_uri))  # the URI opens the 'pastas_projects' name
    assert_same_contents(source.db, target)
    assert target.stale_models() == ["well_b"]
    solved = pp.PastasProject("t", target.conn).solve_models(only_changed=True, progressbar=False)
    assert list(solved.index) == ["well_b"]  # only_changed knows what is up to date


def test_record_keys_added_later_travel_whole(source):
    item = source.db.read_item("models", "well_a")
    record = item.metadata | {"checks": {"evp>50": True, "ran": "2026-01-01"}}
    source.db.write_item("models", "well_a", item.data, record, overwrite=True)
    target = pp.Database(pp.DictConnector("t"))
    pp.copy_store(source, target, progressbar=False)
    assert target.model_records("well_a")["well_a"]["checks"] == record["checks"]
    # input versions are renumbered to the target's (it keeps none)
    versions = target.model_records("well_a")["well_a"]["input_versions"]
    assert set(versions) == set(record["inputs"]) and set(versions.values()) == {None}


def test_copy_by_name_brings_the_series_along(source):
    target = pp.Database(pp.DictConnector("t"))
    report = pp.copy_store(source, target, names=["well_a"], progressbar=False)
    assert report.ok
    assert target.model_names == ["well_a"] and target.oseries_names == ["well_a"]
    assert target.stresses_names == ["evap", "prec"]
    only_series = pp.Database(pp.DictConnector("s"))
    pp.copy_store(source, only_series, libraries="stresses", progressbar=False)
    assert only_series.stresses_names == ["evap", "prec"] and only_series.model_names == []
    failed = pp.copy_store(source, only_series, libraries=["models"], progressbar=False)
    assert not failed.ok and len(failed.failures) == 2  # their oseries are not there
    assert "not in the store" in failed.failures[0].error
    with pytest.raises(ItemNotFoundError, match="nope"):
        pp.copy_store(source, target, names=["nope"], progressbar=False)
    with pytest.raises(ValueError, match="unknown library"):
        pp.copy_store(source, target, libraries=["oserie"], progressbar=False)


def test_write_item_refuses_damaged_series():
    db = pp.Database(pp.DictConnector("d"))
    head = pd.Series([1.0, 2.0, 3.0], pd.date_range("2020", periods=3))
    db.add_oseries(head, "well")
    item = db.read_item("oseries", "well")
    other = pp.Database(pp.DictConnector("o"))
    with pytest.raises(SeriesValueError, match="content hash"):
        other.write_item("oseries", "well", item.data * 2, item.metadata)
    assert other.oseries_names == []


def test_unreachable_destination_is_a_clear_error(source):
    with pytest.raises(StoreConnectionError, match="cannot reach"):
        pp.copy_store(source, "mongodb://127.0.0.1:9/")
    runner = CliRunner()
    result = runner.invoke(
        app, ["copy", source.db.conn.uri, "mongodb://127.0.0.1:9/", "--name", "src"]
    )
    assert result.exit_code == 1
    assert "Error: cannot reach a MongoDB server" in result.output


def test_killed_copy_finishes_when_run_again(tmp_path):
    """A copy killed half-way writes each item exactly once over both runs."""
    src_uri, dst_uri = f"lmdb://{tmp_path / 'src'}", f"lmdb://{tmp_path / 'dst'}"
    src = pp.Database(pp.connect(src_uri, "p"))
    index = pd.date_range("1950", periods=20_000, freq="h")
    for i in range(200):
        values = np.random.default_rng(i).normal(size=len(index))
        src.add_oseries(pd.Series(values, index), f"s{i:03d}", metadata={"i": i})
    code = (
        "import pastas_projects as pp\n"
        f"pp.copy_store(pp.connect({src_uri!r}, 'p'), pp.connect({dst_uri!r}, 'p'), "
        "progressbar=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    dst = pp.Database(pp.connect(dst_uri, "p"))
    deadline = time.monotonic() + 120
    while len(dst.names("oseries")) < 10:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the copy never got going"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = dst.names("oseries")
    assert 10 <= len(done) < 200, "the copy was not interrupted half-way"

    report = pp.copy_store(src, dst, progressbar=False)
    assert report.ok
    assert len(report.names("oseries", "unchanged")) >= len(done) - 1  # one may be torn off
    assert len(report.names("oseries", "added")) == 200 - len(report.names("oseries", "unchanged"))
    assert_same_contents(src, dst)
    for name in dst.oseries_names[::20] + done[-2:]:
        assert len(dst.list_versions("oseries", name)) == 1  # nothing written twice


def test_clash_on_the_command_line_leaves_the_target(source, tmp_path):
    target_uri = f"lmdb://{tmp_path / 'dst'}"
    runner = CliRunner()
    args = ["copy", source.db.conn.uri, target_uri, "--name", "src"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "models: 2 added" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "models: 2 unchanged" in again.output
    target = pp.Database(pp.connect(target_uri, "src"))
    changed = target.get_oseries("well_a") * 1.01
    target.add_oseries(changed, "well_a", metadata={"x": 0.0}, overwrite=True, force=True)
    before = store_state(target)
    clash = runner.invoke(app, args)
    assert clash.exit_code == 1
    assert "differ: oseries 'well_a'" in clash.output and "use --overwrite" in clash.output
    assert store_state(target) == before
    forced = runner.invoke(app, [*args, "--overwrite"])
    assert forced.exit_code == 0 and "oseries: 1 updated" in forced.output
    # and in Python (a clash made through this connector, which sees its own writes at
    # once; another process's writes it may see only after ArcticDB's version cache)
    target.add_oseries(changed, "well_a", metadata={"x": 0.0}, overwrite=True, force=True)
    with pytest.raises(ItemExistsError):
        pp.copy_store(source, target, progressbar=False)


# ---------------------------------------------------------------------- CSV export
def test_model_series_to_csv_read_back_exactly(source, tmp_path):
    prec = source.db.get_stresses("prec").copy()
    prec.iloc[[5, 50]] = np.nan
    source.db.add_stress(prec, "prec", kind="prec", metadata={"x": 1.0, "y": 2.0},
                         overwrite=True, force=True)  # fmt: skip
    files = source.export_model_series_to_csv(["well_a"], tmp_path / "csv")
    names = sorted(p.relative_to(tmp_path / "csv").as_posix() for p in files)
    assert names == [
        "oseries/well_a.csv",
        "oseries_metadata.csv",
        "stresses/evap.csv",
        "stresses/prec.csv",
        "stresses_metadata.csv",
    ]
    for library, name in (("oseries", "well_a"), ("stresses", "prec"), ("stresses", "evap")):
        back = pp.read_csv(tmp_path / "csv" / library / f"{name}.csv", dropna=False)
        stored = (
            source.db.get_oseries(name) if library == "oseries" else source.db.get_stresses(name)
        )
        pd.testing.assert_series_equal(back, stored, check_exact=True, check_freq=False)
    from pastas_projects.io import read_metadata_csv

    meta = read_metadata_csv(tmp_path / "csv" / "stresses_metadata.csv")
    assert meta == {
        "prec": {"kind": "prec", "x": 1, "y": 2},
        "evap": {"kind": "evap", "x": 1, "y": 2},
    }


def test_copy_flow_parameters_render_in_the_ui():
    from pastas_projects.flows import copy_flow

    props = copy_flow.parameters.properties
    assert copy_flow.name == "copy" and props["target"]["default"] == "pastas-store"
    assert "default" not in props["source"] and props["overwrite"]["type"] == "boolean"
    described = [p for p, spec in props.items() if spec.get("description")]
    assert set(described) == set(props), set(props) - set(described)


@pytest.mark.slow
def test_copy_on_the_cluster_from_the_command_line(
    source, tmp_path, prefect_api_url, shared_cluster
):
    target_uri = f"lmdb://{tmp_path / 'dst'}"
    source.db.conn.close()  # the flow's workers open the LMDB folder themselves
    runner = CliRunner()
    args = ["copy", f"lmdb://{tmp_path / 'src'}", target_uri, "--name", "src"]
    result = runner.invoke(app, [*args, "--cluster", shared_cluster, "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "copied 6, 0 the same already" in result.output and "Flow run: http" in result.output
    memory = runner.invoke(app, ["copy", "memory://", target_uri, "--flow"])
    assert memory.exit_code == 1 and "in-memory store" in memory.output
    target = pp.Database(pp.connect(target_uri, "src"))
    assert target.model_names == ["well_a", "well_b"] and target.stale_models() == ["well_b"]
