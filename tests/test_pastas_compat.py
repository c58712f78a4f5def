"""Pin the pastas internals pastas_projects relies on (all used in pastas_compat only).

When a pastas upgrade breaks one of these, this file fails first and says which.
"""

import json

import numpy as np
import pandas as pd
import pastas as ps
import pytest
from pastas.io.pas import PastasEncoder, pastas_hook

from pastas_projects.store import model_json, pastas_compat
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


# pastas_compat reads and writes the model JSON faster than pastas' own codec; the
# text written and the objects read back must be exactly those of pastas' codec.
FRAMES = {
    "parameters": pd.DataFrame(
        {
            "initial": [1.0, np.nan, 3.0],
            "pmin": [None, 0.0, -np.inf],
            "vary": [True, False, True],
            "name": ["a", "b", None],
            "optimal": [np.nan, np.nan, np.nan],
            "stderr": [None, None, None],
        },
        index=["p1", "p2", "p3"],
    ),
    "integers": pd.DataFrame({"initial": [1, 2], "vary": [True, True]}, index=["x", "y"]),
    "one": pd.DataFrame({"initial": [0.1 + 0.2]}, index=["only"]),
}


@pytest.mark.parametrize("key", list(FRAMES))
def test_frames_are_written_as_pastas_writes_them(key):
    frame = FRAMES[key]
    expected = json.dumps(frame, cls=PastasEncoder)
    assert json.dumps(pastas_compat._frames_encoded(frame), cls=PastasEncoder) == expected


@pytest.mark.parametrize(
    "text",
    [json.dumps(f.to_dict(orient="index"), indent=0) for f in FRAMES.values()]
    + ['{"a": {"x": 1.5}, "b": {"y": 2}}', '{"a": {"x": "NaN", "y": null}}', "{}"],
)
def test_frames_are_read_as_pastas_reads_them(text):
    expected = pastas_hook({"parameters": text})["parameters"]
    got = pastas_compat._hook_keeping_names({"parameters": text})["parameters"]
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_model_json_is_pastas_json(solved_model):
    ml, _ = solved_model
    info = ml.to_dict(series=False)
    expected = json.dumps(info, cls=PastasEncoder)
    assert json.dumps(pastas_compat._frames_encoded(info), cls=PastasEncoder) == expected
    mine = json.loads(expected, object_hook=pastas_compat._hook_keeping_names)
    theirs = json.loads(expected, object_hook=pastas_hook)
    pd.testing.assert_frame_equal(mine["parameters"], theirs["parameters"], check_exact=True)
    pd.testing.assert_frame_equal(
        mine["solver"].pop("pcov"), theirs["solver"].pop("pcov"), check_exact=True
    )
    mine.pop("parameters"), theirs.pop("parameters")
    assert mine == theirs


def test_strings_pastas_would_decode_are_decoded():
    # pastas_hook json-decodes any string value it can (not names): so must we
    obj = {"name": "7", "a": "12", "b": " [1, 2]", "c": "NaN", "d": "drop", "e": 3, "tmin": None}
    expected = pastas_hook(dict(obj)) | {"name": "7"}
    assert repr(pastas_compat._hook_keeping_names(dict(obj))) == repr(expected)


KERNEL_CALL = """
import json, sys
from pastas_projects.store.pastas_compat import cache_numba_kernels, numba_kernels
cache_numba_kernels()
kernel = numba_kernels()["pastas.rfunc.Hantush._integrand_hantush"]
value = kernel(2.0, 0.5)
print(json.dumps({"value": value, "hits": sum(kernel.stats.cache_hits.values())}))
"""


def test_numba_kernels_are_found_and_cached_on_disk(tmp_path):
    """A kernel compiled by one process is loaded from NUMBA_CACHE_DIR by the next."""
    import os
    import subprocess
    import sys

    kernels = pastas_compat.numba_kernels()
    assert "pastas.rfunc.Hantush._integrand_hantush" in kernels
    assert "pastas.recharge.FlexModel.get_root_zone_balance" in kernels
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    runs = []
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-c", KERNEL_CALL], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert runs[0]["hits"] == 0 and runs[1]["hits"] == 1  # compiled once, then loaded
    assert runs[0]["value"] == runs[1]["value"] == pytest.approx(np.exp(-2.25) / 2)
    assert any((tmp_path / "numba").rglob("*.nbi"))


def test_stored_period_reads_the_json_layout(solved_model):
    """The model's settings and its oseries' settings keep tmin/tmax under these keys."""
    ml, _ = solved_model
    text = pastas_compat.model_to_json(ml)
    data = json.loads(text)
    assert "tmin" in data["settings"] and "tmax" in data["oseries"]["settings"]
    assert model_json.stored_period(text) == {"tmin": None, "tmax": None}
    assert model_json.stored_settings_period(text) == {
        "tmin": ml.settings["tmin"].isoformat(),
        "tmax": ml.settings["tmax"].isoformat(),
    }
    copy = ps.Model(ml.oseries.series_original, name="copy")
    recharge = ml.stressmodels["recharge"]
    ps.RechargeModel(copy, prec=recharge.prec.series_original, evap=recharge.evap.series_original)
    copy.set_settings(tmin="2004-06-01")
    period = model_json.stored_period(pastas_compat.model_to_json(copy))
    assert period == {"tmin": "2004-06-01T00:00:00", "tmax": None}
