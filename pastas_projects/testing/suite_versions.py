"""Suite part: versions and snapshots, for connectors that support them."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from pastas_projects.errors import ItemNotFoundError, NotSupportedError
from pastas_projects.testing._state import store_state


class VersionSuite:
    """Version history (``supports_versions``) and snapshots (``supports_snapshots``)."""

    def test_versions_of_series(self, pr, meteo):
        if not pr.db.conn.supports_versions:
            with pytest.raises(NotSupportedError):
                pr.db.add_stress(meteo[0], "p", kind="prec")
                pr.db.get_stresses("p", as_of=0)
            return
        prec = meteo[0]
        pr.db.add_stress(prec, "p", kind="prec")
        time.sleep(0.05)
        between = pd.Timestamp.now(tz="UTC").tz_localize(None)
        time.sleep(0.05)
        pr.db.add_stress(prec * 2, "p", kind="prec", overwrite=True)
        pr.db.add_stress(prec * 3, "p", kind="prec", overwrite=True)
        versions = pr.db.list_versions("stresses", "p")
        assert len(versions) == 3 and list(versions["version"]) == sorted(versions["version"])
        first = int(versions["version"].iloc[0])
        np.testing.assert_array_equal(
            pr.db.get_stresses("p", as_of=first).to_numpy(), prec.to_numpy()
        )
        np.testing.assert_array_equal(
            pr.db.get_stresses("p", as_of=between).to_numpy(), prec.to_numpy()
        )
        np.testing.assert_array_equal(pr.db.get_stresses("p").to_numpy(), (prec * 3).to_numpy())
        assert pr.db.prune_versions("stresses", "p", keep_last=1) == 2
        assert len(pr.db.list_versions("stresses", "p")) == 1
        np.testing.assert_array_equal(pr.db.get_stresses("p").to_numpy(), (prec * 3).to_numpy())
        with pytest.raises(ItemNotFoundError, match="'p'"):
            pr.db.get_stresses("p", as_of=first)

    def test_old_model_version_rebuilds_with_its_series(self, filled):
        if not filled.db.conn.supports_versions:
            pytest.skip("connector keeps no versions")
        old = filled.db.get_models("well_1")
        old_version = int(filled.db.list_versions("models", "well_1")["version"].iloc[-1])
        head = filled.db.get_oseries("well_1")
        filled.db.add_oseries(
            head + 0.5, "well_1", metadata={"x": 10.0, "y": 20.0}, overwrite=True, force=True
        )
        filled.solve_models(progressbar=False)
        assert len(filled.db.list_versions("models", "well_1")) >= 2
        again = filled.db.get_models("well_1", as_of=old_version)
        pd.testing.assert_series_equal(again.simulate(), old.simulate(), check_exact=True)
        pd.testing.assert_series_equal(again.oseries.series_original, old.oseries.series_original)
        info = filled.db.read_item("models", "well_1").metadata
        assert info["input_versions"]["oseries/well_1"] is not None

    def test_snapshots(self, filled, meteo):
        db = filled.db
        if not db.conn.supports_snapshots:
            with pytest.raises(NotSupportedError):
                db.create_snapshot("before")
            return
        before = store_state(db)
        db.create_snapshot("before")
        assert db.list_snapshots() == ["before"]
        db.add_stress(meteo[0] * 5, "new", kind="prec")
        db.add_stress(meteo[1] * 2, "evap_1", kind="evap", overwrite=True, force=True)
        db.del_models("well_1")
        assert store_state(db) != before
        db.restore_snapshot("before")
        assert store_state(db) == before
        assert db.get_models("well_1").parameters["optimal"].notna().all()
        with pytest.raises(ItemNotFoundError, match="'nope'"):
            db.restore_snapshot("nope")
        db.delete_snapshot("before")
        assert db.list_snapshots() == []
