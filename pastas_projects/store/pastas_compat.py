"""Every call into pastas that is not plain public API lives here.

Storing a model without its series and rebuilding it later needs two things pastas
2.0 has no public API for: the JSON codec of ``pastas.io.pas`` (``PastasEncoder``
and ``pastas_hook``) and the private ``pastas.io.base._load_model``.
``tests/test_pastas_compat.py`` pins their behaviour, so a pastas upgrade that
changes them fails there, in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pastas as ps
from pastas.io.base import _load_model
from pastas.io.pas import PastasEncoder, pastas_hook

SeriesLookup = Callable[[str, str], pd.Series]
"""``lookup(library, name)`` returns the stored series of an oseries or stress."""

# Keys of a stress model's dict that may hold a time series (or a list of them).
_SERIES_KEYS = ("stress", "prec", "evap", "temp")


def model_series(ml: ps.Model) -> list[tuple[str, str, pd.Series]]:
    """List the series a model uses, as ``(library, name, series)`` tuples.

    Parameters
    ----------
    ml : pastas.Model
        The model.

    Returns
    -------
    list of tuple
        First the oseries (library ``"oseries"``), then every stress of every stress
        model (library ``"stresses"``), each with its original, untransformed series.

    """
    refs = [("oseries", str(ml.oseries.name), ml.oseries.series_original)]
    for stressmodel in ml.stressmodels.values():
        for ts in stressmodel.stresses:
            refs.append(("stresses", str(ts.name), ts.series_original))
    return refs


def model_to_json(ml: ps.Model) -> str:
    """Serialise a model to JSON without its series.

    Parameters
    ----------
    ml : pastas.Model
        The model.

    Returns
    -------
    str
        JSON text of ``ml.to_dict(series=False)``; floats keep full precision.

    """
    return json.dumps(_frames_encoded(ml.to_dict(series=False)), cls=PastasEncoder)


def _frame_json(frame: pd.DataFrame) -> str:
    """What ``PastasEncoder`` writes for a DataFrame, without ``DataFrame.to_dict``.

    ``PastasEncoder`` writes ``json.dumps(frame.to_dict(orient="index"), indent=0)``;
    ``Series.tolist`` gives the same native Python values as ``to_dict`` does.
    """
    columns = {c: frame[c].tolist() for c in frame.columns}
    rows = {
        row: {c: values[i] for c, values in columns.items()} for i, row in enumerate(frame.index)
    }
    return json.dumps(rows, indent=0)


def _frames_encoded(value: Any) -> Any:
    """``value`` with every DataFrame (parameters, pcov) replaced by its JSON text."""
    if isinstance(value, pd.DataFrame):
        return _frame_json(value)
    if isinstance(value, dict):
        return {k: _frames_encoded(v) for k, v in value.items()}
    return value


_HOOK_KEYS = frozenset(
    ("tmin", "tmax", "date_modified", "date_created", "series", "time_offset", "warmup")
)
"""Keys ``pastas_hook`` converts by name (besides ``parameters`` and ``pcov``)."""
_FRAME_KEYS = frozenset(("parameters", "pcov"))
_JSON_STARTS = frozenset('{["-0123456789tfnNI')
"""First characters a JSON document can start with (``json.loads`` fails on others)."""


def _frame_from_json(text: str) -> pd.DataFrame:
    """What ``pastas_hook`` makes of a DataFrame's JSON text, decoded once."""
    rows = json.loads(text)
    if not rows:  # pastas' empty frame has a RangeIndex
        return pastas_hook({"parameters": text})["parameters"]
    return pd.DataFrame.from_dict(rows, orient="index").infer_objects()


def _hook_keeping_names(obj: dict) -> dict:
    """``pastas_hook``, but only on the values it changes, and names kept as written.

    ``pastas_hook`` converts some keys by name and json-decodes every other string
    it can; values that are no JSON text it leaves alone. Handing it only those
    values gives the same result without its many failing ``json.loads`` calls, and
    DataFrames (parameters, pcov) are read by :func:`_frame_from_json`.
    ``tests/test_pastas_compat.py`` checks both against ``pastas_hook`` itself.
    A series named ``"1985"`` would come back as the int 1985: names are kept.
    """
    name = obj.get("name")
    todo = {}
    for key, value in obj.items():
        if key in _FRAME_KEYS and isinstance(value, str):
            obj[key] = _frame_from_json(value)
        elif key in _HOOK_KEYS or key in _FRAME_KEYS:
            todo[key] = value
        elif isinstance(value, str) and value.lstrip()[:1] in _JSON_STARTS:
            todo[key] = value
    if todo:
        obj.update(pastas_hook(todo))
    if isinstance(name, str):
        obj["name"] = name
    return obj


def _is_timeseries_dict(value: Any) -> bool:
    return isinstance(value, dict) and "name" in value and "settings" in value


def json_to_model(text: str, lookup: SeriesLookup) -> ps.Model:
    """Rebuild a model from its JSON and the stored series.

    Parameters
    ----------
    text : str
        JSON written by :func:`model_to_json`.
    lookup : callable
        ``lookup(library, name)`` returns the series to put back.

    Returns
    -------
    pastas.Model
        The model, with the same parameters, settings and solver as when stored.

    """
    data = json.loads(text, object_hook=_hook_keeping_names)
    data["oseries"]["series"] = lookup("oseries", data["oseries"]["name"])
    for stressmodel in data["stressmodels"].values():
        for key in _SERIES_KEYS:
            value = stressmodel.get(key)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if _is_timeseries_dict(item):
                    item["series"] = lookup("stresses", item["name"])
    return _load_model(data)


def json_series_names(text: str) -> list[tuple[str, str]]:
    """List ``(library, name)`` of the series a stored model JSON needs."""
    data = json.loads(text)
    names = [("oseries", data["oseries"]["name"])]
    for stressmodel in data["stressmodels"].values():
        for key in _SERIES_KEYS:
            value = stressmodel.get(key)
            for item in value if isinstance(value, list) else [value]:
                if _is_timeseries_dict(item):
                    names.append(("stresses", item["name"]))
    return names


def stored_period(text: str) -> dict[str, str | None]:
    """The calibration period a stored model keeps fixed, read from its JSON.

    For models stored before their record held ``period``: a bound of the model's
    ``settings`` that equals the one its oseries had when it was stored follows the
    oseries (``None``); any other bound is fixed (ISO string).
    """
    data = json.loads(text)
    settings = data.get("settings") or {}
    own = (data.get("oseries") or {}).get("settings") or {}
    period: dict[str, str | None] = {}
    for key in ("tmin", "tmax"):
        value, series_value = settings.get(key), own.get(key)
        fixed = value is not None and (
            series_value is None or pd.Timestamp(value) != pd.Timestamp(series_value)
        )
        period[key] = pd.Timestamp(value).isoformat() if fixed else None
    return period


def stored_settings_period(text: str) -> dict[str, str | None]:
    """``tmin`` and ``tmax`` of a stored model's settings (ISO strings), from its JSON."""
    settings = json.loads(text).get("settings") or {}
    return {
        key: None if settings.get(key) is None else pd.Timestamp(settings[key]).isoformat()
        for key in ("tmin", "tmax")
    }
