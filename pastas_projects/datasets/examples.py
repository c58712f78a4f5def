"""The real example series bundled with the package.

:func:`load_examples` returns the real series in ``pastas_projects/data`` (from the
pastas example data, MIT licence) ready to be stored: heads in m and precipitation
and evaporation in mm/d for every station, each real well once.

Coordinates are made up (Dutch RD New, EPSG:28992; also for the Swedish Heby
series) such that each head's own meteo station is the nearest one.
"""

from __future__ import annotations

import functools
from importlib.resources import files

import pandas as pd

from pastas_projects.datasets.collection import SeriesCollection
from pastas_projects.io import read_csv

SOURCE = "pastas example data (github.com/pastas/pastas, doc/examples/data), MIT licence"

#: Meteo stations: file of precipitation and evaporation, unit conversion to mm/d,
#: made-up RD coordinates (260 is placed at De Bilt) and made-up synthetic coordinates.
STATIONS: dict[str, dict] = {
    "260": {
        "prec": ("rain_260", None),
        "evap": ("evap_260", None),
        "xy": (140_800.0, 456_800.0),
        "syn_xy": (210_000.0, 470_000.0),
        "description": "KNMI De Bilt (260), daily, originally mm/d",
    },
    "nb1": {
        "prec": ("rain_nb1", "m/d->mm/d"),
        "evap": ("evap_nb1", "m/d->mm/d"),
        "xy": (160_000.0, 390_000.0),
        "syn_xy": (190_000.0, 400_000.0),
        "description": "meteo of pastas notebook 1, daily, originally m/d",
    },
    "nb18": {
        "prec": ("nb18_rain", "m/d->mm/d"),
        "evap": ("nb18_evap", "m/d->mm/d"),
        "xy": (120_000.0, 400_000.0),
        "syn_xy": (240_000.0, 420_000.0),
        "description": "meteo of pastas notebook 18, daily, originally m/d",
    },
    "heby": {
        "prec": ("heby_prec", None),
        "evap": ("heby_evap", None),
        "xy": (250_000.0, 580_000.0),
        "syn_xy": (230_000.0, 530_000.0),
        "description": "Heby (Sweden), daily, originally mm/d",
    },
}

# Head series: file stem -> (station, unit conversion, made-up x, y, description).
_HEADS: dict[str, tuple[str, str | None, float, float, str]] = {
    "B32C0609001": ("260", None, 150_000.0, 460_000.0, "Dutch well B32C0609, filter 1"),
    "B42B0040002": ("260", "cm->m", 145_000.0, 445_000.0, "Dutch well B42B0040, filter 2"),
    "B58C0698001": ("nb1", None, 165_000.0, 385_000.0, "Dutch well B58C0698, filter 1"),
    "nb18_head": ("nb18", None, 118_000.0, 403_000.0, "head of pastas notebook 18, daily"),
    "heby_head": ("heby", None, 252_000.0, 578_000.0, "Heby (Sweden)"),
}
_WELL = ("nb9_extraction", 175_000.0, 395_000.0)
_CRS = "EPSG:28992"


class ExampleData(SeriesCollection):
    """The real example series bundled with the package (see :func:`load_examples`)."""


def data_path() -> str:
    """Return the folder holding the bundled CSV files, their LICENSE and README."""
    return str(files("pastas_projects") / "data")


@functools.cache
def _read(stem: str, unit: str | None) -> pd.Series:
    """Read one bundled file (cached; callers must copy before handing it out)."""
    return read_csv(files("pastas_projects") / "data" / f"{stem}.csv", unit=unit)


def station_meteo(station: str) -> tuple[pd.Series, pd.Series]:
    """Precipitation and evaporation (mm/d) of a station, cached, not copied."""
    if station not in STATIONS:
        raise ValueError(f"unknown station {station!r}; known: {sorted(STATIONS)}")
    info = STATIONS[station]
    return _read(*info["prec"]), _read(*info["evap"])


def xy_metadata(x: float, y: float) -> dict:
    """Metadata of made-up coordinates (RD New): ``x``, ``y``, ``crs``, ``coordinates``."""
    return {"x": float(x), "y": float(y), "crs": _CRS, "coordinates": "made up"}


def load_examples() -> ExampleData:
    """Load the real example series bundled with the package.

    Heads: ``B32C0609001``, ``B42B0040002`` (converted from cm to m),
    ``B58C0698001``, ``nb18_head`` and ``heby_head``, all in m; each real well once
    (the bundled ``head_nb1.csv`` is a cleaned copy of ``B58C0698001`` and is not
    loaded). Stresses: precipitation and evaporation of four stations, all in mm/d
    (``rain_nb1``, ``evap_nb1``, ``nb18_rain`` and ``nb18_evap`` are converted from
    m/d), and the pumping rate
    ``nb9_extraction`` (kind ``"well"``, unit not documented by the source, probably
    m3/d; it belongs to none of the heads). Missing values are dropped.

    Returns
    -------
    ExampleData
        Series named by their item name, metadata with made-up coordinates
        (``coordinates: "made up"``) and ``meteo``, the station of each head.

    """
    data = ExampleData()
    for station, info in STATIONS.items():
        for kind in ("prec", "evap"):
            stem, unit = info[kind]
            data.stresses[stem] = _read(stem, unit).copy()
            data.stresses_metadata[stem] = {
                "kind": kind,
                **xy_metadata(*info["xy"]),
                "unit": "mm/d",
                "station": station,
                "description": info["description"],
                "source": SOURCE,
                "file": f"{stem}.csv",
            }
    stem, x, y = _WELL
    data.stresses[stem] = _read(stem, None).copy()
    data.stresses_metadata[stem] = {
        "kind": "well",
        **xy_metadata(x, y),
        "unit": "m3/d (assumed; not documented by the source)",
        "description": "pumping rate of pastas notebook 9",
        "source": SOURCE,
        "file": f"{stem}.csv",
    }
    for name, (station, unit, x, y, description) in _HEADS.items():
        data.oseries[name] = _read(name, unit).copy()
        data.oseries_metadata[name] = {
            **xy_metadata(x, y),
            "unit": "m",
            "station": station,
            "description": description,
            "source": SOURCE,
            "file": f"{name}.csv",
        }
        data.meteo[name] = (STATIONS[station]["prec"][0], STATIONS[station]["evap"][0])
    return data
