"""What the store records beside the data: content hashes, index details, model info.

Bookkeeping keys in a series' metadata start with ``_`` (users cannot set such
keys), so they never mix with user metadata. A model's metadata is all bookkeeping:
the series it was built from (with their content hashes and, on connectors that
keep versions, their versions), whether it is solved and its fit statistics.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from pastas_projects.store.validation import RESERVED_METADATA_PREFIX

DEFAULT_STATISTICS = ("evp", "rsq", "rmse", "nse", "kge", "aic", "bic")
"""Fit statistics stored with every solved model."""

HASH_KEY = "_hash"
FREQ_KEY = "_freq"
INDEX_NAME_KEY = "_index_name"
WRITTEN_KEY = "_written"
TMIN_KEY = "_tmin"
TMAX_KEY = "_tmax"
COUNT_KEY = "_count"
"""First and last timestamp with a value, and how many values: ``get_tmin_tmax`` reads
them from the metadata instead of the series (stores written before they existed
fall back to reading the series)."""


def utc_now() -> str:
    """Current UTC time as an ISO string without time zone."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


def series_hash(series: pd.Series) -> str:
    """Content hash of a series: its timestamps and its values as float64.

    Values are hashed as float64, so an int series hashes like the float series a
    pastas model makes of it.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(series.index.as_unit("ns").asi8).tobytes())
    digest.update(np.ascontiguousarray(series.to_numpy(dtype="float64")).tobytes())
    return digest.hexdigest()


def series_bookkeeping(series: pd.Series) -> dict[str, Any]:
    """Bookkeeping metadata stored with a series."""
    index = series.index
    valid = index[series.notna().to_numpy()]
    return {
        HASH_KEY: series_hash(series),
        FREQ_KEY: index.freqstr if index.freq is not None else None,
        INDEX_NAME_KEY: index.name if isinstance(index.name, str) else None,
        WRITTEN_KEY: utc_now(),
        TMIN_KEY: valid[0].isoformat() if len(valid) else None,
        TMAX_KEY: valid[-1].isoformat() if len(valid) else None,
        COUNT_KEY: int(len(valid)),
    }


def user_metadata(metadata: dict) -> dict:
    """The metadata a user wrote, without bookkeeping keys."""
    return {k: v for k, v in metadata.items() if not k.startswith(RESERVED_METADATA_PREFIX)}


def frame_for_storage(series: pd.Series, name: str) -> pd.DataFrame:
    """One-column frame handed to a connector (column named after the item)."""
    frame = series.to_frame(name=name)
    frame.index = frame.index.rename(None)  # never rename the caller's index in place
    return frame


def restore_series(frame: pd.DataFrame, name: str, metadata: dict) -> pd.Series:
    """Turn a stored frame back into the series that was written.

    Restores what backends may lose: the column name (the series is named after the
    item), the index name and the index frequency.
    """
    index = frame.index.rename(metadata.get(INDEX_NAME_KEY))
    freq = metadata.get(FREQ_KEY)
    if freq is not None and index.freq is None and len(index) > 0:
        index = _with_freq(index, freq)
    return pd.Series(frame.iloc[:, 0].to_numpy(), index=index, name=name)


def _with_freq(index: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """``index`` with its frequency set, if its timestamps conform to ``freq``.

    Compares with the regular range of the same start, length and unit, which is
    what ``pd.DatetimeIndex(index, freq=freq)`` validates too, without its overhead:
    every read of a regular series does this.
    """
    try:
        regular = pd.date_range(index[0], periods=len(index), freq=freq, unit=index.unit)
    except ValueError:  # not a frequency pandas knows: leave freq unset
        return index
    if not np.array_equal(regular.asi8, index.asi8):
        return index  # the timestamps do not conform to it: leave freq unset
    return regular.rename(index.name)


def series_key(library: str, name: str) -> str:
    """Key of a series in a model's input records, e.g. ``"stresses/rain_260"``."""
    return f"{library}/{name}"


def split_series_key(key: str) -> tuple[str, str]:
    """Inverse of :func:`series_key`."""
    library, name = key.split("/", 1)
    return library, name


def model_info(
    inputs: dict[str, str],
    versions: dict[str, int | None],
    solved: bool,
    parameters: dict[str, float | None],
    statistics: dict[str, float | None] | None = None,
    checks: dict[str, bool] | None = None,
    check_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Metadata stored with a model.

    Parameters
    ----------
    inputs : dict
        ``series_key -> content hash`` of every series the model uses.
    versions : dict
        ``series_key -> version`` of those series (``None`` without versions).
    solved : bool
        Whether the model holds optimal parameters.
    parameters : dict
        Optimal (or, if unsolved, initial) parameter values.
    statistics : dict, optional
        Fit statistics computed when the model was solved.
    checks : dict, optional
        Checks run when it was solved: ``{check: passed, ..., "pass": all passed}``.
    check_errors : dict, optional
        ``{check: error}`` of checks that could not run (stored only if any).

    Returns
    -------
    dict
        JSON-serialisable bookkeeping.

    """
    now = utc_now()
    oseries = [split_series_key(k)[1] for k in inputs if k.startswith("oseries/")]
    stresses = [split_series_key(k)[1] for k in inputs if k.startswith("stresses/")]
    info: dict[str, Any] = {
        "oseries": oseries[0] if oseries else None,
        "stresses": stresses,
        "inputs": inputs,
        "input_versions": versions,
        "solved": bool(solved),
        "status": "solved" if solved else "built",
        "error": None,
        "parameters": parameters,
        "statistics": statistics or {},
        "checks": {k: bool(v) for k, v in (checks or {}).items()},
        "written": now,
        "solved_at": now if solved else None,
    }
    if check_errors:
        info["check_errors"] = dict(check_errors)
    return info


def finite(value: Any) -> float | None:
    """A float for JSON, or ``None`` for NaN, infinity or non-numbers."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None
