"""Synthetic heads with known parameters, from the real meteo of the example stations.

:func:`synthetic` makes any number of head series with a known
``RechargeModel(Exponential, Linear)`` response, AR(1) noise and irregular sampling,
for tests and benchmarks of bulk calibration: a fitted model can be checked against
the parameters that made its head.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from pastas_projects.datasets.collection import SeriesCollection
from pastas_projects.datasets.examples import SOURCE, STATIONS, station_meteo, xy_metadata

#: Ranges of the parameters drawn by :func:`pastas_projects.datasets.synthetic`
#: (log-uniform for A and a).
SYNTHETIC_RANGES: dict[str, tuple[float, float]] = {
    "recharge_A": (0.1, 1.5),  # m per mm/d, i.e. 100-1500 d for recharge in m/d
    "recharge_a": (20.0, 400.0),  # d
    "recharge_f": (-1.5, -0.5),  # -
    "constant_d": (-1.0, 25.0),  # m above datum (NAP-like)
    "noise_sigma": (0.01, 0.05),  # m
    "noise_alpha": (5.0, 60.0),  # d
    "years": (10.0, 25.0),  # length of a head series
}
_WARMUP_DAYS = 3660  # pastas warms up 3650 d; heads start later than this after the meteo
_CUTOFF = 0.999  # pastas' default cutoff of the Exponential response


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

    true_parameters: pd.DataFrame = Field(default_factory=pd.DataFrame)


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
        prec, evap = station_meteo(station)
        index = prec.index.intersection(evap.index)
        if len(index) != (index[-1] - index[0]).days + 1:
            raise ValueError(f"meteo of station {station!r} is not daily without gaps")
        meteo[station] = (index, prec.loc[index].to_numpy(), evap.loc[index].to_numpy())
        names = (f"syn_prec_{station}", f"syn_evap_{station}")
        for kind, name, series in zip(("prec", "evap"), names, (prec, evap), strict=True):
            data.stresses[name] = series.rename(name).copy()
            data.stresses_metadata[name] = {
                "kind": kind,
                **xy_metadata(*STATIONS[station]["syn_xy"]),
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
            **xy_metadata(round(x0 + xy[0]), round(y0 + xy[1])),
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


def one_head(
    rng: np.random.Generator,
    index: pd.DatetimeIndex,
    prec: np.ndarray,
    evap: np.ndarray,
    noise: bool,
) -> tuple[pd.Series, dict, tuple[float, float]]:
    """Draw parameters, sampling times and noise; return head, parameters, offset."""
    r = SYNTHETIC_RANGES
    params = {
        "recharge_A": float(np.exp(rng.uniform(*np.log(r["recharge_A"])))),
        "recharge_a": float(np.exp(rng.uniform(*np.log(r["recharge_a"])))),
        "recharge_f": float(rng.uniform(*r["recharge_f"])),
        "constant_d": float(rng.uniform(*r["constant_d"])),
        "noise_sigma": float(rng.uniform(*r["noise_sigma"])),
        "noise_alpha": float(rng.uniform(*r["noise_alpha"])),
    }
    radius, angle = 5000.0 * np.sqrt(rng.uniform()), rng.uniform(0, 2 * np.pi)
    offset = (radius * np.cos(angle), radius * np.sin(angle))

    # Observation days (positions in the daily meteo index).
    available = len(index) - _WARMUP_DAYS
    length = min(int(rng.uniform(*r["years"]) * 365.25), available - 1)
    start = _WARMUP_DAYS + int(rng.integers(available - length))
    pos = _sampling(rng, start, start + length)

    # Noise-free head at the observation days: d + A * conv(P + f E).
    A, a, f, d = (params[k] for k in ("recharge_A", "recharge_a", "recharge_f", "constant_d"))
    head = d + A * _exp_conv(prec, evap, f, a, pos)

    # AR(1) noise: daily process, stationary from the first day, sampled at pos.
    phi = np.exp(-1.0 / params["noise_alpha"])
    days = pos[-1] - pos[0] + 1
    z = rng.standard_normal(days + 1) * params["noise_sigma"]
    eps = _ar1(z[1:] * np.sqrt(1 - phi**2), phi, z[0])
    if noise:
        head = head + eps[pos - pos[0]]
    return pd.Series(head, index=index[pos]), params, offset


def _sampling(rng: np.random.Generator, start: int, end: int) -> np.ndarray:
    """Irregular observation days in ``[start, end)``: jitter, gaps, missing readings."""
    step = int(rng.choice([7, 14, 14, 14, 28]))
    count = (end - start) // max(step - step // 4, 1) + 2
    steps = step + rng.integers(-(step // 4), step // 4 + 1, size=count)
    gaps = rng.random(count) < 1 / 150
    steps[gaps] += rng.integers(60, 731, size=int(gaps.sum()))
    pos = start + np.concatenate(([0], np.cumsum(steps)))
    pos = pos[pos < end]
    keep = rng.random(len(pos)) >= 0.05
    keep[[0, -1]] = True  # keep the drawn start and the last reading
    return pos[keep]


def _exp_conv(
    prec: np.ndarray, evap: np.ndarray, f: float, a: float, pos: np.ndarray
) -> np.ndarray:
    """Convolve the recharge ``P + f E`` with pastas' unit-gain Exponential block response.

    pastas uses ``b[k] = (1 - phi) phi**k`` for ``k < K`` with ``phi = exp(-1/a)`` and
    ``K = len(arange(1, -a ln(1 - cutoff), 1))``. The full sum is the recursive filter
    ``y[t] = phi y[t-1] + (1 - phi) x[t]``; truncating it at ``K`` terms gives
    ``y[t] - phi**K y[t-K]``, which does not depend on where the filter starts as long
    as it starts at or before ``t - K``. Returns the values at the days ``pos``.
    """
    phi = np.exp(-1.0 / a)
    tmax = max(-a * np.log(1 - _CUTOFF), 3.0)
    k = len(np.arange(1.0, tmax, 1.0))
    first, last = pos[0] - k, pos[-1] + 1
    recharge = prec[first:last] + f * evap[first:last]
    y = _ar1((1 - phi) * recharge, phi, 0.0)
    return y[pos - first] - phi**k * y[pos - first - k]


def _ar1(x: np.ndarray, phi: float, y0: float) -> np.ndarray:
    """Return ``y`` with ``y[t] = phi y[t-1] + x[t]`` and ``y[-1] = y0``."""
    from scipy.signal import lfilter  # here: slow to import, and the flows never call it

    return lfilter([1.0], [1.0, -phi], x, zi=[phi * y0])[0]
