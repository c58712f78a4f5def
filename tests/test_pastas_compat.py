"""Pin the pastas internals pastas_projects relies on (all used in pastas_compat only).

When a pastas upgrade breaks one of these, this file fails first and says which.
"""

import json

import pandas as pd
import pastas as ps
import pytest

from pastas_projects import pastas_compat
from pastas_projects.testing import sample


@pytest.fixture(scope="module")
def solved_model():
    prec, evap = sample.meteo()
    head = sample.head(prec, evap).rename("well")
    ml = ps.Model(head, name="well")
    ps.RechargeModel(
        ml, prec=prec.rename("p"), evap=evap.rename("e"), rfunc=ps.Exponential(), name="recharge"
    )
    ps.StressModel(ml, prec.rename("p2"), rfunc=ps.Gamma(), name="extra", settings="prec")
    ml.solve(report=False)
    return ml, {"well": head, "p": prec.rename("p"), "e": evap.rename("e"), "p2": prec.rename("p2")}


def test_to_dict_without_series_has_no_series(solved_model):
    ml, _ = solved_model
    text = pastas_compat.model_to_json(ml)
    assert '"series"' not in text
    assert json.loads(text)["stressmodels"]["recharge"]["prec"]["name"] == "p"


def test_private_load_model_rebuilds_identically(solved_model):
    ml, series = solved_model
    text = pastas_compat.model_to_json(ml)
    asked = []

    def lookup(library, name):
        asked.append((library, name))
        return series[name]

    back = pastas_compat.json_to_model(text, lookup)
    assert asked == [("oseries", "well"), ("stresses", "p"), ("stresses", "e"), ("stresses", "p2")]
    pd.testing.assert_frame_equal(back.parameters, ml.parameters)
    pd.testing.assert_series_equal(back.simulate(), ml.simulate(), check_exact=True)
    assert back.settings == ml.settings


def test_model_series_lists_every_series(solved_model):
    ml, _ = solved_model
    refs = [(lib, name) for lib, name, _ in pastas_compat.model_series(ml)]
    assert refs == [("oseries", "well"), ("stresses", "p"), ("stresses", "e"), ("stresses", "p2")]


def test_numeric_looking_names_stay_strings(solved_model):
    _, series = solved_model
    head = series["well"].rename("1985")
    ml = ps.Model(head, name="0123")
    ps.RechargeModel(
        ml, prec=series["p"].rename("260"), evap=series["e"].rename("1e5"), rfunc=ps.Exponential()
    )
    lookup = {"1985": head, "260": series["p"].rename("260"), "1e5": series["e"].rename("1e5")}
    back = pastas_compat.json_to_model(pastas_compat.model_to_json(ml), lambda lib, n: lookup[n])
    assert back.name == "0123" and back.oseries.name == "1985"
    assert [ts.name for ts in back.stressmodels["recharge"].stresses] == ["260", "1e5"]
