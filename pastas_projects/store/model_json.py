"""The layout of a stored model's JSON (``pastas.Model.to_dict``), read without pastas.

Which series a stored model needs can be read from its JSON alone: copies, zip files
and CSV exports ask it for every model, and need not import pastas for that.
:mod:`~pastas_projects.store.pastas_compat` rebuilds the models themselves.
"""

from __future__ import annotations

import json
from typing import Any

SERIES_KEYS = ("stress", "prec", "evap", "temp")
"""Keys of a stress model's dict that may hold a time series (or a list of them)."""


def is_timeseries_dict(value: Any) -> bool:
    """Whether a value of a stress model's dict describes a time series."""
    return isinstance(value, dict) and "name" in value and "settings" in value


def json_series_names(text: str) -> list[tuple[str, str]]:
    """List ``(library, name)`` of the series a stored model JSON needs."""
    return model_dict_series_names(json.loads(text))


def model_dict_series_names(data: dict) -> list[tuple[str, str]]:
    """List ``(library, name)`` of the series in a model dict (``Model.to_dict`` layout).

    Names are given as ``str``, as stores name their items.
    """
    names = [("oseries", str(data["oseries"]["name"]))]
    for stressmodel in data["stressmodels"].values():
        for key in SERIES_KEYS:
            value = stressmodel.get(key)
            for item in value if isinstance(value, list) else [value]:
                if is_timeseries_dict(item):
                    names.append(("stresses", str(item["name"])))
    return names
