"""The numerical core of :func:`pastas_projects.datasets.synthetic`: one synthetic head.

Draws a head's parameters, its irregular observation days and its AR(1) noise, and
computes the noise-free head the way ``pastas.Model.simulate`` does for a
``RechargeModel(Exponential, Linear)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    from scipy.signal import lfilter

    return lfilter([1.0], [1.0, -phi], x, zi=[phi * y0])[0]
