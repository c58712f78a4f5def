"""Real example series bundled with the package, and synthetic heads with known parameters.

:func:`load_examples` returns the real series in ``pastas_projects/data`` (from the
pastas example data, MIT licence) ready to be stored: heads in m and precipitation
and evaporation in mm/d for every station. :func:`synthetic` makes any number of
head series from the real meteo of those stations with a known
``RechargeModel(Exponential, Linear)`` response, AR(1) noise and irregular sampling,
for tests and benchmarks of bulk calibration.

Coordinates are made up (Dutch RD New, EPSG:28992; also for the Swedish Heby
series) such that each head's own meteo station is the nearest one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib.resources import files

import numpy as np
import pandas as pd

from pastas_projects.io import read_csv
from pastas_projects.synthetic_heads import SYNTHETIC_RANGES, one_head

__all__ = [
    "ExampleData",
    "SeriesCollection",
    "SyntheticData",
    "STATIONS",
    "SYNTHETIC_RANGES",
    "load_examples",
    "synthetic",
    "data_path",
]

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
    "head_nb1": ("nb1", None, 165_000.0, 385_000.0, "same well as B58C0698001 (cleaned)"),
    "nb18_head": ("nb18", None, 118_000.0, 403_000.0, "head of pastas notebook 18, daily"),
    "heby_head": ("heby", None, 252_000.0, 578_000.0, "Heby (Sweden)"),
}
_WELL = ("nb9_extraction", 175_000.0, 395_000.0)
_CRS = "EPSG:28992"


@dataclass
class SeriesCollection:
    """Series and metadata ready to store, and which meteo belongs to which head.

    Attributes
    ----------
    oseries : dict of str to pandas.Series
        Head series (m), by name.
    oseries_metadata : dict of str to dict
        JSON-serialisable metadata per head: at least ``x``, ``y`` (m, RD New),
        ``crs``, ``coordinates`` (``"made up"``), ``unit`` and ``station``.
    stresses : dict of str to pandas.Series
        Stress series by name.
    stresses_metadata : dict of str to dict
        JSON-serialisable metadata per stress: ``kind`` (``"prec"``, ``"evap"`` or
        ``"well"``), ``x``, ``y``, ``crs``, ``coordinates``, ``unit`` and more.
    meteo : dict of str to tuple of str
        ``head name -> (precipitation name, evaporation name)``: the station each head
        belongs to, which is also the nearest by coordinates.

    """

    oseries: dict[str, pd.Series] = field(default_factory=dict)
    oseries_metadata: dict[str, dict] = field(default_factory=dict)
    stresses: dict[str, pd.Series] = field(default_factory=dict)
    stresses_metadata: dict[str, dict] = field(default_factory=dict)
    meteo: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class ExampleData(SeriesCollection):
    """The real example series bundled with the package (see :func:`load_examples`)."""


@dataclass
class SyntheticData(SeriesCollection):
    """Synthetic heads with known parameters (see :func:`synthetic`).

    Attributes
    ----------
    true_parameters : pandas.DataFrame
        One row per head (index ``name``) with columns ``recharge_A`` (m per mm/d),
        ``recharge_a`` (d), ``recharge_f`` (-), ``constant_d`` (m), ``noise_sigma`` (m,
        standard deviation of the AR(1) noise) and ``noise_alpha`` (d, its
        e-folding time).

    """

    true_parameters: pd.DataFrame = field(default_factory=pd.DataFrame)


def data_path() -> str:
    """Return the folder holding the bundled CSV files, their LICENSE and README."""
    return str(files("pastas_projects") / "data")


@functools.cache
def _read(stem: str, unit: str | None) -> pd.Series:
    """Read one bundled file (cached; callers must copy before handing it out)."""
    return read_csv(files("pastas_projects") / "data" / f"{stem}.csv", unit=unit)


def _station_meteo(station: str) -> tuple[pd.Series, pd.Series]:
    """Precipitation and evaporation (mm/d) of a station, cached, not copied."""
    if station not in STATIONS:
        raise ValueError(f"unknown station {station!r}; known: {sorted(STATIONS)}")
    info = STATIONS[station]
    return _read(*info["prec"]), _read(*info["evap"])


def _xy_metadata(x: float, y: float) -> dict:
    return {"x": float(x), "y": float(y), "crs": _CRS, "coordinates": "made up"}


def load_examples() -> ExampleData:
    """Load the real example series bundled with the package.

    Heads: ``B32C0609001``, ``B42B0040002`` (converted from cm to m),
    ``B58C0698001``, ``head_nb1`` (the same well as ``B58C0698001``, cleaned),
    ``nb18_head`` and ``heby_head``, all in m. Stresses: precipitation and
    evaporation of four stations, all in mm/d (``rain_nb1``, ``evap_nb1``,
    ``nb18_rain`` and ``nb18_evap`` are converted from m/d), and the pumping rate
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
                **_xy_metadata(*info["xy"]),
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
        **_xy_metadata(x, y),
        "unit": "m3/d (assumed; not documented by the source)",
        "description": "pumping rate of pastas notebook 9",
        "source": SOURCE,
        "file": f"{stem}.csv",
    }
    for name, (station, unit, x, y, description) in _HEADS.items():
        data.oseries[name] = _read(name, unit).copy()
        data.oseries_metadata[name] = {
            **_xy_metadata(x, y),
            "unit": "m",
            "station": station,
            "description": description,
            "source": SOURCE,
            "file": f"{name}.csv",
        }
        data.meteo[name] = (STATIONS[station]["prec"][0], STATIONS[station]["evap"][0])
    return data


# Synthetic data ------------------------------------------------------------------


def synthetic(
    n: int,
    seed: int = 0,
    *,
    stations: tuple[str, ...] = ("260", "nb1", "nb18", "heby"),
    noise: bool = True,
) -> SyntheticData:
    """Make synthetic head series with known parameters from real meteo.

    Each head ``syn_00001``, ``syn_00002``, ... gets a station (random), parameters of
    a pastas ``RechargeModel`` with ``Exponential`` response and ``Linear`` recharge
    (``R = P + f E``) drawn from :data:`SYNTHETIC_RANGES`, and AR(1) noise of a few cm
    (a daily process with standard deviation ``noise_sigma`` and e-folding time
    ``noise_alpha``, sampled at the observation times). Observations are irregular:
    every 7, 14 or 28 days (per series) with a few days' jitter, occasional gaps of
    2 months to 2 years and about 5 % missing readings, over 10-25 years (nb18: at most
    about 14) that start at least 10 years after the meteo does, so the model's
    warm-up period needs no filled stress.

    The noise-free head is computed like ``pastas.Model.simulate`` does (the
    Exponential block response truncated at its 0.999 cutoff, daily steps), but with
    a recursive filter instead of a convolution, so it equals pastas' simulation with
    the true parameters to rounding error. Generating 2000 heads takes about a second.

    Parameters
    ----------
    n : int
        Number of head series.
    seed : int, optional
        Random seed. Head ``i`` depends only on ``seed`` and ``i``, so the first heads
        of ``synthetic(100, s)`` equal those of ``synthetic(10, s)``.
    stations : tuple of str, optional
        Meteo stations (keys of :data:`STATIONS`) to draw from.
    noise : bool, optional
        Add the AR(1) noise (default). With ``False`` the heads are exact
        simulations; all random draws, including the sampling, stay the same.

    Returns
    -------
    SyntheticData
        Heads, their metadata (coordinates within 5 km of their station, the station,
        the true parameters and ``synthetic: True``), the shared stresses
        ``syn_prec_<station>`` and ``syn_evap_<station>`` (mm/d; the real series of
        the station, at made-up coordinates away from the example stations so they
        can share a store), ``meteo`` and ``true_parameters``.

    """
    if n < 0 or not stations:
        raise ValueError(f"need n >= 0 (got {n}) and at least one station (got {stations})")
    data = SyntheticData()
    meteo = {}
    for station in stations:
        prec, evap = _station_meteo(station)
        index = prec.index.intersection(evap.index)
        if len(index) != (index[-1] - index[0]).days + 1:
            raise ValueError(f"meteo of station {station!r} is not daily without gaps")
        meteo[station] = (index, prec.loc[index].to_numpy(), evap.loc[index].to_numpy())
        names = (f"syn_prec_{station}", f"syn_evap_{station}")
        for kind, name, series in zip(("prec", "evap"), names, (prec, evap), strict=True):
            data.stresses[name] = series.rename(name).copy()
            data.stresses_metadata[name] = {
                "kind": kind,
                **_xy_metadata(*STATIONS[station]["syn_xy"]),
                "unit": "mm/d",
                "station": station,
                "description": STATIONS[station]["description"],
                "source": SOURCE,
            }
    rows = {}
    for i in range(1, n + 1):
        rng = np.random.default_rng([seed, i])
        station = stations[int(rng.integers(len(stations)))]
        name = f"syn_{i:05d}"
        head, params, xy = one_head(rng, *meteo[station], noise=noise)
        x0, y0 = STATIONS[station]["syn_xy"]
        data.oseries[name] = head.rename(name)
        data.oseries_metadata[name] = {
            **_xy_metadata(round(x0 + xy[0]), round(y0 + xy[1])),
            "unit": "m",
            "station": station,
            "synthetic": True,
            "seed": int(seed),
            **params,
        }
        data.meteo[name] = (f"syn_prec_{station}", f"syn_evap_{station}")
        rows[name] = params
    columns = ["recharge_A", "recharge_a", "recharge_f", "constant_d"]
    columns += ["noise_sigma", "noise_alpha"]
    data.true_parameters = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    data.true_parameters.index.name = "name"
    return data
