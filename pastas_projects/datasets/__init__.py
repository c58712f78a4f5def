"""Data to try things on: the real example series and synthetic heads.

>>> from pastas_projects.datasets import load_examples, synthetic
>>> sorted(load_examples().oseries)[:2]
['B32C0609001', 'B42B0040002']
>>> synthetic(2, seed=1).true_parameters.shape
(2, 6)
"""

from __future__ import annotations

from pastas_projects.datasets.collection import SeriesCollection
from pastas_projects.datasets.examples import (
    STATIONS,
    ExampleData,
    data_path,
    load_examples,
)
from pastas_projects.datasets.synthetic import SYNTHETIC_RANGES, SyntheticData, synthetic

__all__ = [
    "STATIONS",
    "SYNTHETIC_RANGES",
    "ExampleData",
    "SeriesCollection",
    "SyntheticData",
    "data_path",
    "load",
    "load_examples",
    "synthetic",
]


def load(spec: str) -> SeriesCollection:
    """A bundled data set by name: ``"examples"`` or ``"synthetic:N[:SEED]"``.

    Raises
    ------
    ValueError
        If the name is not one of those.

    """
    name, _, rest = spec.strip().partition(":")
    if name == "examples" and not rest:
        return load_examples()
    if name == "synthetic":
        n, _, seed = rest.partition(":")
        try:
            return synthetic(int(n), int(seed or 0))
        except ValueError:
            pass
    raise ValueError(f"dataset must be 'examples' or 'synthetic:N[:SEED]', not {spec!r}")
