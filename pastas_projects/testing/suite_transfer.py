"""Suite part: copies and zip files into and out of the store keep everything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pastas_projects as pp
from pastas_projects.errors import ItemExistsError
from pastas_projects.testing import sample
from pastas_projects.testing._state import store_state


def _without_versions(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "input_versions"}


def assert_same_contents(source: pp.Database, target: pp.Database) -> None:
    """Series, metadata and models of ``source`` are in ``target``, exactly."""
    for library in ("oseries", "stresses"):
        assert target.names(library) == source.names(library)
        for name in source.names(library):
            read = source.get_oseries if library == "oseries" else source.get_stresses
            again = target.get_oseries if library == "oseries" else target.get_stresses
            pd.testing.assert_series_equal(
                again(name), read(name), check_exact=True, check_freq=True
            )
        mine, theirs = source.series_records(library), target.series_records(library)
        assert {n: r for n, r in theirs.items()} == mine  # bookkeeping and metadata whole
    assert target.model_names == source.model_names
    mine, theirs = source.model_records(), target.model_records()
    for name in source.model_names:
        assert _without_versions(theirs[name]) == _without_versions(mine[name])
        assert target.read_item("models", name).data == source.read_item("models", name).data
        sim = target.get_models(name).simulate()
        assert sim.equals(source.get_models(name).simulate())
    assert target.stale_models() == source.stale_models()


class TransferSuite:
    """Copies between this store and another, and zip files, lose nothing."""

    @pytest.fixture
    def varied(self, filled) -> pp.PastasProject:
        """``filled`` plus a stale model, a float32 series with NaN and an int series."""
        prec, evap = sample.meteo()
        head = sample.head(prec, evap, seed=5)
        filled.db.add_oseries(head, "well_2", metadata={"x": 12.5, "note": "stale"})
        filled.create_model("well_2", recharge=("prec_1", "evap_1"), noise=True)
        filled.solve_models("well_2", progressbar=False)
        newer = head.copy()
        newer.iloc[-1] += 0.05
        filled.db.add_oseries(newer, "well_2", metadata={"x": 12.5, "note": "stale"},
                              overwrite=True, force=True)  # fmt: skip
        values = prec.astype("float32").iloc[:500].copy()
        values.iloc[[3, 7]] = np.nan
        filled.db.add_stress(values, "rain_f32", kind="prec", metadata={"unit": "mm/d"})
        whole = pd.Series(np.arange(20, dtype="int64"), pd.date_range("2001", periods=20, freq="h"))
        filled.db.add_oseries(whole, "counts")
        return filled

    def test_copy_out_and_in_keeps_everything(self, varied):
        outside = pp.Database(pp.DictConnector("outside"))
        report = pp.copy_store(varied, outside, progressbar=False)
        assert report.ok and len(report.names("models", "added")) == 2
        assert_same_contents(varied.db, outside)
        assert outside.stale_models() == ["well_2"]
        # and back into an empty store of this kind, through a second project name
        varied.db.del_models(varied.db.model_names)
        for library in ("oseries", "stresses"):
            for name in varied.db.names(library):
                (varied.db.del_oseries if library == "oseries" else varied.db.del_stress)(name)
        report = pp.copy_store(outside, varied, progressbar=False)
        assert report.ok
        assert_same_contents(outside, varied.db)

    def test_copy_again_writes_nothing(self, varied):
        outside = pp.Database(pp.DictConnector("outside"))
        pp.copy_store(varied, outside, progressbar=False)
        before = store_state(varied.db)
        again = pp.copy_store(outside, varied, progressbar=False)
        assert set(again.to_frame()["result"]) == {"unchanged"}
        assert store_state(varied.db) == before
        if varied.db.conn.supports_versions:
            assert len(varied.db.list_versions("oseries", "well_1")) == 1

    def test_copy_clash_leaves_the_store_unchanged(self, varied):
        outside = pp.Database(pp.DictConnector("outside"))
        pp.copy_store(varied, outside, progressbar=False)
        changed = outside.get_oseries("well_1") + 1.0
        outside.add_oseries(changed, "well_1", overwrite=True, force=True)
        outside.add_stress(sample.meteo(seed=9)[0], "prec_new", kind="prec")
        before = store_state(varied.db)
        with pytest.raises(ItemExistsError, match="oseries 'well_1'"):
            pp.copy_store(outside, varied, progressbar=False)
        assert store_state(varied.db) == before  # not even prec_new was written
        report = pp.copy_store(outside, varied, overwrite=True, progressbar=False)
        assert report.names("oseries", "updated") == ["well_1"]
        assert "well_1" in varied.db.stale_models()  # its oseries changed

    def test_zip_round_trip(self, varied, tmp_path):
        path = varied.to_zip(tmp_path / "project.zip", progressbar=False)
        back = pp.PastasProject.from_zip(path, pp.DictConnector("back"), progressbar=False)
        assert back.name == varied.name
        assert_same_contents(varied.db, back.db)
        # and a zip of another store read into this one
        varied.db.del_models(varied.db.model_names)
        for library in ("oseries", "stresses"):
            for name in varied.db.names(library):
                (varied.db.del_oseries if library == "oseries" else varied.db.del_stress)(name)
        pp.PastasProject.from_zip(path, varied.db.conn, progressbar=False)
        assert_same_contents(back.db, varied.db)
