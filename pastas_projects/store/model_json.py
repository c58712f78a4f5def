"""The layout of a stored model's JSON (``pastas.Model.to_dict``), read without pastas.

Which series a stored model needs can be read from its JSON alone: copies, zip files
and CSV exports ask it for every model, and need not import pastas for that.
:mod:`~pastas_projects.store.pastas_compat` rebuilds the models themselves.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

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
