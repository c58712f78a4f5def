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
    return json.dumps(ml.to_dict(series=False), cls=PastasEncoder)


def _hook_keeping_names(obj: dict) -> dict:
    # pastas_hook json-decodes every string it does not know, so a series named
    # "1985" would come back as the int 1985: keep names as they were written.
    name = obj.get("name")
    obj = pastas_hook(obj)
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
