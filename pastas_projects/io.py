"""Read time series and metadata tables from the CSV files groundwater data comes in.

One file holds one series: a date column followed by one value column. The readers
accept the shapes found in practice (see :func:`read_csv`) and always return a float
:class:`pandas.Series` with a sorted, tz-naive :class:`pandas.DatetimeIndex`, or
raise :class:`CSVParseError` naming the file, the line and what is wrong.
:func:`find_csv_files` turns files, folders and glob patterns into the files to
read, and :func:`read_metadata_csv` reads a table of metadata per series; the
command line and the flows both use these.
"""

from __future__ import annotations

import glob
import math
import re
import warnings
from collections.abc import Iterable
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from pastas_projects.errors import CSVParseError

__all__ = [
    "CSVParseError",
    "find_csv_files",
    "read_csv",
    "read_folder",
    "read_metadata_csv",
    "unit_factor",
]

# Factors to metres: heads are lengths, fluxes are lengths per day (same factors).
_LENGTH = {"mm": 1e-3, "cm": 1e-2, "dm": 1e-1, "m": 1.0}
_ISO_START = re.compile(r"^\d{4}-?\d{2}")
_DMY = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?: .*)?$")
_MISSING = {"", "nan", "NaN", "NAN", "NA", "N/A", "null", "NULL", "None", "-"}


def unit_factor(conversion: str) -> float:
    """Return the factor that converts values between two units.

    Parameters
    ----------
    conversion : str
        ``"<from>-><to>"`` with lengths (``mm``, ``cm``, ``dm``, ``m``) or fluxes
        (``mm/d``, ``cm/d``, ``m/d``), e.g. ``"cm->m"`` or ``"m/d->mm/d"``. Spaces are
        ignored.

    Returns
    -------
    float
        Multiply values in ``<from>`` by this factor to get values in ``<to>``.

    Raises
    ------
    ValueError
        If the string is not of that form, the units are unknown, or a length is
        converted into a flux (or the other way around).

    """
    parts = conversion.replace(" ", "").split("->")
    if len(parts) != 2:
        raise ValueError(f"unit conversion {conversion!r} is not of the form 'cm->m'")
    units = []
    for unit in parts:
        base, per_day = (unit[:-2], True) if unit.endswith("/d") else (unit, False)
        if base not in _LENGTH:
            known = ", ".join(list(_LENGTH) + [f"{u}/d" for u in _LENGTH])
            raise ValueError(f"unknown unit {unit!r} in {conversion!r}; known: {known}")
        units.append((base, per_day))
    (src, src_flux), (dst, dst_flux) = units
    if src_flux != dst_flux:
        raise ValueError(f"cannot convert a length into a flux or back: {conversion!r}")
    return _LENGTH[src] / _LENGTH[dst]


def read_csv(
    path: str | Path,
    name: str | None = None,
    *,
    unit: str | None = None,
    scale: float | None = None,
    dayfirst: bool | None = None,
    dropna: bool = True,
) -> pd.Series:
    """Read one time series from a CSV file with a date column and a value column.

    Accepted layouts (all seen in real groundwater data):

    * a header line with any names, quoted or not: ``Peildatum,B32C0609_1``,
      ``"Peildatum","Stand (cm t.o.v NAP)"``, ``date,head``, ``Date,Prec``, or an
      unnamed index column (``,RH_260``); a file without a header line (first cell
      is a date) is read as well;
    * ``,`` as separator, or ``;`` / tab when the first line has no comma (then a
      decimal comma in the values is accepted too);
    * empty values and ``nan``/``NA``/``-`` mark missing values.

    Dates are parsed as ISO 8601 (``1980-01-02``, ``1980-01-02 12:00``) first. If
    they are not ISO but ``nn/nn/yyyy`` (also with ``-`` or ``.``), the order of day
    and month is decided from the values: a first number above 12 anywhere means
    day-first, a second number above 12 means month-first (both in one file raise
    :class:`CSVParseError`, since the file mixes orders). When no value decides
    (all numbers up to 12), ``dayfirst`` decides, and if that is ``None`` day-first
    is assumed (European convention). Time-zone aware timestamps keep their local
    wall time and lose the time zone.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    name : str, optional
        Name of the returned series; by default the file name without suffix
        (``B32C0609001.csv`` gives ``"B32C0609001"``).
    unit : str, optional
        Unit conversion applied to the values, e.g. ``"cm->m"`` or ``"m/d->mm/d"``
        (see :func:`unit_factor`).
    scale : float, optional
        Any other factor the values are multiplied by. Give ``unit`` or ``scale``,
        not both.
    dayfirst : bool, optional
        Order of ``nn/nn/yyyy`` dates when the values do not decide it; a value
        that contradicts it (e.g. ``dayfirst=False`` with ``31/01/1980``) raises.
    dropna : bool, optional
        Drop missing values (default). With ``False`` they are kept as NaN.

    Returns
    -------
    pandas.Series
        Float64 values with a sorted, unique, tz-naive ``datetime64[ns]``
        DatetimeIndex (index name ``None``), named ``name``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    CSVParseError
        If the layout, a date or a value cannot be read, or a date occurs twice;
        the message names the file and the line.
    ValueError
        If ``unit`` is not a known conversion or both ``unit`` and ``scale`` are given.

    """
    path = Path(path)
    if unit is not None and scale is not None:
        raise ValueError("give either unit or scale, not both")
    factor = unit_factor(unit) if unit is not None else 1.0 if scale is None else float(scale)
    text = _read_text(path)
    first = text.split("\n", 1)[0]
    sep = "," if "," in first or ("\t" not in first and ";" not in first) else ";"
    if sep == ";" and ";" not in first:
        sep = "\t"
    has_header = not _looks_like_date(_first_cell(first, sep))
    raw = _split(path, text, sep, has_header)  # index: line numbers in the file
    if raw.empty:
        raise CSVParseError(f"{path}: no values (only a header, or only missing values)")
    index = _parse_dates(path, raw.iloc[:, 0], dayfirst)
    values = _parse_values(path, raw.iloc[:, 1], decimal_comma=sep != ",")
    order = np.argsort(index.values, kind="stable")
    series = pd.Series(values[order] * factor, index=index[order], name=name or path.stem)
    dup = series.index.duplicated(keep=False)
    if dup.any():
        lines = sorted(raw.index[order[dup]].tolist())[:4]
        raise CSVParseError(
            f"{path}: date {series.index[dup][0]} occurs more than once (lines {lines})"
        )
    if dropna:
        series = series.dropna()
    if series.empty:
        raise CSVParseError(f"{path}: no values (only a header, or only missing values)")
    return series


def find_csv_files(
    paths: str | Path | Iterable[str | Path], pattern: str = "*.csv", must_exist: bool = True
) -> list[Path]:
    """The CSV files named by files, folders and glob patterns, once each, in order.

    Parameters
    ----------
    paths : str, pathlib.Path or list of them
        Files, folders (their files matching ``pattern``, not searched recursively)
        and glob patterns such as ``"meteo/rain_*.csv"``.
    pattern : str, optional
        Which files of a folder to take, ``"*.csv"`` by default.
    must_exist : bool, optional
        Raise for a path that does not exist (default). With ``False`` it is kept,
        so that reading it fails later for that file alone.

    Returns
    -------
    list of pathlib.Path
        Absolute paths; a folder's files sorted by name.

    Raises
    ------
    FileNotFoundError
        If ``must_exist`` and a path (or a pattern that matches nothing) does not exist.

    """
    if isinstance(paths, str | Path):
        paths = [paths]
    found: dict[Path, None] = {}
    for entry in paths:
        path = Path(entry).expanduser()
        if path.is_dir():
            found |= dict.fromkeys(sorted(p.resolve() for p in path.glob(pattern) if p.is_file()))
        elif glob.has_magic(str(path)):
            matches = sorted(Path(p).resolve() for p in glob.glob(str(path)))
            if not matches and must_exist:
                raise FileNotFoundError(2, "no file matches", str(path))
            found |= dict.fromkeys(matches)
        elif path.exists() or not must_exist:
            found[path.resolve()] = None
        else:
            raise FileNotFoundError(2, "no such file or folder", str(path))
    return list(found)


def read_folder(folder: str | Path, pattern: str = "*.csv", **kwargs) -> dict[str, pd.Series]:
    """Read every CSV file in a folder with :func:`read_csv`.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder (not searched recursively).
    pattern : str, optional
        Glob pattern of the files to read, ``"*.csv"`` by default.
    **kwargs
        Passed to :func:`read_csv` for every file (``unit``, ``dayfirst``, ...);
        ``name`` is not allowed.

    Returns
    -------
    dict of str to pandas.Series
        Series by file name without suffix, in sorted order of the names.

    Raises
    ------
    NotADirectoryError
        If ``folder`` is not a directory.
    CSVParseError
        If a file cannot be read (the message names it).

    """
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a directory")
    if "name" in kwargs:
        raise TypeError("read_folder names series by their file; 'name' is not allowed")
    files = find_csv_files(folder, pattern)
    return {p.stem: read_csv(p, **kwargs) for p in files}


def read_metadata_csv(path: str | Path) -> dict[str, dict]:
    """Read a table of metadata per series: one row per series, one column per key.

    The series name is in a column called ``name``, or else in the first column
    (as ``DataFrame.to_csv`` writes its index). The separator (``,``, ``;`` or tab) is
    detected. Whole numbers stay integers even in a column with empty cells.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file, e.g. ``name,x,y`` followed by ``B58C0698001,187000,337000``.

    Returns
    -------
    dict
        ``series name -> metadata``; empty cells are left out.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    CSVParseError
        If a name is empty or occurs twice.

    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "no such file", str(path))
    table = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    key = "name" if "name" in table.columns else table.columns[0]
    names = table.pop(key).str.strip()
    if (names == "").any():
        line = int(np.argmax((names == "").to_numpy())) + 2
        raise CSVParseError(f"{path}, line {line}: the series name is empty")
    if names.duplicated().any():
        raise CSVParseError(f"{path}: name {names[names.duplicated()].iloc[0]!r} occurs twice")
    values = table.replace("", None).apply(_numeric).convert_dtypes()  # whole numbers: Int64
    metadata = {}
    for name, row in zip(names, values.to_dict(orient="records"), strict=True):
        cells = {str(k): _plain(v) for k, v in row.items()}
        metadata[name] = {k: v for k, v in cells.items() if v is not None}
    return metadata


def _numeric(column: pd.Series) -> pd.Series:
    """A column of numbers as numbers; any other column as it is."""
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _plain(value: object) -> object:
    """A metadata cell as a JSON value (None for missing)."""
    if value is pd.NA or value is pd.NaT or value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _read_text(path: Path) -> str:
    """Return the file's text (UTF-8, with or without BOM, else Latin-1)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise CSVParseError(f"{path}: the file is empty")
    return text


def _first_cell(line: str, sep: str) -> str:
    return line.split(sep, 1)[0].strip().strip('"').strip("'").strip()


def _looks_like_date(cell: str) -> bool:
    return bool(_ISO_START.match(cell) or _DMY.match(cell))


def _split(path: Path, text: str, sep: str, has_header: bool) -> pd.DataFrame:
    """Split the text into two columns of strings indexed by line number; drop blank lines."""
    try:
        raw = pd.read_csv(
            StringIO(text),
            sep=sep,
            header=0 if has_header else None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    except pd.errors.ParserError as err:
        raise CSVParseError(f"{path}: not a two-column CSV file ({err})") from None
    if raw.shape[1] != 2:
        cols = [str(c) for c in raw.columns]
        raise CSVParseError(
            f"{path}: expected 2 columns (date, value), found {raw.shape[1]}: {cols}"
        )
    raw = raw.fillna("")
    raw.index = np.arange(len(raw)) + (2 if has_header else 1)
    return raw[(raw.iloc[:, 0] != "") | (raw.iloc[:, 1] != "")]


def _parse_dates(path: Path, cells: pd.Series, dayfirst: bool | None) -> pd.DatetimeIndex:
    """Parse the date column; see :func:`read_csv` for the rules."""
    strings = cells.str.strip(' \t"')
    _raise_at(path, strings == "", "empty date")
    if _DMY.match(strings.iloc[0]):
        index = _parse_dmy(path, strings, dayfirst)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mixed offsets: object result, handled below
            parsed = pd.to_datetime(strings, format="ISO8601", errors="coerce")
        if not pd.api.types.is_datetime64_any_dtype(parsed):
            raise CSVParseError(f"{path}: dates with different time-zone offsets")
        msg = "cannot parse date {!r} (expected ISO 8601 like 1980-01-31, or dd/mm/yyyy)"
        _raise_at(path, parsed.isna(), msg, strings)
        index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_localize(None)  # keep the local wall time
    return index.astype("datetime64[ns]").rename(None)


def _parse_dmy(path: Path, strings: pd.Series, dayfirst: bool | None) -> pd.DatetimeIndex:
    """Parse ``nn/nn/yyyy`` dates, deciding day-first or month-first from the values."""
    parts = strings.str.extract(_DMY.pattern)
    _raise_at(path, parts[0].isna(), "cannot parse date {!r} like the first date", strings)
    first, second = parts[0].astype(int), parts[2].astype(int)
    if dayfirst is None and (first > 12).any() and (second > 12).any():
        d, m = (strings.index[np.argmax(x.to_numpy() > 12)] for x in (first, second))
        raise CSVParseError(
            f"{path}: dates mix day-first (line {d}: {strings[d]!r}) and month-first "
            f"(line {m}: {strings[m]!r})"
        )
    if dayfirst is None:
        dayfirst = not (second > 12).any()
    kind = "month-first" if dayfirst else "day-first"
    msg = f"date {{!r}} is {kind}, but dayfirst={dayfirst} was given"
    _raise_at(path, second > 12 if dayfirst else first > 12, msg, strings)
    sep = parts[1].iloc[0]
    fmt = f"%d{sep}%m{sep}%Y" if dayfirst else f"%m{sep}%d{sep}%Y"
    date_part, _, time_part = (strings.str.partition(" ")[i] for i in range(3))
    index = pd.to_datetime(date_part, format=fmt, errors="coerce")
    if (time_part != "").any():
        time_part = time_part.str.replace(r"^(\d{1,2}:\d{2})$", r"\1:00", regex=True)
        index = index + pd.to_timedelta(time_part.replace("", "0:0:0"), errors="coerce")
    _raise_at(path, index.isna(), f"cannot parse date {{!r}} as {fmt}", strings)
    return pd.DatetimeIndex(index)


def _raise_at(path: Path, bad: pd.Series, message: str, strings: pd.Series | None = None) -> None:
    """Raise CSVParseError at the first True in ``bad`` (indexed by line); ``{!r}``: cell."""
    if bad.any():
        line = bad.index[np.argmax(bad.to_numpy())]
        text = message.format(strings[line]) if strings is not None else message
        raise CSVParseError(f"{path}, line {line}: {text}")


def _parse_values(path: Path, cells: pd.Series, decimal_comma: bool) -> np.ndarray:
    """Parse the value column to floats (exactly, like Python); missing markers: NaN."""
    strings = cells.str.strip(' \t"')
    if decimal_comma:
        strings = strings.str.replace(",", ".", regex=False)
    missing = strings.isin(_MISSING)
    try:
        values = strings.mask(missing).astype(float)
    except ValueError:
        coerced = pd.to_numeric(strings.mask(missing), errors="coerce")
        _raise_at(path, coerced.isna() & ~missing, "value {!r} is not a number", strings)
        raise
    _raise_at(path, np.isinf(values), "value {!r} is infinite", strings)
    return values.to_numpy()
