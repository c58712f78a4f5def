"""Every call into pastas that is not plain public API lives here.

Storing a model without its series and rebuilding it later needs two things pastas
2.0 has no public API for: the JSON codec of ``pastas.io.pas`` (``PastasEncoder``
and ``pastas_hook``) and the private ``pastas.io.base._load_model``. Caching pastas'
compiled numba kernels on disk (:func:`cache_numba_kernels`) needs to know where
pastas keeps them. ``tests/test_pastas_compat.py`` pins their behaviour, so a pastas
upgrade that changes them fails there, in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pastas as ps
from pastas.io.base import _load_model
from pastas.io.pas import PastasEncoder, pastas_hook

from pastas_projects.store.model_json import SERIES_KEYS, is_timeseries_dict

SeriesLookup = Callable[[str, str], pd.Series]
"""``lookup(library, name)`` returns the stored series of an oseries or stress."""


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
        for key in SERIES_KEYS:
            value = stressmodel.get(key)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if is_timeseries_dict(item):
                    item["series"] = lookup("stresses", item["name"])
    return _load_model(data)


KERNEL_MODULES = (
    "pastas.noisemodels",
    "pastas.recharge",
    "pastas.rfunc",
    "pastas.stats.core",
    "pastas.stressmodels",
    "pastas.timeseries_utils",
)
"""The pastas modules that define numba kernels (module functions or static methods)."""


def numba_kernels() -> dict[str, Any]:
    """Pastas' numba-compiled functions: ``"module.name" -> numba dispatcher``."""
    import importlib
    import inspect

    from numba.core.registry import CPUDispatcher

    kernels = {}
    for module_name in KERNEL_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher):
                kernels[f"{module_name}.{name}"] = value
            elif inspect.isclass(value) and value.__module__ == module_name:
                for attribute, member in vars(value).items():
                    function = member.__func__ if isinstance(member, staticmethod) else member
                    if isinstance(function, CPUDispatcher):
                        kernels[f"{module_name}.{name}.{attribute}"] = function
    return kernels


def cache_numba_kernels() -> int:
    """Let every pastas numba kernel keep its compiled code on disk, and reuse it.

    Most of pastas' kernels are compiled in every new process (their ``njit`` has no
    ``cache=True``), which a fresh Dask worker pays for in its first batch. With the
    cache on, a kernel compiled by one process is loaded from disk by the next: from
    ``NUMBA_CACHE_DIR`` when set (the local clusters set it to a folder all their
    workers reach), else next to pastas' sources. Idempotent.

    Returns
    -------
    int
        How many kernels had no cache until now.

    """
    from numba.core.caching import NullCache

    enabled = 0
    for kernel in numba_kernels().values():
        if isinstance(kernel._cache, NullCache):
            kernel.enable_caching()
            enabled += 1
    return enabled
