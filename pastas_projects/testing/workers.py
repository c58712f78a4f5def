"""Functions the suite runs in other processes (importable, so ``spawn`` finds them)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

import pastas_projects as pp


def numbered_series(worker: int, item: int, length: int = 500) -> pd.Series:
    """The series a concurrent writer writes: its values say who wrote it."""
    index = pd.date_range("2001-01-01", periods=length, freq="D")
    return pd.Series(worker * 1000.0 + item + np.arange(length) / length, index)


def write_many(uri: str, name: str, worker: int, count: int) -> None:
    """Write ``count`` distinct oseries, all named after this worker."""
    db = pp.Database(pp.connect(uri, name))
    for item in range(count):
        db.add_oseries(numbered_series(worker, item), f"w{worker}_{item}")


def victim_series(value: float, length: int = 20_000) -> pd.Series:
    """A long series with one value throughout, so a torn write is easy to see."""
    index = pd.date_range("1950-01-01", periods=length, freq="h")
    return pd.Series(np.full(length, value), index)


def overwrite_forever(uri: str, name: str, ready_path: str) -> None:
    """Overwrite one item with alternating contents until killed."""
    db = pp.Database(pp.connect(uri, name))
    value = 1.0
    written = 0
    while True:
        db.add_oseries(victim_series(value), "victim", overwrite=True, force=True)
        written += 1
        if written == 2:
            with open(ready_path, "w") as ready:
                ready.write("ready")
        value = 2.0 if value == 1.0 else 1.0


if __name__ == "__main__":  # python -m pastas_projects.testing.workers URI NAME READY
    overwrite_forever(sys.argv[1], sys.argv[2], sys.argv[3])
