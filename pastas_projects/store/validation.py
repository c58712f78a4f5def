"""Checks run on every name, series and metadata dict before anything is written.

Each check raises an exception from :mod:`pastas_projects.errors` whose message
names the item and says what is wrong; none of them touches the store.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd

from pastas_projects.errors import (
    InvalidNameError,
    MetadataError,
    SeriesTypeError,
    SeriesUpdateError,
    SeriesValueError,
)

MAX_NAME_LENGTH = 200
RESERVED_METADATA_PREFIX = "_"

# Characters that are unsafe in file names on some platform or that break key lookups.
_UNSAFE_CHARACTERS = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
# Names Windows refuses as file names, whatever the extension.
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}


def validate_name(name: Any, what: str = "item") -> str:
    r"""Check that a name is safe as a file name and a database key.

    Parameters
    ----------
    name : str
        The proposed name.
    what : str, optional
        What is being named, used in the error message (e.g. ``"oseries"``).

    Returns
    -------
    str
        The name, unchanged.

    Raises
    ------
    InvalidNameError
        If the name is not a string, empty, longer than 200 characters, has leading
        or trailing white space, contains ``/``, ``\\``, ``..``, a control character
        or one of ``:*?"<>|``, starts with ``.`` or ``_`` (reserved for the
        store's own files) or is a reserved device name on Windows.

    """
    if not isinstance(name, str):
        raise InvalidNameError(f"{what} name {name!r} must be a str, not {type(name).__name__}")
    problem = None
    if name == "":
        problem = "is empty"
    elif len(name) > MAX_NAME_LENGTH:
        problem = f"is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
    elif name != name.strip():
        problem = "has leading or trailing white space"
    elif ".." in name:
        problem = "contains '..'"
    elif match := _UNSAFE_CHARACTERS.search(name):
        problem = f"contains the unsafe character {match.group()!r}"
    elif name[0] in "._":
        problem = f"starts with {name[0]!r} (reserved for the store's own files)"
    elif name.split(".")[0].upper() in _WINDOWS_RESERVED:
        problem = "is a reserved device name on Windows"
    if problem:
        raise InvalidNameError(f"{what} name {name!r} {problem}")
    return name


def _plain(value: Any) -> Any:
    """Turn numpy and pandas scalars into plain Python values, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def validate_metadata(metadata: Any, name: str, what: str = "item") -> dict:
    """Check that metadata is a JSON-serialisable dict with string keys.

    NumPy scalars are turned into plain numbers and timestamps into ISO strings; NaN
    is allowed (it is stored as ``NaN``). Keys starting with ``_`` are reserved for
    the store's bookkeeping.

    Parameters
    ----------
    metadata : dict or None
        The metadata to check; ``None`` means no metadata.
    name : str
        Name of the item, for the error message.
    what : str, optional
        Kind of item, for the error message.

    Returns
    -------
    dict
        A plain copy of the metadata.

    Raises
    ------
    MetadataError
        If the metadata cannot be stored.

    """
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise MetadataError(
            f"metadata of {what} {name!r} must be a dict, not {type(metadata).__name__}"
        )
    for key in metadata:
        if not isinstance(key, str):
            raise MetadataError(f"metadata of {what} {name!r}: key {key!r} is not a str")
        if key.startswith(RESERVED_METADATA_PREFIX):
            raise MetadataError(
                f"metadata of {what} {name!r}: key {key!r} starts with '_', "
                "which is reserved for the store's bookkeeping"
            )
    plain = _plain(metadata)
    try:
        json.dumps(plain)
    except (TypeError, ValueError) as err:
        raise MetadataError(
            f"metadata of {what} {name!r} is not JSON-serialisable: {err}"
        ) from None
    return plain


def validate_series(series: Any, name: str, what: str = "series") -> pd.Series:
    """Check a series before it is stored and return it as a :class:`pandas.Series`.

    Parameters
    ----------
    series : pandas.Series or pandas.DataFrame
        The series; a DataFrame must have exactly one column.
    name : str
        Name of the item, for the error message.
    what : str, optional
        Kind of item (``"oseries"`` or ``"stress"``), for the error message.

    Returns
    -------
    pandas.Series
        The series (a DataFrame squeezed to its column), not copied.

    Raises
    ------
    SeriesTypeError
        If it is not a Series or one-column DataFrame, has no DatetimeIndex or
        non-numeric values.
    SeriesValueError
        If it is empty or all NaN, or its timestamps are tz-aware, NaT, unsorted or
        duplicated.

    """
    label = f"{what} {name!r}"
    if isinstance(series, pd.DataFrame):
        if series.shape[1] != 1:
            raise SeriesTypeError(
                f"{label}: a DataFrame must have exactly one column, this one has "
                f"{series.shape[1]} ({list(series.columns)[:5]})"
            )
        series = series.iloc[:, 0]
    if not isinstance(series, pd.Series):
        raise SeriesTypeError(
            f"{label} must be a pandas Series or one-column DataFrame, not {type(series).__name__}"
        )
    index = series.index
    if not isinstance(index, pd.DatetimeIndex):
        raise SeriesTypeError(
            f"{label}: index must be a pandas DatetimeIndex, not {type(index).__name__}"
        )
    if not (pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series)):
        raise SeriesTypeError(f"{label}: values must be numeric, got dtype {series.dtype}")
    if pd.api.types.is_complex_dtype(series.dtype) or isinstance(
        series.dtype, pd.api.extensions.ExtensionDtype
    ):
        raise SeriesTypeError(
            f"{label}: values must be a plain int or float dtype, got {series.dtype}"
        )
    if index.tz is not None:
        raise SeriesValueError(
            f"{label}: timestamps are tz-aware ({index.tz}); convert them to tz-naive "
            "first, e.g. series.tz_convert(None) or series.tz_localize(None)"
        )
    if len(series) == 0:
        raise SeriesValueError(f"{label} is empty")
    if index.hasnans:
        raise SeriesValueError(f"{label}: {int(index.isna().sum())} timestamps are NaT")
    if not index.is_unique:
        duplicated = index[index.duplicated()].unique()[:3]
        raise SeriesValueError(
            f"{label}: {int(index.duplicated().sum())} duplicate timestamps, e.g. "
            + ", ".join(str(t) for t in duplicated)
        )
    if not index.is_monotonic_increasing:
        raise SeriesValueError(f"{label}: timestamps are not sorted; use series.sort_index()")
    values = series.to_numpy()
    if values.dtype.kind == "f" and np.isnan(values).all():
        raise SeriesValueError(f"{label}: all values are NaN")
    if values.dtype.kind == "f" and np.isinf(values).any():
        raise SeriesValueError(f"{label}: {int(np.isinf(values).sum())} values are infinite")
    return series


def check_increasing(series: Any, name: str, what: str) -> None:
    """Raise :class:`SeriesUpdateError` naming the first timestamp that goes back in time.

    New values for a stored series must come in time order; this says where they do
    not (before :func:`validate_series` gives its general message).
    """
    index = getattr(series, "index", None)
    if not isinstance(index, pd.DatetimeIndex) or index.hasnans or len(index) < 2:
        return
    steps = np.diff(index.asi8)
    if (steps < 0).any():
        i = int(np.argmax(steps < 0))
        raise SeriesUpdateError(
            f"{what} {name!r}: timestamps decrease at row {i + 1} ({index[i]} is followed "
            f"by {index[i + 1]}); new values must be in time order (series.sort_index())"
        )


def _show(timestamps: pd.DatetimeIndex, limit: int = 3) -> str:
    shown = ", ".join(str(t) for t in timestamps[:limit])
    return shown + (f" and {len(timestamps) - limit} more" if len(timestamps) > limit else "")


def merge_new_values(
    stored: pd.Series,
    new: pd.Series,
    name: str,
    what: str,
    overwrite: bool,
    freq: str | None,
) -> pd.Series:
    """The stored series with new values added: what ``update_oseries`` writes.

    Parameters
    ----------
    stored : pandas.Series
        The series in the store.
    new : pandas.Series
        Validated new values (sorted, unique timestamps).
    name, what : str
        The item and its kind, for messages.
    overwrite : bool
        Let new values replace stored values that differ under the same timestamp.
    freq : str or None
        The stored series' frequency (bookkeeping ``_freq``); the merged series must
        keep it.

    Returns
    -------
    pandas.Series
        Sorted union of both; the new value wins under a shared timestamp.

    Raises
    ------
    SeriesUpdateError
        If values differ under shared timestamps (and not ``overwrite``), or the
        merged series no longer has the stored frequency.

    """
    new = new.copy()
    if new.index.unit != stored.index.unit:
        new.index = new.index.as_unit(stored.index.unit)
    shared = stored.index.intersection(new.index)
    if len(shared) and not overwrite:
        old_values = stored.loc[shared].to_numpy(dtype="float64")
        new_values = new.loc[shared].to_numpy(dtype="float64")
        same = (old_values == new_values) | (np.isnan(old_values) & np.isnan(new_values))
        if not same.all():
            changed = shared[~same]
            first = changed[0]
            raise SeriesUpdateError(
                f"{what} {name!r}: {len(changed)} new value(s) differ from the stored "
                f"values under the same timestamps ({_show(changed)}; at {first}: stored "
                f"{float(stored.loc[first])!r}, new {float(new.loc[first])!r}); use "
                "overwrite=True to replace them"
            )
    if new.index.freq is not None and freq is not None and new.index.freqstr != freq:
        raise SeriesUpdateError(
            f"{what} {name!r}: the new values have frequency {new.index.freqstr!r}, the "
            f"stored series {freq!r}"
        )
    added = new.index.difference(stored.index)
    dtype = np.result_type(stored.dtype, new.dtype)
    merged = pd.concat([stored.astype(dtype), new.loc[added].astype(dtype)]).sort_index()
    if overwrite and len(shared):
        merged.loc[shared] = new.loc[shared].astype(dtype).to_numpy()
    merged.name = stored.name
    if freq is not None and len(added):
        try:
            grid = pd.date_range(
                merged.index[0], merged.index[-1], freq=freq, unit=merged.index.unit
            )
        except ValueError:
            grid = None
        if grid is not None and not (len(grid) == len(merged) and (grid == merged.index).all()):
            off = added[~added.isin(grid)]
            where = f"fall off its grid at {_show(off)}" if len(off) else "leave a gap"
            raise SeriesUpdateError(
                f"{what} {name!r} has frequency {freq!r}, but the new values {where} "
                f"(stored {stored.index[0]} to {stored.index[-1]}, new {new.index[0]} to "
                f"{new.index[-1]}); give values at that frequency without gaps"
            )
        if grid is not None:
            merged.index = grid.rename(stored.index.name)
    return merged
