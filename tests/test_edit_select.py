"""Editing stored models, alternative structures and selection, warm starts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pastas as ps
import pytest
from test_definitions import fill

import pastas_projects as pp
from pastas_projects.datasets import synthetic
from pastas_projects.errors import DefinitionError
from pastas_projects.modelling import solve_batch
from pastas_projects.testing._state import store_state

ALTERNATIVES = """
templates:
  recharge:
    stressmodels:
      recharge: {prec: nearest prec, evap: nearest evap}
  wells:
    match: [o1, o2]
    name: "{oseries}_wells"
    stressmodels:
      recharge: {prec: nearest prec, evap: nearest evap}
      wells: {class: WellModel, stress: nearest 2 well}
"""


@pytest.fixture(params=["dict", "arctic"])
def pr(request):
    if request.param == "dict":
        conn = pp.DictConnector("edit")
    else:
        conn = pp.ArcticConnector("edit", "mem://")
    return fill(pp.PastasProject("edit", conn))


def test_add_stressmodel_and_recharge_store_unsolved_versions(pr):
    pr.create_models(ALTERNATIVES, names=["o1", "o2"], progressbar=False)
    pr.solve_models(progressbar=False)
    old = pr.db.get_models("o1")
    changed = pr.add_stressmodel(["o1", "o2"], {"class": "WellModel", "stress": "nearest 2 well"})
    assert changed == ["o1", "o2"]
    info = pr.db.models
    assert (info.loc[["o1", "o2"], "status"] == "built").all()
    ml = pr.db.get_models("o1")
    assert list(ml.stressmodels) == ["recharge", "wells"]
    assert sorted(s.name for s in ml.stressmodels["wells"].stress) == ["w1", "w2"]
    assert pr.db.model_records("o1")["o1"]["stresses"] == ["p", "e", "w1", "w2"]
    assert sorted(pr.db.stale_models()) == ["o1", "o2"]
    if pr.db.conn.supports_versions:  # the solved version stays readable
        first = int(pr.db.list_versions("models", "o1")["version"].iloc[-2])
        before = pr.db.get_models("o1", as_of=first)
        pd.testing.assert_series_equal(before.simulate(), old.simulate())
    pr.add_recharge("o1", recharge="FlexModel", replace=True)
    ml = pr.db.get_models("o1")
    assert isinstance(ml.stressmodels["recharge"].recharge, ps.recharge.FlexModel)
    assert list(ml.stressmodels) == ["wells", "recharge"]
    assert pr.solve_models(only_changed=True, progressbar=False)["ok"].all()
    assert pr.db.model_records("o1")["o1"]["definition"]["edits"][-1]["edit"] == "add_stressmodel"


def test_bad_edits_name_the_model_and_change_nothing(pr):
    pr.create_models(ALTERNATIVES, progressbar=False)
    before = store_state(pr.db)
    with pytest.raises(DefinitionError, match="model 'o1' has a stress model 'recharge'"):
        pr.add_recharge(["o1"])
    with pytest.raises(DefinitionError, match="'nearest 3 well' for oseries 'far'"):
        pr.add_stressmodel(None, {"class": "WellModel", "stress": "nearest 3 well"})
    with pytest.raises(DefinitionError, match="stress 'nope' is not in the store"):
        pr.add_stressmodel("o1", {"stress": "nope"})
    with pytest.raises(DefinitionError, match="unknown response function 'Gama'"):
        pr.add_stressmodel("o1", {"stress": "w1", "rfunc": "Gama"})
    with pytest.raises(KeyError, match="'nope'"):
        pr.add_stressmodel("nope", {"stress": "w1"})
    assert store_state(pr.db) == before


def test_alternatives_and_selection_by_aic(pr):
    table = pr.create_models(ALTERNATIVES, progressbar=False)
    assert sorted(table.index) == ["far", "o1", "o1_wells", "o2", "o2_wells"]
    pr.solve_models(progressbar=False)
    chosen = pr.select_models(by="aic")
    assert list(chosen.index) == ["far", "o1", "o2"]
    assert chosen.loc["o1", "candidates"] == ["o1", "o1_wells"]
    aic = pr.get_statistics("aic")["aic"]
    for oseries in ("o1", "o2"):
        best = aic[[oseries, f"{oseries}_wells"]].idxmin()
        assert chosen.loc[oseries, "selected"] == best
        assert chosen.loc[oseries, "value"] == pytest.approx(aic[best])
    assert chosen.loc["far", "selected"] == "far"
    assert pr.db.model_names == ["far", "o1", "o1_wells", "o2", "o2_wells"]  # all kept
    recorded = pr.selected_models()
    assert recorded["selected"].to_dict() == chosen["selected"].to_dict()
    note = pr.db.model_records("o1_wells")["o1_wells"]["annotations"]["selection"]
    assert note["by"] == "aic" and note["chosen"] == chosen.loc["o1", "selected"]
    # the choice survives solving again, and selecting by another statistic replaces it
    pr.solve_models(names=["o1", "o1_wells"], progressbar=False)
    assert pr.selected_models().loc["o1", "selected"] == chosen.loc["o1", "selected"]
    by_evp = pr.select_models(by="evp", names=["o1", "o1_wells"])
    evp = pr.get_statistics("evp")["evp"]
    assert by_evp.loc["o1", "selected"] == evp[["o1", "o1_wells"]].idxmax()
    with pytest.raises(ValueError, match="by must be one of"):
        pr.select_models(by="r2")


def nightly_project(data, name: str) -> pp.PastasProject:
    """Models solved on heads 60 days short, then the 60 days arrive."""
    pr = pp.PastasProject(name, pp.DictConnector(name))
    for stress, series in data.stresses.items():
        pr.db.add_stress(series, stress, metadata=data.stresses_metadata[stress])
    cut = {n: head.index[-1] - pd.Timedelta(days=60) for n, head in data.oseries.items()}
    for oseries, head in data.oseries.items():
        pr.db.add_oseries(head[: cut[oseries]], oseries, metadata=data.oseries_metadata[oseries])
        pr.create_model(oseries, recharge=data.meteo[oseries], noise=True)
    pr.solve_models(progressbar=False, warm_start=False)
    for oseries, head in data.oseries.items():
        pr.db.update_oseries(head[head.index > cut[oseries]], oseries)
    return pr


def test_warm_start_saves_evaluations_and_keeps_the_fit():
    data = synthetic(6, seed=3)
    runs = {}
    for warm in (False, True):
        pr = nightly_project(data, f"warm_{warm}")
        names = pr.db.stale_models()
        assert names == sorted(data.oseries)
        outcomes = {o.name: o for o in solve_batch(pr.db, names, warm_start=warm)}
        runs[warm] = (pr, outcomes, pr.db.model_records(names))
    names = sorted(data.oseries)
    nfev = {w: np.array([runs[w][2][n]["solve_info"]["nfev"] for n in names]) for w in runs}
    assert all(runs[True][2][n]["solve_info"]["warm_start"] for n in names)
    assert not any(runs[False][2][n]["solve_info"]["warm_start"] for n in names)
    assert nfev[True].mean() <= 0.6 * nfev[False].mean(), nfev
    for name in names:
        cold, warm = runs[False][1][name], runs[True][1][name]
        assert cold.ok and warm.ok
        assert warm.statistics["evp"] == pytest.approx(cold.statistics["evp"], rel=0.01)
        ml = runs[True][0].db.get_models(name)
        assert ml.observations().index[-1] == data.oseries[name].index[-1]
        # a warm solve leaves the initial values as they were: cold stays cold
        cold_ml = runs[False][0].db.get_models(name)
        pd.testing.assert_series_equal(ml.parameters["initial"], cold_ml.parameters["initial"])
