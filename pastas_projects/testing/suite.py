"""One test-suite for every connector; see :mod:`pastas_projects.testing`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pastas as ps
import pytest

import pastas_projects as pp
from pastas_projects.connectors.base import BaseConnector
from pastas_projects.errors import (
    InvalidNameError,
    ItemExistsError,
    ItemNotFoundError,
    MetadataError,
    ModelSeriesError,
    SeriesInUseError,
    SeriesTypeError,
    SeriesValueError,
)
from pastas_projects.testing import sample
from pastas_projects.testing._state import store_state
from pastas_projects.testing.suite_feed import FeedSuite
from pastas_projects.testing.suite_safety import SafetySuite
from pastas_projects.testing.suite_transfer import TransferSuite
from pastas_projects.testing.suite_versions import VersionSuite


class ConnectorSuite(VersionSuite, SafetySuite, TransferSuite, FeedSuite):
    """Tests every connector must pass; needs a ``connector`` fixture (a new, empty store)."""

    @pytest.fixture
    def pr(self, connector: BaseConnector) -> pp.PastasProject:
        return pp.PastasProject("suite", connector)

    @pytest.fixture
    def meteo(self) -> tuple[pd.Series, pd.Series]:
        return sample.meteo()

    @pytest.fixture
    def filled(self, pr, meteo) -> pp.PastasProject:
        """A project with one oseries, two stresses and a solved model."""
        prec, evap = meteo
        pr.db.add_oseries(sample.head(prec, evap), "well_1", metadata={"x": 10.0, "y": 20.0})
        pr.db.add_stress(prec, "prec_1", kind="prec", metadata={"x": 11.0, "y": 21.0})
        pr.db.add_stress(evap, "evap_1", kind="evap", metadata={"x": 11.0, "y": 21.0})
        pr.create_model("well_1", recharge=("prec_1", "evap_1"))
        pr.solve_models(progressbar=False)
        return pr

    # ------------------------------------------------------------------ series round trips
    @pytest.mark.parametrize("dtype", ["float64", "int64", "float32"])
    def test_series_round_trip_exact(self, pr, dtype):
        index = pd.DatetimeIndex(
            ["1990-01-01 08:00", "1990-01-15", "1990-02-03 12:30:15", "1991-07-01"]
        )
        series = pd.Series(
            np.array([1.5, -2.25, 3.0, 1e-9]).astype(dtype)
            if dtype != "int64"
            else np.array([1, -2, 3, 2**40], dtype=dtype),
            index,
        )
        pr.db.add_oseries(series, "obs_a")
        back = pr.db.get_oseries("obs_a")
        assert back.name == "obs_a"
        assert back.dtype == series.dtype
        pd.testing.assert_index_equal(back.index, series.index)
        np.testing.assert_array_equal(back.to_numpy(), series.to_numpy())

    def test_daily_series_keeps_values_nan_and_freq(self, pr, meteo):
        prec = meteo[0].copy()
        prec.iloc[[3, 400]] = np.nan
        prec.index.name = "date"
        pr.db.add_stress(prec, "prec", kind="prec")
        back = pr.db.get_stresses("prec")
        pd.testing.assert_series_equal(back, prec.rename("prec"), check_exact=True, check_freq=True)
        assert back.index.freqstr == "D"

    def test_dataframe_with_one_column_and_list_read(self, pr, meteo):
        prec, evap = meteo
        pr.db.add_stress(prec.to_frame("rain"), kind="prec")  # name from the column
        pr.db.add_stress(evap, "evap", kind="evap")
        both = pr.db.get_stresses(["rain", "evap"])
        assert set(both) == {"rain", "evap"}
        np.testing.assert_array_equal(both["rain"].to_numpy(), prec.to_numpy())

    def test_metadata_tables(self, pr, meteo):
        prec, evap = meteo
        pr.db.add_stress(prec, "p", kind="prec", metadata={"x": 1.5, "y": np.float64(2.5), "id": 7})
        pr.db.add_stress(
            evap, "e", kind="evap", metadata={"x": 3.0, "y": 4.0, "station": "De Bilt"}
        )
        table = pr.db.stresses
        assert sorted(table.index) == ["e", "p"]
        assert table.loc["p", "kind"] == "prec" and table.loc["e", "station"] == "De Bilt"
        assert table.loc["p", "y"] == 2.5 and table.loc["p", "id"] == 7
        assert not any(c.startswith("_") for c in table.columns)
        assert pr.db.stresses_names == ["e", "p"] and pr.db.oseries.empty

    def test_overwrite_replaces_series(self, pr, meteo):
        prec, _ = meteo
        pr.db.add_stress(prec, "p", kind="prec")
        pr.db.add_stress(prec * 2, "p", kind="prec", overwrite=True)
        np.testing.assert_array_equal(pr.db.get_stresses("p").to_numpy(), (prec * 2).to_numpy())

    def test_delete_series(self, pr, meteo):
        pr.db.add_stress(meteo[0], "p", kind="prec")
        pr.db.del_stress("p")
        assert pr.db.stresses_names == []
        with pytest.raises(ItemNotFoundError, match="'p'"):
            pr.db.get_stresses("p")

    # ------------------------------------------------------------------ models
    def test_model_rebuilt_simulates_identically(self, filled):
        stored = filled.db.get_models("well_1")
        again = filled.db.get_models("well_1")
        pd.testing.assert_frame_equal(stored.parameters, again.parameters)
        pd.testing.assert_series_equal(stored.simulate(), again.simulate(), check_exact=True)
        assert stored.parameters["optimal"].notna().all()

    def test_user_model_round_trip(self, pr, meteo):
        prec, evap = meteo
        head = sample.head(prec, evap).rename("well_2")
        pr.db.add_oseries(head, "well_2")
        pr.db.add_stress(prec.rename("p"), "p", kind="prec")
        pr.db.add_stress(evap.rename("e"), "e", kind="evap")
        ml = ps.Model(head, name="my_model")
        ps.RechargeModel(ml, prec=prec.rename("p"), evap=evap.rename("e"), rfunc=ps.Exponential())
        ml.solve(report=False)
        pr.db.add_model(ml)
        back = pr.db.get_models("my_model")
        pd.testing.assert_series_equal(
            back.parameters["optimal"], ml.parameters["optimal"], check_exact=True
        )
        pd.testing.assert_series_equal(back.simulate(), ml.simulate(), check_exact=True)
        assert "my_model" in pr.db.model_names
        assert pr.db.get_models(["my_model"])["my_model"].name == "my_model"

    def test_model_stored_without_series(self, filled):
        text = filled.db.read_item("models", "well_1").data
        assert isinstance(text, str) and '"series"' not in text

    def test_statistics_and_parameters_tables(self, filled):
        stats = filled.get_statistics(["evp", "rmse"])
        assert list(stats.columns) == ["evp", "rmse"] and stats.loc["well_1", "evp"] > 50
        params = filled.get_parameters()
        assert set(params.columns) >= {"recharge_A", "recharge_a", "recharge_f", "constant_d"}
        ml = filled.db.get_models("well_1")
        assert params.loc["well_1", "recharge_a"] == ml.parameters.loc["recharge_a", "optimal"]
        assert filled.get_statistics("evp").loc["well_1", "evp"] == pytest.approx(ml.stats.evp())

    def test_nearest_stresses_by_coordinates(self, filled, meteo):
        filled.db.add_stress(meteo[0] * 3, "far_prec", kind="prec", metadata={"x": 1e5, "y": 1e5})
        ml = filled.create_model("well_1", name="nearest", recharge="nearest")
        assert [ts.name for ts in ml.stressmodels["recharge"].stresses] == ["prec_1", "evap_1"]

    def test_failed_solve_is_recorded_and_others_go_on(self, filled, meteo):
        prec, evap = meteo
        late = sample.head(prec, evap).shift(freq=pd.Timedelta(days=365 * 30))
        filled.db.add_oseries(late, "late", metadata={"x": 10.0, "y": 20.0})
        filled.create_model("late", recharge=("prec_1", "evap_1"))
        filled.create_model("well_1", name="second", recharge=("prec_1", "evap_1"))
        result = filled.solve_models(progressbar=False)
        assert not result.loc["late", "ok"] and result.loc["late", "error"]
        assert result.loc["second", "ok"] and result.loc["well_1", "ok"]
        info = filled.db.models
        assert info.loc["late", "status"] == "failed" and info.loc["second", "status"] == "solved"

    def test_only_changed(self, filled, meteo):
        filled.create_model("well_1", name="other", recharge=("prec_1", "evap_1"))
        assert filled.db.stale_models() == ["other"]
        filled.solve_models(progressbar=False, only_changed=True)
        assert filled.db.stale_models() == []
        head = filled.db.get_oseries("well_1")
        filled.db.add_oseries(
            head + 0.01, "well_1", metadata={"x": 10.0, "y": 20.0}, overwrite=True, force=True
        )
        assert filled.db.stale_models() == ["other", "well_1"]

    # ------------------------------------------------------------------ errors, store unchanged
    BAD_SERIES = {
        "not numeric": (
            pd.Series(["a", "b"], pd.date_range("2000", periods=2)),
            SeriesTypeError,
            "numeric",
        ),
        "no DatetimeIndex": (pd.Series([1.0, 2.0], [1, 2]), SeriesTypeError, "DatetimeIndex"),
        "tz-aware": (
            pd.Series([1.0, 2.0], pd.date_range("2000", periods=2, tz="UTC")),
            SeriesValueError,
            "tz-aware",
        ),
        "NaT": (
            pd.Series([1.0, 2.0], pd.DatetimeIndex(["2000-01-01", None])),
            SeriesValueError,
            "NaT",
        ),
        "unsorted": (
            pd.Series([1.0, 2.0], pd.DatetimeIndex(["2000-01-02", "2000-01-01"])),
            SeriesValueError,
            "sorted",
        ),
        "duplicates": (
            pd.Series([1.0, 2.0], pd.DatetimeIndex(["2000-01-01", "2000-01-01"])),
            SeriesValueError,
            "duplicate",
        ),
        "empty": (pd.Series([], pd.DatetimeIndex([]), dtype=float), SeriesValueError, "empty"),
        "all NaN": (
            pd.Series([np.nan, np.nan], pd.date_range("2000", periods=2)),
            SeriesValueError,
            "NaN",
        ),
        "two columns": (
            pd.DataFrame({"a": [1.0], "b": [2.0]}, pd.date_range("2000", periods=1)),
            SeriesTypeError,
            "one column",
        ),
        "not a series": ([1.0, 2.0], SeriesTypeError, "Series"),
    }

    @pytest.mark.parametrize("case", list(BAD_SERIES))
    def test_bad_series_rejected_store_unchanged(self, filled, case):
        series, error, words = self.BAD_SERIES[case]
        before = store_state(filled.db)
        with pytest.raises(error, match=words) as info:
            filled.db.add_oseries(series, "well_1", overwrite=True, force=True)
        assert "'well_1'" in str(info.value)
        with pytest.raises(error, match=words):
            filled.db.add_stress(series, "new_stress", kind="prec")
        assert store_state(filled.db) == before

    BAD_NAMES = [
        "",
        "x" * 201,
        "a/b",
        "a\\b",
        "..",
        "a..b",
        "tab\tname",
        "nul\x00",
        "../up",
        "_hidden",
        ".hidden",
        " padded",
        "CON",
        "a:b",
        12,
    ]

    @pytest.mark.parametrize("name", BAD_NAMES)
    def test_unsafe_names_rejected_store_unchanged(self, filled, meteo, name):
        before = store_state(filled.db)
        with pytest.raises(InvalidNameError, match="name"):
            filled.db.add_stress(meteo[0], name, kind="prec")
        assert store_state(filled.db) == before

    def test_nameless_series_needs_a_name(self, filled, meteo):
        before = store_state(filled.db)
        with pytest.raises(InvalidNameError, match="None"):
            filled.db.add_oseries(meteo[0].rename(None))
        assert store_state(filled.db) == before

    @pytest.mark.parametrize(
        "metadata",
        [{"f": object()}, {"when": {1, 2}}, {1: "int key"}, {"_hash": "reserved"}, "not a dict"],
    )
    def test_bad_metadata_rejected_store_unchanged(self, filled, meteo, metadata):
        before = store_state(filled.db)
        with pytest.raises(MetadataError, match="'new'"):
            filled.db.add_stress(meteo[0], "new", kind="prec", metadata=metadata)
        assert store_state(filled.db) == before

    def test_existing_item_needs_overwrite(self, filled, meteo):
        before = store_state(filled.db)
        with pytest.raises(ItemExistsError, match="'prec_1'.*overwrite=True"):
            filled.db.add_stress(meteo[0] * 2, "prec_1", kind="prec")
        with pytest.raises(ItemExistsError, match="'well_1'"):
            filled.create_model("well_1", recharge=("prec_1", "evap_1"))
        with pytest.raises(ItemExistsError, match="'well_1'"):
            filled.db.add_model(filled.db.get_models("well_1"))
        assert store_state(filled.db) == before

    def test_model_with_series_not_in_store(self, filled, meteo):
        prec, evap = meteo
        ml = ps.Model(sample.head(prec, evap).rename("unknown_well"), name="m")
        ps.RechargeModel(
            ml, prec=prec.rename("prec_1"), evap=evap.rename("evap_1"), rfunc=ps.Exponential()
        )
        before = store_state(filled.db)
        with pytest.raises(ModelSeriesError, match="'m' uses oseries 'unknown_well'.*not in the"):
            filled.db.add_model(ml)
        assert store_state(filled.db) == before

    def test_model_with_series_differing_from_store(self, filled, meteo):
        prec, evap = meteo
        ml = ps.Model(filled.db.get_oseries("well_1"), name="m")
        ps.RechargeModel(
            ml,
            prec=(prec * 1.1).rename("prec_1"),
            evap=evap.rename("evap_1"),
            rfunc=ps.Exponential(),
        )
        before = store_state(filled.db)
        with pytest.raises(ModelSeriesError, match="stress 'prec_1' differs"):
            filled.db.add_model(ml)
        assert store_state(filled.db) == before

    def test_series_in_use_needs_force(self, filled, meteo):
        before = store_state(filled.db)
        with pytest.raises(SeriesInUseError, match="'prec_1' is used by 1 model.*well_1.*force"):
            filled.db.del_stress("prec_1")
        with pytest.raises(SeriesInUseError, match="'well_1' is used by"):
            filled.db.del_oseries("well_1")
        with pytest.raises(SeriesInUseError, match="'prec_1'.*force=True"):
            filled.db.add_stress(meteo[0] * 2, "prec_1", kind="prec", overwrite=True)
        assert store_state(filled.db) == before
        filled.db.del_stress("prec_1", force=True)
        assert "prec_1" not in filled.db.stresses_names

    def test_missing_items_raise_keyerror_naming_them(self, filled):
        for call, name in [
            (filled.db.get_oseries, "nope_o"),
            (filled.db.get_stresses, "nope_s"),
            (filled.db.get_models, "nope_m"),
            (filled.db.del_models, "nope_d"),
        ]:
            with pytest.raises(KeyError, match=name):
                call(name)

    def test_rewriting_identical_series_is_a_no_op(self, filled):
        head = filled.db.get_oseries("well_1")
        before = store_state(filled.db)
        filled.db.add_oseries(head, "well_1", metadata={"x": 10.0, "y": 20.0}, overwrite=True)
        assert store_state(filled.db) == before
        assert filled.db.stale_models() == []
