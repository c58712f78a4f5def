"""The way in from pastastore 2.0 and the way back, on stores pastastore itself wrote."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pastas as ps
import pytest
from typer.testing import CliRunner

import pastas_projects as pp
from pastas_projects.cli import app
from pastas_projects.errors import ArchiveError, ItemExistsError
from pastas_projects.testing import sample
from pastas_projects.testing._state import store_state
from pastas_projects.transfer import read_zip

pst = pytest.importorskip("pastastore", minversion="2.0")

warnings.filterwarnings("ignore", module="pastastore")


@pytest.fixture(scope="module")
def series():
    prec, evap = sample.meteo()
    well = pd.Series(0.0, prec.index)
    well[prec.index >= "2005-01-01"] = 120.0  # a pumping well switched on
    head = sample.head(prec, evap) - 0.002 * well.rolling(60, min_periods=1).mean().reindex(
        sample.head(prec, evap).index
    )
    return {"head": head.rename("head"), "prec": prec, "evap": evap, "well": well.rename("well")}


def models(data: dict) -> list[ps.Model]:
    """A RechargeModel with noise, StressModels only, both together, and one unsolved."""
    rch = ps.Model(data["head"], name="recharge_noise")
    ps.RechargeModel(rch, data["prec"], data["evap"], ps.Exponential(), name="rch")
    ps.ArNoiseModel(rch)
    stress = ps.Model(data["head"], name="stressmodels")
    ps.StressModel(stress, data["prec"], ps.Gamma(), name="prec", settings="prec")
    ps.StressModel(stress, data["evap"], ps.Exponential(), name="evap", settings="evap", up=False)
    both = ps.Model(data["head"], name="recharge_and_well")
    ps.RechargeModel(both, data["prec"], data["evap"], ps.Exponential(), name="rch")
    ps.StressModel(both, data["well"], ps.Hantush(), name="well", settings="well", up=False)
    ps.ArNoiseModel(both)
    unsolved = ps.Model(data["head"], name="unsolved")
    ps.RechargeModel(unsolved, data["prec"], data["evap"], name="rch")
    for ml in (rch, stress, both):
        ml.solve(report=False)
    return [rch, stress, both, unsolved]


def fill(pstore, data: dict) -> None:
    """What a pastastore user has: series with metadata and models, written by pastastore."""
    pstore.add_oseries(data["head"], "head", metadata={"x": 100.0, "y": 200.0, "screen": "deep"})
    pstore.add_stress(data["prec"], "prec", kind="prec", metadata={"x": 101.0, "y": 201.0})
    pstore.add_stress(data["evap"], "evap", kind="evap", metadata={"x": 101.0, "y": 201.0})
    pstore.add_stress(data["well"], "well", kind="well", metadata={"x": 99.0, "y": 199.0})
    for ml in models(data):
        pstore.add_model(ml)


def new_pastastore(kind: str, tmp_path):
    if kind == "pas":
        return pst.PastaStore(pst.PasConnector("pas", str(tmp_path / "pas")))
    if kind == "arcticdb":
        return pst.PastaStore(pst.ArcticDBConnector("arc", f"lmdb://{tmp_path / 'arc'}"))
    return pst.PastaStore(pst.DictConnector("dict"))


def assert_models_identical(pstore, project: pp.PastasProject, names=None) -> None:
    names = names or [str(n) for n in pstore.model_names]
    assert sorted(project.db.model_names) == sorted(names)
    for name in names:
        theirs = pstore.get_models(name)
        ours = project.db.get_models(name)  # rebuilt from our store's series
        assert ours.simulate().equals(theirs.simulate()), name
        assert ours.parameters["optimal"].equals(theirs.parameters["optimal"]), name
        assert ours.noisemodel is not None if theirs.noisemodel is not None else True


@pytest.mark.parametrize("kind", ["pas", "arcticdb", "dict", "zip", "connector"])
def test_import_every_kind_of_pastastore(kind, series, tmp_path):
    pstore = new_pastastore("pas" if kind == "zip" else kind, tmp_path)
    fill(pstore, series)
    source = {"zip": None, "connector": pstore.conn}.get(kind, pstore)
    if kind == "zip":
        path = tmp_path / "pastastore.zip"
        pstore.to_zip(path, progressbar=False)
        source = path
    project = pp.PastasProject("p", pp.ArcticConnector("p", f"lmdb://{tmp_path / 'ours'}"))
    report = pp.import_pastastore(source, project, progressbar=False)
    assert report.ok, report
    assert project.db.oseries_names == ["head"]
    assert project.db.stresses_names == ["evap", "prec", "well"]
    assert project.db.oseries.loc["head", "screen"] == "deep"
    assert project.db.stresses.loc["well", "kind"] == "well"
    for name in ("prec", "well"):
        pd.testing.assert_series_equal(
            project.db.get_stresses(name), pstore.get_stresses(name).squeeze(), check_names=False,
            check_freq=False,
        )  # fmt: skip
    assert_models_identical(pstore, project)
    info = project.db.models
    assert info.loc["unsolved", "status"] == "built"
    assert set(info.loc[["recharge_noise", "stressmodels", "recharge_and_well"], "status"]) == {
        "solved"
    }
    stats = project.get_statistics(["evp", "rmse"])
    assert stats.loc["recharge_noise", "evp"] > 0 and "unsolved" not in stats.dropna().index
    assert project.db.stale_models() == ["unsolved"]
    again = pp.import_pastastore(source, project, progressbar=False)  # nothing new
    assert set(again.to_frame()["result"]) == {"unchanged"}


def test_missing_series_is_reported_and_skipped(series, tmp_path):
    pstore = new_pastastore("pas", tmp_path)
    fill(pstore, series)
    pstore.del_stress("well", force=True)  # recharge_and_well uses it
    project = pp.PastasProject("p", pp.DictConnector("p"))
    with pytest.warns(UserWarning, match="1 model.*recharge_and_well.*stress 'well'"):
        report = pp.import_pastastore(pstore, project, progressbar=False)
    assert [(o.library, o.name) for o in report.failures] == [("models", "recharge_and_well")]
    assert "not in the pastastore" in report.failures[0].error
    assert "recharge_and_well" not in project.db.model_names
    assert_models_identical(pstore, project, ["recharge_noise", "stressmodels", "unsolved"])


def test_clash_without_overwrite_changes_nothing(series, tmp_path):
    pstore = new_pastastore("dict", tmp_path)
    fill(pstore, series)
    project = pp.PastasProject("p", pp.DictConnector("p"))
    project.db.add_oseries(series["head"] + 1.0, "head")
    before = store_state(project.db)
    with pytest.raises(ItemExistsError, match="oseries 'head'"):
        pp.import_pastastore(pstore, project, progressbar=False)
    assert store_state(project.db) == before
    report = pp.import_pastastore(pstore, project, overwrite=True, progressbar=False)
    assert report.names("oseries", "updated") == ["head"]
    assert_models_identical(pstore, project)


def test_export_to_pastastore_and_back(series, tmp_path):
    original = new_pastastore("dict", tmp_path)
    fill(original, series)
    project = pp.PastasProject("p", pp.ArcticConnector("p", f"lmdb://{tmp_path / 'ours'}"))
    pp.import_pastastore(original, project, progressbar=False)
    exported = new_pastastore("arcticdb", tmp_path)
    report = pp.export_pastastore(project, exported, progressbar=False)
    assert report.ok, report
    assert sorted(exported.model_names) == sorted(project.db.model_names)
    for name in project.db.model_names:
        ours = project.db.get_models(name)
        assert exported.get_models(name).simulate().equals(ours.simulate()), name
    # pastastore's PasConnector writes series as JSON with pandas' default of 10
    # decimals, so there the simulations agree to about that, not to the last bit
    pas = new_pastastore("pas", tmp_path)
    assert pp.export_pastastore(project, pas, progressbar=False).ok
    for name in project.db.model_names:
        theirs, ours = pas.get_models(name).simulate(), project.db.get_models(name).simulate()
        np.testing.assert_allclose(theirs.to_numpy(), ours.to_numpy(), rtol=0, atol=1e-8)
    meta = exported.conn.get_metadata("stresses", "well", as_frame=False)
    assert meta["kind"] == "well" and meta["x"] == 99.0
    theirs, ours = exported.get_oseries("head").squeeze(), project.db.get_oseries("head")
    assert theirs.index.as_unit("ns").equals(ours.index.as_unit("ns"))  # it may change the unit
    np.testing.assert_array_equal(theirs.to_numpy(), ours.to_numpy())
    again = pp.export_pastastore(project, exported.conn, progressbar=False)
    assert set(again.to_frame()["result"]) == {"unchanged"}
    project.db.add_oseries(
        project.db.get_oseries("head") * 1.01, "head", overwrite=True, force=True
    )
    with pytest.raises(ItemExistsError, match="pastastore"):
        pp.export_pastastore(project, exported, progressbar=False)
    names = pp.export_pastastore(project, new_pastastore("dict", tmp_path), names="recharge_noise",
                                 progressbar=False)  # fmt: skip
    assert names.names("stresses") == ["prec", "evap"] and names.names("models") == [
        "recharge_noise"
    ]


def test_pastastore_files_on_the_command_line(series, tmp_path):
    pstore = new_pastastore("pas", tmp_path)
    fill(pstore, series)
    path = tmp_path / "pastastore.zip"
    pstore.to_zip(path, progressbar=False)
    with pytest.raises(ArchiveError, match="pastastore zip.*import_pastastore"):
        read_zip(path, pp.Database(pp.DictConnector()))
    project = pp.PastasProject.from_zip(path, pp.DictConnector("z"), progressbar=False)
    assert_models_identical(pstore, project)  # from_zip takes a pastastore zip too
    runner = CliRunner()
    store = f"lmdb://{tmp_path / 'cli'}"
    result = runner.invoke(app, ["import", str(path), "--store", store])
    assert result.exit_code == 0, result.output
    assert "models: 4 added" in result.output
    folder = runner.invoke(app, ["import", str(tmp_path / "pas"), "--store", store])
    assert folder.exit_code == 0, folder.output  # the PasConnector's folder (its config file)
    assert "models: 4 unchanged" in folder.output
