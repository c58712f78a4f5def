"""Model definitions: YAML/TOML/dicts, templates, nearest, WellModel, export, pastastore's YAML."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pastas as ps
import pytest

import pastas_projects as pp
from pastas_projects.errors import DefinitionError
from pastas_projects.modelling.definitions import load_definition, plan_models
from pastas_projects.testing import sample
from pastas_projects.testing._state import store_state

DEFINITION = """
defaults:
  noise: false
templates:
  base:
    match: "*"
    stressmodels:
      recharge: {prec: nearest prec, evap: nearest evap}
  wells:
    match: {name: "o*", metadata: {aquifer: sand}}
    name: "{oseries}_wells"
    noise: true
    stressmodels:
      recharge: {prec: nearest, evap: nearest, recharge: FlexModel, rfunc: Gamma}
      wells: {class: WellModel, stress: nearest 2 well}
models:
  o2_river:
    oseries: o2
    tmin: 2004-01-01
    stressmodels:
      recharge: {prec: p, evap: e}
      river: {stress: w1, rfunc: {class: Gamma, up: true, cutoff: 0.99}}
    solve: {solver: LeastSquares, max_nfev: 50, fit_constant: true}
"""


def wells(prec: pd.Series) -> pd.Series:
    return pd.Series(np.where(prec.index.year % 2, 100.0, 0.0), prec.index)


def fill(pr: pp.PastasProject) -> pp.PastasProject:
    prec, evap = sample.meteo()
    head = sample.head(prec, evap)
    pr.db.add_oseries(head, "o1", metadata={"x": 0.0, "y": 0.0, "aquifer": "sand"})
    pr.db.add_oseries(head + 1, "o2", metadata={"x": 100.0, "y": 0.0, "aquifer": "clay"})
    pr.db.add_oseries(head - 1, "far", metadata={"x": 5000.0, "y": 5000.0, "aquifer": "sand"})
    pr.db.add_stress(prec, "p", kind="prec", metadata={"x": 0.0, "y": 0.0})
    pr.db.add_stress(prec * 1.1, "p_far", kind="prec", metadata={"x": 5000.0, "y": 4900.0})
    pr.db.add_stress(evap, "e", kind="evap", metadata={"x": 0.0, "y": 0.0})
    pr.db.add_stress(wells(prec), "w1", kind="well", metadata={"x": 50.0, "y": 0.0})
    pr.db.add_stress(wells(prec) / 2, "w2", kind="well", metadata={"x": 80.0, "y": 10.0})
    return pr


@pytest.fixture
def pr() -> pp.PastasProject:
    return fill(pp.PastasProject("defs", pp.DictConnector("defs")))


def test_templates_nearest_wells_and_per_model_entries(pr):
    table = pr.create_models(DEFINITION, progressbar=False)
    assert sorted(table.index) == ["far", "o1", "o1_wells", "o2", "o2_river"]  # o2: clay
    assert table["ok"].all()
    far = pr.db.get_models("far")
    assert [s.name for s in far.stressmodels["recharge"].stresses] == ["p_far", "e"]
    o1w = pr.db.get_models("o1_wells")
    assert isinstance(o1w.stressmodels["recharge"].recharge, ps.recharge.FlexModel)
    assert isinstance(o1w.stressmodels["recharge"].rfunc, ps.Gamma)
    assert o1w.noisemodel is not None and pr.db.get_models("o1").noisemodel is None
    wm = o1w.stressmodels["wells"]
    assert isinstance(wm, ps.WellModel) and isinstance(wm.rfunc, ps.HantushWellModel)
    expected = pr.get_distances("o1", ["w1", "w2"]).loc["o1"]
    assert sorted(wm.distances.tolist()) == pytest.approx(sorted(expected.tolist()))
    river = pr.db.get_models("o2_river")
    assert river.stressmodels["river"].rfunc.up is True
    assert river.stressmodels["river"].rfunc.cutoff == 0.99
    record = pr.db.model_records("o2_river")["o2_river"]
    assert record["period"] == {"tmin": "2004-01-01T00:00:00", "tmax": None}
    assert record["solve_options"] == {"max_nfev": 50}
    assert record["definition"]["model"] == "o2_river"
    assert pr.db.model_records("o1_wells")["o1_wells"]["definition"]["template"] == "wells"
    assert (pr.db.models["status"] == "built").all()
    # a second run keeps what exists
    again = pr.create_models(DEFINITION, progressbar=False)
    assert (again["result"] == "skipped").all()


def test_fixed_period_and_solver_options_are_used_when_solving(pr):
    pr.create_models(DEFINITION, names=["o2_river", "o2"], progressbar=False)
    result = pr.solve_models(progressbar=False)
    assert result["ok"].all()
    river = pr.db.get_models("o2_river")
    assert river.observations().index[0] >= pd.Timestamp("2004-01-01")
    assert pr.db.model_records("o2_river")["o2_river"]["solve_info"]["nfev"] <= 50 + 10


def test_yaml_toml_and_dict_give_the_same_definition(pr, tmp_path):
    yaml_file = tmp_path / "models.yaml"
    yaml_file.write_text(DEFINITION)
    toml_file = tmp_path / "models.toml"
    toml_file.write_text(
        textwrap.dedent(
            """
            [templates.base]
            match = "*"
            [templates.base.stressmodels.recharge]
            prec = "nearest prec"
            evap = "nearest evap"
            """
        )
    )
    from_file = load_definition(yaml_file)
    from_text = load_definition(DEFINITION)
    assert from_file == from_text
    assert load_definition(from_text.to_dict()) == from_text
    assert load_definition(from_text.to_yaml()) == from_text
    toml = load_definition(str(toml_file))
    assert toml.templates["base"]["stressmodels"]["recharge"]["prec"] == "nearest prec"
    plans, failures = plan_models(pr.db, toml)
    assert [p.name for p in plans] == ["far", "o1", "o2"] and not failures


BAD = {
    "unknown stress": (
        "models: {m: {oseries: o1, stressmodels: {s: {stress: nope}}}}",
        "model 'm', stress model 's': stress 'nope' is not in the store",
    ),
    "unknown kind": (
        "models: {m: {oseries: o1, stressmodels: {s: {stress: nearest river}}}}",
        "no stress of kind 'river'",
    ),
    "unknown rfunc": (
        "templates: {t: {stressmodels: {recharge: {rfunc: Exponentiall}}}}",
        "template 't', stress model 'recharge': unknown response function 'Exponentiall'",
    ),
    "unknown class": (
        "models: {m: {oseries: o1, stressmodels: {s: {class: WellModell, stress: w1}}}}",
        "unknown stress model class 'WellModell'",
    ),
    "unknown recharge": (
        "templates: {t: {stressmodels: {recharge: {recharge: Flex}}}}",
        "unknown recharge model 'Flex'",
    ),
    "too few wells": (
        'templates: {t: {name: "{oseries}_w", stressmodels: '
        "{w: {class: WellModel, stress: nearest 3 well}}}}",
        "'nearest 3 well' for oseries 'far' needs 3 stresses of kind 'well'.*has 2",
    ),
    "unknown key": ("models: {m: {oseries: o1, stresmodels: {}}}", "unknown key.*'stresmodels'"),
    "unknown oseries": (
        "models: {m: {oseries: nope, stressmodels: {}}}",
        "model 'm': oseries 'nope' is not in the store",
    ),
    "bad nearest": (
        "models: {m: {oseries: o1, stressmodels: {s: {stress: nearest of all}}}}",
        "cannot read 'nearest of all'",
    ),
    "two for one": (
        "models: {m: {oseries: o1, stressmodels: {s: {stress: nearest 2 well}}}}",
        "names 2 stresses, but a StressModel takes one",
    ),
    "bad argument": (
        "models: {m: {oseries: o1, stressmodels: {s: {stress: w1, upp: true}}}}",
        "StressModel takes no 'upp'",
    ),
    "name without oseries": (
        'templates: {t: {name: "wells", stressmodels: {}}}',
        "name must be a pattern with '{oseries}'",
    ),
    "clash": (
        "templates: {a: {stressmodels: {}}, b: {stressmodels: {}}}",
        "templates 'a' and 'b' both make model",
    ),
    "not yaml": ("models: [unclosed", "cannot read the definition text"),
    "no file": ("models.yaml", "no such definition file: 'models.yaml'"),
    "a word": ("models", "neither a definition file that exists nor a definition"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_definitions_name_the_item_and_write_nothing(pr, case):
    text, words = BAD[case]
    before = store_state(pr.db)
    with pytest.raises((DefinitionError, FileNotFoundError), match=words):
        pr.create_models(text, progressbar=False)
    assert store_state(pr.db) == before


def test_export_definitions_builds_the_same_models_again(pr, tmp_path):
    pr.create_models(DEFINITION, progressbar=False)
    pr.solve_models(progressbar=False)
    path = tmp_path / "exported.yaml"
    text = pr.export_definitions(path=path)
    assert path.read_text() == text and "nearest" not in text
    other = fill(pp.PastasProject("again", pp.DictConnector("again")))
    other.create_models(str(path), progressbar=False)
    assert other.db.model_names == pr.db.model_names
    for name in pr.db.model_names:
        a, b = pr.db.get_models(name), other.db.get_models(name)
        assert list(a.stressmodels) == list(b.stressmodels)
        assert [type(s) for s in a.stressmodels.values()] == [
            type(s) for s in b.stressmodels.values()
        ]
        assert type(a.noisemodel) is type(b.noisemodel)
        assert list(a.parameters.index) == list(b.parameters.index)
        assert a.settings["tmin"] == b.settings["tmin"]
        # the same structure: with the same parameters it simulates the same
        pd.testing.assert_series_equal(
            a.simulate(a.parameters["optimal"].to_numpy()),
            b.simulate(a.parameters["optimal"].to_numpy()),
        )
        assert other.db.model_records(name)[name].get("solve_options") == pr.db.model_records(name)[
            name
        ].get("solve_options")


# ---------------------------------------------------------------------- pastastore's YAML
@pytest.fixture
def pastastore_files(tmp_path):
    """YAML files written by pastastore 2.0 itself: a full export and a minimal one."""
    pst = pytest.importorskip("pastastore")
    prec, evap = sample.meteo()
    head = sample.head(prec, evap)
    pstore = pst.PastaStore(pst.DictConnector("pst"))
    pstore.add_oseries(head, "o1", metadata={"x": 0.0, "y": 0.0})
    pstore.add_stress(prec, "p", kind="prec", metadata={"x": 0.0, "y": 0.0})
    pstore.add_stress(evap, "e", kind="evap", metadata={"x": 0.0, "y": 0.0})
    pstore.add_stress(wells(prec), "w1", kind="well", metadata={"x": 50.0, "y": 0.0})
    pstore.add_stress(wells(prec) / 2, "w2", kind="well", metadata={"x": 80.0, "y": 10.0})
    ml = pstore.create_model("o1", add_recharge=True)
    pstore.add_stressmodel(ml, "nearest 2 well", stressmodel=ps.WellModel, stressmodel_name="wells")
    ps.ArNoiseModel(ml)
    ml.solve(report=False)
    pstore.add_model(ml)
    pstore.yaml.export_models(modelnames=["o1"], outdir=tmp_path, split=False, filename="full.yaml")
    pstore.yaml.export_models(
        modelnames=["o1"],
        outdir=tmp_path,
        split=False,
        filename="minimal.yaml",
        minimal_yaml=True,
        use_nearest=True,
    )
    return {"full": tmp_path / "full.yaml", "minimal": tmp_path / "minimal.yaml", "model": ml}


@pytest.mark.parametrize("kind", ["full", "minimal"])
def test_pastastore_yaml_builds_the_same_model(pastastore_files, kind):
    pr = pp.PastasProject("from-pst", pp.DictConnector("from-pst"))
    prec, evap = sample.meteo()
    pr.db.add_oseries(sample.head(prec, evap), "o1", metadata={"x": 0.0, "y": 0.0})
    pr.db.add_stress(prec, "p", kind="prec", metadata={"x": 0.0, "y": 0.0})
    pr.db.add_stress(evap, "e", kind="evap", metadata={"x": 0.0, "y": 0.0})
    pr.db.add_stress(wells(prec), "w1", kind="well", metadata={"x": 50.0, "y": 0.0})
    pr.db.add_stress(wells(prec) / 2, "w2", kind="well", metadata={"x": 80.0, "y": 10.0})
    assert load_definition(pastastore_files[kind]).source == "pastastore"
    table = pr.create_models(pastastore_files[kind], progressbar=False)
    assert table.loc["o1", "ok"], table.loc["o1", "error"]
    ours, theirs = pr.db.get_models("o1"), pastastore_files["model"]
    assert list(ours.stressmodels) == list(theirs.stressmodels)
    assert [type(s) for s in ours.stressmodels.values()] == [
        type(s) for s in theirs.stressmodels.values()
    ]
    assert sorted(s.name for s in ours.stressmodels["wells"].stress) == ["w1", "w2"]
    np.testing.assert_allclose(
        sorted(ours.stressmodels["wells"].distances), sorted(theirs.stressmodels["wells"].distances)
    )
    columns = ["initial", "pmin", "pmax", "vary"]
    if kind == "full":  # the full export holds the parameters and the noise model
        assert type(ours.noisemodel) is type(theirs.noisemodel)
        pd.testing.assert_frame_equal(
            ours.parameters[columns], theirs.parameters[columns], check_dtype=False
        )
    else:
        shared = [p for p in ours.parameters.index if p in theirs.parameters.index]
        pd.testing.assert_frame_equal(
            ours.parameters.loc[shared, columns],
            theirs.parameters.loc[shared, columns],
            check_dtype=False,
        )
    # the calibration period of the export equals the oseries: it follows new values
    assert pr.db.model_records("o1")["o1"]["period"] == {"tmin": None, "tmax": None}
    assert pr.solve_models(progressbar=False).loc["o1", "ok"]
