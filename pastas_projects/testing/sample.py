"""Small, deterministic series for the connector suite (no files needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def meteo(seed: int = 1, years: int = 12) -> tuple[pd.Series, pd.Series]:
    """Daily precipitation and evaporation in mm/d with a regular daily index."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2000-01-01", periods=365 * years, freq="D")
    wet = rng.random(len(index)) < 0.45
    prec = pd.Series(np.where(wet, rng.gamma(0.8, 4.0, len(index)), 0.0), index, name="prec")
    day = index.dayofyear.to_numpy()
    evap = pd.Series(
        np.clip(1.6 - 1.4 * np.cos(2 * np.pi * (day - 15) / 365.25), 0, None)
        + rng.normal(0, 0.1, len(index)).clip(-0.1, 0.1),
        index,
        name="evap",
    )
    return prec, evap


def head(prec: pd.Series, evap: pd.Series, seed: int = 2) -> pd.Series:
    """An irregular (roughly fortnightly) head series driven by the meteo."""
    rng = np.random.default_rng(seed)
    recharge = (prec - 1.2 * evap).to_numpy()
    t = np.arange(0, 2000)
    response = 400 / 120 * np.exp(-t / 120) * 1e-3
    level = 10 + np.convolve(recharge, response)[: len(recharge)]
    series = pd.Series(level, prec.index)
    times = series.index[730::14] + pd.to_timedelta(
        rng.integers(0, 3, len(series.index[730::14])), "D"
    )
    times = times[times <= series.index[-1]].unique()
    observed = series.reindex(times) + rng.normal(0, 0.02, len(times))
    return observed.rename("head")
