"""Suite part: new observations, deletes that touch models, retention, model notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pastas_projects.errors import (
    ItemNotFoundError,
    SeriesInUseError,
    SeriesUpdateError,
    SeriesValueError,
)
from pastas_projects.testing._state import store_state


class FeedSuite:
    """Appending new values, deleting series models use, counts, retention, notes."""

    # ------------------------------------------------------------------ update / upsert
    def test_update_appends_new_values_and_keeps_the_old(self, filled):
        db = filled.db
        head = db.get_oseries("well_1")
        old, new = head.iloc[:-10], head.iloc[-15:]  # overlaps 5 stored values
        db.add_oseries(old, "well_1", metadata={"x": 10.0, "y": 20.0}, overwrite=True, force=True)
        versions_before = (
            len(db.list_versions("oseries", "well_1")) if db.conn.supports_versions else 0
        )
        assert db.update_oseries(new, "well_1", metadata={"source": "logger"}) == "updated"
        back = db.get_oseries("well_1")
        pd.testing.assert_index_equal(back.index, head.index)
        np.testing.assert_array_equal(back.to_numpy(), head.to_numpy())
        assert (
            db.oseries.loc["well_1", "source"] == "logger" and db.oseries.loc["well_1", "x"] == 10.0
        )
        assert db.update_oseries(new, "well_1") == "unchanged"  # nothing new: nothing written
        if db.conn.supports_versions:
            versions = db.list_versions("oseries", "well_1")
            assert len(versions) == versions_before + 1
            first_new = int(versions["version"].iloc[-1])
            np.testing.assert_array_equal(
                db.get_oseries("well_1", as_of=first_new - 1).to_numpy(), old.to_numpy()
            )

    def test_update_of_a_daily_stress_keeps_its_frequency(self, pr, meteo):
        prec = meteo[0]
        pr.db.add_stress(prec.iloc[:-30], "p", kind="prec")
        assert pr.db.update_stress(prec.iloc[-30:], "p") == "updated"
        back = pr.db.get_stresses("p")
        assert back.index.freqstr == "D"
        np.testing.assert_array_equal(back.to_numpy(), prec.to_numpy())
        assert pr.get_tmin_tmax("stresses").loc["p", "tmax"] == prec.index[-1]

    def test_changed_value_under_a_stored_timestamp_is_an_error_naming_it(self, filled):
        db = filled.db
        head = db.get_oseries("well_1")
        changed = head.iloc[-3:] + 0.5
        before = store_state(db)
        with pytest.raises(SeriesUpdateError, match="'well_1'.*3 new value.*differ") as info:
            db.update_oseries(changed, "well_1")
        assert str(head.index[-3]) in str(info.value) and "overwrite=True" in str(info.value)
        assert store_state(db) == before
        assert db.update_oseries(changed, "well_1", overwrite=True) == "updated"
        np.testing.assert_array_equal(db.get_oseries("well_1").iloc[-3:].to_numpy(), changed)
        assert "well_1" in db.stale_models()

    @pytest.mark.parametrize("case", ["decreasing", "hourly", "gap"])
    def test_bad_update_is_an_error_and_the_store_is_unchanged(self, filled, meteo, case):
        db = filled.db
        prec = db.get_stresses("prec_1")
        after = pd.date_range(prec.index[-1] + pd.Timedelta(days=1), periods=10, freq="D")
        if case == "decreasing":
            new = pd.Series(1.0, after[::-1])
            words = "decrease"
        elif case == "hourly":
            new = pd.Series(1.0, pd.date_range(after[0], periods=10, freq="h"))
            words = "frequency"
        else:
            new = pd.Series(1.0, after[3:])
            words = "gap"
        before = store_state(db)
        with pytest.raises(SeriesValueError, match=f"'prec_1'.*{words}"):
            db.update_stress(new, "prec_1")
        assert store_state(db) == before

    def test_update_of_a_missing_series_needs_upsert(self, filled, meteo):
        db = filled.db
        before = store_state(db)
        with pytest.raises(ItemNotFoundError, match="'new_well'.*upsert_oseries"):
            db.update_oseries(db.get_oseries("well_1"), "new_well")
        with pytest.raises(ItemNotFoundError, match="'new_prec'.*upsert_stress"):
            db.update_stress(meteo[0], "new_prec")
        assert store_state(db) == before
        head = db.get_oseries("well_1")
        assert db.upsert_oseries(head.iloc[:-5], "new_well", metadata={"x": 1.0}) == "added"
        assert db.upsert_oseries(head.iloc[-5:], "new_well") == "updated"
        np.testing.assert_array_equal(db.get_oseries("new_well").to_numpy(), head.to_numpy())
        assert db.upsert_stress(meteo[0], "new_prec", kind="prec") == "added"
        assert db.stresses.loc["new_prec", "kind"] == "prec"

    def test_new_observations_make_exactly_their_models_stale_and_enter_the_fit(self, filled):
        db = filled.db
        head = db.get_oseries("well_1")
        filled.create_model("well_1", name="other", recharge=("prec_1", "evap_1"))
        db.add_oseries(head.iloc[:-10], "well_2", metadata={"x": 10.0, "y": 20.0})
        filled.create_model("well_2", recharge=("prec_1", "evap_1"))
        filled.solve_models(progressbar=False)
        assert db.stale_models() == []
        db.update_oseries(head.iloc[-10:], "well_2")
        assert db.stale_models() == ["well_2"]
        result = filled.solve_models(only_changed=True, progressbar=False)
        assert list(result.index) == ["well_2"] and result.loc["well_2", "ok"]
        ml = db.get_models("well_2")
        assert ml.observations().index[-1] == head.index[-1]  # calibrated on the new values
        assert filled.get_tmin_tmax("models").loc["well_2", "tmax"] == head.index[-1]
        info = db.model_records("well_2")["well_2"]
        assert info["solve_info"]["warm_start"] is True and info["solve_info"]["nfev"] > 0

    # ------------------------------------------------------------------ deletes
    def test_del_oseries_with_remove_models(self, filled):
        db = filled.db
        filled.create_model("well_1", name="other", recharge=("prec_1", "evap_1"))
        before = store_state(db)
        with pytest.raises(SeriesInUseError, match="'well_1'"):
            db.del_oseries("well_1")
        assert store_state(db) == before
        db.del_oseries("well_1", remove_models=True)
        assert db.oseries_names == [] and db.model_names == []
        assert db.stresses_names == ["evap_1", "prec_1"]

    def test_force_deleted_stress_marks_its_models_failed(self, filled, meteo):
        """The bug of issue 14: a model whose series is gone must not stay 'solved'."""
        db = filled.db
        assert db.models.loc["well_1", "status"] == "solved"
        db.del_stress("evap_1", force=True)
        info = db.models.loc["well_1"]
        assert info["status"] == "failed" and "'evap_1'" in info["error"]
        assert filled.get_statistics().loc["well_1"].isna().all()  # no stale fit shown
        result = filled.solve_models(progressbar=False)  # solve --all meets it
        assert not result.loc["well_1", "ok"] and result.loc["well_1", "step"] == "build"
        info = db.models.loc["well_1"]
        assert info["status"] == "failed" and "not in the store" in info["error"]
        assert db.stale_models() == ["well_1"]
        db.add_stress(meteo[1], "evap_1", kind="evap", metadata={"x": 11.0, "y": 21.0})
        assert filled.solve_models(only_changed=True, progressbar=False).loc["well_1", "ok"]
        assert db.models.loc["well_1", "status"] == "solved"

    def test_empty_library_and_counts(self, filled, meteo):
        db = filled.db
        assert (db.n_oseries, db.n_stresses, db.n_models) == (1, 2, 1)
        before = store_state(db)
        with pytest.raises(SeriesInUseError, match="force=True"):
            db.empty_library("stresses")
        assert store_state(db) == before
        with pytest.raises(ValueError, match="library"):
            db.empty_library("nope")
        assert db.empty_library("models") == 1 and db.n_models == 0
        assert db.empty_library("stresses") == 2 and db.n_stresses == 0
        assert db.n_oseries == 1

    # ------------------------------------------------------------------ records
    def test_series_keep_their_first_and_last_timestamp_in_the_metadata(self, filled):
        head = filled.db.get_oseries("well_1")
        record = filled.db.series_records("oseries", ["well_1"])["well_1"]
        assert pd.Timestamp(record["_tmin"]) == head.index[0]
        assert pd.Timestamp(record["_tmax"]) == head.index[-1]
        assert record["_count"] == int(head.notna().sum())

    def test_mark_failed_and_notes_keep_the_model(self, filled):
        db = filled.db
        params = db.get_models("well_1").parameters
        db.annotate_model("well_1", "selection", {"selected": True})
        assert db.model_records("well_1")["well_1"]["annotations"]["selection"]["selected"]
        assert db.mark_failed(["well_1", "nope"], "checked by hand") == ["well_1"]
        info = db.models.loc["well_1"]
        assert info["status"] == "failed" and info["error"] == "checked by hand"
        pd.testing.assert_frame_equal(db.get_models("well_1").parameters, params)
        filled.solve_models(progressbar=False)  # notes stay with a model solved again
        record = db.model_records("well_1")["well_1"]
        assert record["status"] == "solved" and record["annotations"]["selection"]["selected"]

    def test_retention_keeps_the_last_versions_and_the_young_ones(self, pr, meteo):
        prec = meteo[0]
        pr.db.add_stress(prec, "p", kind="prec")
        for factor in (2, 3, 4):
            pr.db.add_stress(prec * factor, "p", kind="prec", overwrite=True)
        if not pr.db.conn.supports_versions:
            assert pr.db.apply_retention(keep_last=1) == {"oseries": 0, "stresses": 0, "models": 0}
            return
        assert len(pr.db.list_versions("stresses", "p")) == 4
        # every version is younger than a day: keep_days=1 keeps them all
        assert pr.db.apply_retention(keep_last=1, keep_days=1) == {
            "oseries": 0,
            "stresses": 0,
            "models": 0,
        }
        later = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=10)
        assert pr.db.apply_retention(keep_last=2, keep_days=5, now=later)["stresses"] == 2
        versions = pr.db.list_versions("stresses", "p")
        assert len(versions) == 2
        np.testing.assert_array_equal(pr.db.get_stresses("p").to_numpy(), (prec * 4).to_numpy())
        with pytest.raises(ValueError, match="keep_last"):
            pr.db.apply_retention(keep_last=0)
